import { OptionError, ShapeError } from '../errors.js';
import { shapeStr } from './validate.js';
import { checkDim, isDim, MAX_DIM } from '../tensor/limits.js';

/** 'same' and 'valid' follow TensorFlow; explicit pads are [top, bottom, left, right]. */
export type Padding = 'same' | 'valid' | readonly [number, number, number, number];

export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export interface ConvGeometry {
  inH: number;
  inW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  pads: Pads;
  outH: number;
  outW: number;
}

/** A size for both spatial axes: one number for both, or `[height, width]`. */
export type Pair = number | readonly [number, number];

/**
 * A stride, dilation or window size: one integer from 1 to `max` (default MAX_DIM, 2**31 - 1) or a
 * pair of them; else an OptionError naming `name`. The result is frozen (layers keep it).
 */
export function pair(op: string, name: string, v: Pair | undefined, fallback: number, max = MAX_DIM): [number, number] {
  const ok = v === undefined || typeof v === 'number' || (Array.isArray(v) && v.length === 2);
  const p = (v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : ok ? [v[0], v[1]] : []) as [number, number];
  if (!ok || !p.every((x) => isDim(x, 1) && x <= max)) {
    throw new OptionError(op, name, `an integer from 1 to ${max}${max === MAX_DIM ? ' (2**31 - 1)' : ''}, or a pair of them`, v);
  }
  return Object.freeze(p) as [number, number];
}

function axisPads(input: number, k: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(input / stride);
  const needed = Math.max((Math.max(out, 1) - 1) * stride + (k - 1) * dilation + 1 - input, 0);
  return [Math.floor(needed / 2), needed - Math.floor(needed / 2)];
}

export function resolvePads(op: string, padding: Padding, inH: number, inW: number, k: [number, number], s: [number, number], d: [number, number]): Pads {
  if (padding === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (padding === 'same') {
    const [top, bottom] = axisPads(inH, k[0], s[0], d[0]);
    const [left, right] = axisPads(inW, k[1], s[1], d[1]);
    return { top, bottom, left, right };
  }
  if (Array.isArray(padding) && padding.length === 4 && padding.every((p) => isDim(p))) {
    const [top, bottom, left, right] = padding;
    return { top, bottom, left, right };
  }
  throw new OptionError(op, 'padding', `'same', 'valid' or [top, bottom, left, right] of integers from 0 to ${MAX_DIM} (2**31 - 1)`, padding);
}

/** Output size of one axis, or 0 when the dilated kernel does not fit. */
export function outLen(input: number, before: number, after: number, k: number, stride: number, dilation: number): number {
  const span = (k - 1) * dilation + 1;
  const padded = input + before + after;
  return padded < span ? 0 : Math.floor((padded - span) / stride) + 1;
}

export function convGeometry(
  op: string,
  inH: number,
  inW: number,
  kernel: [number, number],
  stride: [number, number],
  dilation: [number, number],
  padding: Padding,
): ConvGeometry {
  // Every number here reaches a kernel binding as a u32: check them all against the shared limits
  // (whoever computed them: an op, a layer, or a model's planner).
  checkDim(op, 'an input height', inH);
  checkDim(op, 'an input width', inW);
  for (const [name, v] of [['kernel size', kernel], ['strides', stride], ['dilations', dilation]] as const) {
    if (!(v[0] !== undefined && isDim(v[0], 1) && isDim(v[1], 1))) {
      throw new OptionError(op, name, `integers from 1 to ${MAX_DIM} (2**31 - 1)`, v);
    }
  }
  for (const axis of [0, 1]) {
    if ((kernel[axis]! - 1) * dilation[axis]! + 1 > MAX_DIM) {
      throw new OptionError(op, 'dilations', `small enough that the dilated ${kernel[0]}x${kernel[1]} kernel spans at most ${MAX_DIM} (2**31 - 1) pixels`, dilation);
    }
  }
  const pads = resolvePads(op, padding, inH, inW, kernel, stride, dilation);
  if (inH + pads.top + pads.bottom > MAX_DIM || inW + pads.left + pads.right > MAX_DIM) {
    throw new OptionError(op, 'padding', `pads that keep the padded input within ${MAX_DIM} (2**31 - 1) pixels per axis (input ${inH}x${inW})`, padding);
  }
  const outH = outLen(inH, pads.top, pads.bottom, kernel[0], stride[0], dilation[0]);
  const outW = outLen(inW, pads.left, pads.right, kernel[1], stride[1], dilation[1]);
  return {
    inH,
    inW,
    kernelH: kernel[0],
    kernelW: kernel[1],
    strideH: stride[0],
    strideW: stride[1],
    dilationH: dilation[0],
    dilationW: dilation[1],
    pads,
    outH,
    outW,
  };
}

/**
 * Checks a resolved geometry before its numbers reach a kernel binding (the run* functions take one
 * from their caller): every field within the shared limits, the input sizes those of `xShape` (NHWC),
 * and the output sizes the ones the window gives. A ShapeError naming the op otherwise.
 */
export function checkGeometry(op: string, g: ConvGeometry, xShape: readonly number[]): void {
  // The window kernels need at least one image, row and column (an empty batch or image has nothing to slide over).
  if (xShape.length === 4 && xShape.slice(0, 3).some((d) => d === 0)) {
    throw new ShapeError(op, 'x [N, H, W, C] with N, H and W at least 1', `x ${shapeStr(xShape)}`);
  }
  const p = g?.pads;
  const ok =
    p !== undefined &&
    xShape.length === 4 &&
    g.inH === xShape[1] &&
    g.inW === xShape[2] &&
    [g.kernelH, g.kernelW, g.strideH, g.strideW, g.dilationH, g.dilationW].every((v) => isDim(v, 1)) &&
    [p.top, p.bottom, p.left, p.right, g.outH, g.outW].every((v) => isDim(v)) &&
    (g.kernelH - 1) * g.dilationH + 1 <= MAX_DIM &&
    (g.kernelW - 1) * g.dilationW + 1 <= MAX_DIM &&
    g.inH + p.top + p.bottom <= MAX_DIM &&
    g.inW + p.left + p.right <= MAX_DIM &&
    g.outH === outLen(g.inH, p.top, p.bottom, g.kernelH, g.strideH, g.dilationH) &&
    g.outW === outLen(g.inW, p.left, p.right, g.kernelW, g.strideW, g.dilationW);
  if (!ok) {
    const f = p ? `in ${g.inH}x${g.inW}, kernel ${g.kernelH}x${g.kernelW}, strides ${g.strideH}x${g.strideW}, dilations ${g.dilationH}x${g.dilationW}, pads [${p.top}, ${p.bottom}, ${p.left}, ${p.right}], out ${g.outH}x${g.outW}` : 'no pads';
    throw new ShapeError(op, `a geometry resolved for x ${shapeStr(xShape)} within the size limits (from convGeometry)`, `${f}`.slice(0, 300));
  }
}

/** The geometry arguments of the conv and depthwise kernel bindings, in their order. */
export function kernelGeometryArgs(g: ConvGeometry): [number, number, number, number, number, number, number, number, number, number] {
  return [g.inH, g.inW, g.strideH, g.strideW, g.dilationH, g.dilationW, g.pads.top, g.pads.bottom, g.pads.left, g.pads.right];
}

/** Resolves strides / dilations / padding for a conv over NHWC `xShape`; throws when the kernel does not fit. */
export function conv2dGeometry(
  op: string,
  xShape: readonly number[],
  kernel: [number, number],
  options: { strides?: Pair; padding?: Padding; dilations?: Pair },
): ConvGeometry {
  const strides = pair(op, 'strides', options.strides, 1);
  const dilations = pair(op, 'dilations', options.dilations, 1);
  const g = convGeometry(op, xShape[1]!, xShape[2]!, kernel, strides, dilations, options.padding ?? 'valid');
  if (g.outH < 1 || g.outW < 1) {
    throw new ShapeError(
      op,
      `an input at least as large as the dilated ${kernel[0]}x${kernel[1]} kernel with padding ${JSON.stringify(options.padding ?? 'valid')}`,
      `input ${shapeStr(xShape)}`,
    );
  }
  return g;
}
