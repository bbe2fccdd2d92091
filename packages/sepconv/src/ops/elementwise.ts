import { OptionError, ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { sizeOf, Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { expectTensor, shapeStr } from './validate.js';

declare module '../runtime/state.js' {
  interface KernelExports {
    activation_run(input: number, output: number, len: number, activation: number): void;
    add_run(a: number, b: number, output: number, len: number, activation: number): void;
    mul_run(a: number, b: number, output: number, len: number): void;
    mul_channels_run(a: number, b: number, output: number, len: number, channels: number, groups: number): void;
  }
}

/**
 * The output of an op: `given` (a preallocated arena tensor, checked for size and life) or a new
 * tensor of `shape`. `inputs` the output must not alias (pass none for ops that work in place).
 */
export function outputFor(op: string, shape: readonly number[], given: Tensor | undefined, inputs: readonly Tensor[] = []): Tensor {
  if (given === undefined) return Tensor.alloc(shape, op);
  expectTensor(op, 'out', given);
  if (given.size !== sizeOf(shape)) {
    throw new ShapeError(op, `an output buffer of shape ${shapeStr(shape)} (${sizeOf(shape)} values)`, `${shapeStr(given.shape)}`);
  }
  if (inputs.some((t) => t.ptr(op) === given.ptr(op))) {
    throw new OptionError(op, 'out', 'a tensor distinct from the inputs', `the input tensor ${given.toString()}`);
  }
  return given;
}

/** Runs `call(outPtr)` into `out`; frees `out` on failure when this op allocated it. */
export function runInto(op: string, out: Tensor, given: Tensor | undefined, call: (outPtr: number) => void): Tensor {
  try {
    runtime(`${op}()`).call(op, () => call(out.ptr(op)));
  } catch (e) {
    if (!given) out.dispose();
    throw e;
  }
  return out;
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

/** Elementwise `a + b` of equal shapes (residual connections). Writes into `out` when given. */
export function add(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  return runAdd(a, b, undefined, 'add', out);
}

/**
 * Elementwise `a * b`. `b` has the shape of `a`, or broadcasts over the pixels of NHWC `a`:
 * [N, 1, 1, C], [1, 1, 1, C] or [C] (the squeeze-excite scale). Writes into `out` when given.
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
  else {
    throw new ShapeError(op, `\`b\` of shape ${shapeStr(as)}, [${n}, 1, 1, ${c}], [1, 1, 1, ${c}] or [${c}]`, shapeStr(bs));
  }
  const o = outputFor(op, as, out, [a, b]);
  return runInto(op, o, out, (p) => runtime().kernels.mul_channels_run(a.ptr(op), b.ptr(op), p, a.size, c, groups));
}
