// Conv (group 1, depthwise, grouped), BatchNormalization, Gemm and MatMul: OIHW filters repacked
// to HWIO / depthwise [KH, KW, C, M] once at import, pads mapped to SAME where they are TF's,
// else explicit.
import { formatJson } from '../../errors.js';
import { convOut } from '../keras-config.js';
import { b64, chwToHwc, fmt, samePads, tfInts, type Dim, type Lowering, type OnnxNode } from './context.js';
import { MAX_DIM } from './proto.js';

export type Handler = (low: Lowering, n: OnnxNode) => void;

/** Spatial pads [top, bottom, left, right] and whether they are TF's SAME, from auto_pad / pads. */
export function spatialPads(
  low: Lowering,
  n: OnnxNode,
  [h, w]: [Dim, Dim],
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  [dh, dw]: [number, number],
): { same: boolean; pads: [number, number, number, number] | undefined } {
  const auto = low.aStr(n, 'auto_pad', 'NOTSET');
  if (auto === 'VALID') return { same: false, pads: [0, 0, 0, 0] };
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    if (auto === 'SAME_UPPER') return { same: true, pads: h !== null && w !== null ? [...samePads(h, kh, sh, dh), ...samePads(w, kw, sw, dw)] : undefined };
    if (h === null || w === null) low.fail(n, `auto_pad SAME_LOWER needs known input sizes, got ${fmt([h, w])}; pass inputShape`);
    return { same: false, pads: [...samePads(h, kh, sh, dh, true), ...samePads(w, kw, sw, dw, true)] };
  }
  if (auto !== 'NOTSET') low.fail(n, `auto_pad '${auto}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const p = low.aInts(n, 'pads') ?? [0, 0, 0, 0];
  if (p.length !== 4 || p.some((v) => v < 0 || v > MAX_DIM)) low.fail(n, `pads ${formatJson(p)}: 4 values in [0, ${MAX_DIM}] (2-D only)`);
  const pads: [number, number, number, number] = [p[0]!, p[2]!, p[1]!, p[3]!];
  if (pads.every((v) => v === 0)) return { same: false, pads };
  if (h !== null && w !== null) {
    const s = [...samePads(h, kh, sh, dh), ...samePads(w, kw, sw, dw)];
    if (s.every((v, i) => v === pads[i])) return { same: true, pads };
  }
  return { same: false, pads };
}

const outSize = (size: Dim, k: number, s: number, d: number, before: number, after: number): Dim =>
  size === null ? null : convOut(size + before + after, k, s, d, 'valid');

/** Shared 2-D window attributes: kernel, strides, dilations, pads. */
export function window(low: Lowering, n: OnnxNode, x: Dim[], kernel: number[] | undefined) {
  if (x.length !== 4) low.fail(n, `only 2-D (NCHW) inputs are supported, got shape ${fmt(x)}`);
  const inRange = (v: number) => v >= 1 && v <= MAX_DIM;
  if (!kernel || kernel.length !== 2 || !kernel.every(inRange)) low.fail(n, `kernel_shape ${formatJson(kernel)}: two sizes in [1, ${MAX_DIM}] (2-D only)`);
  const strides = low.aInts(n, 'strides') ?? [1, 1];
  const dil = low.aInts(n, 'dilations') ?? [1, 1];
  if (strides.length !== 2 || !strides.every(inRange)) low.fail(n, `strides ${formatJson(strides)}: two values in [1, ${MAX_DIM}]`);
  if (dil.length !== 2 || !dil.every(inRange)) low.fail(n, `dilations ${formatJson(dil)}: two values in [1, ${MAX_DIM}]`);
  if ((kernel[0]! - 1) * dil[0]! + 1 > MAX_DIM || (kernel[1]! - 1) * dil[1]! + 1 > MAX_DIM) low.fail(n, `the dilated ${kernel.join('x')} window (dilations ${formatJson(dil)}) spans more than ${MAX_DIM}`);
  const k = kernel as [number, number];
  const s = strides as [number, number];
  const d = dil as [number, number];
  const [h, w] = [x[2]!, x[3]!];
  const { same, pads } = spatialPads(low, n, [h, w], k, s, d);
  const oh = same ? (h === null ? null : Math.ceil(h / s[0])) : outSize(h, k[0], s[0], d[0], pads![0], pads![1]);
  const ow = same ? (w === null ? null : Math.ceil(w / s[1])) : outSize(w, k[1], s[1], d[1], pads![2], pads![3]);
  if ((oh !== null && oh < 1) || (ow !== null && ow < 1)) low.fail(n, `input ${fmt(x)} is smaller than the ${k[0]}x${k[1]} window`);
  return { k, s, d, same, pads, oh, ow };
}

export const Conv: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const f = low.cst(n, 1);
  const bias = low.opt(n, 2);
  if (f.shape.length !== 4) low.fail(n, `only 2-D convolutions are supported, got a weight of shape ${formatJson(f.shape)}`);
  const [m, cg, kh, kw] = f.shape as [number, number, number, number];
  const kernel = low.aInts(n, 'kernel_shape') ?? [kh, kw];
  if (kernel[0] !== kh || kernel[1] !== kw) low.fail(n, `kernel_shape ${formatJson(kernel)} does not match the weight ${formatJson(f.shape)}`);
  const { k, s, d, same, pads, oh, ow } = window(low, n, x.shape, kernel);
  const c = x.shape[1];
  const group = low.aInt(n, 'group', 1);
  if (c === null || c === undefined || group < 1 || c % group !== 0 || m % group !== 0 || c / group !== cg) {
    low.fail(n, `weight ${formatJson(f.shape)} with group ${group} does not fit ${c} input channels`);
  }
  const attr: Record<string, any> = { strides: tfInts([1, s[0], s[1], 1]), dilations: tfInts([1, d[0], d[1], 1]) };
  if (same) attr.padding = { s: b64('SAME') };
  else if (pads!.every((v) => v === 0)) attr.padding = { s: b64('VALID') };
  else {
    attr.padding = { s: b64('EXPLICIT') };
    attr.explicit_paddings = tfInts([0, 0, pads![0], pads![1], pads![2], pads![3], 0, 0]);
  }
  const taps = kh * kw;
  let tf: string;
  if (group === c && cg === 1 && group > 1) {
    // Depthwise: ONNX output channel ch*M + j -> filter [KH, KW, C, M] (the same flat order per tap).
    const mult = m / c;
    const fw = new Float32Array(f.values.length);
    for (let o = 0; o < m; o++) for (let t = 0; t < taps; t++) fw[t * m + o] = f.values[o * taps + t]!;
    tf = low.emit('DepthwiseConv2dNative', n.name || n.output[0]!, [x.tf, low.constNode(`${n.name}/filter`, fw, [kh, kw, c, mult])], attr);
  } else {
    // OIHW -> HWIO (per group: [KH, KW, C/g, M], TF's grouped layout).
    const fw = new Float32Array(f.values.length);
    for (let o = 0; o < m; o++) for (let i = 0; i < cg; i++) for (let t = 0; t < taps; t++) fw[(t * cg + i) * m + o] = f.values[(o * cg + i) * taps + t]!;
    tf = low.emit('Conv2D', n.name || n.output[0]!, [x.tf, low.constNode(`${n.name}/filter`, fw, [kh, kw, cg, m])], attr);
  }
  if (bias) {
    if (bias.kind !== 'const' || (bias as { values: Float64Array }).values.length !== m) low.fail(n, `bias must be a constant of ${m} values`);
    tf = low.emit('BiasAdd', `${n.name}/bias_add`, [tf, low.constNode(`${n.name}/bias`, (bias as { values: Float64Array }).values, [m])]);
  }
  low.setSym(n, 0, tf, [x.shape[0]!, m, oh, ow]);
};

export const BatchNormalization: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  if (low.opset < 9 && low.aInt(n, 'spatial', 1) !== 1) low.fail(n, 'spatial=0 is not supported');
  if (n.output.slice(1).some((o) => o !== '')) low.fail(n, 'training-mode outputs (running mean / var) are not supported');
  if (low.aInt(n, 'training_mode', 0) !== 0) low.fail(n, 'training_mode=1 is not supported');
  const c = x.shape[1];
  const parts = [1, 2, 3, 4].map((i) => low.cst(n, i));
  if (x.shape.length !== 4 && x.shape.length !== 2) low.fail(n, `NCHW or [N, C] inputs only, got ${fmt(x.shape)}`);
  for (const [i, p] of parts.entries()) if (p.values.length !== c) low.fail(n, `input ${i + 1} has ${p.values.length} values, the input has ${c} channels`);
  const eps = low.aFloat(n, 'epsilon', 1e-5);
  const perm = (v: Float64Array) => (x.chw ? chwToHwc(v, x.chw) : v);
  const ins = parts.map((p, i) => low.constNode(`${n.name}/${['scale', 'offset', 'mean', 'variance'][i]}`, perm(p.values), [c!]));
  const tf = low.emit('FusedBatchNormV3', n.name || n.output[0]!, [x.tf, ...ins], { epsilon: { f: eps } });
  low.setSym(n, 0, tf, x.shape, x.chw);
};

/** y = x W + b for a rank-2 x and constant W [K, M] (rows permuted when x is a flattened CHW map). */
function dense(low: Lowering, n: OnnxNode, w: Float64Array, kIn: number, mOut: number, bias: Float64Array | undefined): void {
  const x = low.sym(n, 0);
  if (x.shape.length !== 2) low.fail(n, `a rank-2 [N, K] input, got ${fmt(x.shape)} (flatten it first)`);
  if (x.shape[1] !== kIn) low.fail(n, `weight [${kIn}, ${mOut}] does not fit ${x.shape[1]} input features`);
  const rows = x.chw ? chwToHwc(w, x.chw, mOut) : w;
  let tf = low.emit('MatMul', n.name || n.output[0]!, [x.tf, low.constNode(`${n.name}/weight`, rows, [kIn, mOut])]);
  if (bias) tf = low.emit('BiasAdd', `${n.name}/bias_add`, [tf, low.constNode(`${n.name}/bias`, bias, [mOut])]);
  low.setSym(n, 0, tf, [x.shape[0]!, mOut]);
}

export const Gemm: Handler = (low: Lowering, n: OnnxNode) => {
  const b = low.cst(n, 1);
  const cv = low.opt(n, 2);
  if (low.aInt(n, 'transA', 0)) low.fail(n, 'transA=1 is not supported');
  if (b.shape.length !== 2) low.fail(n, `B of rank 2, got ${formatJson(b.shape)}`);
  const alpha = low.aFloat(n, 'alpha', 1);
  const beta = low.aFloat(n, 'beta', 1);
  const transB = low.aInt(n, 'transB', 0) !== 0;
  const [kIn, mOut] = (transB ? [b.shape[1], b.shape[0]] : b.shape) as [number, number];
  const w = new Float64Array(kIn * mOut);
  for (let i = 0; i < kIn; i++) for (let j = 0; j < mOut; j++) w[i * mOut + j] = alpha * b.values[transB ? j * kIn + i : i * mOut + j]!;
  let bias: Float64Array | undefined;
  if (cv) {
    if (cv.kind !== 'const') return low.fail(n, 'C must be a constant');
    const size = cv.values.length;
    const perRow = cv.shape.length === 2 && cv.shape[0] !== 1;
    if (perRow || (size !== 1 && size !== mOut)) low.fail(n, `C of shape ${formatJson(cv.shape)}: a scalar or ${mOut} values broadcast over rows`);
    bias = Float64Array.from({ length: mOut }, (_, j) => beta * cv.values[size === 1 ? 0 : j]!);
  }
  dense(low, n, w, kIn, mOut, bias);
};

export const MatMul: Handler = (low: Lowering, n: OnnxNode) => {
  const b = low.cst(n, 1);
  if (b.shape.length !== 2) low.fail(n, `a constant B of rank 2, got ${formatJson(b.shape)}`);
  dense(low, n, b.values, b.shape[0]!, b.shape[1]!, undefined);
};
