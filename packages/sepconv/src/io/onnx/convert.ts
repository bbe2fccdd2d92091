// ONNX ModelProto -> the flat Keras-style graph + weights every importer produces. The ONNX graph
// is walked once in topological order; each op family (conv.ts, activation.ts, elementwise.ts,
// pool.ts, shape.ts) emits NHWC TF-style nodes, constant subgraphs are folded, and io/graph-model.ts
// then lowers those nodes (bias / BN / activation folding, hard-swish and swish patterns) to layers.
import { ModelFormatError, formatJson, formatList } from '../../errors.js';
import { convertGraphModel } from '../graph-model.js';
import type { FlatGraph } from '../keras-config.js';
import { ACTIVATION_OPS } from './activation.js';
import { isIntType, Lowering, OnnxNodeError, type Const, type Dim, type OnnxNode } from './context.js';
import { BatchNormalization, Conv, Gemm, MatMul, type Handler } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { POOL_OPS } from './pool.js';
import { POSTPROCESS_OPS } from './postprocess.js';
import { decodeTensor, int, MAX_DIM, type ExternalReader } from './proto.js';
import { IMAGE_OPS } from './image.js';
import { LAYOUT_OPS } from './layout.js';
import { FOLD, SHAPE_OPS } from './shape.js';

// Built by (pure) calls so that bundles of apps that never import ONNX drop the tables.
const HANDLERS: Record<string, Handler> = /* @__PURE__ */ Object.assign({ Conv, BatchNormalization, Gemm, MatMul }, ACTIVATION_OPS, ELEMENTWISE_OPS, POOL_OPS, SHAPE_OPS, IMAGE_OPS, LAYOUT_OPS, POSTPROCESS_OPS);

/** Ops only folded on constants (shape subgraphs), never run on tensors. */
const CONST_ONLY = ['Gather', 'Slice', 'Cast', 'Sqrt', 'Reciprocal', 'Neg', 'ConstantOfShape', 'Floor', 'Ceil', 'QuantizeLinear', 'DequantizeLinear'];

/** The ONNX ops (default domain) sepconv imports, opsets 7 and later. */
export const SUPPORTED_ONNX_OPS: readonly string[] = /* @__PURE__ */ Array.from(/* @__PURE__ */ new Set([...Object.keys(HANDLERS), ...CONST_ONLY, 'Constant'])).sort();
/** The oldest default-domain opset sepconv imports. */
export const MIN_OPSET = 7;
/** The newest default-domain opset whose op definitions sepconv follows (24-28 changed only the element types of the ops it imports: onnx 1.23.2 schemas). */
export const MAX_OPSET = 28;

/** An ONNX model lowered to sepconv's flat graph: the graph, its weights (NHWC filters) and the input's ONNX shape. */
export interface OnnxConversion {
  graph: FlatGraph;
  weights: Map<string, Float32Array>;
  /** The model input's ONNX shape (NCHW, batch first; null where open). */
  inputShape: Dim[];
  /** The first output's rank (2 or 4). */
  outputRank: number;
  /** Every output's rank, in the graph's order. */
  outputRanks: number[];
  opset: number;
}

const nodeOf = (p: any, i: number): OnnxNode => ({
  name: String(p.name || `${p.opType}_${i}`),
  opType: String(p.opType ?? ''),
  domain: String(p.domain ?? ''),
  input: (p.input ?? []).map(String),
  output: (p.output ?? []).map(String),
  attribute: p.attribute ?? [],
});

/**
 * Lowers a decoded ModelProto. `inputShape` (per sample, in ONNX's NCHW order: [C, H, W]) fills
 * open input sizes. Every unsupported op is reported at once, before anything else is checked.
 */
export async function convertOnnx(model: any, opts: { inputShape?: readonly number[]; readExternal?: ExternalReader; what?: string } = {}): Promise<OnnxConversion> {
  const what = opts.what ?? 'ONNX model';
  const g = model.graph;
  const opsets = (model.opsetImport ?? []) as any[];
  const def = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = def ? int(def.version, `${what}: opset version`) : MIN_OPSET;
  if (opset < MIN_OPSET || opset > MAX_OPSET) throw new ModelFormatError(`${what}: default-domain opset ${opset} is outside the supported ${MIN_OPSET}..${MAX_OPSET}`);
  const nodes: OnnxNode[] = (g.node ?? []).map(nodeOf);

  // 1. Every unsupported op, listed at once.
  const bad = nodes.filter((n) => !((n.domain === '' || n.domain === 'ai.onnx') && SUPPORTED_ONNX_OPS.includes(n.opType)));
  if (bad.length) {
    throw new ModelFormatError(
      `${what} uses ${bad.length} node(s) with ops sepconv does not support:\n${bad.map((n) => `  ${n.name} (${n.opType}, domain '${n.domain || 'ai.onnx'}')`).join('\n')}`,
    );
  }

  const low = new Lowering(opset);
  // 2. Initializers (inline or external).
  const initNames = new Set<string>();
  for (const t of (g.initializer ?? []) as any[]) {
    const name = String(t.name ?? '');
    const d = await decodeTensor(t, `${what}: initializer '${name}'`, opts.readExternal);
    low.values.set(name, { kind: 'const', shape: d.shape, values: d.values, int: isIntType(d.dataType), dataType: d.dataType });
    initNames.add(name);
  }
  // 3. The one real input (opset < 9 models list initializers among the inputs too).
  const inputs = ((g.input ?? []) as any[]).filter((v) => !initNames.has(String(v.name)));
  if (inputs.length !== 1) throw new ModelFormatError(`${what}: sepconv runs single-input models, this one has ${inputs.length} inputs (${formatList(inputs.map((v) => v.name))})`);
  const inp = inputs[0];
  const tt = inp.type?.tensorType;
  if (!tt) throw new ModelFormatError(`${what}: input '${inp.name}' is not a tensor`);
  if (tt.elemType !== 1) throw new ModelFormatError(`${what}: input '${inp.name}' has element type ${tt.elemType}; only float32 (1) is supported`);
  const dims: Dim[] = ((tt.shape?.dim ?? []) as any[]).map((d) => (d.dimValue !== undefined && d.dimValue !== null && int(d.dimValue, `${what}: input dims`) > 0 ? int(d.dimValue, `${what}: input dims`) : null));
  if (dims.length !== 4) throw new ModelFormatError(`${what}: input '${inp.name}' must be an NCHW image batch (rank 4), got rank ${dims.length}`);
  if (opts.inputShape) {
    const s = opts.inputShape;
    if (s.length !== 3 || !s.every((d) => Number.isSafeInteger(d) && d >= 1 && d <= MAX_DIM)) throw new ModelFormatError(`${what}: inputShape ${formatJson(s)} must be 3 positive sizes [C, H, W]`);
    for (let i = 0; i < 3; i++) {
      const have = dims[i + 1];
      if (have !== null && have !== undefined && have !== s[i]) throw new ModelFormatError(`${what}: inputShape ${formatJson(s)} disagrees with the model's input ${formatJson(dims)}`);
      dims[i + 1] = s[i]!;
    }
  }
  if (dims[1] === null) throw new ModelFormatError(`${what}: input '${inp.name}' has unknown channels; pass inputShape [C, H, W]`);
  const [, c, h, w] = dims;
  const ph = low.fresh(String(inp.name));
  low.nodes.push({ name: ph, op: 'Placeholder', attr: { shape: { shape: { dim: [-1, h ?? -1, w ?? -1, c].map((size) => ({ size })) } } } });
  low.values.set(String(inp.name), { kind: 'sym', tf: ph, shape: dims });

  // 4. Nodes in order (ONNX requires topological order; an unknown input name fails in `get`).
  for (const n of nodes) {
    try {
      if (n.opType === 'Constant') {
        low.set(n, 0, await constantValue(low, n, opts.readExternal, what));
        continue;
      }
      if (n.opType === 'ConstantOfShape') {
        low.set(n, 0, await constantOfShape(low, n, what));
        continue;
      }
      const present = n.input.map((_, i) => low.opt(n, i));
      const given = present.filter((v) => v !== undefined);
      if (given.length && given.every((v) => v!.kind === 'const') && FOLD[n.opType]) {
        low.set(n, 0, FOLD[n.opType]!(low, n, present as Const[]));
        continue;
      }
      const h = HANDLERS[n.opType];
      if (!h) return low.fail(n, 'is only supported on constants (shape computations), not on tensors computed from the input');
      h(low, n);
    } catch (e) {
      if (e instanceof ModelFormatError) throw e;
      throw new OnnxNodeError(`ONNX node '${n.name}' (${n.opType}): ${(e as Error).message}`);
    }
  }

  // Outputs by name, in the graph's order.
  const outs = (g.output ?? []) as any[];
  if (outs.length < 1) throw new ModelFormatError(`${what}: the graph has no outputs`);
  const tfOuts: string[] = [];
  const ranks: number[] = [];
  for (const o of outs) {
    const name = String(o.name);
    const out = low.values.get(name);
    if (!out) throw new ModelFormatError(`${what}: output '${name}' is not produced by any node`);
    if (out.kind !== 'sym') throw new ModelFormatError(`${what}: output '${name}' is a constant`);
    if (out.chw) throw new ModelFormatError(`${what}: output '${name}' is a flattened CHW map, whose NCHW feature order needs a transpose; not supported`);
    if (out.chanMap) throw new ModelFormatError(`${what}: output '${name}' is a rank-5 channel grouping; not supported`);
    if (out.shape.length !== 4 && out.shape.length !== 2) throw new ModelFormatError(`${what}: output '${name}' has rank ${out.shape.length}; only NCHW maps and [N, F] are supported`);
    // Two outputs of one value: the second reads it through an Identity node of its own.
    tfOuts.push(tfOuts.includes(out.tf) ? low.emit('Identity', `${name}/copy`, [out.tf]) : out.tf);
    ranks.push(out.shape.length);
  }
  const { graph, weights } = convertGraphModel(low.nodes, low.consts, { outputs: tfOuts, name: String(g.name || 'onnx_model') });
  graph.outputNames = outs.map((o) => String(o.name));
  // Post-processing (host) ops see the whole batch and run one sample per call: a model fixed to a larger batch cannot run.
  const host = graph.layers.find((l) => l.className === 'HostOp');
  if (host && dims[0] !== null && dims[0] !== undefined && dims[0] !== 1) {
    throw new ModelFormatError(`${what}: input '${inp.name}' has a fixed batch of ${dims[0]}, but '${host.name}' is a post-processing op, which runs one sample per call (batch 1 or open)`);
  }
  return { graph, weights, inputShape: dims, outputRank: ranks[0]!, outputRanks: ranks, opset };
}

async function constantValue(low: Lowering, n: OnnxNode, readExternal: ExternalReader | undefined, what: string): Promise<Const> {
  const a = n.attribute[0];
  if (!a || n.attribute.length !== 1) low.fail(n, 'exactly one value attribute');
  const key = String(a.name);
  if (key === 'value') {
    const t = await decodeTensor(a.t, `${what}: Constant '${n.name}'`, readExternal);
    return { kind: 'const', shape: t.shape, values: t.values, int: isIntType(t.dataType), dataType: t.dataType };
  }
  if (key === 'value_float') return { kind: 'const', shape: [], values: Float64Array.of(low.aFloat(n, key, 0)) };
  if (key === 'value_int') return { kind: 'const', shape: [], values: Float64Array.of(low.aInt(n, key, 0)), int: true };
  if (key === 'value_floats') return { kind: 'const', shape: [(a.floats ?? []).length], values: Float64Array.from(a.floats ?? []) };
  if (key === 'value_ints') {
    const v = low.aInts(n, key)!;
    return { kind: 'const', shape: [v.length], values: Float64Array.from(v), int: true };
  }
  return low.fail(n, `value attribute '${key}' is not supported`);
}

async function constantOfShape(low: Lowering, n: OnnxNode, what: string): Promise<Const> {
  const s = low.cst(n, 0);
  const shape = [...s.values];
  const a = low.aRaw(n, 'value');
  const t = a ? await decodeTensor(a.t, `${what}: ConstantOfShape '${n.name}'`) : undefined;
  const v = t?.values[0] ?? 0;
  const size = shape.reduce((x, y) => x * y, 1);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || size > 1 << 20) low.fail(n, `shape ${formatJson(shape)}: small non-negative sizes only`);
  return { kind: 'const', shape, values: new Float64Array(size).fill(v), int: t ? isIntType(t.dataType) : false };
}
