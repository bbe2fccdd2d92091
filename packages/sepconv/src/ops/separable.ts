import { ShapeError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { depthwiseGeometry, PackedDepthwiseWeights, runDepthwise } from './depthwise.js';
import { PackedGemmWeights, runPointwise } from './gemm.js';
import type { Padding, Pair } from './geometry.js';
import { expectTensor, expectVector, shapeStr } from './validate.js';

/** Options of `separableConv2d()`. */
export interface SeparableConv2dOptions {
  /** Default 1 (applies to the depthwise step). */
  strides?: Pair;
  /** Default 'valid', as in Keras. */
  padding?: Padding;
  /** Default 1. */
  dilations?: Pair;
  /** One value per output channel, added after the pointwise step (Keras: the depthwise step has no bias). */
  bias?: Tensor | Float32Array;
  /** Applied after the pointwise step. Default 'linear'. */
  activation?: ActivationName;
}

const OP = 'separableConv2d';

/**
 * Keras SeparableConv2D: a depthwise conv of NHWC `x` [N, H, W, C] with `depthwiseFilter` [KH, KW, C, M]
 * (no bias, no activation), then a pointwise conv with `pointwiseFilter` [1, 1, C*M, F] (or [C*M, F]) plus
 * `bias` and `activation`. Output [N, OH, OW, F]. Packs per call; the SeparableConv2D layer packs once.
 */
export function separableConv2d(x: Tensor, depthwiseFilter: Tensor, pointwiseFilter: Tensor, options: SeparableConv2dOptions = {}): Tensor {
  const xs = expectTensor(OP, 'x', x, 4);
  const ds = expectTensor(OP, 'depthwiseFilter', depthwiseFilter, 4);
  const ps = expectTensor(OP, 'pointwiseFilter', pointwiseFilter);
  if (ds[2] !== xs[3] || ds.some((d) => d < 1)) {
    throw new ShapeError(OP, `depthwiseFilter [KH, KW, ${xs[3]}, M] to match the input's ${xs[3]} channels`, `depthwiseFilter ${shapeStr(ds)}`);
  }
  const cm = ds[2]! * ds[3]!;
  const ok = (ps.length === 4 && ps[0] === 1 && ps[1] === 1 && ps[2] === cm) || (ps.length === 2 && ps[0] === cm);
  if (!ok || ps[ps.length - 1]! < 1) {
    throw new ShapeError(OP, `pointwiseFilter [1, 1, ${cm}, F] or [${cm}, F] (C*M = ${cm} inputs)`, `pointwiseFilter ${shapeStr(ps)}`);
  }
  const f = ps[ps.length - 1]!;
  const g = depthwiseGeometry(OP, xs, [ds[0]!, ds[1]!], options);
  activationCode(OP, options.activation);
  const bias = options.bias === undefined ? undefined : expectVector(OP, 'bias', options.bias, f);
  const dw = PackedDepthwiseWeights.pack(depthwiseFilter.data(), ds, undefined, OP);
  let mid: Tensor | undefined;
  try {
    mid = runDepthwise(x, dw, g, 'linear', OP);
    const pw = PackedGemmWeights.pack(pointwiseFilter.data(), cm, f, bias, OP);
    try {
      return runPointwise(mid, pw, options.activation, OP);
    } finally {
      pw.dispose();
    }
  } finally {
    mid?.dispose();
    dw.dispose();
  }
}
