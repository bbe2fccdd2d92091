import { OptionError, ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { checkGeometry, convGeometry, pair, type ConvGeometry, type Padding, type Pair } from './geometry.js';
import { expectTensor, shapeStr } from './validate.js';

/** Options of `maxPool()` and `avgPool()`. */
export interface Pool2dOptions {
  /** Window; default 2 (Keras). */
  poolSize?: Pair;
  /** Default: the pool size (Keras). */
  strides?: Pair;
  /** Default 'valid'. 'same' pads as TensorFlow; the average excludes the padding. */
  padding?: Padding;
}

/** Options of `globalAvgPool()`. */
export interface GlobalPoolOptions {
  /** Keep [N, 1, 1, C] instead of [N, C]. Default false. */
  keepDims?: boolean;
}

declare module '../runtime/state.js' {
  interface KernelExports {
    pool2d(
      input: number,
      inputLen: number,
      output: number,
      outputLen: number,
      batch: number,
      inH: number,
      inW: number,
      channels: number,
      poolH: number,
      poolW: number,
      strideH: number,
      strideW: number,
      padTop: number,
      padBottom: number,
      padLeft: number,
      padRight: number,
      kind: number,
    ): void;
    global_avg_pool(input: number, inputLen: number, output: number, outputLen: number, batch: number, hw: number, channels: number): void;
  }
}

/** The output size and padding of a 2D pooling of an NHWC input of shape `xShape`; bad options throw a typed error naming `op`. */
export function poolGeometry(op: string, xShape: readonly number[], options: Pool2dOptions): ConvGeometry {
  const size = pair(op, 'poolSize', options.poolSize, 2);
  const strides = pair(op, 'strides', options.strides ?? size, 1);
  const g = convGeometry(op, xShape[1]!, xShape[2]!, size, strides, [1, 1], options.padding ?? 'valid');
  if (g.outH < 1 || g.outW < 1) {
    throw new ShapeError(op, `an input at least as large as the ${size[0]}x${size[1]} window`, `input ${shapeStr(xShape)}`);
  }
  // Explicit pads as wide as the window would leave windows over padding only.
  if (g.pads.top >= size[0] || g.pads.bottom >= size[0] || g.pads.left >= size[1] || g.pads.right >= size[1]) {
    throw new OptionError(op, 'padding', 'pads smaller than the pool window', options.padding);
  }
  return g;
}

/** The pooling core: `kind` 0 average, 1 max. */
export function runPool(x: Tensor, g: ConvGeometry, kind: 0 | 1, op: string, given?: Tensor): Tensor {
  const xs = expectTensor(op, 'x', x, 4);
  checkGeometry(op, g, xs);
  if (kind !== 0 && kind !== 1) throw new OptionError(op, 'kind', '0 (average) or 1 (max)', kind);
  const [n, , , c] = xs as [number, number, number, number];
  const o = outputFor(op, [n, g.outH, g.outW, c], given, [x]);
  return runInto(op, o, given, (p) =>
    runtime().kernels.pool2d(x.ptr(op), x.size, p, o.size, n, g.inH, g.inW, c, g.kernelH, g.kernelW, g.strideH, g.strideW, g.pads.top, g.pads.bottom, g.pads.left, g.pads.right, kind),
  );
}

/** Average pooling of NHWC `x` (TensorFlow semantics: the padding is not counted). */
export function avgPool(x: Tensor, options: Pool2dOptions = {}, out?: Tensor): Tensor {
  const xs = expectTensor('avgPool', 'x', x, 4);
  return runPool(x, poolGeometry('avgPool', xs, options), 0, 'avgPool', out);
}

/** Max pooling of NHWC `x`. */
export function maxPool(x: Tensor, options: Pool2dOptions = {}, out?: Tensor): Tensor {
  const xs = expectTensor('maxPool', 'x', x, 4);
  return runPool(x, poolGeometry('maxPool', xs, options), 1, 'maxPool', out);
}

/** Mean over H x W: [N, H, W, C] -> [N, C] (or [N, 1, 1, C] with keepDims). */
export function globalAvgPool(x: Tensor, options: GlobalPoolOptions = {}, out?: Tensor): Tensor {
  const op = 'globalAvgPool';
  const [n, h, w, c] = expectTensor(op, 'x', x, 4) as [number, number, number, number];
  if (options.keepDims !== undefined && typeof options.keepDims !== 'boolean') throw new OptionError(op, 'keepDims', 'a boolean', options.keepDims);
  if (h * w === 0 || c === 0) throw new ShapeError(op, 'a non-empty input', shapeStr(x.shape));
  const shape = options.keepDims ? [n, 1, 1, c] : [n, c];
  const o = outputFor(op, shape, out, [x]);
  return runInto(op, o, out, (p) => runtime().kernels.global_avg_pool(x.ptr(op), x.size, p, o.size, n, h * w, c));
}
