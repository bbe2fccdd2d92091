// Graph inputs, constants and shape / slice / join ops: Const, Placeholder, Identity, Shape, Cast,
// Reshape / Squeeze / ExpandDims (layers on computed tensors, folded on constants), the 1-D shape
// arithmetic of Keras Flatten / Reshape exports (StridedSlice, Pack, ConcatV2 of constants),
// channel concatenation and zero padding.
import { formatJson } from '../../errors.js';
import { elementCount, isDim, MAX_DIM, MAX_ELEMENTS } from '../../tensor/limits.js';
import { channelConcatShape, isOpen, plusDim, prod, type Dim } from '../keras-config.js';
import { attrI, attrInts, type GraphNode } from './attrs.js';
import { dataInputs, type Const, type GraphContext, type OpTable, type Sym, type Value } from './context.js';
import { emitHost, foldHost } from './host-emit.js';

/** Hook for shape ops a layer cannot express (set by the post-processing family): runs them on the host. */
const shapeFallback: { run?: (c: GraphContext, n: GraphNode) => Value; fold?: (c: GraphContext, n: GraphNode, ins: Const[]) => Const } = { run: emitHost, fold: foldHost };
const host = (c: GraphContext, n: GraphNode, msg: string): Value => (shapeFallback.run ? shapeFallback.run(c, n) : c.fail(n, msg));

function constNode(c: GraphContext, n: GraphNode): Value {
  const w = c.consts.get(n.name);
  const t = n.attr?.value?.tensor;
  const dtype = n.attr?.dtype?.type === 'DT_INT32' || n.attr?.dtype?.type === 'DT_INT64' ? 'int32' : n.attr?.dtype?.type === 'DT_BOOL' ? 'bool' : undefined;
  if (w) return { kind: 'const', shape: w.shape, values: Float64Array.from(w.values), ...(dtype ? { dtype } : {}) };
  if (t && (t.floatVal || t.intVal || t.boolVal)) {
    // An inline tensor: its listed values, the last repeated to fill the shape (TensorFlow's rule).
    // Checked and charged to the budget before anything of its size is allocated.
    const listed = t.floatVal ?? t.intVal ?? t.boolVal;
    const dims = t.tensorShape?.dim ?? [];
    if (!Array.isArray(listed) || !Array.isArray(dims)) c.fail(n, 'floatVal / intVal and tensorShape.dim must be lists');
    const shape = dims.map((d: any) => Number(d?.size ?? 0));
    const size = c.checkedShape(n, shape, 'shape');
    if (size > MAX_ELEMENTS) c.fail(n, `shape ${formatJson(shape)} has more than 2**30 - 1 values`);
    if (listed.length > size && size > 0) c.fail(n, `${listed.length} values for shape ${formatJson(shape)}`);
    if (size > 0 && listed.length === 0) c.fail(n, `no values for shape ${formatJson(shape)}`);
    c.charge(n, Math.max(0, size - listed.length));
    const vals = new Float64Array(size);
    for (let i = 0; i < listed.length && i < size; i++) vals[i] = Number(listed[i]);
    if (listed.length < size) vals.fill(Number(listed[listed.length - 1]), listed.length);
    return { kind: 'const', shape, values: vals, ...(dtype ? { dtype } : {}) };
  }
  return c.fail(n, 'no value in the weight shards');
}

function placeholder(c: GraphContext, n: GraphNode): Value {
  const dims: number[] = (n.attr?.shape?.shape?.dim ?? []).map((d: any) => Number(d.size));
  // -1 is an open size: fine anywhere but the channels, which the weights need.
  let shape: Dim[] = dims.slice(1).map((d) => (d === -1 ? null : d));
  if (c.opts.inputShape) shape = [...c.opts.inputShape];
  if (shape.length === 0 || shape.length > 64 || shape[shape.length - 1] === null || !shape.every((d) => d === null || isDim(d, 1))) {
    c.fail(n, `input shape ${formatJson(dims)} has unknown channels or sizes that are not positive integers; pass inputShape`);
  }
  const name = c.layerName(n.name);
  c.layers.push({ className: 'InputLayer', name, config: { name, batch_input_shape: [null, ...shape] }, inputs: [] });
  const t = n.attr?.dtype?.type;
  const dtype = t === 'DT_INT32' ? 'int32' : t === 'DT_UINT8' ? 'uint8' : t === 'DT_BOOL' ? 'bool' : undefined;
  return { kind: 'sym', layer: name, shape, ...(dtype ? { dtype } : {}) };
}

function shapeOp(c: GraphContext, n: GraphNode): Value {
  // Static shapes (the plan is per input shape): a layer tensor's batch dimension reads as 1.
  const x = c.get(n, 0) as Sym;
  if (isOpen(x.shape)) c.fail(n, `the shape of a tensor with open sizes ${formatJson(x.shape)} is known only at predict time; pass inputShape`);
  const full = x.full ? (x.shape as number[]) : [1, ...(x.shape as number[])];
  return { kind: 'const', shape: [full.length], values: Float64Array.from(full), dtype: 'int32' };
}

function reshapeFold(c: GraphContext, n: GraphNode, [a, s]: Const[]): Const {
  if (!s) c.fail(n, 'needs 2 inputs, got 1');
  const t = [...s!.values];
  const known = t.filter((d) => d !== -1);
  if (t.length > 64 || t.filter((d) => d === -1).length > 1 || !known.every((d) => isDim(d))) c.fail(n, `a reshape target of integers from 0 to ${MAX_DIM} and at most one -1, got ${formatJson(t)}`);
  const k = elementCount(known);
  const u = t.indexOf(-1);
  if (u >= 0 && k > 0 && a!.values.length % k === 0) t[u] = a!.values.length / k;
  if (t.includes(-1) || elementCount(t) !== a!.values.length) c.fail(n, `cannot reshape a constant of ${a!.values.length} values to ${formatJson(t)}`);
  return { ...a!, shape: t };
}

function reshape(c: GraphContext, n: GraphNode): Value {
  const v = c.get(n, 0);
  if (v.kind === 'sym' && v.full) return host(c, n, 'not supported here');
  const x = c.symOf(n, 0);
  if (isOpen(x.shape)) c.fail(n, `reshaping a tensor with open sizes ${formatJson(x.shape)} needs them known; pass inputShape`);
  let target: number[];
  if (n.op === 'Reshape') {
    const t = [...c.constOf(n, 1).values];
    if (t.length < 1 || (t[0] !== -1 && t[0] !== 1)) return host(c, n, `a reshape that keeps the batch dimension, got ${formatJson(t)}`);
    if (t.length > 64 || t.filter((d) => d === -1).length > 2 || !t.every((d) => d === -1 || isDim(d))) c.fail(n, `a reshape target of integers from 0 to ${MAX_DIM} (one -1), got ${formatJson(t)}`);
    target = t.slice(1);
    const known = prod(target.filter((d) => d !== -1));
    const u = target.indexOf(-1);
    if (u >= 0) target[u] = prod(x.shape) / known;
  } else {
    const dims = attrInts(n, 'squeeze_dims') ?? [];
    const drop = new Set(dims.map((d) => (d < 0 ? d + x.shape.length + 1 : d) - 1));
    if (dims.includes(0)) return host(c, n, 'squeezing the batch dimension is not supported');
    target = (x.shape as number[]).filter((d, i) => (drop.size ? !drop.has(i) : d !== 1));
  }
  if (prod(target) !== prod(x.shape)) c.fail(n, `cannot reshape ${formatJson(x.shape)} to ${formatJson(target)}`);
  return c.addLayer(n, 'Reshape', { target_shape: target }, [x], target);
}

function expandDims(c: GraphContext, n: GraphNode): Value {
  const v = c.get(n, 0);
  if (v.kind === 'sym' && v.full) return host(c, n, 'not supported here');
  const x = c.symOf(n, 0);
  let axis = c.checkAxis(n, c.constOf(n, 1).values[0], -x.shape.length - 2, x.shape.length + 1);
  if (axis < 0) axis += x.shape.length + 2;
  if (axis < 1) return host(c, n, 'expanding the batch dimension is not supported');
  const target = [...x.shape];
  target.splice(axis - 1, 0, 1);
  return c.addLayer(n, 'Reshape', { target_shape: target }, [x], target);
}

/** Pack / ConcatV2 of 1-D constants (shape arithmetic). */
function join1d(c: GraphContext, n: GraphNode, ins: Const[]): Const {
  const parts = n.op === 'ConcatV2' ? ins.slice(0, -1) : ins;
  // Stacking tensors of rank >= 1 (or along another axis) and joins of higher ranks: the general host op.
  // Shape vectors (scalars and 1-D pieces) join end to end, as the shape arithmetic of Keras exports writes them.
  const stack = n.op === 'Pack' && parts.length > 0 && parts.every((p) => p.shape.length >= 1 && p.shape.join() === parts[0]!.shape.join()) && !(parts.length === 1 && parts[0]!.shape.length === 0);
  if ((stack || parts.some((p) => p.shape.length > 1) || (n.op === 'Pack' && attrI(n, 'axis', 0) !== 0)) && shapeFallback.fold) return shapeFallback.fold(c, n, ins);
  if (parts.some((p) => p.shape.length > 1)) c.fail(n, 'only 1-D constant shapes can be packed or concatenated');
  const total = parts.reduce((t, p) => t + p.values.length, 0);
  c.charge(n, total);
  const v = new Float64Array(total);
  let o = 0;
  for (const p of parts) {
    v.set(p.values, o);
    o += p.values.length;
  }
  return { kind: 'const', shape: [v.length], values: v, ...(parts[0]?.dtype ? { dtype: parts[0].dtype } : {}) };
}

function stridedSlice1d(c: GraphContext, n: GraphNode, ins: Const[]): Const {
  if (ins.length < 4) c.fail(n, `needs 4 inputs, got ${ins.length}`);
  const a = ins[0]!;
  const masks = ['ellipsis_mask', 'new_axis_mask'].some((k) => attrI(n, k, 0) !== 0);
  if ((a.shape.length !== 1 || ins[1]!.values.length !== 1 || masks) && shapeFallback.fold) return shapeFallback.fold(c, n, ins);
  if (a.shape.length !== 1) c.fail(n, 'only 1-D constant strided slices are supported');
  const [b0, e0, s0] = [1, 2, 3].map((k) => ins[k]!.values[0]);
  const len = a.values.length;
  const [bm, em, shrink] = [attrI(n, 'begin_mask', 0), attrI(n, 'end_mask', 0), attrI(n, 'shrink_axis_mask', 0)];
  // TensorFlow rejects a stride of 0; indices are clamped to the axis as it does.
  if (!Number.isSafeInteger(s0) || s0 === 0) c.fail(n, `stride must be a non-zero integer, got ${formatJson(s0)}`);
  if (!Number.isSafeInteger(b0) || !Number.isSafeInteger(e0)) c.fail(n, `begin and end must be integers, got ${formatJson(b0)} and ${formatJson(e0)}`);
  const step = s0!;
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const norm = (v: number) => (v < 0 ? v + len : v);
  let begin: number;
  let end: number;
  if (shrink & 1) {
    begin = norm(b0!);
    if (begin < 0 || begin >= len) c.fail(n, `index ${b0} is out of range for ${len} values`);
    end = begin + 1;
  } else if (step > 0) {
    begin = bm & 1 ? 0 : clamp(norm(b0!), 0, len);
    end = em & 1 ? len : clamp(norm(e0!), 0, len);
  } else {
    begin = bm & 1 ? len - 1 : clamp(norm(b0!), -1, len - 1);
    end = em & 1 ? -1 : clamp(norm(e0!), -1, len - 1);
  }
  const out: number[] = [];
  // At most len steps: begin and end are within [-1, len] and the step is non-zero.
  for (let k = begin; shrink & 1 || step > 0 ? k < end : k > end; k += shrink & 1 ? 1 : step) out.push(a.values[k]!);
  return { kind: 'const', shape: shrink & 1 ? [] : [out.length], values: Float64Array.from(out), ...(a.dtype ? { dtype: a.dtype } : {}) };
}

function concat(c: GraphContext, n: GraphNode): Value {
  const ins = dataInputs(n);
  const vals = ins.slice(0, -1).map((_, i) => c.get(n, i));
  if (vals.some((v) => v.kind !== 'sym' || v.full)) return host(c, n, 'only concatenation of computed tensors is supported');
  const parts = vals as Sym[];
  const rank = parts[0]!.shape.length;
  let axis = c.checkAxis(n, c.constOf(n, ins.length - 1).values[0], -rank - 1, rank);
  if (axis < 0) axis += rank + 1;
  if (axis !== rank) return host(c, n, `only concatenation along the channel (last) axis is supported, got axis ${axis}`);
  const shape = channelConcatShape(parts.map((p) => p.shape));
  if (!shape) return host(c, n, `inputs ${parts.map((p) => formatJson(p.shape)).join(' and ')} differ outside the channel axis`);
  return c.addLayer(n, 'Concatenate', { axis: -1 }, parts, shape);
}

function pad(c: GraphContext, n: GraphNode): Value {
  const x = c.layerInput(n, 0);
  const p = c.constOf(n, 1);
  if (n.op === 'PadV2' && c.constOf(n, 2).values[0] !== 0) c.fail(n, 'only zero padding is supported');
  const v = p.values;
  if (x.shape.length !== 3 || v.length !== 8 || v[0] || v[1]) c.fail(n, `only padding of an NHWC tensor's height, width and channels is supported, got paddings ${formatJson(Array.from(v))}`);
  c.checkPads(n, v);
  const [h, w, ch] = x.shape as [Dim, Dim, number];
  let y = x;
  if (v[2] || v[3] || v[4] || v[5]) {
    const pads: [[number, number], [number, number]] = [
      [v[2]!, v[3]!],
      [v[4]!, v[5]!],
    ];
    y = c.addLayer(v[6] || v[7] ? { ...n, name: `${n.name}/spatial` } : n, 'ZeroPadding2D', { padding: pads }, [x], [plusDim(h, v[2]! + v[3]!), plusDim(w, v[4]! + v[5]!), ch]);
  }
  if (v[6] || v[7]) {
    // Channel padding (a detector widening a residual): a 1x1 conv with an identity kernel, zeros in the
    // new channels (exact: each output is 1 * x or a sum of zeros).
    const cout = ch + v[6]! + v[7]!;
    if (!isDim(cout) || ch * cout > MAX_ELEMENTS) c.fail(n, `padding ${ch} channels to ${cout} is too large`);
    c.charge(n, ch * cout);
    const k = new Float32Array(ch * cout);
    for (let i = 0; i < ch; i++) k[i * cout + v[6]! + i] = 1;
    y = c.addLayer(n, 'Conv2D', { kernel_size: [1, 1], strides: [1, 1], padding: 'valid', dilation_rate: [1, 1], activation: 'linear', use_bias: false, filters: cout, groups: 1, _kernelShape: [1, 1, ch, cout] }, [y], [y.shape[0]!, y.shape[1]!, cout], { kernel: k });
  }
  return y;
}

const identity = (c: GraphContext, n: GraphNode): Value => c.get(n, 0);
const identityFold = (_c: GraphContext, _n: GraphNode, [a]: Const[]): Const => a!;

/** The graph-input, constant and shape family. */
export const SHAPE_OPS: OpTable = {
  Const: { doc: 'constant (weight shards or inline values)', run: constNode },
  Placeholder: { doc: 'the model input (float32, int32, uint8 or bool)', run: placeholder },
  PlaceholderWithDefault: { doc: 'as Placeholder', run: placeholder },
  Identity: { doc: 'passes its input through', run: identity, fold: identityFold },
  StopGradient: { doc: 'as Identity', run: identity, fold: identityFold },
  NoOp: { doc: 'control dependency only' },
  Shape: { doc: 'static shape, folded to a constant for the planned input size', run: shapeOp, fold: (_c, _n, [a]) => ({ kind: 'const', shape: [a!.shape.length], values: Float64Array.from(a!.shape), dtype: 'int32' }) },
  Reshape: { doc: 'reshape (a layer, or post-processing when it moves the batch axis)', run: reshape, fold: reshapeFold },
  Squeeze: { doc: 'drop size-1 axes', run: reshape, fold: (c, n, ins) => (shapeFallback.fold ? shapeFallback.fold(c, n, ins) : c.fail(n, 'constant folding of this op is not supported')) },
  ExpandDims: { doc: 'insert a size-1 axis', run: expandDims, fold: (c, n, ins) => (shapeFallback.fold ? shapeFallback.fold(c, n, ins) : c.fail(n, 'constant folding of this op is not supported')) },
  StridedSlice: { doc: 'strided slice with begin / end / ellipsis / new-axis / shrink masks', run: (c, n) => host(c, n, 'not supported here'), fold: stridedSlice1d },
  Pack: { doc: 'stack tensors along a new axis', run: (c, n) => host(c, n, 'not supported here'), fold: join1d },
  ConcatV2: { doc: 'concatenation (the channel axis as a layer, any axis on the host)', run: concat, fold: join1d },
  Pad: { doc: 'zero padding of height, width and channels', run: pad },
  PadV2: { doc: 'constant padding (value 0)', run: pad },
};
