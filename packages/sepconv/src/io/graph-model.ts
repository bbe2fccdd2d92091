// TF.js graph models (model.json with a TensorFlow GraphDef) lowered to the same flat Keras-style
// graph the layers importer produces: convolutions with their bias-add, batch norm, multiplies and
// activations folded in, constant subgraphs evaluated, and every op we cannot run reported at once.
// The ops themselves live in graph-ops/ (one table per family, merged in graph-ops/registry.ts);
// this file orders the graph, lists what is unsupported, and drives the conversion.
import { clip, formatList, formatJson, ModelFormatError, quote, UnsupportedOpsError } from '../errors.js';
import { MAX_ELEMENTS } from '../tensor/limits.js';
import type { FlatGraph } from './keras-config.js';
import type { NamedWeights } from './weights.js';
import type { GraphNode } from './graph-ops/attrs.js';
import { dataInputs, GraphContext, srcName, type Const, type ConvertOptions } from './graph-ops/context.js';
import { graphOp, GRAPH_OP_REGISTRY } from './graph-ops/registry.js';

export type { GraphNode } from './graph-ops/attrs.js';
export { GRAPH_OP_REGISTRY, type GraphOpInfo } from './graph-ops/registry.js';

/** Default of `LoadOptions.maxGeneratedElements`: values the importer may create beyond the shipped weights. */
export const DEFAULT_MAX_GENERATED_ELEMENTS = 2 ** 24;

/** Ops the graph importer maps (Const/Placeholder/Identity included), from the op registry. */
export const SUPPORTED_GRAPH_OPS: readonly string[] = /* @__PURE__ */ GRAPH_OP_REGISTRY.map((o) => o.name);



export interface ConvertedGraph {
  graph: FlatGraph;
  weights: Map<string, Float32Array>;
}

/**
 * Converts a GraphDef (`modelTopology.node`) plus its decoded weights into a flat Keras-style graph
 * and a weight map named `<layer>/<weight>`. `inputShape` (no batch) fills unknown placeholder sizes.
 */
export function convertGraphModel(
  nodes: GraphNode[],
  consts: NamedWeights,
  opts: ConvertOptions = {},
): ConvertedGraph {
  if (!Array.isArray(nodes)) throw new ModelFormatError('graph model: modelTopology.node must be an array');
  const byName = new Map<string, GraphNode>();
  for (const n of nodes) {
    if (!n || typeof n.name !== 'string' || typeof n.op !== 'string' || (n.input !== undefined && !(Array.isArray(n.input) && n.input.every((i) => typeof i === 'string')))) {
      throw new ModelFormatError(`graph model: malformed node ${formatJson(n)} (needs a name, an op and a list of input names)`);
    }
    byName.set(n.name, n);
  }
  // The values constant folding and expanded Consts may create: the shipped weights' count plus
  // the caller's limit (so the memory a model file makes us allocate is bounded by what it ships).
  const limit = opts.maxGeneratedElements ?? DEFAULT_MAX_GENERATED_ELEMENTS;
  let shipped = 0;
  for (const w of consts.values()) shipped += w.values.length;
  let budget = limit + shipped;
  const charge = (n: GraphNode, elements: number): void => {
    if (!(elements <= MAX_ELEMENTS) || elements > budget) {
      throw new ModelFormatError(
        `graph model: node ${quote(n.name)} (${clip(n.op)}) would create ${Number.isFinite(elements) ? elements : 'more than 2**30'} values; a model may create at most ${limit} values beyond the ${shipped} it ships (raise maxGeneratedElements to allow more)`,
      );
    }
    budget -= elements;
  };

  // Outputs: given, else nodes nobody consumes (ignoring NoOps and Consts).
  const consumed = new Map<string, number>();
  for (const n of nodes) for (const i of dataInputs(n)) consumed.set(i, (consumed.get(i) ?? 0) + 1);
  // Chosen outputs may be written as tensor names ('node:0'); every one of them runs.
  // 'node:k' picks output k of a multi-output node (TopKV2's indices, Unpack's pieces); 'node' and 'node:0' the first.
  const outRefs = opts.outputs ? opts.outputs.map((o) => (typeof o === 'string' ? o.replace(/:0$/, '') : o)) : nodes.filter((n) => !consumed.has(n.name) && n.op !== 'NoOp' && n.op !== 'Const').map((n) => n.name);
  const outputs = outRefs.map((o) => (typeof o === 'string' ? srcName(o) : o));
  if (outputs.length === 0) throw new ModelFormatError('graph model: no outputs (every node is consumed, or outputs: [] was given)');
  if (outputs.length > 4096 || !outputs.every((o) => typeof o === 'string')) throw new ModelFormatError(`graph model: outputs must be at most 4096 node names, got ${formatJson(opts.outputs)}`);
  if (new Set(outRefs).size !== outRefs.length) throw new ModelFormatError(`graph model: outputs name a tensor twice: ${formatList(outRefs.map(quote))}`);

  // Reachable nodes in topological order.
  const order: GraphNode[] = [];
  // Iterative depth-first search (a 30,000-node chain needs no JS stack): 1 on the stack, 2 done.
  const state = new Map<string, number>();
  const enter = (name: string): { n: GraphNode; ins: string[]; k: number } => {
    const n = byName.get(name);
    if (!n) throw new ModelFormatError(`graph model: node ${quote(name)} is referenced but not defined`);
    state.set(name, 1);
    return { n, ins: dataInputs(n), k: 0 };
  };
  // Every unsupported node of the outputs' subgraphs, before anything else is checked (TF1 loops
  // have cycles: this walk just collects, the ordering walk below rejects cycles).
  const reach = new Set<string>();
  const todo: string[] = [];
  for (const o of outputs) {
    if (!byName.has(o)) throw new ModelFormatError(`graph model: output ${quote(o)} is not a node of this graph`);
    if (!reach.has(o)) reach.add(o), todo.push(o);
  }
  const unsupported: GraphNode[] = [];
  while (todo.length) {
    const n = byName.get(todo.pop()!)!;
    if (!graphOp(n.op)) unsupported.push(n);
    for (const i of dataInputs(n)) {
      if (!byName.has(i)) throw new ModelFormatError(`graph model: node ${quote(i)} is referenced but not defined`);
      if (!reach.has(i)) reach.add(i), todo.push(i);
    }
  }
  if (unsupported.length) {
    const ops = new Map<string, number>();
    // In file order, so the list reads as the graph does.
    const pos = new Map(nodes.map((n, i) => [n.name, i]));
    unsupported.sort((a, b) => pos.get(a.name)! - pos.get(b.name)!);
    for (const n of unsupported) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
    throw new UnsupportedOpsError(
      `graph model uses ${unsupported.length} node(s) with ops sepconv does not support:\n${formatList(
        unsupported.map((n) => `  ${clip(n.name)} (${clip(n.op)})`),
        20,
        '\n',
      )}\n${ops.size} op(s): ${formatList(
        [...ops].map(([op, k]) => `${clip(op)} x${k}`),
        60,
      )}`,
      unsupported.map((n) => ({ node: n.name, op: n.op })),
    );
  }

  // Every output's subgraph (and nothing else) is converted: walk from each in order.
  const dfs: { n: GraphNode; ins: string[]; k: number }[] = [];
  for (const o of outputs) {
    if (!state.has(o)) dfs.push(enter(o));
    while (dfs.length) {
      const top = dfs[dfs.length - 1]!;
      if (top.k < top.ins.length) {
        const i = top.ins[top.k++]!;
        const st = state.get(i);
        if (st === 1) throw new ModelFormatError(`graph model: cycle through node ${quote(i)}`);
        if (st === undefined) dfs.push(enter(i));
      } else {
        state.set(top.n.name, 2);
        order.push(top.n);
        dfs.pop();
      }
    }
  }

  // Readable layer names: node names minus the scope prefix all op nodes share, '/' -> '_'.
  // TF2 SavedModel exports wrap everything in StatefulPartitionedCall/... scopes: drop those.
  const segs = (name: string): string[] => name.split('/').filter((s) => !/^(StatefulPartitionedCall(_\d+)?|PartitionedCall(_\d+)?|Func)$/.test(s));
  const opNodes = order.filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && n.op !== 'Identity' && segs(n.name).length > 1);
  let common = opNodes.length > 1 ? segs(opNodes[0]!.name).slice(0, -1) : [];
  for (const n of opNodes) {
    const parts = segs(n.name);
    let k = 0;
    while (k < common.length && k < parts.length - 1 && parts[k] === common[k]) k++;
    common = common.slice(0, k);
  }
  const used = new Set<string>();
  // The next suffix to try per base name: many nodes with one base (e.g. StatefulPartitionedCall_<k>/x) stay linear.
  const nextSuffix = new Map<string, number>();
  const layerName = (nodeName: string): string => {
    const parts = segs(nodeName);
    const base = (parts.slice(0, common.length).join('/') === common.join('/') ? parts.slice(common.length) : parts).join('_') || 'layer';
    let name = base;
    let k = nextSuffix.get(base) ?? 1;
    for (; used.has(name); k++) name = `${base}_${k}`;
    nextSuffix.set(base, k);
    used.add(name);
    return name;
  };

  const c = new GraphContext(consts, opts, charge, layerName);
  const { values, readers } = c;
  // How many reachable nodes read each node: a conv may absorb a following op only when it is the sole reader.
  for (const n of order) for (const i of dataInputs(n)) readers.set(i, (readers.get(i) ?? 0) + 1);
  // An output is read by the caller: nothing after it may fold into the layer that computes it.
  for (const o of outputs) readers.set(o, (readers.get(o) ?? 0) + 1);

  for (const n of order) {
    const def = graphOp(n.op)!;
    const ins = dataInputs(n);
    // Constant folding: every input constant (and an op with a JS definition).
    if (n.op !== 'Const' && n.op !== 'Placeholder' && ins.length > 0 && ins.every((i) => values.get(i)?.kind === 'const')) {
      if (!def.fold) c.fail(n, 'constant folding of this op is not supported');
      const consts = ins.map((_, k) => c.get(n, k) as Const);
      values.set(n.name, def.fold!(c, n, consts));
      continue;
    }
    if (!def.run) c.fail(n, 'not supported here');
    values.set(n.name, def.run!(c, n));
  }
  const { layers, weights } = c;
  const outLayers = outRefs.map((o) => {
    const k = /:(\d+)$/.exec(o);
    const v = k ? values.get(`${srcName(o)}:${k[1]}`) : values.get(o);
    if (!v) throw new ModelFormatError(`graph model: output ${quote(o)}: node ${quote(srcName(o))} has no output ${k?.[1]}`);
    if (v.kind !== 'sym') throw new ModelFormatError(`graph model: output ${quote(o)} is a constant`);
    return v.layer;
  });
  // Private hints used during conversion are not part of the Keras configs.
  for (const l of layers) delete l.config._kernelShape;
  const input = layers.find((l) => l.className === 'InputLayer');
  if (!input) throw new ModelFormatError('graph model: no Placeholder input');
  return { graph: { name: opts.name ?? 'graph_model', layers, inputs: [input.name], outputs: outLayers, outputNames: outRefs }, weights };
}
