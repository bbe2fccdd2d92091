// The one registry of TF graph ops sepconv imports: every family's table, merged. The importer
// dispatches through it, SUPPORTED_GRAPH_OPS lists its names, and scripts/gen-ops.mjs writes the
// op list in docs/ops.md from it.
import type { OpDef, OpTable } from './context.js';
import { CONV_OPS } from './conv.js';
import { LAYOUT_IMAGE_OPS } from './layout-image.js';
import { MATH_OPS } from './math.js';
import { POOL_OPS } from './pool.js';
import { POSTPROCESS_OPS } from './postprocess.js';
import { SHAPE_OPS } from './shape.js';

/** One supported op: its name, family and one-line description. */
export interface GraphOpInfo {
  name: string;
  family: string;
  doc: string;
}

const FAMILIES: [string, OpTable][] = [
  ['conv', CONV_OPS],
  ['math', MATH_OPS],
  ['pool', POOL_OPS],
  ['shape', SHAPE_OPS],
  // Before postprocess: the first family's run wins, so ResizeBilinear / ResizeNearestNeighbor run on the
  // wasm resize kernel (postprocess adds its constant folding).
  ['layout-image', LAYOUT_IMAGE_OPS],
  ['postprocess', POSTPROCESS_OPS],
];

const table = /* @__PURE__ */ buildTable();

function buildTable(): Map<string, OpDef & GraphOpInfo> {
  const t = new Map<string, OpDef & GraphOpInfo>();
  for (const [family, ops] of FAMILIES) {
    for (const [name, def] of Object.entries(ops)) {
      // An op a family maps to layers keeps that family; the post-processing one fills in what it lacks
      // (running on the host what the layers cannot express, folding constants of any rank).
      const had = t.get(name);
      t.set(name, had ? { ...had, run: had.run ?? def.run, fold: had.fold ?? def.fold } : { ...def, name, family });
    }
  }
  return t;
}

/** The definition of `op`, or undefined when sepconv does not import it. */
export function graphOp(op: string): (OpDef & GraphOpInfo) | undefined {
  return table.get(op);
}

/** Every supported op with its family and description, in family order. */
export const GRAPH_OP_REGISTRY: readonly GraphOpInfo[] = /* @__PURE__ */ [...table.values()].map(({ name, family, doc }) => ({ name, family, doc }));
