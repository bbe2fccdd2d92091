// Post-processing ops (ArgMax, TopKV2, GatherV2 / GatherNd, comparisons, FloorDiv, Where-free
// selects, reductions, shape / slice / join ops on any axis, elementwise math of computed tensors):
// run in TypeScript on small tensors (ops/host/) as HostOp layers inside the model's plan, and
// evaluated at load time when every input is a constant. The other families hand over to this one
// what a layer cannot express (`hostFallback`, `shapeFallback`, `reduceFallback`).
import { formatJson } from '../../errors.js';
import { HOST_OPS, HostOpError, type HostArg, type HostAttrs, type HostDType, type PreparedHostOp } from '../../ops/host/index.js';
import { attrB, attrI, attrInts, attrType, type GraphNode } from './attrs.js';
import { dataInputRefs, type Const, type GraphContext, type OpDef, type OpTable, type Sym, type Value } from './context.js';
import { hostFallback } from './math.js';
import { reduceFallback } from './pool.js';
import { shapeFallback } from './shape.js';

/** The attrs each host op reads, from the node (checked here: a bad one is a ModelFormatError naming the node). */
function attrsOf(n: GraphNode): HostAttrs {
  switch (n.op) {
    case 'Cast':
      return { to: attrType(n, 'DstT', 'float32') };
    case 'Sum':
    case 'Mean':
    case 'Prod':
    case 'Max':
    case 'Min':
    case 'All':
    case 'Any':
      return { keepDims: attrB(n, 'keep_dims') };
    case 'GatherV2':
      return { batchDims: attrI(n, 'batch_dims', 0) };
    case 'Squeeze':
      return { squeezeDims: attrInts(n, 'squeeze_dims') ?? [] };
    case 'Pack':
    case 'Unpack':
      return { axis: attrI(n, 'axis', 0), ...(n.op === 'Unpack' ? { num: attrI(n, 'num', -1) } : {}) };
    case 'Split':
      return { numSplit: attrI(n, 'num_split', 1) };
    case 'StridedSlice':
      return {
        beginMask: attrI(n, 'begin_mask', 0),
        endMask: attrI(n, 'end_mask', 0),
        ellipsisMask: attrI(n, 'ellipsis_mask', 0),
        newAxisMask: attrI(n, 'new_axis_mask', 0),
        shrinkAxisMask: attrI(n, 'shrink_axis_mask', 0),
      };
    case 'ResizeBilinear':
    case 'ResizeNearestNeighbor':
      return { alignCorners: attrB(n, 'align_corners'), halfPixelCenters: attrB(n, 'half_pixel_centers') };
    default:
      return {};
  }
}

/** Unpack's -1 "num" means the axis size. */
function cleanAttrs(a: HostAttrs): HostAttrs {
  if (a.num === -1) delete a.num;
  return a;
}

/** The op prepared for its inputs, or a ModelFormatError naming the node. */
function prepare(c: GraphContext, n: GraphNode, args: HostArg[], attrs: HostAttrs): PreparedHostOp {
  try {
    return HOST_OPS[n.op]!(args, attrs);
  } catch (e) {
    if (e instanceof HostOpError) return c.fail(n, e.message);
    throw e;
  }
}

const dtypeOf = (v: Value): HostDType => v.dtype ?? 'float32';

/** Evaluates a host op on constants: its first output (later ones set as `name:k`). */
function foldHost(c: GraphContext, n: GraphNode, ins: Const[]): Const {
  const attrs = cleanAttrs(attrsOf(n));
  const p = prepare(
    c,
    n,
    ins.map((k) => ({ shape: k.shape, dtype: dtypeOf(k), value: k.values })),
    attrs,
  );
  const outs = p.outs.map((o) => {
    const size = o.shape.reduce((a, b) => a * b, 1);
    c.charge(n, size);
    return new Float64Array(size);
  });
  p.run(
    ins.map((k) => k.values),
    outs,
  );
  const consts: Const[] = p.outs.map((o, k) => ({ kind: 'const', shape: o.shape, values: outs[k]!, ...(o.dtype !== 'float32' ? { dtype: o.dtype } : {}) }));
  consts.forEach((k, i) => i > 0 && c.values.set(`${n.name}:${i}`, k));
  return consts[0] ?? c.fail(n, 'has no outputs');
}

/** Emits a host op on computed tensors: one HostOp layer per output (later ones set as `name:k`). */
function emitHost(c: GraphContext, n: GraphNode): Value {
  if (!Object.hasOwn(HOST_OPS, n.op)) return c.fail(n, 'not supported here');
  const vals = dataInputRefs(n).map((_, i) => c.get(n, i));
  const attrs = cleanAttrs(attrsOf(n));
  const args: HostArg[] = vals.map((v, i) => {
    if (v.kind === 'const') return { shape: v.shape, dtype: dtypeOf(v), value: v.values };
    if (v.shape.some((d) => d === null)) c.fail(n, `input ${i} has open sizes ${formatJson(v.shape)}; post-processing ops need them known (pass inputShape)`);
    return { shape: v.full ? (v.shape as number[]) : [1, ...(v.shape as number[])], dtype: dtypeOf(v) };
  });
  const p = prepare(c, n, args, attrs);
  const syms: Sym[] = [];
  const spec = vals.map((v) => {
    if (v.kind === 'const') {
      c.charge(n, v.values.length);
      return { shape: v.shape, dtype: dtypeOf(v), values: Array.from(v.values) };
    }
    syms.push(v);
    return { input: syms.length - 1, full: Boolean(v.full), dtype: dtypeOf(v) };
  });
  const outs = p.outs.map((o, k) => {
    const node = k === 0 ? n : { ...n, name: `${n.name}:${k}` };
    const s = c.addLayer(node, 'HostOp', { op: n.op, attrs, args: spec, output: k, out_shape: o.shape }, syms, o.shape);
    return { ...s, full: true, ...(o.dtype !== 'float32' ? { dtype: o.dtype } : {}) } as Sym;
  });
  outs.forEach((s, k) => k > 0 && c.values.set(`${n.name}:${k}`, s));
  return outs[0] ?? c.fail(n, 'has no outputs');
}

/** Cast: a float cast of a layer tensor passes it through; casts to int32 / uint8 / bool run on the host. */
function castOp(c: GraphContext, n: GraphNode): Value {
  const x = c.get(n, 0);
  const to = attrType(n, 'DstT', 'float32');
  if (x.kind === 'sym' && !x.full && to === 'float32') {
    const { dtype: _d, ...rest } = x;
    return rest;
  }
  if (x.kind === 'sym' && !x.full && to === dtypeOf(x)) return x;
  return emitHost(c, n);
}

hostFallback.run = emitHost;
shapeFallback.run = emitHost;
shapeFallback.fold = foldHost;
reduceFallback.run = emitHost;

/** The host fold for families whose own folding handles only the simple cases. */
export { foldHost, emitHost };

const doc: Record<string, string> = {
  ArgMax: 'index of the largest value along an axis (int32)',
  ArgMin: 'index of the smallest value along an axis (int32)',
  TopKV2: 'k largest values of the last axis and their indices, sorted',
  GatherV2: 'gather along any axis, batch_dims',
  GatherNd: 'gather by index tuples',
  Cast: 'dtype cast: float32, int32, uint8, bool (float -> int truncates)',
  Equal: 'a == b (bool), broadcast',
  NotEqual: 'a != b (bool), broadcast',
  Greater: 'a > b (bool), broadcast',
  GreaterEqual: 'a >= b (bool), broadcast',
  Less: 'a < b (bool), broadcast',
  LessEqual: 'a <= b (bool), broadcast',
  LogicalAnd: 'a && b (bool), broadcast',
  LogicalOr: 'a || b (bool), broadcast',
  LogicalNot: '!a (bool)',
  Select: 'cond ? a : b (a rank-1 cond picks rows)',
  SelectV2: 'cond ? a : b, broadcast',
  FloorDiv: 'floor(a / b), broadcast',
  FloorMod: 'a - floor(a / b) * b (sign of b), broadcast',
  DivNoNan: 'a / b, 0 where b is 0',
  Div: 'a / b (integer division truncates)',
  SquaredDifference: '(a - b)^2, broadcast',
  Pow: 'a^b, broadcast',
  Atan2: 'atan2(a, b), broadcast',
  Sum: 'sum over any axes, keep_dims',
  Prod: 'product over any axes, keep_dims',
  Max: 'max over any axes, keep_dims',
  Min: 'min over any axes, keep_dims',
  All: 'logical and over any axes, keep_dims',
  Any: 'logical or over any axes, keep_dims',
  Transpose: 'any permutation',
  Tile: 'repeat along every axis',
  BroadcastTo: 'numpy broadcast to a shape',
  Fill: 'a tensor of one value',
  Range: 'start, start + delta, ... below limit',
  Unpack: 'split into slices along an axis, dropping it',
  Split: 'equal pieces along an axis',
  SplitV: 'pieces of given sizes along an axis (one -1)',
  Slice: 'begin and size per axis (-1: the rest)',
  Size: 'element count (int32)',
  ResizeBilinear: 'bilinear resize of NHWC images, align_corners / half_pixel_centers (TypeScript)',
  ResizeNearestNeighbor: 'nearest-neighbour resize of NHWC images, align_corners / half_pixel_centers (TypeScript)',
};

const POST_ONLY = Object.keys(HOST_OPS).filter((op) => !['Identity', 'StopGradient'].includes(op));

/** The post-processing family: host-only ops; the shared ones (Add, Reshape, ...) keep their family and fall back here. */
export const POSTPROCESS_OPS: OpTable = {
  ...Object.fromEntries(POST_ONLY.map((op): [string, OpDef] => [op, { doc: doc[op] ?? `${op} (elementwise)`, run: emitHost, fold: foldHost }])),
  Cast: { doc: doc.Cast!, run: castOp, fold: foldHost },
};
