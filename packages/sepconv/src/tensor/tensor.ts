import { DisposedTensorError, DTypeError, ShapeError } from '../errors.js';
import { runtime, type Runtime } from '../runtime/state.js';

/** Element types. Only float32 is computed today; the union leaves room for float16/int8 weights. */
export type DType = 'float32';
export type Shape = readonly number[];

const leakGuard =
  typeof FinalizationRegistry === 'undefined'
    ? undefined
    : new FinalizationRegistry<{ rt: Runtime; ptr: number; len: number }>(({ rt, ptr, len }) => rt.free(ptr, len));

export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(op, 'a shape of non-negative integers', JSON.stringify(shape));
  }
}

/**
 * An NHWC float32 tensor whose data lives in wasm memory.
 * Free it with `dispose()` (or `using`); a FinalizationRegistry frees forgotten ones eventually.
 */
export class Tensor {
  readonly dtype: DType = 'float32';
  readonly size: number;
  #ptr: number;
  #rt: Runtime;
  #owned: boolean;
  /** What owns a borrowed view's memory (a model), kept alive as long as the view. */
  #owner: object | undefined;

  /**
   * Wraps a buffer already allocated in wasm memory; most users want `tensor()` or `zeros()`.
   * `owned: false` makes a non-owning view (e.g. into a model's arena): `dispose()` only detaches it.
   */
  constructor(
    readonly shape: Shape,
    ptr: number,
    rt: Runtime,
    owned = true,
  ) {
    this.size = sizeOf(shape);
    this.#ptr = ptr;
    this.#rt = rt;
    this.#owned = owned;
    if (owned) leakGuard?.register(this, { rt, ptr, len: this.size }, this);
  }

  /**
   * A non-owning view of `shape` at `ptr` (a model arena slot); never frees the memory.
   * `owner` (the model) is kept reachable for as long as the view is.
   */
  static borrow(shape: Shape, ptr: number, rt: Runtime, owner?: object): Tensor {
    const t = new Tensor([...shape], ptr, rt, false);
    t.#owner = owner;
    return t;
  }

  /** False for views into memory owned by something else (a model's arena). */
  get isOwned(): boolean {
    return this.#owned;
  }

  /** The runtime whose memory holds the data. */
  get runtime(): Runtime {
    return this.#rt;
  }

  static alloc(shape: Shape, op = 'tensor'): Tensor {
    checkShape(op, shape);
    const rt = runtime(`${op}()`);
    return new Tensor([...shape], rt.alloc(sizeOf(shape)), rt);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.#ptr === 0;
  }

  /** Address in wasm memory; throws if disposed. For ops, not for users. */
  ptr(op = 'tensor'): number {
    if (this.#ptr === 0) throw new DisposedTensorError(`${op}: tensor of shape [${this.shape.join(', ')}]`);
    return this.#ptr;
  }

  /** A fresh view of the data; valid only until the next call that can grow memory. */
  view(op = 'tensor'): Float32Array {
    const ptr = this.ptr(op);
    return new Float32Array(this.#rt.memory.buffer, ptr, this.size);
  }

  /** Copies the data out of wasm memory. */
  data(): Float32Array {
    return this.view('data()').slice();
  }

  /** Nested arrays, outermost dimension first. */
  toArray(): unknown {
    const flat = this.data();
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return flat[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  dispose(): void {
    if (this.#ptr === 0) return;
    if (this.#owned) {
      leakGuard?.unregister(this);
      this.#rt.free(this.#ptr, this.size);
    }
    this.#owner = undefined;
    this.#ptr = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Tensor(float32, [${this.shape.join(', ')}]${this.isDisposed ? ', disposed' : ''})`;
  }
}

/** A tensor holding a copy of `data` (Float32Array or numbers) with `shape`. */
/**
 * A float32 tensor in wasm memory from `data` (row-major, `shape`'s size). Integer pixel data
 * (Int32Array, Uint8Array, Uint8ClampedArray: what an int32 / uint8 model input takes) is cast to
 * float32 here, at the boundary; compute stays float32 (int32 values beyond 2**24 round).
 */
export function tensor(data: Float32Array | Int32Array | Uint8Array | Uint8ClampedArray | readonly number[], shape: Shape): Tensor {
  checkShape('tensor', shape);
  if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array || data instanceof Uint8ClampedArray) && !Array.isArray(data)) {
    throw new DTypeError('tensor', 'Float32Array, Int32Array, Uint8Array, Uint8ClampedArray or number[]', Object.prototype.toString.call(data));
  }
  if (data.length !== sizeOf(shape)) {
    throw new ShapeError('tensor', `${sizeOf(shape)} values for shape [${shape.join(', ')}]`, `${data.length} values`);
  }
  const t = Tensor.alloc(shape);
  t.view().set(data);
  return t;
}

export function zeros(shape: Shape): Tensor {
  return Tensor.alloc(shape, 'zeros');
}

export function fill(shape: Shape, value: number): Tensor {
  const t = Tensor.alloc(shape, 'fill');
  t.view().fill(value);
  return t;
}
