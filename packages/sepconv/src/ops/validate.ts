import { DTypeError, ShapeError } from '../errors.js';
import { elementCount } from '../tensor/limits.js';
import { shapeOf, Tensor } from '../tensor/tensor.js';

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Checks `x` is a live float32 Tensor of the given rank; returns its shape. */
export function expectTensor(op: string, name: string, x: unknown, rank?: number): readonly number[] {
  if (!(x instanceof Tensor)) {
    throw new DTypeError(op, `a sepconv Tensor for \`${name}\``, x === null ? 'null' : typeof x === 'object' ? (x.constructor?.name ?? 'object') : typeof x);
  }
  x.ptr(op); // throws DisposedTensorError (also for a tensor of a replaced runtime)
  // The kernels take geometry from the shape and buffer lengths from `size`: they must agree.
  const shape = shapeOf(x);
  if (elementCount(shape) !== x.size) {
    throw new ShapeError(op, `\`${name}\` whose shape holds its ${x.size} values`, shapeStr(shape));
  }
  if (rank !== undefined && shape.length !== rank) {
    throw new ShapeError(op, `\`${name}\` of rank ${rank}${rank === 4 ? ' (NHWC)' : ''}`, `rank ${shape.length} ${shapeStr(shape)}`);
  }
  return shape;
}

/** A bias given as a Tensor or Float32Array of `length` values; returns its Float32Array view/copy. */
export function expectVector(op: string, name: string, v: unknown, length: number): Float32Array {
  if (v instanceof Tensor) {
    expectTensor(op, name, v);
    if (v.size !== length) throw new ShapeError(op, `\`${name}\` of ${length} values`, `${v.size} values ${shapeStr(v.shape)}`);
    return v.data();
  }
  if (v instanceof Float32Array) {
    if (v.length !== length) throw new ShapeError(op, `\`${name}\` of ${length} values`, `${v.length} values`);
    return v;
  }
  throw new DTypeError(op, `Tensor or Float32Array for \`${name}\``, Object.prototype.toString.call(v));
}
