// Post-processing ops on computed tensors: ArgMax / ArgMin, TopK, Cast, Gather, the Reduce* family on
// any axes, Where, comparisons, logic, Pow, Sub / Div / Max / Min of two computed tensors, Softmax /
// LogSoftmax on any axis, Add / Mul with a constant of any broadcastable shape. Each lowers to the TF op of the same meaning (io/graph-ops/postprocess.ts
// runs what no layer expresses on the host). Axes are remapped through the layout: a rank-4 tensor
// lives as NHWC, every other rank in ONNX order; where an op's TF result comes out in another axis
// order (a keepdims=0 reduction of a rank-4 map, a Gather, ...) a Transpose puts it back.
import { formatJson } from '../../errors.js';
import { broadcastShape } from '../keras-config.js';
import type { Handler } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { channelValues, fmt, normAxis, type Const, type Dim, type Lowering, type OnnxNode, type Sym, type Value } from './context.js';
import { POOL_OPS } from './pool.js';

/** ONNX axis held by each TF axis of a rank-`r` value: rank 4 is NHWC, every other rank ONNX order. */
const layout = (r: number): number[] => (r === 4 ? [0, 2, 3, 1] : [...Array(r).keys()]);

const outName = (n: OnnxNode) => n.name || n.output[0]!;

/** A computed input, refusing the flattened-CHW and channel-group views these ops cannot reorder. */
function plainSym(low: Lowering, n: OnnxNode, i: number): Sym {
  const x = low.sym(n, i);
  if (x.chw) low.fail(n, `input ${i} is a flattened CHW map ${fmt(x.shape)}, whose feature order differs from ONNX's; not supported here`);
  return x;
}

function ints(low: Lowering, n: OnnxNode, base: string, v: number[]): string {
  return low.constNode(`${n.name}/${base}`, v, [v.length], true);
}

/**
 * `tf` holds, at TF axis j, ONNX axis have[j] of a rank-have.length value; returns it in the layout of
 * that rank (a Transpose when the orders differ).
 */
function relayout(low: Lowering, n: OnnxNode, tf: string, have: number[], base: string): string {
  const want = layout(have.length);
  if (have.every((a, j) => a === want[j])) return tf;
  return low.emit('Transpose', base, [tf, ints(low, n, 'perm', want.map((a) => have.indexOf(a)))]);
}

/** ONNX axes `keep` (ascending positions kept by a reduction) renumbered after the others are dropped. */
function renumber(order: number[], dropped: number[]): number[] {
  return order.filter((a) => !dropped.includes(a)).map((a) => a - dropped.filter((d) => d < a).length);
}

/** A constant in the TF layout of rank `r`: left-padded with 1s (numpy broadcasting), NHWC order for rank 4. */
function constIn(low: Lowering, n: OnnxNode, c: Const, r: number, base: string): string {
  if (c.shape.length > r) low.fail(n, `constant of shape ${formatJson(c.shape)} has a higher rank than the computed input (${r})`);
  const shape = [...Array(r - c.shape.length).fill(1), ...c.shape] as number[];
  if (r !== 4 || c.values.length === 1) return low.constNode(`${n.name}/${base}`, c.values, shape, Boolean(c.int));
  const [a, b, h, w] = shape as [number, number, number, number];
  const out = new Float64Array(c.values.length);
  for (let i0 = 0; i0 < a; i0++) for (let ch = 0; ch < b; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((i0 * h + y) * w + x) * b + ch] = c.values[((i0 * b + ch) * h + y) * w + x]!;
  }
  return low.constNode(`${n.name}/${base}`, out, [a, h, w, b], Boolean(c.int));
}

/** Broadcast elementwise op `op` over inputs (at least one computed, every computed one of the output's rank). */
function broadcastOp(low: Lowering, n: OnnxNode, op: string, vals: Value[]): void {
  const syms = vals.filter((v): v is Sym => v.kind === 'sym');
  if (!syms.length) low.fail(n, 'needs an input computed from the model input');
  for (const s of syms) if (s.chw) low.fail(n, `a flattened CHW map ${fmt(s.shape)} is not supported here`);
  const r = syms[0]!.shape.length;
  if (syms.some((s) => s.shape.length !== r)) low.fail(n, `computed inputs of different ranks (${syms.map((s) => fmt(s.shape)).join(', ')}) are not supported`);
  let shape: Dim[] = syms[0]!.shape;
  for (const v of vals) {
    const s: Dim[] = v.kind === 'sym' ? v.shape : v.shape;
    if (s.length > r) low.fail(n, `constant of shape ${formatJson(s)} has a higher rank than the computed inputs (${r})`);
    const pad: Dim[] = [...Array(r - s.length).fill(1), ...s];
    for (let i = 0; i < r; i++) {
      const [p, q] = [shape[i], pad[i]];
      if (p !== null && q !== null && p !== undefined && q !== undefined && p !== q && p !== 1 && q !== 1) low.fail(n, `inputs ${vals.map((u) => fmt(u.shape)).join(' and ')} do not broadcast`);
    }
    shape = broadcastShape(shape, pad);
  }
  if (shape[0] !== syms[0]!.shape[0] && shape[0] !== null) {
    if (syms.every((s) => s.shape[0] !== shape[0])) low.fail(n, `a constant may not broadcast the batch axis (to ${shape[0]})`);
  }
  // Pow's exponent is a float even when given as an integer tensor.
  const ins = vals.map((v, i) => (v.kind === 'sym' ? v.tf : constIn(low, n, op === 'Pow' ? { ...v, int: false } : v, r, `in${i}`)));
  low.setSym(n, 0, low.emit(op, outName(n), ins), shape);
}

const elementwise = (op: string): Handler => (low, n) => broadcastOp(low, n, op, n.input.map((_, i) => low.get(n, i)));

/** Max / Min / Sum / Mean of one or more inputs: pairwise, left to right. */
const variadic = (op: string): Handler => (low, n) => {
  const vals = n.input.map((_, i) => low.get(n, i));
  if (vals.length < 1) low.fail(n, 'needs at least one input');
  if (vals.length === 1) {
    const x = plainSym(low, n, 0);
    low.setSym(n, 0, low.emit('Identity', outName(n), [x.tf]), x.shape);
    return;
  }
  let acc = vals[0]!;
  for (let i = 1; i < vals.length; i++) {
    const step: OnnxNode = { ...n, name: i === vals.length - 1 ? n.name : `${n.name}/${i}`, output: i === vals.length - 1 ? n.output : [`${n.output[0]}/${i}`] };
    broadcastOp(low, step, op, [acc, vals[i]!]);
    acc = low.values.get(step.output[0]!)!;
  }
};

/**
 * Add / Sub / Mul / Div: elementwise.ts keeps what it lowers to layers (a scalar or per-channel constant,
 * folded into convs; Add / Mul of two tensors of one rank); everything else broadcasts here (Sub / Div
 * of two tensors, a constant of any broadcastable shape, a constant divided by a tensor).
 */
const arith = (op: string): Handler => (low, n) => {
  const a = low.get(n, 0);
  const b = low.get(n, 1);
  const layered =
    a.kind === 'sym' && b.kind === 'sym'
      ? (n.opType === 'Add' || n.opType === 'Mul') && a.shape.length === b.shape.length
      : !(n.opType === 'Div' && a.kind === 'const') && (a.kind === 'const' ? channelValues(a, b as Sym) : b.kind === 'const' ? channelValues(b, a as Sym) : undefined) !== undefined;
  if (layered || (a.kind === 'const' && b.kind === 'const')) return ELEMENTWISE_OPS[n.opType]!(low, n);
  return broadcastOp(low, n, op, [a, b]);
};

/** The reduce axes, normalized and sorted; undefined for a no-op (empty axes with noop_with_empty_axes). */
function reduceAxes(low: Lowering, n: OnnxNode, r: number, inputFrom: number): number[] | undefined {
  let axes: number[] | undefined;
  if (low.opset >= inputFrom) {
    const a = low.opt(n, 1);
    if (a && a.kind !== 'const') low.fail(n, 'axes must be a constant');
    axes = a ? [...(a as Const).values] : undefined;
    if (!axes?.length && low.aInt(n, 'noop_with_empty_axes', 0)) return undefined;
  } else axes = low.aInts(n, 'axes');
  if (!axes?.length) axes = [...Array(r).keys()];
  const norm = axes.map((a) => normAxis(low, n, a, r));
  if (new Set(norm).size !== norm.length) low.fail(n, `axes ${formatJson(axes)} repeat an axis`);
  return norm.sort((p, q) => p - q);
}

const REDUCE_TF: Record<string, string> = { ReduceMean: 'Mean', ReduceMax: 'Max', ReduceMin: 'Min', ReduceSum: 'Sum', ReduceProd: 'Prod' };

const reduce: Handler = (low, n) => {
  const x = plainSym(low, n, 0);
  const r = x.shape.length;
  const keep = low.aInt(n, 'keepdims', 1);
  if (keep !== 0 && keep !== 1) low.fail(n, `keepdims ${keep} must be 0 or 1`);
  let axes = reduceAxes(low, n, r, n.opType === 'ReduceSum' ? 13 : 18);
  if (!axes) {
    low.setSym(n, 0, low.emit('Identity', outName(n), [x.tf]), x.shape);
    return;
  }
  // The spatial mean / max of a map keeps its layer lowering (a global pool).
  if (r === 4 && axes.join() === '2,3' && POOL_OPS[n.opType]) return POOL_OPS[n.opType]!(low, n);
  if (axes.includes(0)) {
    if (x.shape[0] !== 1 || !keep) low.fail(n, `reducing over the batch axis is supported only for a batch of 1 with keepdims=1 (input ${fmt(x.shape)}, axes ${formatJson(axes)})`);
    axes = axes.filter((a) => a !== 0);
    if (!axes.length) {
      low.setSym(n, 0, low.emit('Identity', outName(n), [x.tf]), x.shape);
      return;
    }
  }
  const lay = layout(r);
  const tfAxes = axes.map((a) => lay.indexOf(a));
  const tf = low.emit(REDUCE_TF[n.opType]!, keep ? outName(n) : `${n.name}/reduce`, [x.tf, ints(low, n, 'axes', tfAxes)], { keep_dims: { b: Boolean(keep) } });
  if (keep) {
    low.setSym(n, 0, tf, x.shape.map((d, i) => (axes!.includes(i) ? 1 : d)));
    return;
  }
  const shape = x.shape.filter((_, i) => !axes!.includes(i));
  low.setSym(n, 0, relayout(low, n, tf, renumber(lay, axes), outName(n)), shape);
};

/** A (non-batch) axis attribute of x, normalized; its TF position. */
function featureAxis(low: Lowering, n: OnnxNode, x: Sym, def: number): [number, number] {
  const a = normAxis(low, n, low.aInt(n, 'axis', def), x.shape.length);
  if (a === 0) low.fail(n, 'an op along the batch axis is not supported');
  return [a, layout(x.shape.length).indexOf(a)];
}

const argOp = (op: string): Handler => (low, n) => {
  const x = plainSym(low, n, 0);
  const r = x.shape.length;
  const [a, p] = featureAxis(low, n, x, 0);
  const keep = low.aInt(n, 'keepdims', 1);
  if (keep !== 0 && keep !== 1) low.fail(n, `keepdims ${keep} must be 0 or 1`);
  if (low.aInt(n, 'select_last_index', 0) !== 0) low.fail(n, 'select_last_index=1 is not supported (ties resolve to the first index)');
  const shape = x.shape.filter((_, i) => i !== a);
  let tf = low.emit(op, `${n.name}/arg`, [x.tf, ints(low, n, 'axis', [p])], { output_type: { type: 'DT_INT32' } });
  if (keep) {
    tf = low.emit('ExpandDims', outName(n), [tf, low.constNode(`${n.name}/dim`, [p], [], true)]);
    low.setSym(n, 0, tf, x.shape.map((d, i) => (i === a ? 1 : d)));
    return;
  }
  low.setSym(n, 0, relayout(low, n, tf, renumber(layout(r), [a]), outName(n)), shape);
};

/** Moves TF axis p of a rank-r TF tensor last (or back from last): the permutation. */
const toLast = (r: number, p: number): number[] => [...[...Array(r).keys()].filter((j) => j !== p), p];
const fromLast = (r: number, p: number): number[] => {
  const perm = toLast(r, p);
  return [...Array(r).keys()].map((j) => perm.indexOf(j));
};

const TopK: Handler = (low, n) => {
  const x = plainSym(low, n, 0);
  const r = x.shape.length;
  const [a, p] = featureAxis(low, n, x, -1);
  let k: number;
  if (low.opset >= 10) {
    const kv = low.cst(n, 1);
    if (kv.values.length !== 1) low.fail(n, `K must hold one value, got shape ${formatJson(kv.shape)}`);
    k = kv.values[0]!;
  } else k = low.aInt(n, 'k', -1);
  const size = x.shape[a];
  if (size === null || size === undefined) return low.fail(n, `the axis ${a} size of ${fmt(x.shape)} must be known; pass inputShape`);
  if (!Number.isSafeInteger(k) || k < 1 || k > size) low.fail(n, `K ${k} must be from 1 to the axis size ${size}`);
  const largest = low.aInt(n, 'largest', 1);
  if (largest !== 0 && largest !== 1) low.fail(n, `largest ${largest} must be 0 or 1`);
  const sorted = low.aInt(n, 'sorted', 1);
  if (sorted !== 0 && sorted !== 1) low.fail(n, `sorted ${sorted} must be 0 or 1`);
  // sorted=0 leaves the order unspecified: sorted output is one valid order.
  const last = p === r - 1;
  let t = x.tf;
  if (!last) t = low.emit('Transpose', `${n.name}/to_last`, [t, ints(low, n, 'perm', toLast(r, p))]);
  if (!largest) t = low.emit('Neg', `${n.name}/neg`, [t]);
  const top = low.emit('TopKV2', `${n.name}/topk`, [t, low.constNode(`${n.name}/k`, [k], [], true)], { sorted: { b: true } });
  let vals = top;
  let idx = `${top}:1`;
  if (!largest) vals = low.emit('Neg', `${n.name}/values_neg`, [vals]);
  if (!last) {
    const back = fromLast(r, p);
    vals = low.emit('Transpose', `${n.name}/values`, [vals, ints(low, n, 'perm', back)]);
    idx = low.emit('Transpose', `${n.name}/indices`, [idx, ints(low, n, 'perm', back)]);
  } else {
    vals = low.emit('Identity', `${n.name}/values`, [vals]);
    idx = low.emit('Identity', `${n.name}/indices`, [idx]);
  }
  const shape = x.shape.map((d, i) => (i === a ? k : d));
  low.setSym(n, 0, vals, shape);
  low.setSym(n, 1, idx, shape);
};

/** ONNX TensorProto element types and the TF type each casts to. */
const CAST_TO: Record<number, string> = { 1: 'DT_FLOAT', 10: 'DT_FLOAT', 11: 'DT_FLOAT', 6: 'DT_INT32', 7: 'DT_INT32', 3: 'DT_INT32', 5: 'DT_INT32', 4: 'DT_INT32', 12: 'DT_INT32', 2: 'DT_UINT8', 9: 'DT_BOOL' };

const Cast: Handler = (low, n) => {
  const x = plainSym(low, n, 0);
  const to = low.aInt(n, 'to', -1);
  const dt = CAST_TO[to];
  if (!dt) low.fail(n, `cast to element type ${to} is not supported (float, float16, double, int8..int64, uint8..uint32, bool are)`);
  low.setSym(n, 0, low.emit('Cast', outName(n), [x.tf], { DstT: { type: dt } }), x.shape);
};

const Gather: Handler = (low, n) => {
  const data = low.get(n, 0);
  const ix = low.get(n, 1);
  const r = data.shape.length;
  const a = normAxis(low, n, low.aInt(n, 'axis', 0), r);
  const q = ix.shape.length;
  const outRank = r - 1 + q;
  const shape: Dim[] = [...data.shape.slice(0, a), ...ix.shape, ...data.shape.slice(a + 1)];
  let params: string;
  let have: number[];
  let indices: string;
  if (data.kind === 'sym') {
    if (data.chw) low.fail(n, `input 0 is a flattened CHW map ${fmt(data.shape)}; not supported here`);
    if (a === 0) low.fail(n, 'gathering along the batch axis is not supported');
    if (ix.kind === 'sym') return low.fail(n, 'indices computed from the model input need constant data to gather from');
    if (q > 0 && outRank === 4 && r !== 4) low.fail(n, 'a gather that makes a rank-4 map from another rank is not supported');
    const size = data.shape[a];
    if (size === null || size === undefined) return low.fail(n, `the axis ${a} size of ${fmt(data.shape)} must be known; pass inputShape`);
    const vals = ix.values.map((v) => (v < 0 ? v + size : v));
    if (vals.some((v) => !Number.isInteger(v) || v < 0 || v >= size)) low.fail(n, `indices ${formatJson([...ix.values].slice(0, 8))} fall outside the axis size ${size}`);
    indices = low.constNode(`${n.name}/indices`, vals, ix.shape as number[], true);
    params = data.tf;
    const lay = layout(r);
    const p = lay.indexOf(a);
    // TF result axes: the params axes before p, the indices axes, the params axes after p (as ONNX output axes).
    const mapAx = (o: number) => (o < a ? o : o + q - 1);
    have = [...lay.slice(0, p).map(mapAx), ...[...Array(q).keys()].map((j) => a + j), ...lay.slice(p + 1).map(mapAx)];
  } else {
    // Constant data (class labels, a table) indexed by a computed tensor: along axis 0 only, so the batch comes from the indices.
    const is = plainSym(low, n, 1);
    if (a !== 0) low.fail(n, 'gathering from a constant by computed indices is supported along axis 0 only');
    if (r !== 1 && outRank === 4) low.fail(n, 'a gather from a constant table that makes a rank-4 map is not supported');
    const size = data.shape[0]!;
    params = low.constNode(`${n.name}/params`, data.values, data.shape);
    // ONNX indices may be negative (from the end): floor-mod by the axis size puts them in range.
    indices = low.emit('FloorMod', `${n.name}/wrap`, [is.tf, low.constNode(`${n.name}/size`, [size], [], true)]);
    have = [...layout(q), ...[...Array(r - 1).keys()].map((j) => q + j)];
  }
  const tf = low.emit('GatherV2', `${n.name}/gather`, [params, indices, low.constNode(`${n.name}/axis`, [data.kind === 'sym' ? layout(r).indexOf(a) : 0], [], true)]);
  if (outRank === 0) low.fail(n, 'a scalar result is not supported');
  low.setSym(n, 0, relayout(low, n, tf, have, outName(n)), shape);
};

/** Softmax / LogSoftmax: one axis from opset 13, the flattened tail from `axis` before. */
const softmax = (log: boolean): Handler => (low, n) => {
  const x = plainSym(low, n, 0);
  const r = x.shape.length;
  const [a, p] = featureAxis(low, n, x, low.opset >= 13 ? -1 : 1);
  const name = outName(n);
  const finish = (t: string) => (log ? low.emit('Log', name, [t]) : low.emit('Identity', name, [t]));
  // A softmax over one axis: moved last and back where it is not the TF last axis.
  const oneAxis = (ax: number): string => {
    if (ax === r - 1) return finish(low.emit('Softmax', `${n.name}/softmax`, [x.tf]));
    let t = low.emit('Transpose', `${n.name}/to_last`, [x.tf, ints(low, n, 'perm', toLast(r, ax))]);
    t = low.emit('Softmax', `${n.name}/softmax`, [t]);
    return finish(low.emit('Transpose', `${n.name}/back`, [t, ints(low, n, 'perm', fromLast(r, ax))]));
  };
  const tail = x.shape.slice(a);
  const big = [...tail.keys()].filter((i) => tail[i] !== 1);
  if (low.opset >= 13 || a === r - 1) return void low.setSym(n, 0, oneAxis(p), x.shape);
  // Before opset 13: a softmax over the flattened axes a..r-1; one of them larger than 1 is a one-axis softmax.
  if (big.length <= 1) return void low.setSym(n, 0, oneAxis(layout(r).indexOf(a + (big[0] ?? tail.length - 1))), x.shape);
  if (tail.some((d) => d === null) || x.shape.slice(1).some((d) => d === null)) low.fail(n, `a softmax over the flattened axes ${a}.. of ${fmt(x.shape)} needs known sizes; pass inputShape`);
  let t = x.tf;
  if (r === 4) t = low.emit('Transpose', `${n.name}/to_onnx`, [x.tf, ints(low, n, 'perm', [0, 3, 1, 2])]);
  const flat = (tail as number[]).reduce((u, v) => u * v, 1);
  t = low.emit('Reshape', `${n.name}/flatten`, [t, ints(low, n, 'shape', [-1, ...(x.shape.slice(1, a) as number[]), flat])]);
  t = low.emit('Softmax', `${n.name}/softmax`, [t]);
  t = low.emit('Reshape', `${n.name}/unflatten`, [t, ints(low, n, 'shape', [-1, ...(x.shape.slice(1) as number[])])]);
  if (r === 4) t = low.emit('Transpose', `${n.name}/to_nhwc`, [t, ints(low, n, 'perm', [0, 2, 3, 1])]);
  low.setSym(n, 0, finish(t), x.shape);
};

const unaryOp = (op: string): Handler => (low, n) => {
  const x = plainSym(low, n, 0);
  low.setSym(n, 0, low.emit(op, outName(n), [x.tf]), x.shape);
};

/** ONNX post-processing handlers, keyed by op type (convert.ts lets them take over the ops they extend). */
export const POSTPROCESS_OPS: Record<string, Handler> = {
  ArgMax: /* @__PURE__ */ argOp('ArgMax'),
  ArgMin: /* @__PURE__ */ argOp('ArgMin'),
  TopK,
  Cast,
  Gather,
  ReduceMean: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
  ReduceSum: reduce,
  ReduceProd: reduce,
  Where: /* @__PURE__ */ elementwise('SelectV2'),
  Equal: /* @__PURE__ */ elementwise('Equal'),
  Greater: /* @__PURE__ */ elementwise('Greater'),
  Less: /* @__PURE__ */ elementwise('Less'),
  GreaterOrEqual: /* @__PURE__ */ elementwise('GreaterEqual'),
  LessOrEqual: /* @__PURE__ */ elementwise('LessEqual'),
  And: /* @__PURE__ */ elementwise('LogicalAnd'),
  Or: /* @__PURE__ */ elementwise('LogicalOr'),
  Xor: /* @__PURE__ */ elementwise('NotEqual'),
  Not: /* @__PURE__ */ unaryOp('LogicalNot'),
  Pow: /* @__PURE__ */ elementwise('Pow'),
  Add: /* @__PURE__ */ arith('AddV2'),
  Sub: /* @__PURE__ */ arith('Sub'),
  Mul: /* @__PURE__ */ arith('Mul'),
  Div: /* @__PURE__ */ arith('RealDiv'),
  Max: /* @__PURE__ */ variadic('Maximum'),
  Min: /* @__PURE__ */ variadic('Minimum'),
  Softmax: /* @__PURE__ */ softmax(false),
  LogSoftmax: /* @__PURE__ */ softmax(true),
};
