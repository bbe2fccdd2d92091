// Convolutions, dense layers and batch norm: Conv2D / DepthwiseConv2dNative (and the grappler-fused
// forms with their bias, batch norm and activation epilogue), MatMul, FusedBatchNorm (folded into
// the conv before it, else a per-channel affine layer).
import { formatJson } from '../../errors.js';
import { convOut, plusDim, type Dim } from '../keras-config.js';
import { attrB, attrF, attrStrs, type GraphNode } from './attrs.js';
import type { GraphContext, OpTable, Sym, Value } from './context.js';
import { ACT } from './math.js';

function conv(c: GraphContext, n: GraphNode): Value {
  c.checkNHWC(n);
  let x = c.layerInput(n, 0);
  const f = c.constOf(n, 1);
  const depthwise = n.op.includes('Depthwise');
  if (f.shape.length !== 4) c.fail(n, `filter of rank 4, got ${formatJson(f.shape)}`);
  const [kh, kw, cin, cout] = f.shape as [number, number, number, number];
  const [h, w, ch] = x.shape as [Dim, Dim, number];
  if (x.shape.length !== 3) c.fail(n, `an NHWC input, got per-sample shape ${formatJson(x.shape)}`);
  const strides = c.spatialAttr(n, 'strides');
  const dil = c.spatialAttr(n, 'dilations');
  const { pad, explicit } = c.padding(n);
  if (explicit && (explicit[0][0] || explicit[0][1] || explicit[1][0] || explicit[1][1])) {
    x = c.addLayer({ ...n, name: `${n.name}/pad` }, 'ZeroPadding2D', { padding: explicit }, [x], [plusDim(h, explicit[0][0] + explicit[0][1]), plusDim(w, explicit[1][0] + explicit[1][1]), ch]);
  }
  const [hh, ww] = x.shape as [Dim, Dim];
  const groups = depthwise ? 1 : ch / cin;
  if (!depthwise && (!Number.isInteger(groups) || groups < 1)) c.fail(n, `filter ${formatJson(f.shape)} does not fit ${ch} input channels`);
  if (depthwise && cin !== ch) c.fail(n, `depthwise filter ${formatJson(f.shape)} does not fit ${ch} input channels`);
  const oh = convOut(hh, kh, strides[1]!, dil[1]!, pad);
  const ow = convOut(ww, kw, strides[2]!, dil[2]!, pad);
  if (c.tooSmall(oh, ow)) c.fail(n, `input ${formatJson(x.shape)} is smaller than the ${kh}x${kw} kernel`);
  const common = {
    kernel_size: [kh, kw],
    strides: [strides[1], strides[2]],
    padding: pad,
    dilation_rate: [dil[1], dil[2]],
    activation: 'linear',
    use_bias: false,
    _kernelShape: f.shape,
  };
  const out = depthwise
    ? c.addLayer(n, 'DepthwiseConv2D', { ...common, depth_multiplier: cout }, [x], [oh, ow, ch * cout], { depthwise_kernel: Float32Array.from(f.values) })
    : c.addLayer(n, 'Conv2D', { ...common, filters: cout, groups }, [x], [oh, ow, cout], { kernel: Float32Array.from(f.values) });
  const l = c.layerOf.get(out.layer)!;
  // Fused epilogue: BiasAdd or FusedBatchNorm, then an activation (LeakyRelu / Prelu: a layer after the conv).
  let argi = 2;
  let post: Sym | undefined;
  for (const op of attrStrs(n, 'fused_ops')) {
    if (op === 'BiasAdd') {
      c.foldAffine(l, undefined, c.constOf(n, argi++).values);
    } else if (op === 'FusedBatchNorm' || op === 'FusedBatchNormV3') {
      const [scale, offset, mean, variance] = [0, 1, 2, 3].map((k) => c.constOf(n, argi + k).values);
      argi += 4;
      const eps = attrF(n, 'epsilon', 1e-3);
      const s = scale!.map((g, i) => g / Math.sqrt(variance![i]! + eps));
      c.foldAffine(l, s, offset!.map((b, i) => b - mean![i]! * s[i]!));
    } else if (ACT[op] && op !== 'Softmax') c.setActivation(l, ACT[op]!);
    else if (op === 'LeakyRelu') post = c.leakyLayer({ ...n, name: `${n.name}/leaky_relu` }, out, attrF(n, 'leakyrelu_alpha', 0.2));
    else if (op === 'Prelu') post = c.preluLayer({ ...n, name: `${n.name}/prelu` }, out, c.constOf(n, argi++));
    else c.fail(n, `fused op ${op} is not supported`);
  }
  return post ?? out;
}

function matMul(c: GraphContext, n: GraphNode): Value {
  const x = c.layerInput(n, 0);
  const wv = c.constOf(n, 1);
  if (attrB(n, 'transpose_a')) c.fail(n, 'transpose_a is not supported');
  if (x.shape.length !== 1 || wv.shape.length !== 2) c.fail(n, `a [batch, in] input and an [in, out] weight, got ${formatJson(x.shape)} and ${formatJson(wv.shape)}`);
  let [fin, fout] = wv.shape as [number, number];
  let kv = Float32Array.from(wv.values);
  if (attrB(n, 'transpose_b')) {
    [fin, fout] = [fout, fin];
    const t = new Float32Array(kv.length);
    for (let i = 0; i < fin; i++) for (let j = 0; j < fout; j++) t[i * fout + j] = kv[j * fin + i]!;
    kv = t;
  }
  if (fin !== x.shape[0]) c.fail(n, `weight ${formatJson(wv.shape)} does not fit ${x.shape[0]} inputs`);
  const out = c.addLayer(n, 'Dense', { units: fout, activation: 'linear', use_bias: false, _kernelShape: [fin, fout] }, [x], [fout], { kernel: kv });
  const l = c.layerOf.get(out.layer)!;
  let argi = 2;
  for (const op of attrStrs(n, 'fused_ops')) {
    if (op === 'BiasAdd') c.foldAffine(l, undefined, c.constOf(n, argi++).values);
    else if (ACT[op] && op !== 'Softmax') c.setActivation(l, ACT[op]!);
    else c.fail(n, `fused op ${op} is not supported`);
  }
  return out;
}

function batchNorm(c: GraphContext, n: GraphNode): Value {
  const x = c.layerInput(n, 0);
  const [scale, offset, mean, variance] = [1, 2, 3, 4].map((k) => c.constOf(n, k).values);
  const eps = attrF(n, 'epsilon', 1e-3);
  const s = scale!.map((g, i) => g / Math.sqrt(variance![i]! + eps));
  const t = offset!.map((b, i) => b - mean![i]! * s[i]!);
  const l = c.absorber(n, c.get(n, 0));
  if (l) {
    c.foldAffine(l, s, t);
    return x;
  }
  return c.affineLayer(n, x, s, t);
}

/** The convolution family. */
export const CONV_OPS: OpTable = {
  Conv2D: { doc: 'NHWC conv, SAME / VALID / EXPLICIT padding, strides, dilations, groups', run: conv },
  DepthwiseConv2dNative: { doc: 'depthwise conv, any channel multiplier', run: conv },
  _FusedConv2D: { doc: 'conv with its BiasAdd / FusedBatchNorm and activation (Relu, Relu6, Elu, LeakyRelu, Prelu, ...)', run: conv },
  FusedDepthwiseConv2dNative: { doc: 'depthwise conv with its fused epilogue', run: conv },
  MatMul: { doc: 'dense layer ([batch, in] x constant [in, out], transpose_b)', run: matMul },
  _FusedMatMul: { doc: 'dense layer with bias and activation', run: matMul },
  FusedBatchNorm: { doc: 'inference batch norm, folded into the conv before it', run: batchNorm },
  FusedBatchNormV2: { doc: 'as FusedBatchNorm', run: batchNorm },
  FusedBatchNormV3: { doc: 'as FusedBatchNorm', run: batchNorm },
};
