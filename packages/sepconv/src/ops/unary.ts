// Elementwise unary ops (issue 25 item 3) through one wasm kernel (`unary_run`): exp / log / tanh / erf /
// sigmoid by vector polynomials (within 1.5 ulp of float64), the rest exact. See crates/kernels/src/unary.rs.
import { OptionError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import type { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { expectTensor } from './validate.js';

declare module '../runtime/state.js' {
  interface KernelExports {
    unary_run(op: number, input: number, output: number, len: number, alpha: number, beta: number): void;
  }
}

/** The elementwise unary ops `unary()` runs. */
export type UnaryOpName =
  | 'sqrt'
  | 'rsqrt'
  | 'square'
  | 'abs'
  | 'neg'
  | 'exp'
  | 'log'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'relu6'
  | 'leakyRelu'
  | 'elu'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'sign'
  | 'reciprocal'
  | 'erf'
  | 'hardSigmoid'
  | 'hardSwish';

const NAMES: readonly UnaryOpName[] = ['sqrt', 'rsqrt', 'square', 'abs', 'neg', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'relu6', 'leakyRelu', 'elu', 'floor', 'ceil', 'round', 'sign', 'reciprocal', 'erf', 'hardSigmoid', 'hardSwish'];

/** Parameters of the unary ops that take them. */
export interface UnaryOptions {
  /** leakyRelu: the slope below 0 (default 0.2, as TF.js); hardSigmoid: the scale (default 0.2, as ONNX). */
  alpha?: number;
  /** hardSigmoid: the shift (default 0.5). */
  beta?: number;
}

function param(op: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError(op, name, 'a finite number', v);
  return v;
}

/**
 * Low-level entry for planned graphs: `op` over `x` (a tensor or arena view) into `out` of the same size,
 * which may be `x` itself (in place). Returns `out`.
 */
export function unaryInto(op: UnaryOpName, x: Tensor, out: Tensor, options: UnaryOptions = {}): Tensor {
  return unary(op, x, options, out);
}

/**
 * `op` elementwise over `x` (TF.js semantics: `round` is half to even, `sign(NaN)` is 0, relu keeps NaN).
 * Writes into `out` when given (which may be `x`: in place).
 */
export function unary(op: UnaryOpName, x: Tensor, options: UnaryOptions = {}, out?: Tensor): Tensor {
  const code = NAMES.indexOf(op);
  if (code < 0) throw new OptionError('unary', 'op', `one of ${NAMES.join(', ')}`, op);
  const xs = expectTensor(op, 'x', x);
  const alpha = param(op, 'alpha', options?.alpha, 0.2);
  const beta = param(op, 'beta', options?.beta, 0.5);
  const o = outputFor(op, xs, out);
  return runInto(op, o, out, (p) => runtime().kernels.unary_run(code, x.ptr(op), p, x.size, alpha, beta));
}

/** `√x` elementwise (NaN below 0). Writes into `out` when given (may be `x`). */
export const sqrt = (x: Tensor, out?: Tensor): Tensor => unary('sqrt', x, {}, out);
/** `1 / √x` elementwise. Writes into `out` when given (may be `x`). */
export const rsqrt = (x: Tensor, out?: Tensor): Tensor => unary('rsqrt', x, {}, out);
/** `x²` elementwise. Writes into `out` when given (may be `x`). */
export const square = (x: Tensor, out?: Tensor): Tensor => unary('square', x, {}, out);
/** `|x|` elementwise. Writes into `out` when given (may be `x`). */
export const abs = (x: Tensor, out?: Tensor): Tensor => unary('abs', x, {}, out);
/** `-x` elementwise. Writes into `out` when given (may be `x`). */
export const neg = (x: Tensor, out?: Tensor): Tensor => unary('neg', x, {}, out);
/** `eˣ` elementwise (vector polynomial, < 1 ulp). Writes into `out` when given (may be `x`). */
export const exp = (x: Tensor, out?: Tensor): Tensor => unary('exp', x, {}, out);
/** Natural log elementwise (vector polynomial, < 1 ulp; -Infinity at 0, NaN below). Writes into `out` when given (may be `x`). */
export const log = (x: Tensor, out?: Tensor): Tensor => unary('log', x, {}, out);
/** `tanh(x)` elementwise (vector polynomial, ~1 ulp). Writes into `out` when given (may be `x`). */
export const tanh = (x: Tensor, out?: Tensor): Tensor => unary('tanh', x, {}, out);
/** `x < 0 ? alpha·x : x` elementwise (alpha default 0.2). Writes into `out` when given (may be `x`). */
export const leakyRelu = (x: Tensor, options: { alpha?: number } = {}, out?: Tensor): Tensor => unary('leakyRelu', x, options, out);
/** `x < 0 ? eˣ - 1 : x` elementwise. Writes into `out` when given (may be `x`). */
export const elu = (x: Tensor, out?: Tensor): Tensor => unary('elu', x, {}, out);
/** `⌊x⌋` elementwise. Writes into `out` when given (may be `x`). */
export const floor = (x: Tensor, out?: Tensor): Tensor => unary('floor', x, {}, out);
/** `⌈x⌉` elementwise. Writes into `out` when given (may be `x`). */
export const ceil = (x: Tensor, out?: Tensor): Tensor => unary('ceil', x, {}, out);
/** Round half to even elementwise (as TF). Writes into `out` when given (may be `x`). */
export const round = (x: Tensor, out?: Tensor): Tensor => unary('round', x, {}, out);
/** -1, 0 or 1 by the sign of x (0 for NaN, as TF.js). Writes into `out` when given (may be `x`). */
export const sign = (x: Tensor, out?: Tensor): Tensor => unary('sign', x, {}, out);
/** `1 / x` elementwise. Writes into `out` when given (may be `x`). */
export const reciprocal = (x: Tensor, out?: Tensor): Tensor => unary('reciprocal', x, {}, out);
/** The error function elementwise (vector polynomial, < 1.5 ulp). Writes into `out` when given (may be `x`). */
export const erf = (x: Tensor, out?: Tensor): Tensor => unary('erf', x, {}, out);
/** `clamp(alpha·x + beta, 0, 1)` elementwise (defaults 0.2, 0.5). Writes into `out` when given (may be `x`). */
export const hardSigmoid = (x: Tensor, options: { alpha?: number; beta?: number } = {}, out?: Tensor): Tensor => unary('hardSigmoid', x, options, out);
