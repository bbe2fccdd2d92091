// Emitting graph nodes as host (post-processing) ops: their attrs read from the node, prepared on
// their inputs' shapes and dtypes, then either evaluated on constants at load (`foldHost`) or emitted
// as one HostOp layer per output (`emitHost`). The op families hand the nodes a layer cannot express here.
import { formatJson } from '../../errors.js';
import { HOST_OPS, HostOpError, type HostArg, type HostAttrs, type HostDType, type PreparedHostOp } from '../../ops/host/index.js';
import { attrB, attrI, attrInts, attrType, type GraphNode } from './attrs.js';
import { dataInputRefs, type Const, type GraphContext, type Sym, type Value } from './context.js';

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

export const dtypeOf = (v: Value): HostDType => v.dtype ?? 'float32';

/** Evaluates a host op on constants: its first output (later ones set as `name:k`). */
export function foldHost(c: GraphContext, n: GraphNode, ins: Const[]): Const {
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
export function emitHost(c: GraphContext, n: GraphNode): Value {
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

