import { OptionError } from '../errors.js';
import type { StepActivation } from './ir.js';

/** Activation names the layers take (Keras spellings; `hardSwish`/`silu` accepted as aliases). */
export type LayerActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'swish' | 'silu' | 'hard_swish' | 'hardSwish' | 'softmax';

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
};

export function stepActivation(op: string, name: string | null | undefined): StepActivation {
  if (name === undefined || name === null) return 'linear';
  const a = typeof name === 'string' && Object.hasOwn(MAP, name) ? MAP[name] : undefined;
  if (!a) throw new OptionError(op, 'activation', Object.keys(MAP).map((k) => `'${k}'`).join(' | '), name);
  return a;
}

/** The Keras spelling, for configs and summaries. */
export function kerasActivationName(a: StepActivation): string {
  return a === 'hardSwish' ? 'hard_swish' : a;
}
