// Reductions over any axes (issue 25 item 3): sum, mean, max, min, prod through one wasm kernel
// (`reduce_run`; crates/kernels/src/reduce.rs).
import { OptionError, ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import type { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { expectTensor, shapeStr } from './validate.js';

declare module '../runtime/state.js' {
  interface KernelExports {
    reduce_run(op: number, x: number, shape: Uint32Array, axes: Uint32Array, output: number, outputLen: number): void;
  }
}

/** The reductions `reduce()` runs. */
export type ReduceOpName = 'sum' | 'mean' | 'max' | 'min' | 'prod';

const CODES: Record<ReduceOpName, number> = { sum: 0, mean: 1, max: 2, min: 3, prod: 4 };

/** Options of the reductions. */
export interface ReduceOptions {
  /** Axes to reduce (negative counts from the end); a number for one axis. Default: all axes. */
  axes?: number | readonly number[];
  /** Keep the reduced axes as size 1 (default false). */
  keepDims?: boolean;
}

/** The reduced axes (sorted, non-negative) of a rank-`rank` tensor; OptionError names a bad or repeated axis. */
export function resolveAxes(op: string, rank: number, axes: unknown): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  if (!Array.isArray(list)) throw new OptionError(op, 'axes', 'an axis or an array of axes', axes);
  const seen = new Set<number>();
  for (const a of list) {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new OptionError(op, 'axes', `integers in [${-rank}, ${rank - 1}] for a tensor of rank ${rank}`, axes);
    }
    const k = a < 0 ? a + rank : a;
    if (seen.has(k)) throw new OptionError(op, 'axes', 'distinct axes', axes);
    seen.add(k);
  }
  return [...seen].sort((x, y) => x - y);
}

/** The output shape of reducing `axes` of `shape`. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/**
 * Low-level entry for planned graphs: `op` of `x` (a tensor or arena view) over `axes` (resolved,
 * non-negative) into `out`, whose size must be the kept axes' product. Returns `out`.
 */
export function reduceInto(op: ReduceOpName, x: Tensor, axes: readonly number[], out: Tensor): Tensor {
  return reduce(op, x, { axes, keepDims: true }, out);
}

/**
 * `op` of `x` over `axes` (default all; rank <= 6). NaN propagates through every reduction (as TF.js);
 * an empty reduction gives 0 (sum), 1 (prod) or NaN (mean), and is refused for max / min.
 * Writes into `out` when given (its size must match).
 */
export function reduce(op: ReduceOpName, x: Tensor, options: ReduceOptions = {}, out?: Tensor): Tensor {
  const code = Object.hasOwn(CODES, op) ? CODES[op] : undefined;
  if (code === undefined) throw new OptionError('reduce', 'op', `one of ${Object.keys(CODES).join(', ')}`, op);
  const xs = expectTensor(op, 'x', x);
  if (xs.length > 6) throw new ShapeError(op, '`x` of rank at most 6', `rank ${xs.length} ${shapeStr(xs)}`);
  const keepDims = options?.keepDims ?? false;
  if (typeof keepDims !== 'boolean') throw new OptionError(op, 'keepDims', 'a boolean', keepDims);
  const axes = resolveAxes(op, xs.length, options?.axes);
  if ((op === 'max' || op === 'min') && axes.some((a) => xs[a] === 0) && xs.every((d, i) => axes.includes(i) || d !== 0)) {
    throw new ShapeError(op, 'a non-empty reduction (max / min of no values has no identity)', `${shapeStr(xs)} over axes [${axes.join(', ')}]`);
  }
  const shape = reducedShape(xs, axes, keepDims);
  const o = outputFor(op, shape, out, [x]);
  return runInto(op, o, out, (p) => runtime().kernels.reduce_run(code, x.ptr(op), Uint32Array.from(xs), Uint32Array.from(axes), p, o.size));
}

/** Sum over `axes` (default all), keeping them as size 1 with `keepDims`. Writes into `out` when given. */
export const sum = (x: Tensor, options: ReduceOptions = {}, out?: Tensor): Tensor => reduce('sum', x, options, out);
/** Mean over `axes` (default all), keeping them as size 1 with `keepDims`. Writes into `out` when given. */
export const mean = (x: Tensor, options: ReduceOptions = {}, out?: Tensor): Tensor => reduce('mean', x, options, out);
/** Maximum over `axes` (default all; NaN if any is NaN). Writes into `out` when given. */
export const max = (x: Tensor, options: ReduceOptions = {}, out?: Tensor): Tensor => reduce('max', x, options, out);
/** Minimum over `axes` (default all; NaN if any is NaN). Writes into `out` when given. */
export const min = (x: Tensor, options: ReduceOptions = {}, out?: Tensor): Tensor => reduce('min', x, options, out);
/** Product over `axes` (default all). Writes into `out` when given. */
export const prod = (x: Tensor, options: ReduceOptions = {}, out?: Tensor): Tensor => reduce('prod', x, options, out);
