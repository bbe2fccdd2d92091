import { ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import type { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { expectTensor, shapeStr } from './validate.js';
import { outputFor, runInto } from './output.js';
import { binary } from './binary.js';

declare module '../runtime/state.js' {
  interface KernelExports {
    activation_run(input: number, output: number, len: number, activation: number): void;
    add_run(a: number, b: number, output: number, len: number, activation: number): void;
    mul_run(a: number, b: number, output: number, len: number): void;
    mul_channels_run(a: number, b: number, output: number, len: number, channels: number, groups: number): void;
  }
}

/** `a + b` (same shapes), with an optional fused activation: the residual connection. */
export function runAdd(a: Tensor, b: Tensor, activation: ActivationName | undefined, op = 'add', given?: Tensor): Tensor {
  const as = expectTensor(op, 'a', a);
  const bs = expectTensor(op, 'b', b);
  if (as.length !== bs.length || as.some((d, i) => d !== bs[i])) {
    throw new ShapeError(op, `\`b\` of the same shape as \`a\` ${shapeStr(as)}`, shapeStr(bs));
  }
  const act = activationCode(op, activation);
  const out = outputFor(op, as, given, [a, b]);
  return runInto(op, out, given, (o) => runtime().kernels.add_run(a.ptr(op), b.ptr(op), o, a.size, act));
}

/**
 * Elementwise `a + b`: equal shapes (residual connections), or any shapes that broadcast (numpy rules,
 * rank <= 6; see `binary`). Writes into `out` when given.
 */
export function add(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  const as = expectTensor('add', 'a', a);
  const bs = expectTensor('add', 'b', b);
  if (as.length !== bs.length || as.some((d, i) => d !== bs[i])) return binary('add', a, b, out);
  return runAdd(a, b, undefined, 'add', out);
}

/**
 * Elementwise `a * b` with broadcasting (numpy rules, rank <= 6; see `binary`). Same shapes and the
 * squeeze-excite scale of NHWC `a` ([N, 1, 1, C], [1, 1, 1, C] or [C]) take dedicated kernels.
 * Writes into `out` when given.
 */
export function mul(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  const op = 'mul';
  const as = expectTensor(op, 'a', a);
  const bs = expectTensor(op, 'b', b);
  const same = as.length === bs.length && as.every((d, i) => d === bs[i]);
  if (same) {
    const o = outputFor(op, as, out, [a, b]);
    return runInto(op, o, out, (p) => runtime().kernels.mul_run(a.ptr(op), b.ptr(op), p, a.size));
  }
  const c = as[as.length - 1]!;
  const n = as.length === 4 ? as[0]! : 1;
  let groups: number;
  if (bs.length === 1 && bs[0] === c) groups = 1;
  else if (as.length === 4 && bs.length === 4 && bs[1] === 1 && bs[2] === 1 && bs[3] === c && (bs[0] === n || bs[0] === 1)) groups = bs[0]!;
  else return binary('mul', a, b, out);
  const o = outputFor(op, as, out, [a, b]);
  return runInto(op, o, out, (p) => runtime().kernels.mul_channels_run(a.ptr(op), b.ptr(op), p, a.size, c, groups));
}
