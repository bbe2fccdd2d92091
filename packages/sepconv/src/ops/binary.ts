// Elementwise binary ops with numpy broadcasting (issue 25 item 3): sub, div, maximum, minimum,
// squaredDifference, pow, and the broadcasting forms of add / mul. One wasm kernel (`binary_run`) serves
// every op and broadcast; see crates/kernels/src/binary.rs.
import { OptionError, ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkShape } from '../tensor/limits.js';
import { outputFor, runInto } from './output.js';
import { expectTensor, shapeStr } from './validate.js';

declare module '../runtime/state.js' {
  interface KernelExports {
    binary_run(op: number, a: number, aShape: Uint32Array, b: number, bShape: Uint32Array, output: number, outputLen: number): void;
  }
}

/** The elementwise binary ops `binary()` runs. */
export type BinaryOpName = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'squaredDifference' | 'pow';

const CODES: Record<BinaryOpName, number> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, squaredDifference: 6, pow: 7 };

/** Largest rank of a broadcast operand (the kernels' limit). */
export const MAX_BROADCAST_RANK = 6;

/**
 * The shape `a` and `b` broadcast to (numpy / TF rules: aligned at the last axis, each pair of sizes
 * equal or one of them 1). Throws ShapeError for incompatible shapes or ranks above 6.
 */
export function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  if (a.length > MAX_BROADCAST_RANK || b.length > MAX_BROADCAST_RANK) {
    throw new ShapeError(op, `operands of rank at most ${MAX_BROADCAST_RANK}`, `${shapeStr(a)} and ${shapeStr(b)}`);
  }
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[i + a.length - r] ?? 1;
    const db = b[i + b.length - r] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `shapes that broadcast (axis ${i} of the output: sizes equal or one of them 1)`, `${shapeStr(a)} and ${shapeStr(b)}`);
    }
    out.push(da === 1 ? db : da);
  }
  checkShape(op, out, 'a broadcast output shape');
  return out;
}

function opCode(op: BinaryOpName): number {
  const c = Object.hasOwn(CODES, op) ? CODES[op] : undefined;
  if (c === undefined) throw new OptionError('binary', 'op', `one of ${Object.keys(CODES).join(', ')}`, op);
  return c;
}

/**
 * Low-level entry for planned graphs: `op` of `a` and `b` (tensors or arena views, e.g. `Tensor.borrow`)
 * broadcast into `out`, whose size must be the broadcast shape's (its own shape is not read otherwise).
 * `out` must not alias `a` or `b`. Returns `out`.
 */
export function binaryInto(op: BinaryOpName, a: Tensor, b: Tensor, out: Tensor): Tensor {
  return binary(op, a, b, out);
}

/**
 * `op` elementwise with broadcasting: `a` and `b` of any shapes that broadcast (rank <= 6). NaN as TF.js:
 * `maximum` / `minimum` give NaN when either value is NaN. Writes into `out` when given.
 */
export function binary(op: BinaryOpName, a: Tensor, b: Tensor, out?: Tensor): Tensor {
  const code = opCode(op);
  const as = expectTensor(op, 'a', a);
  const bs = expectTensor(op, 'b', b);
  const shape = broadcastShape(op, as, bs);
  const o = outputFor(op, shape, out, [a, b]);
  return runInto(op, o, out, (p) => runtime().kernels.binary_run(code, a.ptr(op), Uint32Array.from(as), b.ptr(op), Uint32Array.from(bs), p, o.size));
}

/** `a - b` elementwise, with broadcasting. Writes into `out` when given. */
export const sub = (a: Tensor, b: Tensor, out?: Tensor): Tensor => binary('sub', a, b, out);
/** `a / b` elementwise, with broadcasting (IEEE: x / 0 is ±Infinity or NaN). Writes into `out` when given. */
export const div = (a: Tensor, b: Tensor, out?: Tensor): Tensor => binary('div', a, b, out);
/** `max(a, b)` elementwise, with broadcasting; NaN if either is NaN (as TF.js). Writes into `out` when given. */
export const maximum = (a: Tensor, b: Tensor, out?: Tensor): Tensor => binary('maximum', a, b, out);
/** `min(a, b)` elementwise, with broadcasting; NaN if either is NaN (as TF.js). Writes into `out` when given. */
export const minimum = (a: Tensor, b: Tensor, out?: Tensor): Tensor => binary('minimum', a, b, out);
/** `(a - b)²` elementwise, with broadcasting. Writes into `out` when given. */
export const squaredDifference = (a: Tensor, b: Tensor, out?: Tensor): Tensor => binary('squaredDifference', a, b, out);
/** `a ** b` elementwise, with broadcasting (`Math.pow` semantics, in float32). Writes into `out` when given. */
export const pow = (a: Tensor, b: Tensor, out?: Tensor): Tensor => binary('pow', a, b, out);
