import { OptionError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { expectTensor } from './validate.js';

/** Options of `softmax()`. */
export interface SoftmaxOptions {
  /** Only the last axis is supported: -1 or rank - 1. Default -1. */
  axis?: number;
}

declare module '../runtime/state.js' {
  interface KernelExports {
    softmax_run(x: number, output: number, len: number, axisLen: number): void;
  }
}

/** Softmax over the last axis (vectorised exp). Writes into `out` when given. */
export function softmax(x: Tensor, options: SoftmaxOptions = {}, out?: Tensor): Tensor {
  const op = 'softmax';
  const xs = expectTensor(op, 'x', x);
  const axis = options.axis ?? -1;
  if (xs.length === 0 || !(axis === -1 || axis === xs.length - 1)) {
    throw new OptionError(op, 'axis', `-1 or ${xs.length - 1} (the last axis)`, axis);
  }
  const len = xs[xs.length - 1]!;
  if (len === 0) throw new OptionError(op, 'x', 'a non-empty last axis', `shape [${xs.join(', ')}]`);
  const o = outputFor(op, xs, out, [x]);
  return runInto(op, o, out, (p) => runtime().kernels.softmax_run(x.ptr(op), p, x.size, len));
}
