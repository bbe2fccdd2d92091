import { OptionError, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { PackedDepthwiseWeights } from './depthwise.js';
import { checkGeometry, conv2dGeometry, kernelGeometryArgs, type ConvGeometry, type Padding, type Pair } from './geometry.js';
import { outputFor, runInto } from './output.js';
import { expectTensor, expectVector, shapeStr } from './validate.js';

/** Options of `deformableDepthwiseConv2d()`. */
export interface DeformableDepthwiseConv2dOptions {
  /** Default 1 (strides and dilations may both exceed 1, as in torchvision / ONNX DeformConv). */
  strides?: Pair;
  /** Default 'valid'. */
  padding?: Padding;
  /** Default 1. */
  dilations?: Pair;
  /** Modulation (DCN v2): `[N, OH, OW, G*KH*KW]`, one factor per group and tap, e.g. a sigmoid's output. */
  mask?: Tensor;
  /** One value per output channel (C * multiplier). */
  bias?: Tensor | Float32Array;
  /** Fused into the kernel's store. Default 'linear'. */
  activation?: ActivationName;
}

const OP = 'deformableDepthwiseConv2d';

declare module '../runtime/state.js' {
  interface KernelExports {
    deform_depthwise_conv2d(
      handle: number,
      input: number,
      inputLen: number,
      offsets: number,
      offsetsLen: number,
      mask: number,
      maskLen: number,
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
      offsetGroups: number,
      activation: number,
    ): void;
  }
}

/** Offset groups G from the offsets' channels (2*G*KH*KW), checked against the geometry and the input channels. */
export function offsetGroupsOf(op: string, xShape: readonly number[], g: ConvGeometry, offShape: readonly number[], mask?: readonly number[]): number {
  const [n, , , c] = xShape as [number, number, number, number];
  const taps = g.kernelH * g.kernelW;
  const [on, oh, ow, oc] = offShape as [number, number, number, number];
  const groups = oc / (2 * taps);
  if (on !== n || oh !== g.outH || ow !== g.outW || !Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new ShapeError(op, `offsets [${n}, ${g.outH}, ${g.outW}, 2 x G x ${taps}] with G offset groups dividing ${c} channels`, `offsets ${shapeStr(offShape)}`);
  }
  if (mask && (mask[0] !== n || mask[1] !== g.outH || mask[2] !== g.outW || mask[3] !== groups * taps)) {
    throw new ShapeError(op, `mask [${n}, ${g.outH}, ${g.outW}, ${groups * taps}] (G x KH*KW, G = ${groups} from the offsets)`, `mask ${shapeStr(mask)}`);
  }
  return groups;
}

/** Runs packed depthwise weights as a deformable conv; the core shared by the op and the layer. */
export function runDeformableDepthwise(
  x: Tensor,
  offsets: Tensor,
  mask: Tensor | undefined,
  w: PackedDepthwiseWeights,
  g: ConvGeometry,
  groups: number,
  activation: ActivationName | undefined,
  op = OP,
  given?: Tensor,
): Tensor {
  const act = activationCode(op, activation);
  const xs = expectTensor(op, 'x', x, 4);
  checkGeometry(op, g, xs);
  expectTensor(op, 'offsets', offsets, 4);
  if (mask !== undefined) expectTensor(op, 'mask', mask, 4);
  if (xs[3] !== w.channels) throw new ShapeError(op, `x [N, H, W, ${w.channels}] (NHWC)`, `x ${shapeStr(xs)}`);
  if (groups !== offsetGroupsOf(op, xs, g, offsets.shape, mask?.shape)) throw new OptionError(op, 'groups', 'the offset groups the offsets tensor holds', groups);
  const [n] = xs as [number];
  const shape = [n, g.outH, g.outW, w.channels * w.multiplier];
  const out = outputFor(op, shape, given, mask ? [x, offsets, mask] : [x, offsets]);
  return runInto(op, out, given, (o) =>
    w.rt.kernels.deform_depthwise_conv2d(
      w.handle,
      x.ptr(op),
      x.size,
      offsets.ptr(op),
      offsets.size,
      mask ? mask.ptr(op) : 0,
      mask ? mask.size : 0,
      o,
      out.size,
      n,
      ...kernelGeometryArgs(g),
      groups,
      act,
    ),
  );
}

/**
 * Deformable depthwise conv (DCN; the seed's DeformableDepthwiseConv): each tap of each output pixel
 * samples NHWC `x` [N, H, W, C] bilinearly at its regular position plus `offsets` [N, OH, OW, G*KH*KW*2]
 * (per offset group and row-major tap: dy, dx; zero outside the image), times `mask` when given, and
 * weighs it by `filter` [KH, KW, C, M]. Torchvision's `deform_conv2d` / ONNX `DeformConv` with
 * groups = C, in NHWC. Output [N, OH, OW, C*M].
 */
export function deformableDepthwiseConv2d(x: Tensor, offsets: Tensor, filter: Tensor, options: DeformableDepthwiseConv2dOptions = {}): Tensor {
  const xs = expectTensor(OP, 'x', x, 4);
  const os = expectTensor(OP, 'offsets', offsets, 4);
  const fs = expectTensor(OP, 'filter', filter, 4);
  const ms = options.mask === undefined ? undefined : expectTensor(OP, 'mask', options.mask, 4);
  if (fs[2] !== xs[3]) throw new ShapeError(OP, `filter [KH, KW, ${xs[3]}, M] to match the input's ${xs[3]} channels`, `filter ${shapeStr(fs)}`);
  if (fs.some((d) => d < 1)) throw new ShapeError(OP, 'a filter with positive sizes', `filter ${shapeStr(fs)}`);
  if (options.mask !== undefined && options.mask === offsets) throw new OptionError(OP, 'mask', 'a tensor distinct from the offsets', 'the offsets tensor');
  const g = conv2dGeometry(OP, xs, [fs[0]!, fs[1]!], options);
  const groups = offsetGroupsOf(OP, xs, g, os, ms);
  activationCode(OP, options.activation);
  const bias = options.bias === undefined ? undefined : expectVector(OP, 'bias', options.bias, fs[2]! * fs[3]!);
  const packed = PackedDepthwiseWeights.pack(filter.data(), fs, bias, OP);
  try {
    return runDeformableDepthwise(x, offsets, options.mask, packed, g, groups, options.activation);
  } finally {
    packed.dispose();
  }
}
