import { runtime } from '../runtime/state.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { outputFor, runInto } from './output.js';
import { expectTensor } from './validate.js';

/** Keras spellings accepted besides sepconv's own names. */
const ALIASES: Record<string, ActivationName> = { hard_swish: 'hardSwish', silu: 'swish', hardswish: 'hardSwish' };

/**
 * Applies an activation as a separate pass (sigmoid and swish through the vectorised polynomial
 * exp, ~1e-7 relative). `out` may be `x` itself (in place) or a preallocated tensor.
 */
export function activation(x: Tensor, name: ActivationName | 'hard_swish' | 'silu', out?: Tensor): Tensor {
  const op = 'activation';
  const xs = expectTensor(op, 'x', x);
  const act = activationCode(op, (ALIASES[name] ?? name) as ActivationName);
  const o = outputFor(op, xs, out);
  return runInto(op, o, out, (p) => runtime().kernels.activation_run(x.ptr(op), p, x.size, act));
}

/** `max(x, 0)` elementwise, into a new tensor or into `out`. */
export const relu = (x: Tensor, out?: Tensor): Tensor => activation(x, 'relu', out);
/** `min(max(x, 0), 6)` elementwise, into a new tensor or into `out`. */
export const relu6 = (x: Tensor, out?: Tensor): Tensor => activation(x, 'relu6', out);
/** `x * relu6(x + 3) / 6` elementwise (MobileNetV3), into a new tensor or into `out`. */
export const hardSwish = (x: Tensor, out?: Tensor): Tensor => activation(x, 'hardSwish', out);
/** `1 / (1 + exp(-x))` elementwise, into a new tensor or into `out`. */
export const sigmoid = (x: Tensor, out?: Tensor): Tensor => activation(x, 'sigmoid', out);
/** `x * sigmoid(x)` elementwise (SiLU), into a new tensor or into `out`. */
export const swish = (x: Tensor, out?: Tensor): Tensor => activation(x, 'swish', out);
