import { OptionError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { expectTensor } from './validate.js';

/** Options of `softmax()`. */
export interface SoftmaxOptions {
  /** The axis to normalise over (negative counts from the end). Default -1, the last. */
  axis?: number;
}

declare module '../runtime/state.js' {
  interface KernelExports {
    softmax_run(x: number, output: number, len: number, axisLen: number): void;
    softmax_axis_run(x: number, output: number, shape: Uint32Array, axis: number, log: number): void;
  }
}

/** The axis of a rank-`rank` tensor `axis` names (negative from the end); OptionError otherwise. */
function resolveAxis(op: string, rank: number, axis: unknown): number {
  if (rank === 0 || rank > 6 || typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new OptionError(op, 'axis', rank === 0 || rank > 6 ? 'an axis of a tensor of rank 1 to 6' : `an integer in [${-rank}, ${rank - 1}]`, axis);
  }
  return axis < 0 ? axis + rank : axis;
}

function run(op: 'softmax' | 'logSoftmax', x: Tensor, options: SoftmaxOptions, out: Tensor | undefined): Tensor {
  const xs = expectTensor(op, 'x', x);
  const axis = resolveAxis(op, xs.length, options?.axis ?? -1);
  const len = xs[axis]!;
  if (len === 0) throw new OptionError(op, 'x', 'a non-empty softmax axis', `shape [${xs.join(', ')}]`);
  const o = outputFor(op, xs, out, [x]);
  // The last axis of softmax: the row kernel; any other axis and log-softmax: the strided one.
  if (op === 'softmax' && axis === xs.length - 1) return runInto(op, o, out, (p) => runtime().kernels.softmax_run(x.ptr(op), p, x.size, len));
  return runInto(op, o, out, (p) => runtime().kernels.softmax_axis_run(x.ptr(op), p, Uint32Array.from(xs), axis, op === 'logSoftmax' ? 1 : 0));
}

/** Softmax over `axis` (default the last; vectorised exp). Writes into `out` when given. */
export function softmax(x: Tensor, options: SoftmaxOptions = {}, out?: Tensor): Tensor {
  return run('softmax', x, options, out);
}

/** Log-softmax over `axis` (default the last): `x - max - log(sum(exp(x - max)))`, as TF.js. Writes into `out` when given. */
export function logSoftmax(x: Tensor, options: SoftmaxOptions = {}, out?: Tensor): Tensor {
  return run('logSoftmax', x, options, out);
}

/**
 * Low-level entry for planned graphs: softmax (`log` false) or log-softmax of `x` (a tensor or arena view)
 * over `axis` into `out` of the same size. Returns `out`.
 */
export function softmaxInto(x: Tensor, axis: number, out: Tensor, log = false): Tensor {
  return run(log ? 'logSoftmax' : 'softmax', x, { axis }, out);
}
