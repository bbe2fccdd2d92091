import { OptionError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { outputFor, runInto } from './output.js';
import { expectTensor, expectVector } from './validate.js';

/** Options of `batchNorm()`: the per-channel statistics and affine parameters. */
export interface BatchNormOptions {
  mean: Tensor | Float32Array;
  variance: Tensor | Float32Array;
  /** Scale; default 1. */
  gamma?: Tensor | Float32Array;
  /** Offset; default 0. */
  beta?: Tensor | Float32Array;
  /** Default 1e-3 (Keras). */
  epsilon?: number;
  /** Applied after the normalisation, in the same pass. Default 'linear'. */
  activation?: ActivationName;
}

declare module '../runtime/state.js' {
  interface KernelExports {
    batch_norm_run(
      x: number,
      output: number,
      len: number,
      channels: number,
      mean: number,
      variance: number,
      gamma: number,
      beta: number,
      epsilon: number,
      activation: number,
    ): void;
  }
}

/**
 * Batch-norm inference over the last axis: (x - mean) / sqrt(variance + epsilon) * gamma + beta,
 * computed as one per-channel scale and shift. Writes into `out` when given.
 */
export function batchNorm(x: Tensor, options: BatchNormOptions, out?: Tensor): Tensor {
  const op = 'batchNorm';
  const xs = expectTensor(op, 'x', x);
  if (xs.length < 1) throw new OptionError(op, 'x', 'a tensor with a channel axis', 'a scalar');
  const c = xs[xs.length - 1]!;
  if (options === null || typeof options !== 'object') throw new OptionError(op, 'options', '{ mean, variance, ... }', options);
  const eps = options.epsilon ?? 1e-3;
  if (typeof eps !== 'number' || !(eps >= 0)) throw new OptionError(op, 'epsilon', 'a number >= 0', eps);
  const act = activationCode(op, options.activation);
  const stats = [
    expectVector(op, 'mean', options.mean, c),
    expectVector(op, 'variance', options.variance, c),
    options.gamma === undefined ? undefined : expectVector(op, 'gamma', options.gamma, c),
    options.beta === undefined ? undefined : expectVector(op, 'beta', options.beta, c),
  ];
  const rt = runtime(`${op}()`);
  const o = outputFor(op, xs, out, [x]);
  const ptrs = stats.map((s) => (s ? rt.upload(s) : 0));
  try {
    return runInto(op, o, out, (p) => rt.kernels.batch_norm_run(x.ptr(op), p, x.size, c, ptrs[0]!, ptrs[1]!, ptrs[2]!, ptrs[3]!, eps, act));
  } finally {
    ptrs.forEach((p, i) => p && rt.free(p, stats[i]!.length));
  }
}
