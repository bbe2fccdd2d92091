// Pooling: GlobalAveragePool and ReduceMean over H, W as a spatial mean; AveragePool / MaxPool as
// VALID or SAME pools, or (average, count_include_pad=1) an explicit zero pad then a VALID pool.
// Configurations the kernels cannot compute exactly are refused, not approximated.
import { formatJson } from '../../errors.js';
import { window, type Handler } from './conv.js';
import { b64, fmt, tfInts, type Lowering, type OnnxNode, type Sym } from './context.js';
import { MAX_DIM } from './proto.js';

function spatialMean(low: Lowering, n: OnnxNode, x: Sym, keep: boolean): void {
  if (x.shape.length !== 4) low.fail(n, `an NCHW input, got ${fmt(x.shape)}`);
  const axes = low.constNode(`${n.name}/axes`, [1, 2], [2], true);
  const tf = low.emit('Mean', n.name || n.output[0]!, [x.tf, axes], { keep_dims: { b: keep } });
  low.setSym(n, 0, tf, keep ? [x.shape[0]!, x.shape[1]!, 1, 1] : [x.shape[0]!, x.shape[1]!]);
}

export const GlobalAveragePool: Handler = (low: Lowering, n: OnnxNode) => spatialMean(low, n, low.sym(n, 0), true);

/** The reduce axes (attribute before opset 18, input from 18), normalized and sorted; undefined for a no-op. */
function reduceAxes(low: Lowering, n: OnnxNode, x: Sym): number[] | undefined {
  let axes: number[] | undefined;
  if (low.opset >= 18) {
    const a = low.opt(n, 1);
    if (a && a.kind !== 'const') low.fail(n, 'axes must be a constant');
    axes = a ? [...(a as { values: Float64Array }).values] : undefined;
    if (!axes?.length && low.aInt(n, 'noop_with_empty_axes', 0)) return undefined;
  } else axes = low.aInts(n, 'axes');
  const rank = x.shape.length;
  const norm = (axes ?? [...Array(rank).keys()]).map((a) => (a < 0 ? a + rank : a)).sort();
  if (rank !== 4 || norm.join() !== '2,3') low.fail(n, `only the reduction over H and W (axes [2, 3]) of an NCHW tensor is supported, got axes ${formatJson(axes ?? 'all')} of ${fmt(x.shape)}`);
  return norm;
}

export const ReduceMean: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  if (!reduceAxes(low, n, x)) {
    low.setSym(n, 0, low.emit('Identity', n.name || n.output[0]!, [x.tf]), x.shape, x.chw, x.nonNeg);
    return;
  }
  spatialMean(low, n, x, low.aInt(n, 'keepdims', 1) !== 0);
};

/** The spatial max as a VALID max pool over the whole (known) map, then [N, C] when keepdims is 0. */
function spatialMax(low: Lowering, n: OnnxNode, x: Sym, keep: boolean): void {
  const [, c, h, w] = x.shape;
  if (h === null || w === null || h === undefined || w === undefined) low.fail(n, `a max over H and W needs known sizes, got ${fmt(x.shape)}; pass inputShape`);
  const attr = { ksize: tfInts([1, h, w, 1]), strides: tfInts([1, h, w, 1]), padding: { s: b64('VALID') } };
  let tf = low.emit('MaxPool', keep ? n.name || n.output[0]! : `${n.name}/max`, [x.tf], attr);
  if (!keep) tf = low.emit('Reshape', n.name || n.output[0]!, [tf, low.constNode(`${n.name}/shape`, [-1, c!], [2], true)]);
  low.setSym(n, 0, tf, keep ? [x.shape[0]!, c!, 1, 1] : [x.shape[0]!, c!], undefined, x.nonNeg);
}

export const GlobalMaxPool: Handler = (low: Lowering, n: OnnxNode) => spatialMax(low, n, low.sym(n, 0), true);

export const ReduceMax: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  if (!reduceAxes(low, n, x)) {
    low.setSym(n, 0, low.emit('Identity', n.name || n.output[0]!, [x.tf]), x.shape, x.chw, x.nonNeg);
    return;
  }
  spatialMax(low, n, x, low.aInt(n, 'keepdims', 1) !== 0);
};

const pool = (kind: 'avg' | 'max'): Handler => (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  if (n.output[1]) low.fail(n, 'the Indices output is not supported');
  const { k, s, d, same, pads, oh, ow } = window(low, n, x.shape, low.aInts(n, 'kernel_shape'));
  if (d[0] !== 1 || d[1] !== 1) low.fail(n, `dilations ${formatJson(d)}: only 1 is supported for pooling`);
  const include = kind === 'avg' && low.aInt(n, 'count_include_pad', 0) !== 0;
  const [h, w] = [x.shape[2]!, x.shape[3]!];
  if (low.aInt(n, 'ceil_mode', 0)) {
    // ceil_mode changes the output only when the last window starts inside the (padded) input but runs past it.
    const p = pads ?? [0, 0, 0, 0];
    const ceilOut = (size: number | null, kk: number, ss: number, a: number, b: number) => (size === null ? null : Math.ceil((size + a + b - kk) / ss) + 1);
    const ch = ceilOut(h, k[0], s[0], p[0], p[1]);
    const cw = ceilOut(w, k[1], s[1], p[2], p[3]);
    if (same || ch === null || cw === null || ch !== oh || cw !== ow) low.fail(n, `ceil_mode=1 with an extra partial window (input ${fmt(x.shape)}) is not supported`);
  }
  const attr = { ksize: tfInts([1, k[0], k[1], 1]), strides: tfInts([1, s[0], s[1], 1]) };
  const op = kind === 'avg' ? 'AvgPool' : 'MaxPool';
  let input = x.tf;
  let padding = 'VALID';
  const padded = pads !== undefined && pads.some((v) => v > 0);
  if (same && !include) padding = 'SAME';
  else if (padded || (same && include)) {
    // TF's SAME pool skips padded cells: ONNX's MaxPool and count_include_pad=0 do too, but only for SAME's own pads.
    // A max over a non-negative input is the same with zero pads (every window holds a real element: pads < kernel).
    const zeroPadMax = kind === 'max' && x.nonNeg === true && pads !== undefined && pads[0] < k[0] && pads[1] < k[0] && pads[2] < k[1] && pads[3] < k[1];
    if (!include && !zeroPadMax) {
      low.fail(n, `pads ${formatJson(pads)} on input ${fmt(x.shape)} are not TF SAME pads; ${kind === 'max' ? 'MaxPool (of an input not known to be >= 0)' : 'AveragePool with count_include_pad=0'} with them is not supported`);
    }
    if (!pads) low.fail(n, `count_include_pad=1 with auto_pad needs known input sizes, got ${fmt(x.shape)}; pass inputShape`);
    const p = low.constNode(`${n.name}/pads`, [0, 0, pads[0], pads[1], pads[2], pads[3], 0, 0], [4, 2], true);
    input = low.emit('Pad', `${n.name}/pad`, [x.tf, p]);
  }
  const tf = low.emit(op, n.name || n.output[0]!, [input], { ...attr, padding: { s: b64(padding) } });
  low.setSym(n, 0, tf, [x.shape[0]!, x.shape[1]!, oh, ow], undefined, kind === 'max' && x.nonNeg);
};

export const POOL_OPS: Record<string, Handler> = {
  GlobalAveragePool,
  GlobalMaxPool,
  ReduceMean,
  ReduceMax,
  AveragePool: /* @__PURE__ */ pool('avg'),
  MaxPool: /* @__PURE__ */ pool('max'),
};
