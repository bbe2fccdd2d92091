// TF.js graph models (model.json with a TensorFlow GraphDef) lowered to the same flat Keras-style
// graph the layers importer produces: convolutions with their bias-add, batch norm, multiplies and
// activations folded in, constant subgraphs evaluated, and every op we cannot run reported at once.
import { clip, formatList, formatJson, ModelFormatError, quote, UnsupportedOpsError } from '../errors.js';
import { elementCount, isDim, MAX_DIM, MAX_ELEMENTS } from '../tensor/limits.js';
import { broadcastShape, channelConcatShape, convOut, isOpen, plusDim, prod, type Dim, type FlatGraph, type FlatLayer } from './keras-config.js';
import type { NamedWeights } from './weights.js';
import { LAYOUT_IMAGE_OPS, type GraphOpContext } from './graph-ops/layout-image.js';
import { decodeBase64 } from './wrapper.js';

/** Default of `LoadOptions.maxGeneratedElements`: values the importer may create beyond the shipped weights. */
export const DEFAULT_MAX_GENERATED_ELEMENTS = 2 ** 24;

/** A node of a TF.js graph model (`modelTopology.node[]` in model.json): its name, op, inputs and attributes. */
export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, any>;
}

/** Activation ops and the layer activation each becomes (folded into the op before it where it can). */
const ACT: Record<string, string> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Sigmoid: 'sigmoid',
  Softmax: 'softmax',
  Tanh: 'tanh',
  Elu: 'elu',
  Selu: 'selu',
  Softplus: 'softplus',
  Softsign: 'softsign',
};

/** Ops the graph importer maps (Const/Placeholder/Identity included). */
export const SUPPORTED_GRAPH_OPS = [
  'Const',
  'Placeholder',
  'PlaceholderWithDefault',
  'Identity',
  'StopGradient',
  'NoOp',
  'Conv2D',
  'DepthwiseConv2dNative',
  '_FusedConv2D',
  'FusedDepthwiseConv2dNative',
  'BiasAdd',
  'Add',
  'AddV2',
  'AddN',
  'Sub',
  'Mul',
  'RealDiv',
  ...Object.keys(ACT),
  'AvgPool',
  'MaxPool',
  'Mean',
  'Pad',
  'PadV2',
  'Reshape',
  'Squeeze',
  'ExpandDims',
  'ClipByValue',
  'Shape',
  'StridedSlice',
  'Pack',
  'ConcatV2',
  'Cast',
  'MatMul',
  '_FusedMatMul',
  'FusedBatchNorm',
  'FusedBatchNormV2',
  'FusedBatchNormV3',
  'Rsqrt',
  'Sqrt',
  'Square',
  'Maximum',
  'Minimum',
  'LeakyRelu',
  'Prelu',
  // io/graph-ops/layout-image.ts
  'ResizeBilinear',
  'ResizeNearestNeighbor',
  'Conv2DBackpropInput',
  'DepthToSpace',
  'SpaceToDepth',
  'MirrorPad',
] as const;

const SUPPORTED = new Set<string>(SUPPORTED_GRAPH_OPS);

/** A GraphDef attr string (base64 in the JSON form) as a binary string, as `atob` gives it; invalid base64 is a ModelFormatError naming the node. */
function b64(node: GraphNode, key: string, s: unknown): string {
  if (typeof s !== 'string' || s.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw new ModelFormatError(`graph model: node ${quote(node.name)} (${clip(node.op)}): attr '${key}' is not a base64 string, got ${formatJson(s)}`);
  }
  const bytes = decodeBase64(s);
  let out = '';
  for (let k = 0; k < bytes.length; k += 4096) out += String.fromCharCode(...bytes.subarray(k, k + 4096));
  return out;
}

function attrStr(node: GraphNode, key: string): string | undefined {
  const a = node.attr?.[key];
  return a?.s === undefined ? undefined : b64(node, key, a.s);
}

/** An int-list attr (as numbers), or undefined; anything but a list of integers is a ModelFormatError naming the node. */
function attrInts(node: GraphNode, key: string): number[] | undefined {
  const l = node.attr?.[key]?.list?.i;
  if (l === undefined) return undefined;
  const v = Array.isArray(l) ? l.map((x) => (typeof x === 'string' || typeof x === 'number' ? Number(x) : NaN)) : [];
  if (!Array.isArray(l) || !v.every((x) => Number.isSafeInteger(x))) {
    throw new ModelFormatError(`graph model: node ${quote(node.name)} (${clip(node.op)}): attr '${key}' must be a list of integers, got ${formatJson(l)}`);
  }
  return v;
}

function attrStrs(node: GraphNode, key: string): string[] {
  const l = node.attr?.[key]?.list?.s ?? [];
  if (!Array.isArray(l)) throw new ModelFormatError(`graph model: node ${quote(node.name)} (${clip(node.op)}): attr '${key}' must be a list of strings, got ${formatJson(l)}`);
  return l.map((s: unknown) => b64(node, key, s));
}

function attrF(node: GraphNode, key: string, fallback: number): number {
  const v = node.attr?.[key]?.f;
  return v === undefined ? fallback : Number(v);
}

function attrB(node: GraphNode, key: string): boolean {
  return Boolean(node.attr?.[key]?.b);
}

/** A constant during conversion: values + shape (scalars have shape []). */
interface Const {
  kind: 'const';
  shape: number[];
  values: Float64Array;
}

/** A tensor produced by a flat layer. */
interface Sym {
  kind: 'sym';
  layer: string;
  /** Per-sample shape (no batch); `null` where the model leaves a size open. */
  shape: Dim[];
}

type Value = Const | Sym;


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
  opts: { outputs?: readonly string[]; inputShape?: readonly number[]; name?: string; maxGeneratedElements?: number } = {},
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
  /** A shape from a model file: at most 64 integers in [0, MAX_DIM] (else a ModelFormatError naming the node); returns its element count. */
  const checkedShape = (n: GraphNode, shape: unknown[], what: string): number => {
    if (shape.length > 64 || !shape.every((d) => isDim(d))) throw new ModelFormatError(`graph model: node ${quote(n.name)} (${clip(n.op)}): ${what} ${formatJson(shape)} must be at most 64 integers from 0 to ${MAX_DIM}`);
    return elementCount(shape as number[]);
  };
  const srcName = (s: string): string => s.replace(/^\^/, '').replace(/:\d+$/, '');
  const dataInputs = (n: GraphNode): string[] => (n.input ?? []).filter((s) => !s.startsWith('^')).map(srcName);

  // Outputs: given, else nodes nobody consumes (ignoring NoOps and Consts).
  const consumed = new Map<string, number>();
  for (const n of nodes) for (const i of dataInputs(n)) consumed.set(i, (consumed.get(i) ?? 0) + 1);
  // Chosen outputs may be written as tensor names ('node:0'); every one of them runs.
  const outputs = opts.outputs ? opts.outputs.map((o) => (typeof o === 'string' ? srcName(o) : o)) : nodes.filter((n) => !consumed.has(n.name) && n.op !== 'NoOp' && n.op !== 'Const').map((n) => n.name);
  if (outputs.length === 0) throw new ModelFormatError('graph model: no outputs (every node is consumed, or outputs: [] was given)');
  if (outputs.length > 4096 || !outputs.every((o) => typeof o === 'string')) throw new ModelFormatError(`graph model: outputs must be at most 4096 node names, got ${formatJson(opts.outputs)}`);
  if (new Set(outputs).size !== outputs.length) throw new ModelFormatError(`graph model: outputs name a node twice: ${formatList(outputs.map(quote))}`);

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
    if (!SUPPORTED.has(n.op)) unsupported.push(n);
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

  const layers: FlatLayer[] = [];
  const weights = new Map<string, Float32Array>();
  const values = new Map<string, Value>();
  const layerOf = new Map<string, FlatLayer>();
  const nodeOfLayer = new Map<string, GraphNode>();
  // How many reachable nodes read each node: a conv may absorb a following op only when it is the sole reader.
  const readers = new Map<string, number>();
  for (const n of order) for (const i of dataInputs(n)) readers.set(i, (readers.get(i) ?? 0) + 1);
  // An output is read by the caller: nothing after it may fold into the layer that computes it.
  for (const o of outputs) readers.set(o, (readers.get(o) ?? 0) + 1);

  const fail = (n: GraphNode, msg: string): never => {
    throw new ModelFormatError(`graph model: node ${quote(n.name)} (${clip(n.op)}): ${msg}`);
  };
  const get = (n: GraphNode, i: number): Value => {
    const src = dataInputs(n)[i];
    if (src === undefined) fail(n, `missing input ${i}`);
    return values.get(src!)!;
  };
  const constOf = (n: GraphNode, i: number): Const => {
    const v = get(n, i);
    if (v.kind !== 'const') fail(n, `input ${i} must be a constant`);
    return v as Const;
  };
  const symOf = (n: GraphNode, i: number): Sym => {
    const v = get(n, i);
    if (v.kind !== 'sym') fail(n, `input ${i} must be a tensor computed from the model input`);
    return v as Sym;
  };
  const addLayer = (n: GraphNode, className: string, config: Record<string, any>, inputs: Sym[], shape: Dim[], w: Record<string, Float32Array> = {}): Sym => {
    const name = layerName(n.name);
    const l: FlatLayer = { className, name, config: { name, ...config }, inputs: inputs.map((s) => s.layer) };
    layers.push(l);
    layerOf.set(name, l);
    nodeOfLayer.set(name, n);
    for (const [k, v] of Object.entries(w)) weights.set(`${name}/${k}`, v);
    return { kind: 'sym', layer: name, shape };
  };
  const leakyLayer = (n: GraphNode, x: Sym, alpha: number): Sym => addLayer(n, 'LeakyReLU', { alpha }, [x], x.shape);
  /** A PReLU from TF's Prelu(x, alpha): alpha per channel ([C] or [1, 1, C]) or of the sample's shape. */
  const preluLayer = (n: GraphNode, x: Sym, alpha: Const): Sym => {
    const size = prod(alpha.shape);
    const perChannel = size === x.shape[x.shape.length - 1];
    if (!perChannel && isOpen(x.shape)) fail(n, `a per-element alpha needs known input sizes, got ${formatJson(x.shape)}; pass inputShape`);
    if (!perChannel && size !== prod(x.shape)) fail(n, `a per-channel or per-element alpha, got shape ${formatJson(alpha.shape)} for input ${formatJson(x.shape)}`);
    const shared = perChannel ? x.shape.slice(0, -1).map((_, i) => i + 1) : null;
    return addLayer(n, 'PReLU', { shared_axes: shared }, [x], x.shape, { alpha: Float32Array.from(alpha.values) });
  };
  const padding = (n: GraphNode): { pad: 'same' | 'valid'; explicit?: [[number, number], [number, number]] } => {
    const p = (attrStr(n, 'padding') ?? 'VALID').toUpperCase();
    if (p === 'SAME') return { pad: 'same' };
    if (p === 'VALID') return { pad: 'valid' };
    if (p === 'EXPLICIT') {
      const e = attrInts(n, 'explicit_paddings') ?? [];
      checkPads(n, e);
      return { pad: 'valid', explicit: [[e[2] ?? 0, e[3] ?? 0], [e[4] ?? 0, e[5] ?? 0]] };
    }
    return fail(n, `padding '${p}' is not supported`);
  };
  const checkNHWC = (n: GraphNode): void => {
    const f = attrStr(n, 'data_format');
    if (f && f !== 'NHWC') fail(n, `data_format ${f} (only NHWC is supported)`);
  };
  const tooSmall = (...d: Dim[]): boolean => d.some((v) => v !== null && v < 1);
  /** A 4-entry NHWC attr (strides, dilations, ksize): the spatial entries integers in [1, MAX_DIM]. */
  const spatialAttr = (n: GraphNode, key: string): number[] => {
    const v = attrInts(n, key) ?? [1, 1, 1, 1];
    if (v.length !== 4 || !isDim(v[1], 1) || !isDim(v[2], 1)) fail(n, `attr '${key}' must be 4 integers with the spatial ones from 1 to ${MAX_DIM}, got ${formatJson(v)}`);
    return v;
  };
  /** Pads from a model file: integers in [0, MAX_DIM]. */
  const checkPads = (n: GraphNode, v: ArrayLike<number>): void => {
    if (!Array.prototype.every.call(v, (d: number) => isDim(d))) fail(n, `paddings must be integers from 0 to ${MAX_DIM}, got ${formatJson(Array.from(v))}`);
  };
  /** An axis from a model file: an integer in [lo, hi]. */
  const checkAxis = (n: GraphNode, v: number | undefined, lo: number, hi: number): number => {
    if (!Number.isSafeInteger(v) || v! < lo || v! > hi) fail(n, `axis must be an integer from ${lo} to ${hi}, got ${formatJson(v)}`);
    return v!;
  };

  /** What the per-family op modules (io/graph-ops/) use. */
  const opCtx: GraphOpContext = {
    symOf: (n, i) => symOf(n, i),
    constOf: (n, i) => constOf(n, i),
    arity: (n) => dataInputs(n).length,
    addLayer: (n, cls, config, ins, shape, w) => addLayer(n, cls, config, ins, shape, w),
    fail: (n, msg) => fail(n, msg),
    attrStr: (n, key) => attrStr(n, key),
    attrInts: (n, key) => attrInts(n, key),
    attrB: (n, key) => attrB(n, key),
    charge: (n, k) => charge(n, k),
  };

  // A conv/dense layer that can still absorb bias / scale / activation (linear, sole reader).
  const linearConv = (layer: string): FlatLayer | undefined => {
    const l = layerOf.get(layer);
    return l && ['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(l.className) && (l.config.activation ?? 'linear') === 'linear' ? l : undefined;
  };
  const absorber = (n: GraphNode, v: Value): FlatLayer | undefined => {
    if (v.kind !== 'sym') return undefined;
    const l = linearConv(v.layer);
    if (!l) return undefined;
    // The input that carries v (a constant may come first, as in AddV2(3, x)).
    const src = dataInputs(n).find((i) => values.get(i) === v);
    if (src === undefined || (readers.get(src) ?? 0) !== 1) return undefined;
    return l;
  };
  const kernelKey = (l: FlatLayer): string => `${l.name}/${l.className === 'DepthwiseConv2D' ? 'depthwise_kernel' : 'kernel'}`;
  const outChannels = (l: FlatLayer): number => {
    const k = weights.get(kernelKey(l))!;
    const shape = l.config._kernelShape as number[];
    return l.className === 'DepthwiseConv2D' ? shape[2]! * shape[3]! : k.length / prod(shape.slice(0, -1));
  };
  /** Folds y = conv(x) * scale + shift into the conv (scale/shift per output channel or scalar). */
  const foldAffine = (l: FlatLayer, scale: Float64Array | undefined, shift: Float64Array | undefined): void => {
    const c = outChannels(l);
    const at = (a: Float64Array, i: number) => (a.length === 1 ? a[0]! : a[i]!);
    const k = weights.get(kernelKey(l))!;
    if (scale) for (let i = 0; i < k.length; i++) k[i] = k[i]! * at(scale, i % c);
    const bKey = `${l.name}/bias`;
    const b = weights.get(bKey) ?? new Float32Array(c);
    for (let i = 0; i < c; i++) b[i] = (scale ? b[i]! * at(scale, i) : b[i]!) + (shift ? at(shift, i) : 0);
    weights.set(bKey, b);
    l.config.use_bias = true;
  };
  /** A standalone per-channel (or scalar) affine layer. */
  const affineLayer = (n: GraphNode, x: Sym, scale: Float64Array, shift: Float64Array): Sym => {
    const c = x.shape[x.shape.length - 1]!;
    if (scale.length === 1 && shift.length === 1) return addLayer(n, 'Rescaling', { scale: scale[0], offset: shift[0] }, [x], x.shape);
    if ((scale.length !== 1 && scale.length !== c) || (shift.length !== 1 && shift.length !== c)) fail(n, `a per-channel constant of ${c} values, got ${scale.length}/${shift.length}`);
    const full = (a: Float64Array) => Float32Array.from({ length: c }, (_, i) => (a.length === 1 ? a[0]! : a[i]!));
    const eps = 1e-12;
    return addLayer(n, 'BatchNormalization', { axis: -1, epsilon: eps, center: true, scale: true }, [x], x.shape, {
      gamma: full(scale),
      beta: full(shift),
      moving_mean: new Float32Array(c),
      moving_variance: new Float32Array(c).fill(1 - eps),
    });
  };
  const setActivation = (l: FlatLayer, act: string): void => {
    l.config.activation = act;
  };
  // Hard-swish written out, x * relu6(x + 3) / 6 (Keras' MobileNetV3: x * (relu6(x + 3) * (1/6));
  // PyTorch exports: (x * relu6(x + 3)) / 6), becomes one hard_swish activation, folded into the conv
  // before it when it can be. Each link must be the sole reader of the one before.
  const near = (v: number | undefined, want: number): boolean => v !== undefined && Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want));
  const soleLayer = (name: string | undefined, className: string, test: (l: FlatLayer) => boolean): FlatLayer | undefined => {
    const l = name === undefined ? undefined : layerOf.get(name);
    const n = l && nodeOfLayer.get(l.name);
    return l && n && l.className === className && test(l) && (readers.get(n.name) ?? 0) === 1 ? l : undefined;
  };
  /** relu6(x + 3) as [Rescaling(1, +3), Activation relu6]: x's node and the two layers, or undefined. */
  const relu6Shifted = (name: string | undefined): { x: string; chain: FlatLayer[] } | undefined => {
    const act = soleLayer(name, 'Activation', (l) => l.config.activation === 'relu6');
    const add = soleLayer(act?.inputs[0], 'Rescaling', (l) => near(l.config.scale, 1) && near(l.config.offset, 3));
    const x = add && dataInputs(nodeOfLayer.get(add.name)!).find((i) => values.get(i)?.kind === 'sym');
    return x && act && add ? { x, chain: [act, add] } : undefined;
  };
  /** The hard-swish of x's node: the pattern's layers dropped, hard_swish on x's conv or as a layer of its own. */
  const hardSwish = (n: GraphNode, x: string, chain: FlatLayer[]): Sym => {
    for (const l of chain) {
      layers.splice(layers.indexOf(l), 1);
      layerOf.delete(l.name);
    }
    const xs = values.get(x) as Sym;
    const conv = linearConv(xs.layer);
    // x is read twice by the pattern (x + 3 and the product) and by nothing else.
    if (conv && (readers.get(x) ?? 0) === 2) {
      setActivation(conv, 'hard_swish');
      return xs;
    }
    return addLayer(n, 'Activation', { activation: 'hard_swish' }, [xs], xs.shape);
  };
  /** x * (relu6(x + 3) * (1/6)), given the product's two operands. */
  const hardSwishOfProduct = (n: GraphNode, a: Sym, b: Sym): Sym | undefined => {
    for (const [x, h] of [[a, b], [b, a]] as const) {
      const scaled = soleLayer(h.layer, 'Rescaling', (l) => near(l.config.scale, 1 / 6) && near(l.config.offset, 0));
      const r = scaled && relu6Shifted(scaled.inputs[0]);
      if (r && (values.get(r.x) as Sym | undefined)?.layer === x.layer) return hardSwish(n, r.x, [scaled, ...r.chain]);
    }
    return undefined;
  };
  /** (x * relu6(x + 3)) scaled by 1/6, given the product's value. */
  const hardSwishOfScaled = (n: GraphNode, m: Sym): Sym | undefined => {
    const mul = soleLayer(m.layer, 'Multiply', (l) => l.inputs.length === 2);
    if (!mul) return undefined;
    for (const [xi, ri] of [[0, 1], [1, 0]] as const) {
      const r = relu6Shifted(mul.inputs[ri]);
      if (r && (values.get(r.x) as Sym | undefined)?.layer === mul.inputs[xi]) return hardSwish(n, r.x, [mul, ...r.chain]);
    }
    return undefined;
  };
  const isChannelConst = (c: Const, x: Sym): boolean => c.values.length === 1 || (c.values.length === x.shape[x.shape.length - 1] && c.shape.slice(0, -1).every((d) => d === 1));

  const constBinary: Record<string, (a: number, b: number) => number> = {
    Add: (a, b) => a + b,
    AddV2: (a, b) => a + b,
    BiasAdd: (a, b) => a + b,
    Sub: (a, b) => a - b,
    Mul: (a, b) => a * b,
    RealDiv: (a, b) => a / b,
    Maximum: Math.max,
    Minimum: Math.min,
  };
  const constUnary: Record<string, (a: number) => number> = {
    Rsqrt: (a) => 1 / Math.sqrt(a),
    Sqrt: Math.sqrt,
    Square: (a) => a * a,
    Identity: (a) => a,
    StopGradient: (a) => a,
    Relu: (a) => Math.max(a, 0),
    Relu6: (a) => Math.min(Math.max(a, 0), 6),
    Sigmoid: (a) => 1 / (1 + Math.exp(-a)),
  };
  const broadcast = (n: GraphNode, a: Const, b: Const, f: (x: number, y: number) => number): Const => {
    const rank = Math.max(a.shape.length, b.shape.length);
    const pa = [...Array(rank - a.shape.length).fill(1), ...a.shape];
    const pb = [...Array(rank - b.shape.length).fill(1), ...b.shape];
    if (pa.some((d, i) => d !== pb[i] && d !== 1 && pb[i] !== 1)) fail(n, `constants of shapes ${formatJson(a.shape)} and ${formatJson(b.shape)} do not broadcast`);
    const shape = pa.map((d, i) => (d === 1 ? pb[i]! : d));
    const size = elementCount(shape);
    charge(n, size);
    const out = new Float64Array(size);
    const idx = (p: number[], flat: number): number => {
      let off = 0;
      let rem = flat;
      let stride = 1;
      for (let d = rank - 1; d >= 0; d--) {
        const coord = rem % shape[d]!;
        rem = Math.floor(rem / shape[d]!);
        off += (p[d] === 1 ? 0 : coord) * stride;
        stride *= p[d]!;
      }
      return off;
    };
    for (let i = 0; i < out.length; i++) out[i] = f(a.values[idx(pa, i)]!, b.values[idx(pb, i)]!);
    return { kind: 'const', shape, values: out };
  };

  for (const n of order) {
    const ins = dataInputs(n);
    // Constant folding: every input constant (and an op with a JS definition).
    if (n.op !== 'Const' && n.op !== 'Placeholder' && ins.length > 0 && ins.every((i) => values.get(i)?.kind === 'const')) {
      const a = values.get(ins[0]!) as Const;
      // Every folding rule reads its inputs by position: check there are enough first.
      const need = (k: number): void => {
        if (ins.length < k) fail(n, `needs ${k} inputs, got ${ins.length}`);
      };
      if (ins.length === 2 && Object.hasOwn(constBinary, n.op)) {
        values.set(n.name, broadcast(n, a, values.get(ins[1]!) as Const, constBinary[n.op]!));
        continue;
      }
      if (ins.length === 1 && Object.hasOwn(constUnary, n.op)) {
        charge(n, a.values.length);
        values.set(n.name, { kind: 'const', shape: a.shape, values: a.values.map(constUnary[n.op]!) });
        continue;
      }
      if (n.op === 'Reshape') {
        need(2);
        const t = [...(values.get(ins[1]!) as Const).values];
        const known = t.filter((d) => d !== -1);
        if (t.length > 64 || t.filter((d) => d === -1).length > 1 || !known.every((d) => isDim(d))) fail(n, `a reshape target of integers from 0 to ${MAX_DIM} and at most one -1, got ${formatJson(t)}`);
        const k = elementCount(known);
        const u = t.indexOf(-1);
        if (u >= 0 && k > 0 && a.values.length % k === 0) t[u] = a.values.length / k;
        if (t.includes(-1) || elementCount(t) !== a.values.length) fail(n, `cannot reshape a constant of ${a.values.length} values to ${formatJson(t)}`);
        values.set(n.name, { kind: 'const', shape: t, values: a.values });
        continue;
      }
      if (n.op === 'Cast') {
        values.set(n.name, a);
        continue;
      }
      // Shape arithmetic of Keras Flatten/Reshape exports: 1-D StridedSlice, Pack, ConcatV2 of constants.
      if (n.op === 'Pack' || n.op === 'ConcatV2') {
        const parts = (n.op === 'ConcatV2' ? ins.slice(0, -1) : ins).map((i) => values.get(i) as Const);
        if (parts.some((p) => p.shape.length > 1)) fail(n, 'only 1-D constant shapes can be packed or concatenated');
        const total = parts.reduce((t, p) => t + p.values.length, 0);
        charge(n, total);
        const v = new Float64Array(total);
        let o = 0;
        for (const p of parts) {
          v.set(p.values, o);
          o += p.values.length;
        }
        values.set(n.name, { kind: 'const', shape: [v.length], values: v });
        continue;
      }
      if (n.op === 'StridedSlice') {
        need(4);
        if (a.shape.length !== 1) fail(n, 'only 1-D constant strided slices are supported');
        const [b0, e0, s0] = [1, 2, 3].map((k) => (values.get(ins[k]!) as Const).values[0]);
        const len = a.values.length;
        const mask = (key: string): number => {
          const m = Number(n.attr?.[key]?.i ?? 0);
          if (!Number.isSafeInteger(m)) fail(n, `attr '${key}' must be an integer, got ${formatJson(n.attr?.[key]?.i)}`);
          return m;
        };
        const [bm, em, shrink] = [mask('begin_mask'), mask('end_mask'), mask('shrink_axis_mask')];
        // TensorFlow rejects a stride of 0; indices are clamped to the axis as it does.
        if (!Number.isSafeInteger(s0) || s0 === 0) fail(n, `stride must be a non-zero integer, got ${formatJson(s0)}`);
        if (!Number.isSafeInteger(b0) || !Number.isSafeInteger(e0)) fail(n, `begin and end must be integers, got ${formatJson(b0)} and ${formatJson(e0)}`);
        const step = s0!;
        const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
        const norm = (v: number) => (v < 0 ? v + len : v);
        let begin: number;
        let end: number;
        if (shrink & 1) {
          begin = norm(b0!);
          if (begin < 0 || begin >= len) fail(n, `index ${b0} is out of range for ${len} values`);
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
        values.set(n.name, { kind: 'const', shape: shrink & 1 ? [] : [out.length], values: Float64Array.from(out) });
        continue;
      }
      fail(n, 'constant folding of this op is not supported');
    }
    switch (n.op) {
      case 'Const': {
        const w = consts.get(n.name);
        const t = n.attr?.value?.tensor;
        if (w) values.set(n.name, { kind: 'const', shape: w.shape, values: Float64Array.from(w.values) });
        else if (t && (t.floatVal || t.intVal)) {
          // An inline tensor: its listed values, the last repeated to fill the shape (TensorFlow's rule).
          // Checked and charged to the budget before anything of its size is allocated.
          const listed = t.floatVal ?? t.intVal;
          const dims = t.tensorShape?.dim ?? [];
          if (!Array.isArray(listed) || !Array.isArray(dims)) fail(n, 'floatVal / intVal and tensorShape.dim must be lists');
          const shape = dims.map((d: any) => Number(d?.size ?? 0));
          const size = checkedShape(n, shape, 'shape');
          if (size > MAX_ELEMENTS) fail(n, `shape ${formatJson(shape)} has more than 2**30 - 1 values`);
          if (listed.length > size && size > 0) fail(n, `${listed.length} values for shape ${formatJson(shape)}`);
          if (size > 0 && listed.length === 0) fail(n, `no values for shape ${formatJson(shape)}`);
          charge(n, Math.max(0, size - listed.length));
          const vals = new Float64Array(size);
          for (let i = 0; i < listed.length && i < size; i++) vals[i] = Number(listed[i]);
          if (listed.length < size) vals.fill(Number(listed[listed.length - 1]), listed.length);
          values.set(n.name, { kind: 'const', shape, values: vals });
        } else fail(n, 'no value in the weight shards');
        break;
      }
      case 'Placeholder':
      case 'PlaceholderWithDefault': {
        const dims: number[] = (n.attr?.shape?.shape?.dim ?? []).map((d: any) => Number(d.size));
        // -1 is an open size: fine anywhere but the channels, which the weights need.
        let shape: Dim[] = dims.slice(1).map((d) => (d === -1 ? null : d));
        if (opts.inputShape) shape = [...opts.inputShape];
        if (shape.length === 0 || shape.length > 64 || shape[shape.length - 1] === null || !shape.every((d) => d === null || isDim(d, 1))) {
          fail(n, `input shape ${formatJson(dims)} has unknown channels or sizes that are not positive integers; pass inputShape`);
        }
        const name = layerName(n.name);
        layers.push({ className: 'InputLayer', name, config: { name, batch_input_shape: [null, ...shape] }, inputs: [] });
        values.set(n.name, { kind: 'sym', layer: name, shape });
        break;
      }
      case 'Shape': {
        // Static per-sample shapes: the batch dimension reads as 1 (Reshape keeps it).
        const x = symOf(n, 0);
        if (isOpen(x.shape)) fail(n, `the shape of a tensor with open sizes ${formatJson(x.shape)} is known only at predict time; pass inputShape`);
        values.set(n.name, { kind: 'const', shape: [x.shape.length + 1], values: Float64Array.from([1, ...(x.shape as number[])]) });
        break;
      }
      case 'Cast':
        values.set(n.name, get(n, 0));
        break;
      case 'Identity':
      case 'StopGradient':
        values.set(n.name, get(n, 0));
        break;
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        checkNHWC(n);
        let x = symOf(n, 0);
        const f = constOf(n, 1);
        const depthwise = n.op.includes('Depthwise');
        if (f.shape.length !== 4) fail(n, `filter of rank 4, got ${formatJson(f.shape)}`);
        const [kh, kw, cin, cout] = f.shape as [number, number, number, number];
        const [h, w, c] = x.shape as [Dim, Dim, number];
        if (x.shape.length !== 3) fail(n, `an NHWC input, got per-sample shape ${formatJson(x.shape)}`);
        const strides = spatialAttr(n, 'strides');
        const dil = spatialAttr(n, 'dilations');
        const { pad, explicit } = padding(n);
        if (explicit && (explicit[0][0] || explicit[0][1] || explicit[1][0] || explicit[1][1])) {
          x = addLayer({ ...n, name: `${n.name}/pad` }, 'ZeroPadding2D', { padding: explicit }, [x], [plusDim(h, explicit[0][0] + explicit[0][1]), plusDim(w, explicit[1][0] + explicit[1][1]), c]);
        }
        const [hh, ww] = x.shape as [Dim, Dim];
        const groups = depthwise ? 1 : c / cin;
        if (!depthwise && (!Number.isInteger(groups) || groups < 1)) fail(n, `filter ${formatJson(f.shape)} does not fit ${c} input channels`);
        if (depthwise && cin !== c) fail(n, `depthwise filter ${formatJson(f.shape)} does not fit ${c} input channels`);
        const oh = convOut(hh, kh, strides[1]!, dil[1]!, pad);
        const ow = convOut(ww, kw, strides[2]!, dil[2]!, pad);
        if (tooSmall(oh, ow)) fail(n, `input ${formatJson(x.shape)} is smaller than the ${kh}x${kw} kernel`);
        const common = {
          kernel_size: [kh, kw],
          strides: [strides[1], strides[2]],
          padding: pad,
          dilation_rate: [dil[1], dil[2]],
          activation: 'linear',
          use_bias: false,
          _kernelShape: f.shape,
        };
        const out = depthwise
          ? addLayer(n, 'DepthwiseConv2D', { ...common, depth_multiplier: cout }, [x], [oh, ow, c * cout], { depthwise_kernel: Float32Array.from(f.values) })
          : addLayer(n, 'Conv2D', { ...common, filters: cout, groups }, [x], [oh, ow, cout], { kernel: Float32Array.from(f.values) });
        const l = layerOf.get(out.layer)!;
        // Fused epilogue: BiasAdd or FusedBatchNorm, then an activation (LeakyRelu / Prelu: a layer after the conv).
        const fused = attrStrs(n, 'fused_ops');
        let argi = 2;
        let post: Sym | undefined;
        for (const op of fused) {
          if (op === 'BiasAdd') {
            foldAffine(l, undefined, constOf(n, argi++).values);
          } else if (op === 'FusedBatchNorm' || op === 'FusedBatchNormV3') {
            const [scale, offset, mean, variance] = [0, 1, 2, 3].map((k) => constOf(n, argi + k).values);
            argi += 4;
            const eps = attrF(n, 'epsilon', 1e-3);
            const s = scale!.map((g, i) => g / Math.sqrt(variance![i]! + eps));
            foldAffine(l, s, offset!.map((b, i) => b - mean![i]! * s[i]!));
          } else if (ACT[op] && op !== 'Softmax') setActivation(l, ACT[op]!);
          else if (op === 'LeakyRelu') post = leakyLayer({ ...n, name: `${n.name}/leaky_relu` }, out, attrF(n, 'leakyrelu_alpha', 0.2));
          else if (op === 'Prelu') post = preluLayer({ ...n, name: `${n.name}/prelu` }, out, constOf(n, argi++));
          else fail(n, `fused op ${op} is not supported`);
        }
        values.set(n.name, post ?? out);
        break;
      }
      case 'LeakyRelu':
        values.set(n.name, leakyLayer(n, symOf(n, 0), attrF(n, 'alpha', 0.2)));
        break;
      case 'Prelu':
        values.set(n.name, preluLayer(n, symOf(n, 0), constOf(n, 1)));
        break;
      case 'ConcatV2': {
        const ins = dataInputs(n);
        const parts = ins.slice(0, -1).map((_, i) => symOf(n, i));
        const rank = parts[0]!.shape.length;
        let axis = checkAxis(n, constOf(n, ins.length - 1).values[0], -rank - 1, rank);
        if (axis < 0) axis += rank + 1;
        if (axis !== rank) fail(n, `only concatenation along the channel (last) axis is supported, got axis ${axis}`);
        const shape = channelConcatShape(parts.map((p) => p.shape)) ?? fail(n, `inputs ${parts.map((p) => formatJson(p.shape)).join(' and ')} differ outside the channel axis`);
        values.set(n.name, addLayer(n, 'Concatenate', { axis: -1 }, parts, shape));
        break;
      }
      case 'MatMul':
      case '_FusedMatMul': {
        const x = symOf(n, 0);
        const wv = constOf(n, 1);
        if (attrB(n, 'transpose_a')) fail(n, 'transpose_a is not supported');
        if (x.shape.length !== 1 || wv.shape.length !== 2) fail(n, `a [batch, in] input and an [in, out] weight, got ${formatJson(x.shape)} and ${formatJson(wv.shape)}`);
        let [fin, fout] = wv.shape as [number, number];
        let kv = Float32Array.from(wv.values);
        if (attrB(n, 'transpose_b')) {
          [fin, fout] = [fout, fin];
          const t = new Float32Array(kv.length);
          for (let i = 0; i < fin; i++) for (let j = 0; j < fout; j++) t[i * fout + j] = kv[j * fin + i]!;
          kv = t;
        }
        if (fin !== x.shape[0]) fail(n, `weight ${formatJson(wv.shape)} does not fit ${x.shape[0]} inputs`);
        const out = addLayer(n, 'Dense', { units: fout, activation: 'linear', use_bias: false, _kernelShape: [fin, fout] }, [x], [fout], { kernel: kv });
        const l = layerOf.get(out.layer)!;
        let argi = 2;
        for (const op of attrStrs(n, 'fused_ops')) {
          if (op === 'BiasAdd') foldAffine(l, undefined, constOf(n, argi++).values);
          else if (ACT[op] && op !== 'Softmax') setActivation(l, ACT[op]!);
          else fail(n, `fused op ${op} is not supported`);
        }
        values.set(n.name, out);
        break;
      }
      case 'FusedBatchNorm':
      case 'FusedBatchNormV2':
      case 'FusedBatchNormV3': {
        const x = symOf(n, 0);
        const [scale, offset, mean, variance] = [1, 2, 3, 4].map((k) => constOf(n, k).values);
        const eps = attrF(n, 'epsilon', 1e-3);
        const s = scale!.map((g, i) => g / Math.sqrt(variance![i]! + eps));
        const t = offset!.map((b, i) => b - mean![i]! * s[i]!);
        const l = absorber(n, x);
        if (l) {
          foldAffine(l, s, t);
          values.set(n.name, x);
        } else values.set(n.name, affineLayer(n, x, s, t));
        break;
      }
      case 'AddN': {
        // Sum of N computed tensors (TF's arithmetic optimizer writes residual sums this way): one Add layer.
        const parts = dataInputs(n).map((_, i) => symOf(n, i));
        if (parts.length < 2) {
          values.set(n.name, parts[0] ?? fail(n, 'needs at least one input'));
          break;
        }
        values.set(n.name, addLayer(n, 'Add', {}, parts, parts.map((p) => p.shape).reduce(broadcastShape)));
        break;
      }
      case 'BiasAdd':
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Maximum':
      case 'Minimum': {
        const a = get(n, 0);
        const b = get(n, 1);
        if (a.kind === 'sym' && b.kind === 'sym') {
          if (n.op === 'Add' || n.op === 'AddV2') {
            values.set(n.name, addLayer(n, 'Add', {}, [a, b], broadcastShape(a.shape, b.shape)));
            break;
          }
          if (n.op === 'Mul') {
            // x * sigmoid(x) is swish.
            const sig = [a, b].map((v) => layerOf.get(v.layer)).find((l) => l?.className === 'Activation' && l.config.activation === 'sigmoid');
            const other = sig && (sig.name === a.layer ? b : a);
            if (sig && other && sig.inputs[0] === other.layer && (readers.get(dataInputs(n)[a === other ? 1 : 0]!) ?? 0) === 1) {
              sig.config.activation = 'swish';
              values.set(n.name, { kind: 'sym', layer: sig.name, shape: other.shape });
              break;
            }
            const hs = hardSwishOfProduct(n, a, b);
            if (hs) {
              values.set(n.name, hs);
              break;
            }
            values.set(n.name, addLayer(n, 'Multiply', {}, [a, b], broadcastShape(a.shape, b.shape)));
            break;
          }
          fail(n, `${n.op} of two computed tensors is not supported`);
        }
        if (n.op === 'Maximum' || n.op === 'Minimum') {
          // clip_by_value(x, 0, 6) after a ReLU, as Keras' ReLU(max_value=6) exports: Minimum(relu(x), 6) is relu6,
          // Maximum(x, 0) is relu (nothing to do on a ReLU'd tensor).
          const x = (a.kind === 'sym' ? a : b) as Sym;
          const c = (a.kind === 'const' ? a : b) as Const;
          const v = c.values.length === 1 ? c.values[0]! : NaN;
          const prevLayer = layerOf.get(x.layer);
          const act = prevLayer && ['Conv2D', 'DepthwiseConv2D', 'Dense', 'Activation'].includes(prevLayer.className) ? (prevLayer.config.activation as string) : undefined;
          const src = dataInputs(n).find((i) => values.get(i) === x);
          const sole = src !== undefined && (readers.get(src) ?? 0) === 1;
          if (n.op === 'Maximum' && v === 0 && (act === 'relu' || act === 'relu6')) values.set(n.name, x);
          else if (n.op === 'Maximum' && v === 0) {
            const l = absorber(n, x);
            if (l) {
              setActivation(l, 'relu');
              values.set(n.name, x);
            } else values.set(n.name, addLayer(n, 'Activation', { activation: 'relu' }, [x], x.shape));
          } else if (n.op === 'Minimum' && v === 6 && act === 'relu' && sole) {
            setActivation(prevLayer!, 'relu6');
            values.set(n.name, x);
          } else if (n.op === 'Minimum' && v === 6 && (act === 'relu6' || act === 'relu')) {
            values.set(n.name, act === 'relu6' ? x : addLayer(n, 'Activation', { activation: 'relu6' }, [x], x.shape));
          } else fail(n, `${n.op} with a constant is supported as clip(relu(x), 0, 6) only, got ${n.op}(${act ?? 'x'}, ${formatJson(Array.from(c.values.slice(0, 4)))})`);
          break;
        }
        const x = (a.kind === 'sym' ? a : b) as Sym;
        const c = (a.kind === 'const' ? a : b) as Const;
        if (!isChannelConst(c, x)) fail(n, `a scalar or per-channel constant, got shape ${formatJson(c.shape)} for input ${formatJson(x.shape)}`);
        if (c.values.length === 1 && ((n.op === 'Mul' && near(c.values[0], 1 / 6)) || (n.op === 'RealDiv' && a === x && near(c.values[0], 6)))) {
          const hs = hardSwishOfScaled(n, x);
          if (hs) {
            values.set(n.name, hs);
            break;
          }
        }
        const one = new Float64Array([1]);
        let scale: Float64Array | undefined;
        let shift: Float64Array | undefined;
        if (n.op === 'Mul') scale = c.values;
        else if (n.op === 'RealDiv') {
          if (a.kind === 'const') fail(n, 'dividing a constant by a tensor is not supported');
          scale = c.values.map((v) => 1 / v);
        } else if (n.op === 'Sub') {
          if (a.kind === 'const') {
            scale = new Float64Array([-1]);
            shift = c.values;
          } else shift = c.values.map((v) => -v);
        } else shift = c.values;
        const l = absorber(n, x);
        const prev = layerOf.get(x.layer);
        if (l) {
          foldAffine(l, scale, shift);
          values.set(n.name, x);
        } else if (prev?.className === 'Rescaling' && c.values.length === 1 && (readers.get(dataInputs(n)[a === x ? 0 : 1]!) ?? 0) === 1) {
          // (x * s0 + o0) * s + o: one Rescaling.
          const s = scale?.[0] ?? 1;
          prev.config.scale = prev.config.scale * s;
          prev.config.offset = prev.config.offset * s + (shift?.[0] ?? 0);
          values.set(n.name, x);
        } else values.set(n.name, affineLayer(n, x, scale ?? one, shift ?? new Float64Array([0])));
        break;
      }
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid':
      case 'Tanh':
      case 'Elu':
      case 'Selu':
      case 'Softplus':
      case 'Softsign':
      case 'Softmax': {
        const x = get(n, 0);
        const l = n.op === 'Softmax' ? undefined : absorber(n, x);
        if (l) {
          setActivation(l, ACT[n.op]!);
          values.set(n.name, x);
        } else values.set(n.name, addLayer(n, 'Activation', { activation: ACT[n.op] }, [symOf(n, 0)], (x as Sym).shape));
        break;
      }
      case 'ClipByValue': {
        // relu6 written as clip(x, 0, 6) (some TF1 exports).
        const lo = constOf(n, 1).values;
        const hi = constOf(n, 2).values;
        if (lo.length !== 1 || hi.length !== 1 || lo[0] !== 0 || (hi[0] !== 6 && hi[0] !== Infinity)) fail(n, `only clip(x, 0, 6) (relu6) is supported, got clip(x, ${lo[0]}, ${hi[0]})`);
        const act = hi[0] === 6 ? 'relu6' : 'relu';
        const x = get(n, 0);
        const l = absorber(n, x);
        if (l) {
          setActivation(l, act);
          values.set(n.name, x);
        } else values.set(n.name, addLayer(n, 'Activation', { activation: act }, [symOf(n, 0)], (x as Sym).shape));
        break;
      }
      case 'ExpandDims': {
        const x = symOf(n, 0);
        let axis = checkAxis(n, constOf(n, 1).values[0], -x.shape.length - 2, x.shape.length + 1);
        if (axis < 0) axis += x.shape.length + 2;
        if (axis < 1) fail(n, 'expanding the batch dimension is not supported');
        const target = [...x.shape];
        target.splice(axis - 1, 0, 1);
        values.set(n.name, addLayer(n, 'Reshape', { target_shape: target }, [x], target));
        break;
      }
      case 'AvgPool':
      case 'MaxPool': {
        checkNHWC(n);
        const x = symOf(n, 0);
        const k = spatialAttr(n, 'ksize');
        const s = spatialAttr(n, 'strides');
        const { pad } = padding(n);
        const [h, w, c] = x.shape as [Dim, Dim, number];
        const oh = convOut(h, k[1]!, s[1]!, 1, pad);
        const ow = convOut(w, k[2]!, s[2]!, 1, pad);
        if (tooSmall(oh, ow)) fail(n, `input ${formatJson(x.shape)} is smaller than the pool`);
        values.set(
          n.name,
          addLayer(n, n.op === 'AvgPool' ? 'AveragePooling2D' : 'MaxPooling2D', { pool_size: [k[1], k[2]], strides: [s[1], s[2]], padding: pad }, [x], [oh, ow, c]),
        );
        break;
      }
      case 'Mean': {
        const x = symOf(n, 0);
        const axes = [...constOf(n, 1).values].map((a) => (a < 0 ? a + 4 : a)).sort();
        if (x.shape.length !== 3 || axes.join() !== '1,2') fail(n, `only the spatial mean (axes [1, 2]) of an NHWC tensor is supported, got axes ${formatJson(axes)}`);
        const keep = attrB(n, 'keep_dims');
        const c = x.shape[2]!;
        values.set(n.name, addLayer(n, 'GlobalAveragePooling2D', { keepdims: keep }, [x], keep ? [1, 1, c] : [c]));
        break;
      }
      case 'Pad':
      case 'PadV2': {
        const x = symOf(n, 0);
        const p = constOf(n, 1);
        if (n.op === 'PadV2' && constOf(n, 2).values[0] !== 0) fail(n, 'only zero padding is supported');
        const v = p.values;
        if (x.shape.length !== 3 || v.length !== 8 || v[0] || v[1]) fail(n, `only padding of an NHWC tensor's height, width and channels is supported, got paddings ${formatJson(Array.from(v))}`);
        checkPads(n, v);
        const [h, w, c] = x.shape as [Dim, Dim, number];
        let y = x;
        if (v[2] || v[3] || v[4] || v[5]) {
          const pads: [[number, number], [number, number]] = [
            [v[2]!, v[3]!],
            [v[4]!, v[5]!],
          ];
          y = addLayer(v[6] || v[7] ? { ...n, name: `${n.name}/spatial` } : n, 'ZeroPadding2D', { padding: pads }, [x], [plusDim(h, v[2]! + v[3]!), plusDim(w, v[4]! + v[5]!), c]);
        }
        if (v[6] || v[7]) {
          // Channel padding (a detector widening a residual): a 1x1 conv with an identity kernel, zeros in the
          // new channels (exact: each output is 1 * x or a sum of zeros).
          const cout = c + v[6]! + v[7]!;
          if (!isDim(cout) || c * cout > MAX_ELEMENTS) fail(n, `padding ${c} channels to ${cout} is too large`);
          charge(n, c * cout);
          const k = new Float32Array(c * cout);
          for (let i = 0; i < c; i++) k[i * cout + v[6]! + i] = 1;
          y = addLayer(n, 'Conv2D', { kernel_size: [1, 1], strides: [1, 1], padding: 'valid', dilation_rate: [1, 1], activation: 'linear', use_bias: false, filters: cout, groups: 1, _kernelShape: [1, 1, c, cout] }, [y], [y.shape[0]!, y.shape[1]!, cout], { kernel: k });
        }
        values.set(n.name, y);
        break;
      }
      case 'Reshape':
      case 'Squeeze': {
        const x = symOf(n, 0);
        if (isOpen(x.shape)) fail(n, `reshaping a tensor with open sizes ${formatJson(x.shape)} needs them known; pass inputShape`);
        let target: number[];
        if (n.op === 'Reshape') {
          const t = [...constOf(n, 1).values];
          if (t.length < 1 || (t[0] !== -1 && t[0] !== 1)) fail(n, `a reshape that keeps the batch dimension, got ${formatJson(t)}`);
          if (t.length > 64 || t.filter((d) => d === -1).length > 2 || !t.every((d) => d === -1 || isDim(d))) fail(n, `a reshape target of integers from 0 to ${MAX_DIM} (one -1), got ${formatJson(t)}`);
          target = t.slice(1);
          const known = prod(target.filter((d) => d !== -1));
          const u = target.indexOf(-1);
          if (u >= 0) target[u] = prod(x.shape) / known;
        } else {
          const dims = attrInts(n, 'squeeze_dims') ?? [];
          const drop = new Set(dims.map((d) => (d < 0 ? d + x.shape.length + 1 : d) - 1));
          target = (x.shape as number[]).filter((d, i) => (drop.size ? !drop.has(i) : d !== 1));
          if (dims.includes(0)) fail(n, 'squeezing the batch dimension is not supported');
        }
        if (prod(target) !== prod(x.shape)) fail(n, `cannot reshape ${formatJson(x.shape)} to ${formatJson(target)}`);
        values.set(n.name, addLayer(n, 'Reshape', { target_shape: target }, [x], target));
        break;
      }
      default: {
        const h = LAYOUT_IMAGE_OPS[n.op];
        if (!h) fail(n, 'not supported here');
        values.set(n.name, h!(opCtx, n));
      }
    }
  }
  const outLayers = outputs.map((o) => {
    const v = values.get(o);
    if (!v || v.kind !== 'sym') throw new ModelFormatError(`graph model: output ${quote(o)} is a constant`);
    return v.layer;
  });
  // Private hints used during conversion are not part of the Keras configs.
  for (const l of layers) delete l.config._kernelShape;
  const input = layers.find((l) => l.className === 'InputLayer');
  if (!input) throw new ModelFormatError('graph model: no Placeholder input');
  return { graph: { name: opts.name ?? 'graph_model', layers, inputs: [input.name], outputs: outLayers, outputNames: outputs }, weights };
}
