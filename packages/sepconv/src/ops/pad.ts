import { OptionError, ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { isDim, MAX_DIM } from '../tensor/limits.js';
import { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { expectTensor, shapeStr } from './validate.js';

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
    pad_nd_run(x: number, inputLen: number, output: number, outputLen: number, shape: Uint32Array, pads: Uint32Array, mode: number, value: number): void;
  }
}

/** Per-axis [before, after] paddings, one pair per axis of the tensor (TF Pad / MirrorPad, ONNX Pad). */
export type AxisPaddings = readonly (readonly [number, number])[];

/** Constant fill, or TF MirrorPad's modes: 'reflect' mirrors without the edge (pads <= n - 1), 'symmetric' with it (pads <= n). */
export type PadNdMode = 'constant' | 'reflect' | 'symmetric';

const PAD_MODES: Record<PadNdMode, number> = { constant: 0, reflect: 1, symmetric: 2 };

/** Pads any axes of `x` (any rank): TF Pad / PadV2 (`mode` 'constant' with `value`), MirrorPad, ONNX Pad. Writes into `out` when given. */
export function padND(x: Tensor, paddings: AxisPaddings, mode: PadNdMode = 'constant', value = 0, out?: Tensor, op = 'padND'): Tensor {
  const shape = expectTensor(op, 'x', x);
  if (!Object.hasOwn(PAD_MODES, mode)) throw new OptionError(op, 'mode', "'constant' | 'reflect' | 'symmetric'", mode);
  if (typeof value !== 'number' || Number.isNaN(value)) throw new OptionError(op, 'value', 'a number', value);
  const okPair = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isSafeInteger(v) && v >= 0 && v <= 2 ** 31 - 1);
  if (!Array.isArray(paddings) || paddings.length !== shape.length || !paddings.every(okPair)) {
    throw new OptionError(op, 'paddings', `${shape.length} pairs [before, after] of non-negative integers (one per axis of x ${shapeStr(shape)})`, paddings);
  }
  const outShape = shape.map((n, i) => n + paddings[i]![0] + paddings[i]![1]);
  paddings.forEach(([b, a], axis) => {
    const n = shape[axis]!;
    const limit = mode === 'reflect' ? n - 1 : mode === 'symmetric' ? n : Infinity;
    if (b > limit || a > limit) throw new ShapeError(op, `'${mode}' paddings of at most ${limit} on axis ${axis} (size ${n})`, `[${b}, ${a}]`);
  });
  const o = outputFor(op, outShape, out, [x]);
  const pads = Uint32Array.from(paddings.flat());
  return runInto(op, o, out, (p) => runtime().kernels.pad_nd_run(x.ptr(op), x.size, p, o.size, Uint32Array.from(shape), pads, PAD_MODES[mode], value));
}

/** tf.mirrorPad: 'reflect' or 'symmetric' padding of any axes. */
export function mirrorPad(x: Tensor, paddings: AxisPaddings, mode: 'reflect' | 'symmetric', out?: Tensor): Tensor {
  if (mode !== 'reflect' && mode !== 'symmetric') throw new OptionError('mirrorPad', 'mode', "'reflect' | 'symmetric'", mode);
  return padND(x, paddings, mode, 0, out, 'mirrorPad');
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
