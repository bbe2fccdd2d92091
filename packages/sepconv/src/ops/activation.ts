import { OptionError } from '../errors.js';

/** Activations a kernel can apply in its epilogue (sigmoid and swish run as a fast separate pass). */
export type ActivationName = 'linear' | 'relu' | 'relu6' | 'hardSwish' | 'sigmoid' | 'swish';

/** Codes shared with the kernels crate (`Activation` in activation.rs). */
export const ACTIVATION_CODES: Record<ActivationName, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  hardSwish: 3,
  sigmoid: 4,
  swish: 5,
};

export function activationCode(op: string, name: ActivationName | undefined): number {
  const code = ACTIVATION_CODES[name ?? 'linear'];
  if (code === undefined || !Object.hasOwn(ACTIVATION_CODES, name ?? 'linear')) {
    throw new OptionError(op, 'activation', Object.keys(ACTIVATION_CODES).map((k) => `'${k}'`).join(' | '), name);
  }
  return code;
}

/** Plain JS definitions, for references and for the rare scalar fallback. */
export function applyActivation(name: ActivationName, x: number): number {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return Math.max(x, 0);
    case 'relu6':
      return Math.min(Math.max(x, 0), 6);
    case 'hardSwish':
      return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'swish':
      return x / (1 + Math.exp(-x));
  }
}
