import { DisposedTensorError, OptionError, ShapeError } from '../errors.js';
import { runtime, type KernelExports, type Runtime } from '../runtime/state.js';
import { outputFor, runInto } from './output.js';
import { PackedHandle, packFromArrays } from './packed.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { checkGeometry, conv2dGeometry, type ConvGeometry, type Padding, type Pair, kernelGeometryArgs } from './geometry.js';
import { expectTensor, expectVector, shapeStr } from './validate.js';

/** Options of `conv2d()`. */
export interface Conv2dOptions {
  /** Default 1. */
  strides?: Pair;
  /** Default 'valid', as in TensorFlow. */
  padding?: Padding;
  /** Default 1. */
  dilations?: Pair;
  /** Grouped convolution: input and output channels split into `groups` independent sets. Default 1. */
  groups?: number;
  /** One value per output channel. */
  bias?: Tensor | Float32Array;
  /** Fused into the kernel's store. Default 'linear'. */
  activation?: ActivationName;
}

const OP = 'conv2d';

declare module '../runtime/state.js' {
  interface KernelExports {
    conv_pack(weights: number, bias: number, kh: number, kw: number, inChannels: number, outChannels: number, groups: number): number;
    conv_free(handle: number): void;
    conv2d(
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

/** Conv weights packed in wasm memory (per group, as GEMM panels), as a layer holds them. */
export class PackedConvWeights extends PackedHandle {
  constructor(
    rt: Runtime,
    handle: number,
    readonly kernelH: number,
    readonly kernelW: number,
    /** Total input channels (filter's third dimension times groups). */
    readonly inChannels: number,
    readonly outChannels: number,
    readonly groups: number,
  ) {
    super(rt, handle);
  }

  /** Packs `[KH, KW, Cin/groups, Cout]` weights (TensorFlow layout) and an optional bias of Cout values. */
  static pack(filter: Float32Array, filterShape: readonly number[], bias: Float32Array | undefined, groups = 1, op = OP): PackedConvWeights {
    const [kh, kw, cg, cout] = filterShape as [number, number, number, number];
    if (filterShape.length !== 4 || !filterShape.every((d) => Number.isInteger(d) && d >= 1) || filter.length !== kh * kw * cg * cout) {
      throw new ShapeError(op, 'filter [KH, KW, Cin/groups, Cout] of positive sizes', `${filter.length} values for ${shapeStr(filterShape)}`);
    }
    if (!Number.isInteger(groups) || groups < 1 || cout % groups !== 0) {
      throw new OptionError(op, 'groups', `a positive integer dividing the ${cout} output channels`, groups);
    }
    if (bias && bias.length !== cout) throw new ShapeError(op, `\`bias\` of ${cout} values`, `${bias.length} values`);
    const rt = runtime(`${op}()`);
    const handle = packFromArrays(rt, op, [filter, bias], (k, [w, b]) => k.conv_pack(w!, b!, kh, kw, cg * groups, cout, groups));
    return new PackedConvWeights(rt, handle, kh, kw, cg * groups, cout, groups);
  }

  protected release(kernels: KernelExports, handle: number): void {
    kernels.conv_free(handle);
  }
}

export { conv2dGeometry };

/**
 * Runs packed conv weights over NHWC `x`; the core shared by the op and the layers.
 * Writes into `out` when given (a planned arena buffer), else allocates the output.
 */
export function runConv2d(x: Tensor, w: PackedConvWeights, g: ConvGeometry, activation: ActivationName | undefined, op = OP, given?: Tensor): Tensor {
  const act = activationCode(op, activation);
  if (w.disposed) throw new DisposedTensorError(`${op}: packed conv weights`);
  const xs = expectTensor(op, 'x', x);
  checkGeometry(op, g, xs);
  if (xs.length !== 4 || xs[3] !== w.inChannels || xs[1] !== g.inH || xs[2] !== g.inW) {
    throw new ShapeError(op, `x [N, ${g.inH}, ${g.inW}, ${w.inChannels}] (NHWC)`, `x ${shapeStr(xs)}`);
  }
  const n = xs[0]!;
  const shape = [n, g.outH, g.outW, w.outChannels];
  const out = outputFor(op, shape, given);
  return runInto(op, out, given, (o) =>
    w.rt.kernels.conv2d(w.handle, x.ptr(op), x.size, o, out.size, n, ...kernelGeometryArgs(g), act),
  );
}

/**
 * 2-D convolution of NHWC `x` [N, H, W, Cin] with `filter` [KH, KW, Cin/groups, Cout] (TensorFlow
 * layout). Output [N, OH, OW, Cout]. Packs the filter per call; layers pack once.
 */
export function conv2d(x: Tensor, filter: Tensor, options: Conv2dOptions = {}): Tensor {
  const xs = expectTensor(OP, 'x', x, 4);
  const fs = expectTensor(OP, 'filter', filter, 4);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || xs[3]! % groups !== 0 || fs[3]! % groups !== 0) {
    throw new OptionError(OP, 'groups', `a positive integer dividing both the ${xs[3]} input and ${fs[3]} output channels`, options.groups);
  }
  if (fs.some((d) => d < 1)) throw new ShapeError(OP, 'a filter with positive sizes', `filter ${shapeStr(fs)}`);
  if (fs[2]! * groups !== xs[3]) {
    throw new ShapeError(OP, `filter [KH, KW, ${xs[3]! / groups}, Cout] to match the input's ${xs[3]} channels in ${groups} group(s)`, `filter ${shapeStr(fs)}`);
  }
  if (xs[0]! < 1) throw new ShapeError(OP, 'a batch of at least 1', `x ${shapeStr(xs)}`);
  const g = conv2dGeometry(OP, xs, [fs[0]!, fs[1]!], options);
  activationCode(OP, options.activation);
  const bias = options.bias === undefined ? undefined : expectVector(OP, 'bias', options.bias, fs[3]!);
  const packed = PackedConvWeights.pack(filter.data(), fs, bias, groups);
  try {
    return runConv2d(x, packed, g, options.activation);
  } finally {
    packed.dispose();
  }
}
