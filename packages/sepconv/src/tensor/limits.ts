import { OptionError, ShapeError } from '../errors.js';

/**
 * Size limits shared by every op, layer and model (and mirrored by `MAX_ELEMENTS` in the kernels
 * crate, crates/kernels/src/shape.rs). Each is checked in TypeScript before anything is allocated
 * or a kernel is called; a violation is a `ShapeError` (shapes) or `OptionError` (options) that
 * names the value.
 */

/** Largest dimension, stride, dilation, pad or kernel size: 2**31 - 1 (fits an i32 and a wasm32 usize). */
export const MAX_DIM = 2 ** 31 - 1;

/** Largest element count of a tensor or buffer: 2**30 - 1 float32s, so its byte count stays below 4 GiB. */
export const MAX_ELEMENTS = 2 ** 30 - 1;

function describe(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v;
}

/** `[a, b, c]`, with long shapes and non-numbers shortened (error messages stay small). */
export function formatShape(shape: unknown): string {
  if (!Array.isArray(shape)) return describe(shape);
  const head = shape.slice(0, 8).map(describe).join(', ');
  return `[${head}${shape.length > 8 ? `, … ${shape.length - 8} more` : ''}]`;
}

/** True when `v` is an integer in [min, MAX_DIM]. */
export function isDim(v: unknown, min = 0): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= MAX_DIM;
}

/** Throws a ShapeError naming `what` unless `v` is an integer in [min, MAX_DIM]; returns it. */
export function checkDim(op: string, what: string, v: unknown, min = 0): number {
  if (!isDim(v, min)) throw new ShapeError(op, `${what} to be an integer from ${min} to ${MAX_DIM} (2**31 - 1)`, describe(v));
  return v;
}

/**
 * Element count of `count` items of the product of `dims` (each already a checked dimension),
 * or Infinity when it exceeds MAX_ELEMENTS. Exact: the running product never passes 2**53.
 */
export function elementCount(dims: readonly number[]): number {
  if (dims.includes(0)) return 0;
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (n > MAX_ELEMENTS) return Infinity;
  }
  return n;
}

/** Throws a ShapeError naming `what` unless `count` is an integer in [0, MAX_ELEMENTS]; returns it. */
export function checkElements(op: string, what: string, count: number): number {
  if (!(Number.isSafeInteger(count) && count >= 0 && count <= MAX_ELEMENTS)) {
    throw new ShapeError(
      op,
      `${what} of at most ${MAX_ELEMENTS} (2**30 - 1) elements (what a wasm32 memory can hold)`,
      Number.isFinite(count) ? `${count} elements` : 'more',
    );
  }
  return count;
}

/**
 * Checks a whole shape: an array of at most 64 dimensions, each an integer in [0, MAX_DIM], whose
 * element count is at most MAX_ELEMENTS. Returns the element count.
 */
export function checkShape(op: string, shape: unknown, what = 'shape'): number {
  if (!Array.isArray(shape) || shape.length > 64) {
    throw new ShapeError(op, `${what} to be an array of at most 64 dimensions`, formatShape(shape));
  }
  for (let i = 0; i < shape.length; i++) {
    if (!isDim(shape[i])) {
      throw new ShapeError(op, `${what} of integers from 0 to ${MAX_DIM} (2**31 - 1)`, `${formatShape(shape)} (dimension ${i} is ${describe(shape[i])})`);
    }
  }
  const n = elementCount(shape);
  if (n > MAX_ELEMENTS) {
    throw new ShapeError(op, `${what} of at most ${MAX_ELEMENTS} (2**30 - 1) elements (what a wasm32 memory can hold)`, `${formatShape(shape)}, more elements`);
  }
  return n;
}

/** A stride, dilation or kernel size: an integer in [1, MAX_DIM], else an OptionError naming `option`. */
export function checkPositiveOption(op: string, option: string, v: unknown, given: unknown = v): number {
  if (!isDim(v, 1)) throw new OptionError(op, option, `an integer from 1 to ${MAX_DIM} (2**31 - 1)`, given);
  return v;
}

/** A pad: an integer in [0, MAX_DIM], else an OptionError naming `option`. */
export function checkPadOption(op: string, option: string, v: unknown, given: unknown = v): number {
  if (!isDim(v, 0)) throw new OptionError(op, option, `an integer from 0 to ${MAX_DIM} (2**31 - 1)`, given);
  return v;
}
