import { OptionError } from '../errors.js';
import { ACTIVATION_CODES, type ActivationName } from '../ops/activation.js';
import type { JsActivation, StepActivation } from './ir.js';

/** Activation names the layers take (Keras spellings, and TF.js's camelCase ones as aliases). */
export type LayerActivation =
  | 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'swish' | 'silu' | 'hard_swish' | 'hardSwish' | 'softmax'
  | 'tanh' | 'elu' | 'selu' | 'softplus' | 'softsign' | 'hard_sigmoid' | 'hardSigmoid' | 'mish' | 'gelu' | 'gelu_new';

const MAP: Record<string, StepActivation> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  swish: 'swish',
  silu: 'swish',
  hard_swish: 'hardSwish',
  hardSwish: 'hardSwish',
  hard_silu: 'hardSwish',
  softmax: 'softmax',
  tanh: 'tanh',
  elu: 'elu',
  selu: 'selu',
  softplus: 'softplus',
  softsign: 'softsign',
  hard_sigmoid: 'hardSigmoid',
  hardSigmoid: 'hardSigmoid',
  mish: 'mish',
  gelu: 'gelu',
  gelu_new: 'geluNew',
};

/** Every activation name the layers take. */
export const ACTIVATION_NAMES: readonly string[] = Object.keys(MAP);

export function stepActivation(op: string, name: string | null | undefined): StepActivation {
  if (name === undefined || name === null) return 'linear';
  const a = typeof name === 'string' && Object.hasOwn(MAP, name) ? MAP[name] : undefined;
  if (!a) throw new OptionError(op, 'activation', Object.keys(MAP).map((k) => `'${k}'`).join(' | '), name);
  return a;
}

const KERAS_NAME: Partial<Record<StepActivation, string>> = { hardSwish: 'hard_swish', hardSigmoid: 'hard_sigmoid', geluNew: 'gelu_new' };

/** The Keras spelling, for configs and summaries. */
export function kerasActivationName(a: StepActivation): string {
  return KERAS_NAME[a] ?? a;
}

/** True for the activations the wasm kernels apply themselves (in their epilogue or their activation pass). */
export function isKernelActivation(a: StepActivation): a is ActivationName {
  return Object.hasOwn(ACTIVATION_CODES, a);
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** log(1 + e^x) without overflow. */
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** erf, Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x < 0 ? -y : y;
}

/** The JS-computed activations, as TF.js defines them (hard_sigmoid: clip(0.2 x + 0.5, 0, 1), as tfjs-layers). */
export function applyJsActivation(a: JsActivation, x: number): number {
  switch (a) {
    case 'tanh':
      return Math.tanh(x);
    case 'elu':
      return x > 0 ? x : Math.expm1(x);
    case 'selu':
      return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 'softplus':
      return softplus(x);
    case 'softsign':
      return x / (1 + Math.abs(x));
    case 'hardSigmoid':
      return Math.min(Math.max(0.2 * x + 0.5, 0), 1);
    case 'mish':
      return x * Math.tanh(softplus(x));
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'geluNew':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }
}
