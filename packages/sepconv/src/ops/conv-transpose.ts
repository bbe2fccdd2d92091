import { DisposedTensorError, OptionError, ShapeError } from '../errors.js';
import { runtime, type KernelExports, type Runtime } from '../runtime/state.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { outLen, pair, resolvePads, type Padding, type Pair } from './geometry.js';
import { outputFor, runInto } from './output.js';
import { PackedHandle, packFromArrays } from './packed.js';
import { expectTensor, expectVector, shapeStr } from './validate.js';

/** Options of `conv2dTranspose`: the forward conv's strides / padding / dilations, bias and fused activation. */
export interface Conv2dTransposeOptions {
  /** Default 1. */
  strides?: Pair;
  /**
   * Padding of the forward conv this op is the gradient of, as TensorFlow defines it: 'same' / 'valid',
   * or explicit [top, bottom, left, right] (ONNX ConvTranspose pads; its output_padding is the output
   * size left over). Default 'valid'.
   */
  padding?: Padding;
  /** Default 1 (ONNX ConvTranspose dilations; TF.js has none). */
  dilations?: Pair;
  /** One value per output channel. */
  bias?: Tensor | Float32Array;
  /** Fused into the kernel. Default 'linear'. */
  activation?: ActivationName;
}

/** Resolved transposed-conv geometry: input row `iy`, tap `ky` lands on output row `iy*strideH + ky*dilationH - padTop`. */
export interface ConvTransposeGeometry {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

const OP = 'conv2dTranspose';

declare module '../runtime/state.js' {
  interface KernelExports {
    conv_transpose_pack(weights: number, bias: number, kh: number, kw: number, inChannels: number, outChannels: number): number;
    conv_transpose_free(handle: number): void;
    conv_transpose2d(
      handle: number,
      input: number,
      inputLen: number,
      output: number,
      outputLen: number,
      batch: number,
      inH: number,
      inW: number,
      outH: number,
      outW: number,
      strideH: number,
      strideW: number,
      dilationH: number,
      dilationW: number,
      padTop: number,
      padLeft: number,
      activation: number,
    ): void;
  }
}

/**
 * Geometry of a transposed conv from NHWC input `[N, H, W, Cin]` to output `[OH, OW]`, as TensorFlow
 * defines it: the forward conv of the output with these strides / dilations / padding has the input's
 * size. With 'same' / 'valid' that is exact (TF's check); with explicit pads [top, bottom, left, right]
 * the output may also be up to max(stride, dilation) - 1 larger (ONNX ConvTranspose's output_padding).
 */
export function conv2dTransposeGeometry(
  op: string,
  xShape: readonly number[],
  outHW: readonly [number, number],
  kernel: [number, number],
  options: { strides?: Pair; padding?: Padding; dilations?: Pair },
): ConvTransposeGeometry {
  const [outH, outW] = outHW;
  if (!outHW.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new ShapeError(op, 'an output height and width of positive integers', `output ${shapeStr(outHW)}`);
  }
  const strides = pair(op, 'strides', options.strides, 1);
  const dilations = pair(op, 'dilations', options.dilations, 1);
  const padding = options.padding ?? 'valid';
  const pads = resolvePads(op, padding, outH, outW, kernel, strides, dilations);
  const [inH, inW] = [xShape[1]!, xShape[2]!];
  const fits = (input: number, out: number, before: number, after: number, k: number, s: number, d: number): boolean => {
    if (typeof padding === 'string') return outLen(out, before, after, k, s, d) === input;
    const extra = out + before + after - ((k - 1) * d + 1) - s * (input - 1);
    return extra >= 0 && extra < Math.max(s, d);
  };
  if (!fits(inH, outH, pads.top, pads.bottom, kernel[0], strides[0], dilations[0]) || !fits(inW, outW, pads.left, pads.right, kernel[1], strides[1], dilations[1])) {
    throw new ShapeError(
      op,
      `an output shape whose forward ${kernel[0]}x${kernel[1]} conv (strides ${strides.join('x')}, dilations ${dilations.join('x')}, padding ${JSON.stringify(padding)}) gives the input's ${inH}x${inW}`,
      `output ${outH}x${outW} for input ${shapeStr(xShape)}`,
    );
  }
  return {
    inH,
    inW,
    outH,
    outW,
    kernelH: kernel[0],
    kernelW: kernel[1],
    strideH: strides[0],
    strideW: strides[1],
    dilationH: dilations[0],
    dilationW: dilations[1],
    padTop: pads.top,
    padLeft: pads.left,
  };
}

/** Transposed-conv weights packed in wasm memory (one GEMM B of [Cin, KH*KW*Cout]), as a layer holds them. */
export class PackedConvTransposeWeights extends PackedHandle {
  constructor(
    rt: Runtime,
    handle: number,
    readonly kernelH: number,
    readonly kernelW: number,
    readonly inChannels: number,
    readonly outChannels: number,
  ) {
    super(rt, handle);
  }

  /** Packs `[KH, KW, Cout, Cin]` weights (TensorFlow's Conv2DTranspose layout) and an optional bias of Cout values. */
  static pack(filter: Float32Array, filterShape: readonly number[], bias: Float32Array | undefined, op = OP): PackedConvTransposeWeights {
    const [kh, kw, cout, cin] = filterShape as [number, number, number, number];
    if (filterShape.length !== 4 || !filterShape.every((d) => Number.isSafeInteger(d) && d >= 1) || filter.length !== kh * kw * cout * cin) {
      throw new ShapeError(op, 'filter [KH, KW, Cout, Cin] of positive sizes', `${filter.length} values for ${shapeStr(filterShape)}`);
    }
    if (bias && bias.length !== cout) throw new ShapeError(op, `\`bias\` of ${cout} values`, `${bias.length} values`);
    const rt = runtime(`${op}()`);
    const handle = packFromArrays(rt, op, [filter, bias], (k, [w, b]) => k.conv_transpose_pack(w!, b!, kh, kw, cin, cout));
    return new PackedConvTransposeWeights(rt, handle, kh, kw, cin, cout);
  }

  protected release(kernels: KernelExports, handle: number): void {
    kernels.conv_transpose_free(handle);
  }
}

/**
 * Runs packed transposed-conv weights over NHWC `x`; the core shared by the op and model steps.
 * Writes into `out` when given (a planned arena buffer, distinct from `x`), else allocates the output.
 */
export function runConv2dTranspose(x: Tensor, w: PackedConvTransposeWeights, g: ConvTransposeGeometry, activation: ActivationName | undefined, op = OP, given?: Tensor): Tensor {
  const act = activationCode(op, activation);
  if (w.disposed) throw new DisposedTensorError(`${op}: packed conv-transpose weights`);
  const xs = expectTensor(op, 'x', x, 4);
  if (xs[3] !== w.inChannels || xs[1] !== g.inH || xs[2] !== g.inW || xs[0]! < 1) {
    throw new ShapeError(op, `x [N, ${g.inH}, ${g.inW}, ${w.inChannels}] (NHWC)`, `x ${shapeStr(xs)}`);
  }
  const n = xs[0]!;
  const shape = [n, g.outH, g.outW, w.outChannels];
  const out = outputFor(op, shape, given, [x]);
  return runInto(op, out, given, (o) =>
    w.rt.kernels.conv_transpose2d(w.handle, x.ptr(op), x.size, o, out.size, n, g.inH, g.inW, g.outH, g.outW, g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft, act),
  );
}

/**
 * Transposed 2-D convolution (TF `conv2dTranspose` / Conv2DBackpropInput, Keras Conv2DTranspose, ONNX
 * ConvTranspose) of NHWC `x` [N, H, W, Cin] with `filter` [KH, KW, Cout, Cin] (TensorFlow layout) to
 * `outputShape` [N, OH, OW, Cout] or [OH, OW, Cout]. Packs the filter per call; models pack once.
 */
export function conv2dTranspose(x: Tensor, filter: Tensor, outputShape: readonly number[], options: Conv2dTransposeOptions = {}): Tensor {
  const xs = expectTensor(OP, 'x', x, 4);
  const fs = expectTensor(OP, 'filter', filter, 4);
  if (fs.some((d) => d < 1)) throw new ShapeError(OP, 'a filter with positive sizes', `filter ${shapeStr(fs)}`);
  if (fs[3] !== xs[3]) throw new ShapeError(OP, `filter [KH, KW, Cout, ${xs[3]}] to match the input's ${xs[3]} channels`, `filter ${shapeStr(fs)}`);
  if (xs[0]! < 1) throw new ShapeError(OP, 'a batch of at least 1', `x ${shapeStr(xs)}`);
  if (!Array.isArray(outputShape) || (outputShape.length !== 3 && outputShape.length !== 4)) {
    throw new OptionError(OP, 'outputShape', '[N, OH, OW, Cout] or [OH, OW, Cout]', outputShape);
  }
  const os = outputShape.length === 4 ? outputShape : [xs[0]!, ...outputShape];
  if (os[0] !== xs[0] || os[3] !== fs[2]) {
    throw new ShapeError(OP, `outputShape [${xs[0]}, OH, OW, ${fs[2]}] (the input's batch, the filter's Cout)`, `outputShape ${shapeStr(outputShape)}`);
  }
  const g = conv2dTransposeGeometry(OP, xs, [os[1]!, os[2]!], [fs[0]!, fs[1]!], options);
  activationCode(OP, options.activation);
  const bias = options.bias === undefined ? undefined : expectVector(OP, 'bias', options.bias, fs[2]!);
  const packed = PackedConvTransposeWeights.pack(filter.data(), fs, bias);
  try {
    return runConv2dTranspose(x, packed, g, options.activation);
  } finally {
    packed.dispose();
  }
}
