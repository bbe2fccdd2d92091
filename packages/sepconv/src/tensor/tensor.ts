import { DisposedTensorError, DTypeError, ShapeError } from '../errors.js';
import { checkCurrent, isCurrent, runtime, type Runtime } from '../runtime/state.js';
import { checkShape, formatShape } from './limits.js';

/**
 * Element types. Data is always float32 in memory (compute is float32); a graph model's post-processing
 * outputs say what their values are: int32, uint8 and bool values are exact integers (0 / 1 for bool) held
 * as float32, exact up to 2**24.
 */
export type DType = 'float32' | 'int32' | 'uint8' | 'bool';
/** A tensor shape: one non-negative integer per axis (NHWC for images). */
export type Shape = readonly number[];

/**
 * An owned tensor's memory, freed once the tensor is released (disposed, or garbage-collected
 * undisposed) and no Float32Array that `view()` handed out is reachable. A Float32Array cannot be
 * revoked, so memory a live view covers is never given to another tensor: writes through a view kept
 * past `dispose()` land in memory nothing else owns.
 */
interface Block {
  rt: Runtime;
  ptr: number;
  len: number;
  /** Views from `view()` not yet garbage-collected. */
  views: number;
  released: boolean;
}

const hasFinalizers = typeof FinalizationRegistry !== 'undefined';
const freeIfUnused = (b: Block): void => {
  if (b.released && b.views === 0) b.rt.free(b.ptr, b.len);
};
/** Frees forgotten tensors eventually (their block, once no view of it is reachable). */
const leakGuard = hasFinalizers
  ? new FinalizationRegistry<Block>((b) => {
      b.released = true;
      freeIfUnused(b);
    })
  : undefined;
/** Counts the views of a block down as they are collected. */
const viewGuard = hasFinalizers
  ? new FinalizationRegistry<Block>((b) => {
      b.views--;
      freeIfUnused(b);
    })
  : undefined;

export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

let internalShape: (t: Tensor) => Shape;
let internalView: (t: Tensor, op: string) => Float32Array;

/**
 * For sepconv's own code: a view of the data that is used at once and never kept (so, unlike the
 * public `view()`, not tracked: it does not hold the memory past `dispose()`).
 */
export function rawView(t: Tensor, op = 'tensor'): Float32Array {
  return internalView(t, op);
}

/**
 * For ops: the tensor's own shape array, never handed to users (who get a frozen copy from `shape`).
 * V8 (Node 20) runs every / some / reduce on frozen arrays ~30x slower, so the hot paths read this one.
 */
export function shapeOf(t: Tensor): Shape {
  return internalShape(t);
}

/**
 * An NHWC float32 tensor whose data lives in wasm memory.
 * Free it with `dispose()` (or `using`); a FinalizationRegistry frees forgotten ones eventually.
 *
 * `shape` is a frozen array and `size` / `dtype` are read-only accessors: the ops take geometry from
 * `shape` and buffer lengths from `size`, so neither can be changed under them. A tensor belongs to
 * the runtime of the `init()` that made it; after a later `init()` it counts as disposed.
 */
export class Tensor {
  static {
    internalShape = (t) => t.#shape;
    internalView = (t, op) => new Float32Array(t.#rt.memory.buffer, t.ptr(op), t.#size);
  }
  /** A private copy of the shape (ops read it through `shapeOf`); `shape` hands out a frozen copy. */
  readonly #shape: Shape;
  #frozenShape: Shape | undefined;
  readonly #size: number;
  #ptr: number;
  #rt: Runtime;
  #owned: boolean;
  /** The memory of an owned tensor, for deferred freeing (see Block). */
  #block: Block | undefined;
  /** What owns a borrowed view's memory (a model), kept alive as long as the view. */
  #owner: object | undefined;
  #dtype: DType = 'float32';

  /**
   * Wraps a buffer already allocated in wasm memory; most users want `tensor()` or `zeros()`.
   * `owned: false` makes a non-owning view (e.g. into a model's arena): `dispose()` only detaches it.
   * The shape is checked against the size limits and the buffer must lie inside `rt`'s memory.
   */
  constructor(shape: Shape, ptr: number, rt: Runtime, owned = true) {
    const size = checkShape('Tensor', shape);
    if (!Number.isSafeInteger(ptr) || ptr < 0 || (ptr === 0 && size > 0) || ptr % 4 !== 0 || ptr + size * 4 > rt.memory.buffer.byteLength) {
      throw new ShapeError('Tensor', `a 4-byte aligned buffer of ${size} floats inside wasm memory`, `address ${ptr}`);
    }
    this.#shape = [...shape];
    this.#size = size;
    this.#ptr = ptr;
    this.#rt = rt;
    this.#owned = owned;
    if (owned) {
      this.#block = { rt, ptr, len: size, views: 0, released: false };
      leakGuard?.register(this, this.#block, this);
    }
    if (new.target === Tensor) Object.freeze(this);
  }

  /** The dimensions, outermost first; a frozen copy (changing the tensor's shape is not possible). */
  get shape(): Shape {
    return (this.#frozenShape ??= Object.freeze([...this.#shape]));
  }

  /** The number of elements: the product of `shape`. */
  get size(): number {
    return this.#size;
  }

  /** What the values are: float32, or int32 / uint8 / bool for a graph model's post-processing outputs (see `DType`). */
  get dtype(): DType {
    return this.#dtype;
  }

  /**
   * A non-owning view of `shape` at `ptr` (a model arena slot); never frees the memory.
   * `owner` (the model) is kept reachable for as long as the view is.
   */
  static borrow(shape: Shape, ptr: number, rt: Runtime, owner?: object, dtype: DType = 'float32'): Tensor {
    const t = new Tensor(shape, ptr, rt, false);
    t.#owner = owner;
    t.#dtype = dtype;
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

  /** A new zero-filled tensor in the current runtime (`dtype` tags what its values are; the data is float32). */
  static alloc(shape: Shape, op = 'tensor', dtype: DType = 'float32'): Tensor {
    const size = checkShape(op, shape);
    const rt = runtime(`${op}()`);
    const t = new Tensor(shape, rt.alloc(size, op), rt);
    t.#dtype = dtype;
    return t;
  }

  get rank(): number {
    return this.#shape.length;
  }

  /** True after `dispose()`, and for a tensor of a runtime that a later `init()` replaced. */
  get isDisposed(): boolean {
    return this.#ptr === 0 || !isCurrent(this.#rt);
  }

  /**
   * Address in wasm memory; throws DisposedTensorError if disposed or if its runtime was replaced by
   * a later `init()`. For ops, not for users.
   */
  ptr(op = 'tensor'): number {
    if (this.#ptr === 0) throw new DisposedTensorError(`${op}: tensor of shape ${formatShape(this.#shape)}`);
    if (!isCurrent(this.#rt)) checkCurrent(this.#rt, `${op}: tensor of shape ${formatShape(this.#shape)}`);
    return this.#ptr;
  }

  /**
   * A Float32Array over the tensor's wasm memory, with no copy. It shows the tensor's data only until
   * `dispose()`, and it detaches (length 0) when wasm memory grows. A Float32Array cannot be revoked;
   * instead, the memory of a disposed tensor is not reused while a view of it is reachable, so writes
   * through a view kept past `dispose()` never reach another tensor (that memory is freed once the
   * view is garbage-collected). A view of a model's output aliases the model's arena: it changes at the
   * next `predict()`. Prefer `data()` (a copy out) and `write()` (a checked copy in).
   */
  view(op = 'tensor'): Float32Array {
    const ptr = this.ptr(op);
    const v = new Float32Array(this.#rt.memory.buffer, ptr, this.#size);
    const b = this.#block;
    if (b && viewGuard) {
      b.views++;
      viewGuard.register(v, b);
    }
    return v;
  }

  /** Copies the data out of wasm memory. */
  data(): Float32Array {
    return internalView(this, 'data()').slice();
  }

  /** Copies `values` (exactly `size` numbers) into the tensor; throws if disposed. The safe way to fill one. */
  write(values: Float32Array | readonly number[]): this {
    if (!(values instanceof Float32Array) && !Array.isArray(values)) {
      throw new DTypeError('write()', 'Float32Array or number[]', Object.prototype.toString.call(values));
    }
    if (values.length !== this.#size) {
      throw new ShapeError('write()', `${this.#size} values for shape ${formatShape(this.#shape)}`, `${values.length} values`);
    }
    internalView(this, 'write()').set(values);
    return this;
  }

  /** Nested arrays, outermost dimension first. */
  toArray(): unknown {
    const flat = this.data();
    const shape = this.#shape;
    const build = (dim: number, offset: number): unknown => {
      if (dim === shape.length) return flat[offset];
      const stride = sizeOf(shape.slice(dim + 1));
      return Array.from({ length: shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Frees the memory (idempotent). A tensor of a replaced runtime frees it in that runtime. */
  dispose(): void {
    if (this.#ptr === 0) return;
    const b = this.#block;
    if (b) {
      leakGuard?.unregister(this);
      b.released = true;
      freeIfUnused(b);
      this.#block = undefined;
    }
    this.#owner = undefined;
    this.#ptr = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Tensor(${this.#dtype}, ${formatShape(this.#shape)}${this.isDisposed ? ', disposed' : ''})`;
  }
}

/**
 * A float32 tensor in wasm memory from `data` (row-major, `shape`'s size). Integer pixel data
 * (Int32Array, Uint8Array, Uint8ClampedArray: what an int32 / uint8 model input takes) is cast to
 * float32 here, at the boundary; compute stays float32 (int32 values beyond 2**24 round).
 */
export function tensor(data: Float32Array | Int32Array | Uint8Array | Uint8ClampedArray | readonly number[], shape: Shape): Tensor {
  const size = checkShape('tensor', shape);
  if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array || data instanceof Uint8ClampedArray) && !Array.isArray(data)) {
    throw new DTypeError('tensor', 'Float32Array, Int32Array, Uint8Array, Uint8ClampedArray or number[]', Object.prototype.toString.call(data));
  }
  if (data.length !== size) {
    throw new ShapeError('tensor', `${size} values for shape ${formatShape(shape)}`, `${data.length} values`);
  }
  const t = Tensor.alloc(shape);
  internalView(t, 'tensor').set(data);
  return t;
}

/** A new tensor of the given shape, filled with 0. */
export function zeros(shape: Shape): Tensor {
  return Tensor.alloc(shape, 'zeros');
}

/** A new tensor of the given shape, every element `value`. */
export function fill(shape: Shape, value: number): Tensor {
  const t = Tensor.alloc(shape, 'fill');
  internalView(t, 'fill').fill(value);
  return t;
}
