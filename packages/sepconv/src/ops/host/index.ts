// The host ops by TF op name (see core.ts): what the graph importer runs in TypeScript on small
// post-processing tensors.
import type { HostOpDef } from './core.js';
import { addN, BINARY, binaryOp, cast, selectOp, UNARY, unaryOp } from './elementwise.js';
import { gatherNd, gatherV2 } from './gather.js';
import { resizeOp } from './image.js';
import { argOp, reduceOp, softmaxLast, topK } from './reduce.js';
import { broadcastTo, concat, expandDims, fill, identity, pack, range, reshape, shapeOp, sizeOp, slice, split, splitV, squeeze, stridedSlice, tile, transpose, unpack } from './shape.js';

export { HostOpError, type HostArg, type HostArray, type HostAttrs, type HostDType, type HostOut, type PreparedHostOp, type HostOpDef } from './core.js';

/** Every host op by TF op name. */
export const HOST_OPS: Record<string, HostOpDef> = /* @__PURE__ */ hostOps();

// Built by a (pure) call so that bundles of apps that never import a graph model drop the table.
function hostOps(): Record<string, HostOpDef> {
  return {
  ...Object.fromEntries(Object.keys(BINARY).map((op) => [op, binaryOp(op)])),
  ...Object.fromEntries(Object.keys(UNARY).map((op) => [op, unaryOp(op)])),
  ...Object.fromEntries(['Sum', 'Mean', 'Prod', 'Max', 'Min', 'All', 'Any'].map((op) => [op, reduceOp(op)])),
  AddN: addN,
  Cast: cast,
  Select: selectOp(false),
  SelectV2: selectOp(true),
  ArgMax: argOp(true),
  ArgMin: argOp(false),
  TopKV2: topK,
  Softmax: softmaxLast,
  GatherV2: gatherV2,
  GatherNd: gatherNd,
  Reshape: reshape,
  Squeeze: squeeze,
  ExpandDims: expandDims,
  Transpose: transpose,
  Tile: tile,
  BroadcastTo: broadcastTo,
  Fill: fill,
  Range: range,
  Pack: pack,
  Unpack: unpack,
  ConcatV2: concat,
  Split: split,
  SplitV: splitV,
  Slice: slice,
  StridedSlice: stridedSlice,
  Shape: shapeOp,
  Size: sizeOp,
  Identity: identity,
  ResizeBilinear: resizeOp(true),
  ResizeNearestNeighbor: resizeOp(false),
  };
}
