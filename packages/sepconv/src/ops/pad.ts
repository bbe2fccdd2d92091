import { OptionError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { isDim, MAX_DIM } from '../tensor/limits.js';
import { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { expectTensor } from './validate.js';

/** [[top, bottom], [left, right]], or one number for all four sides, or [vertical, horizontal]. */
export type Padding2d = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];

declare module '../runtime/state.js' {
  interface KernelExports {
    pad_run(
      x: number,
      inputLen: number,
      output: number,
      outputLen: number,
      batch: number,
      h: number,
      w: number,
      channels: number,
      top: number,
      bottom: number,
      left: number,
      right: number,
      value: number,
    ): void;
  }
}

export function resolvePadding2d(op: string, p: Padding2d): [number, number, number, number] {
  let r: number[] | undefined;
  const q = p as unknown;
  const isPair = (v: unknown): v is [unknown, unknown] => Array.isArray(v) && v.length === 2;
  if (typeof q === 'number') r = [q, q, q, q];
  else if (isPair(q) && typeof q[0] === 'number' && typeof q[1] === 'number') r = [q[0], q[0], q[1], q[1]];
  else if (isPair(q) && isPair(q[0]) && isPair(q[1])) r = [q[0][0], q[0][1], q[1][0], q[1][1]] as number[];
  if (!r || !r.every((v) => isDim(v))) {
    throw new OptionError(op, 'padding', `integers from 0 to ${MAX_DIM} (2**31 - 1) as [[top, bottom], [left, right]], [vertical, horizontal] or one number`, p);
  }
  return r as [number, number, number, number];
}

/** Pads NHWC `x` spatially with `value` (default 0): the Keras ZeroPadding2D. Writes into `out` when given. */
export function pad(x: Tensor, padding: Padding2d, value = 0, out?: Tensor): Tensor {
  const op = 'pad';
  const [n, h, w, c] = expectTensor(op, 'x', x, 4) as [number, number, number, number];
  const [top, bottom, left, right] = resolvePadding2d(op, padding);
  if (typeof value !== 'number' || Number.isNaN(value)) throw new OptionError(op, 'value', 'a number', value);
  const shape = [n, h + top + bottom, w + left + right, c];
  const o = outputFor(op, shape, out, [x]);
  return runInto(op, o, out, (p) => runtime().kernels.pad_run(x.ptr(op), x.size, p, o.size, n, h, w, c, top, bottom, left, right, value));
}
