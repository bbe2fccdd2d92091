import { OptionError, ShapeError } from '../errors.js';
import { runtime, type KernelExports, type Runtime } from '../runtime/state.js';
import { outputFor, runInto } from './output.js';
import { PackedHandle, packFromArrays } from './packed.js';
import { isDim } from '../tensor/limits.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { checkGeometry, conv2dGeometry, pair, type ConvGeometry, type Padding, type Pair, kernelGeometryArgs } from './geometry.js';
import { expectTensor, expectVector, shapeStr } from './validate.js';

/** Options of `depthwiseConv2d()`. */
export interface DepthwiseConv2dOptions {
  /** Default 1. */
  strides?: Pair;
  /** Default 'valid', as in TensorFlow. */
  padding?: Padding;
  /** Default 1. */
  dilations?: Pair;
  /** One value per output channel (C * multiplier). */
  bias?: Tensor | Float32Array;
  /** Fused into the kernel's store. Default 'linear'. */
  activation?: ActivationName;
}

const OP = 'depthwiseConv2d';

declare module '../runtime/state.js' {
  interface KernelExports {
    depthwise_pack(weights: number, bias: number, kh: number, kw: number, channels: number, multiplier: number): number;
    depthwise_free(handle: number): void;
    depthwise_conv2d(
      handle: number,
      input: number,
      inputLen: number,
      output: number,
      outputLen: number,
      batch: number,
      inH: number,
      inW: number,
      strideH: number,
      strideW: number,
      dilationH: number,
      dilationW: number,
      padTop: number,
      padBottom: number,
      padLeft: number,
      padRight: number,
      activation: number,
    ): void;
  }
}

/** Depthwise weights packed in wasm memory, as a layer holds them. */
export class PackedDepthwiseWeights extends PackedHandle {
  constructor(
    rt: Runtime,
    handle: number,
    readonly kernelH: number,
    readonly kernelW: number,
    readonly channels: number,
    readonly multiplier: number,
  ) {
    super(rt, handle);
  }

  /** Packs `[KH, KW, C, M]` weights (TensorFlow layout) and an optional bias of C*M values. */
  static pack(filter: Float32Array, filterShape: readonly number[], bias: Float32Array | undefined, op = OP): PackedDepthwiseWeights {
    const [kh, kw, c, m] = filterShape as [number, number, number, number];
    // The binding reads KH*KW*C*M weights and C*M bias values from their addresses: check the lengths.
    if (filterShape.length !== 4 || !filterShape.every((d) => isDim(d, 1)) || !(filter instanceof Float32Array) || filter.length !== kh * kw * c * m) {
      throw new ShapeError(op, 'filter [KH, KW, C, M] of positive sizes and KH*KW*C*M values', `${filter instanceof Float32Array ? filter.length : typeof filter} values for ${shapeStr(filterShape)}`);
    }
    if (bias !== undefined && (!(bias instanceof Float32Array) || bias.length !== c * m)) {
      throw new ShapeError(op, `\`bias\` of ${c * m} values`, bias instanceof Float32Array ? `${bias.length} values` : typeof bias);
    }
    const rt = runtime(`${op}()`);
    const handle = packFromArrays(rt, op, [filter, bias], (k, [w, b]) => k.depthwise_pack(w!, b!, kh, kw, c, m));
    return new PackedDepthwiseWeights(rt, handle, kh, kw, c, m);
  }

  protected release(kernels: KernelExports, handle: number): void {
    kernels.depthwise_free(handle);
  }
}

export function depthwiseGeometry(
  op: string,
  xShape: readonly number[],
  kernel: [number, number],
  options: Pick<DepthwiseConv2dOptions, 'strides' | 'padding' | 'dilations'>,
): ConvGeometry {
  const strides = pair(op, 'strides', options.strides, 1);
  const dilations = pair(op, 'dilations', options.dilations, 1);
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) {
    throw new OptionError(op, 'strides', '1 when dilations > 1 (TensorFlow rule)', options.strides);
  }
  return conv2dGeometry(op, xShape, kernel, options);
}

/**
 * Runs packed depthwise weights over `x`; the core shared by the op and the layers.
 * Writes into `out` when given (a planned arena buffer), else allocates the output.
 */
export function runDepthwise(x: Tensor, w: PackedDepthwiseWeights, g: ConvGeometry, activation: ActivationName | undefined, op = OP, given?: Tensor): Tensor {
  const act = activationCode(op, activation);
  const xs = expectTensor(op, 'x', x, 4);
  checkGeometry(op, g, xs);
  if (xs[3] !== w.channels) throw new ShapeError(op, `x [N, H, W, ${w.channels}] (NHWC)`, `x ${shapeStr(xs)}`);
  const [n] = xs as [number];
  const shape = [n, g.outH, g.outW, w.channels * w.multiplier];
  const out = outputFor(op, shape, given);
  return runInto(op, out, given, (o) =>
    w.rt.kernels.depthwise_conv2d(w.handle, x.ptr(op), x.size, o, out.size, n, ...kernelGeometryArgs(g), act),
  );
}

/**
 * Depthwise 2-D convolution of NHWC `x` [N, H, W, C] with `filter` [KH, KW, C, M] (TensorFlow layout).
 * Output [N, OH, OW, C*M], channel c*M + m. Packs the filter per call; layers pack once.
 */
export function depthwiseConv2d(x: Tensor, filter: Tensor, options: DepthwiseConv2dOptions = {}): Tensor {
  const xs = expectTensor(OP, 'x', x, 4);
  const fs = expectTensor(OP, 'filter', filter, 4);
  if (fs[2] !== xs[3]) {
    throw new ShapeError(OP, `filter [KH, KW, ${xs[3]}, M] to match the input's ${xs[3]} channels`, `filter ${shapeStr(fs)}`);
  }
  if (fs.some((d) => d < 1)) throw new ShapeError(OP, 'a filter with positive sizes', `filter ${shapeStr(fs)}`);
  const g = depthwiseGeometry(OP, xs, [fs[0]!, fs[1]!], options);
  activationCode(OP, options.activation);
  const bias = options.bias === undefined ? undefined : expectVector(OP, 'bias', options.bias, fs[2]! * fs[3]!);
  const packed = PackedDepthwiseWeights.pack(filter.data(), fs, bias);
  try {
    return runDepthwise(x, packed, g, options.activation);
  } finally {
    packed.dispose();
  }
}
