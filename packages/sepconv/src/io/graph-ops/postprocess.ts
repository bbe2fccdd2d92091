// Post-processing ops (ArgMax, TopKV2, GatherV2 / GatherNd, comparisons, FloorDiv, Where-free
// selects, reductions, shape / slice / join ops on any axis, elementwise math of computed tensors):
// run in TypeScript on small tensors (ops/host/) as HostOp layers inside the model's plan, and
// evaluated at load time when every input is a constant. The other families hand over to this one
// what a layer cannot express (`hostFallback`, `shapeFallback`, `reduceFallback`).
import { HOST_OPS } from '../../ops/host/index.js';
import { attrType, type GraphNode } from './attrs.js';
import type { GraphContext, OpDef, OpTable, Value } from './context.js';
import { gatherV2, splitOp } from './channel-gather.js';
import { dtypeOf, emitHost, foldHost } from './host-emit.js';

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


const doc: Record<string, string> = {
  ArgMax: 'index of the largest value along an axis (int32)',
  ArgMin: 'index of the smallest value along an axis (int32)',
  TopKV2: 'k largest values of the last axis and their indices, sorted',
  GatherV2: 'gather along any axis, batch_dims; constant indices on the channel axis of a layer tensor run as a wasm channel gather',
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
  Split: 'equal pieces along an axis; the channel axis of a layer tensor runs as wasm channel gathers',
  SplitV: 'pieces of given sizes along an axis (one -1); the channel axis of a layer tensor runs as wasm channel gathers',
  Slice: 'begin and size per axis (-1: the rest)',
  Size: 'element count (int32)',
  ResizeBilinear: 'bilinear resize of NHWC images, align_corners / half_pixel_centers (TypeScript)',
  ResizeNearestNeighbor: 'nearest-neighbour resize of NHWC images, align_corners / half_pixel_centers (TypeScript)',
};

/** The post-processing family: host-only ops; the shared ones (Add, Reshape, ...) keep their family and fall back here. */
export const POSTPROCESS_OPS: OpTable = /* @__PURE__ */ postprocessOps();

function postprocessOps(): OpTable {
  const ops = Object.keys(HOST_OPS).filter((op) => !['Identity', 'StopGradient'].includes(op));
  return {
    ...Object.fromEntries(ops.map((op): [string, OpDef] => [op, { doc: doc[op] ?? `${op} (elementwise)`, run: emitHost, fold: foldHost }])),
    Cast: { doc: doc.Cast!, run: castOp, fold: foldHost },
    GatherV2: { doc: doc.GatherV2!, run: gatherV2, fold: foldHost },
    Split: { doc: doc.Split!, run: splitOp(false), fold: foldHost },
    SplitV: { doc: doc.SplitV!, run: splitOp(true), fold: foldHost },
  };
}
