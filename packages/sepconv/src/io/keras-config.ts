// Keras functional-model configs (the `modelTopology.model_config` of a TF.js layers model.json):
// types, normalization (Sequential and nested Functional/Model flattened into one graph, Keras 3
// inbound-node syntax accepted), and shape/weight/param/MAC inference over the config alone, with
// no weights and no wasm memory. The model zoo describes its architectures in this form too, so
// counting EfficientNet-B7's 66M parameters allocates nothing.
import { clip, formatList, formatJson, ModelFormatError, quote } from '../errors.js';
import { elementCount, isDim, MAX_DIM, MAX_ELEMENTS } from '../tensor/limits.js';
import { ACTIVATION_NAMES } from '../layers/activations.js';
import { ChannelGather, Conv2DTranspose, DepthSpace, PadND, Resize } from '../layers/image.js';
import type { Layer } from '../layers/layer.js';

/** A Keras layer as serialized in model.json. */
export interface KerasLayerJSON {
  class_name: string;
  name: string;
  config: Record<string, any>;
  /** Keras 2: `[[[layer, nodeIndex, tensorIndex, kwargs], ...]]`; Keras 3 objects are accepted too. */
  inbound_nodes?: any[];
}

/** A flat functional graph (after `normalizeKerasConfig`): layers in topological order. */
export interface FlatLayer {
  className: string;
  name: string;
  config: Record<string, any>;
  /** Names of the layers whose (single) outputs feed this one. */
  inputs: string[];
}

/** A Keras functional graph flattened into one level (nested models and Sequential inlined): layers in topological order, with the graph's input and output layer names. */
export interface FlatGraph {
  name: string;
  layers: FlatLayer[];
  inputs: string[];
  outputs: string[];
  /** The source graph's names of `outputs` (graph models: node names), in the same order. */
  outputNames?: string[];
}

/** A Keras `model_config`: `{ class_name: 'Functional' | 'Model' | 'Sequential', config }`. */
export interface KerasModelConfig {
  class_name: string;
  config: any;
}

export interface WeightSpec {
  /** `<layer>/<weight>`, Keras names. */
  name: string;
  shape: number[];
}

/** One layer of a `GraphInfo`: its inputs, inferred output shape, weights, parameter count and multiply-accumulates. */
export interface LayerInfo {
  name: string;
  className: string;
  inputs: string[];
  /** Output shape without the batch dimension; `null` where a size is known only at predict time. */
  outputShape: (number | null)[];
  weights: WeightSpec[];
  params: number;
  /** NaN when it depends on spatial sizes the model leaves open. */
  macs: number;
}

/** What `inferGraph` derives from a Keras config alone (no weights, no wasm memory): per-layer shapes, weights, params and MACs. */
export interface GraphInfo {
  name: string;
  layers: LayerInfo[];
  inputs: string[];
  outputs: string[];
  /** Per-sample; `null` for sizes the model leaves open (e.g. `[null, null, 3]`: any image size). */
  inputShape: (number | null)[];
  outputShape: (number | null)[];
  params: number;
  /** NaN when the input has open sizes (pass `inputShape` to count). */
  macs: number;
}

/** Keras layer classes sepconv maps (`Functional`, `Model`, `Sequential` nest). */
export const SUPPORTED_LAYER_CLASSES = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'BatchNormalization',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'Activation',
  'Softmax',
  'Concatenate',
  'ZeroPadding2D',
  'Add',
  'Multiply',
  'GlobalAveragePooling2D',
  'AveragePooling2D',
  'MaxPooling2D',
  'Reshape',
  'Flatten',
  'Dense',
  'Dropout',
  'Rescaling',
  'Normalization',
  'Resize',
  'Conv2DTranspose',
  'DepthToSpace',
  'SpaceToDepth',
  'PadND',
  'ChannelGather',
] as const;

const NESTED = new Set(['Functional', 'Model', 'Sequential']);
const SUPPORTED = new Set<string>(SUPPORTED_LAYER_CLASSES);

/** A flat graph's Resize / Conv2DTranspose / DepthToSpace / SpaceToDepth / PadND / ChannelGather layer (snake_case config) as a sepconv layer. */
export function imageLayer(l: FlatLayer): Layer {
  const c = l.config;
  const name = l.name;
  const two = (v: unknown): [number, number] | undefined => (v === undefined || v === null ? undefined : typeof v === 'number' ? [v, v] : (v as [number, number]));
  switch (l.className) {
    case 'Resize':
      return new Resize({ name, size: c.size ?? undefined, scale: c.scale ?? undefined, resize: c.resize });
    case 'Conv2DTranspose': {
      const a = activationName(c.activation ?? 'linear');
      return new Conv2DTranspose({
        name,
        filters: c.filters,
        kernelSize: two(c.kernel_size)!,
        strides: two(c.strides),
        dilationRate: two(c.dilation_rate),
        padding: Array.isArray(c.padding) ? (c.padding as [number, number, number, number]) : (String(c.padding ?? 'valid').toLowerCase() as 'same' | 'valid'),
        outputPadding: two(c.output_padding),
        activation: (a === 'silu' ? 'swish' : a === 'hard_silu' ? 'hard_swish' : a) as any,
        useBias: c.use_bias ?? true,
      });
    }
    case 'DepthToSpace':
    case 'SpaceToDepth':
      return new DepthSpace({ name, blockSize: c.block_size, mode: c.mode }, l.className === 'DepthToSpace');
    case 'PadND':
      return new PadND({ name, paddings: c.paddings, mode: c.mode, value: c.constant_value ?? 0 });
    case 'ChannelGather':
      return new ChannelGather({ name, indices: c.indices });
    default:
      return fail(`layer '${name}': unsupported class ${l.className}`);
  }
}

function fail(msg: string): never {
  throw new ModelFormatError(msg);
}

/** Names of the producing layers of one Keras inbound node (Keras 2 arrays or Keras 3 objects). */
function inboundNames(layerName: string, node: any): string[] {
  if (Array.isArray(node)) {
    return node.map((e: any) => {
      if (!Array.isArray(e) || typeof e[0] !== 'string') fail(`layer ${quote(layerName)}: malformed inbound node ${formatJson(e)}`);
      return e[0] as string;
    });
  }
  if (node && typeof node === 'object' && Array.isArray(node.args)) {
    const names: string[] = [];
    // Keras 3 nests tensors in lists (Add([a, b])): walk them with a stack, not recursion.
    const stack: any[] = [...node.args].reverse();
    while (stack.length) {
      const a = stack.pop();
      if (Array.isArray(a)) for (let k = a.length - 1; k >= 0; k--) stack.push(a[k]);
      else if (a && typeof a === 'object' && a.class_name === '__keras_tensor__') {
        const h = a.config?.keras_history;
        if (!Array.isArray(h) || typeof h[0] !== 'string') fail(`layer ${quote(layerName)}: a Keras tensor in its inbound node has no keras_history [layer, node, tensor], got ${formatJson(a.config)}`);
        names.push(h[0]);
      }
    }
    return names;
  }
  fail(`layer ${quote(layerName)}: malformed inbound node ${formatJson(node)}`);
}

/**
 * The layers of a functional config in an order where every layer comes after the layers feeding
 * it (the given order when it already is one, as Keras writes it). A cycle or a self-loop is a
 * ModelFormatError naming a layer on it. Iterative depth-first search.
 */
function topoSortLayers(modelName: unknown, list: KerasLayerJSON[]): KerasLayerJSON[] {
  const nameOf = (l: KerasLayerJSON): string => {
    const name = l?.name ?? l?.config?.name;
    if (typeof name !== 'string') fail(`model ${quote(modelName)}: a layer has no name`);
    return name;
  };
  const byName = new Map<string, number>();
  list.forEach((l, i) => {
    const n = nameOf(l);
    if (byName.has(n)) fail(`model config: two layers are named ${quote(n)}`);
    byName.set(n, i);
  });
  const deps = list.map((l) => {
    const nodes = l.inbound_nodes ?? [];
    if (!Array.isArray(nodes)) fail(`layer ${quote(nameOf(l))}: inbound_nodes must be an array, got ${formatJson(nodes)}`);
    if (nodes.length > 1) fail(`layer ${quote(nameOf(l))}: shared layers (called ${nodes.length} times) are not supported`);
    return nodes.length ? inboundNames(nameOf(l), nodes[0]).map((n) => byName.get(n)).filter((i): i is number => i !== undefined) : [];
  });
  const state = new Uint8Array(list.length); // 0 new, 1 on the stack, 2 done
  const out: KerasLayerJSON[] = [];
  for (let root = 0; root < list.length; root++) {
    if (state[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [i, k] = top;
      if (k < deps[i]!.length) {
        top[1]++;
        const d = deps[i]![k]!;
        if (state[d] === 1) fail(`model ${quote(modelName)}: layer ${quote(nameOf(list[d]!))} is part of a cycle (it feeds itself${d === i ? '' : ` through ${quote(nameOf(list[i]!))}`})`);
        if (state[d] === 0) {
          state[d] = 1;
          stack.push([d, 0]);
        }
      } else {
        state[i] = 2;
        out.push(list[i]!);
        stack.pop();
      }
    }
  }
  return out;
}

function batchShape(cfg: any): (number | null)[] | undefined {
  return cfg.batch_input_shape ?? cfg.batch_shape ?? (cfg.input_shape ? [null, ...cfg.input_shape] : undefined);
}

/**
 * Flattens a Keras model config into one functional graph. Nested models' layers keep their own
 * names (Keras names weights `<layer>/<weight>` regardless of nesting); a nested model's inputs are
 * wired to whatever fed the nested-model layer.
 */
export function normalizeKerasConfig(modelConfig: KerasModelConfig): FlatGraph {
  if (!modelConfig || typeof modelConfig !== 'object' || typeof modelConfig.class_name !== 'string') {
    fail('model config: expected { class_name, config }');
  }
  const layers: FlatLayer[] = [];
  const seen = new Set<string>();
  const add = (l: FlatLayer): void => {
    if (seen.has(l.name)) fail(`model config: two layers are named '${l.name}'`);
    seen.add(l.name);
    layers.push(l);
  };

  // Returns the names of the flat layers producing the model's outputs; `feeds` are the layers
  // feeding the nested model's inputs (empty at top level). A generator: a nested model is expanded
  // by yielding it to the loop below (`yield [config, feeds]` returns its result), so models nested
  // 20,000 deep need no JS stack.
  type Expanded = { inputs: string[]; outputs: string[] };
  type Nested = [KerasModelConfig, string[]];
  function* expand(mc: KerasModelConfig, feeds: string[]): Generator<Nested, Expanded, Expanded> {
    if (!mc || typeof mc !== 'object') fail(`model config: expected a layer or model object, got ${formatJson(mc)}`);
    const cfg = mc.config;
    if (mc.class_name === 'Sequential') {
      const list: KerasLayerJSON[] = Array.isArray(cfg) ? cfg : cfg?.layers;
      if (!Array.isArray(list)) fail(`Sequential ${quote(cfg?.name)}: no layer list`);
      let prev: string[] = feeds;
      let inputs: string[] = [];
      for (let i = 0; i < list.length; i++) {
        const l = list[i]!;
        if (!l || typeof l !== 'object') fail(`Sequential ${quote(cfg?.name)}: layer ${i} is ${formatJson(l)}`);
        if (l.class_name === 'InputLayer') {
          if (feeds.length) {
            alias.set(l.config?.name ?? l.name, feeds[0]!);
            continue;
          }
          add({ className: 'InputLayer', name: l.config?.name ?? l.name, config: l.config ?? {}, inputs: [] });
          prev = [l.config?.name ?? l.name];
          inputs = prev;
          continue;
        }
        const name = l.config?.name ?? l.name;
        if (i === 0 && prev.length === 0) {
          const shape = batchShape(l.config);
          if (!shape) fail(`Sequential ${quote(cfg?.name)}: the first layer ${quote(name)} has no batch_input_shape`);
          const inName = `${name}_input`;
          add({ className: 'InputLayer', name: inName, config: { batch_input_shape: shape, name: inName }, inputs: [] });
          prev = [inName];
          inputs = prev;
        }
        if (NESTED.has(l.class_name)) {
          prev = (yield [l as KerasModelConfig, prev]).outputs;
        } else {
          add({ className: l.class_name, name, config: l.config ?? {}, inputs: prev.map(resolve) });
          prev = [name];
        }
      }
      return { inputs: feeds.length ? feeds : inputs, outputs: prev };
    }
    if (!NESTED.has(mc.class_name)) fail(`model config: unknown model class ${quote(mc.class_name)}`);
    if (!cfg || !Array.isArray(cfg.layers)) fail(`model ${quote(cfg?.name)}: config.layers is missing`);
    const inputNames: string[] = (cfg.input_layers ?? []).map((e: any) => (Array.isArray(e) ? e[0] : e));
    const outputNames: string[] = (
      Array.isArray(cfg.output_layers?.[0]) || !Array.isArray(cfg.output_layers) ? cfg.output_layers ?? [] : [cfg.output_layers]
    ).map((e: any) => (Array.isArray(e) ? e[0] : e));
    const nestedOut = new Map<string, string[]>();
    // Layers listed out of order are sorted; cycles are rejected.
    for (const l of topoSortLayers(cfg.name, cfg.layers as KerasLayerJSON[])) {
      const name = (l.name ?? l.config?.name) as string;
      const nodes = l.inbound_nodes ?? [];
      const srcs = nodes.length ? inboundNames(name, nodes[0]).map((n) => (nestedOut.get(n)?.[0] ?? n)) : [];
      if (l.class_name === 'InputLayer' && feeds.length) {
        const idx = inputNames.indexOf(name);
        alias.set(name, feeds[idx < 0 ? 0 : idx]!);
        continue;
      }
      if (NESTED.has(l.class_name)) {
        nestedOut.set(name, (yield [l as KerasModelConfig, srcs.map(resolve)]).outputs);
        continue;
      }
      add({ className: l.class_name, name, config: l.config ?? {}, inputs: srcs.map(resolve) });
    }
    return {
      inputs: feeds.length ? feeds : inputNames,
      outputs: outputNames.map((n) => resolve(nestedOut.get(n)?.[0] ?? n)),
    };
  }
  const alias = new Map<string, string>();
  const resolve = (n: string): string => {
    let cur = n;
    for (let i = 0; i < 100 && alias.has(cur); i++) cur = alias.get(cur)!;
    return cur;
  };
  // Runs `expand` with an explicit stack of generators (one per nesting level).
  const run = (root: KerasModelConfig): Expanded => {
    const stack: Generator<Nested, Expanded, Expanded>[] = [expand(root, [])];
    let sent: Expanded | undefined;
    for (;;) {
      const step = sent === undefined ? stack[stack.length - 1]!.next(undefined as never) : stack[stack.length - 1]!.next(sent);
      sent = undefined;
      if (step.done) {
        stack.pop();
        if (!stack.length) return step.value;
        sent = step.value;
      } else stack.push(expand(step.value[0], step.value[1]));
    }
  };
  const { inputs, outputs } = run(modelConfig);
  for (const l of layers) {
    l.inputs = l.inputs.map(resolve);
    for (const i of l.inputs) if (!seen.has(i)) fail(`layer ${quote(l.name)}: input ${quote(i)} is not a layer of the model`);
  }
  if (inputs.length !== 1) fail(`model: sepconv runs single-input models, this one has ${inputs.length} inputs`);
  if (outputs.length !== 1) fail(`model: sepconv runs single-output models, this one has ${outputs.length} outputs`);
  const name = modelConfig.config?.name ?? 'model';
  return { name, layers, inputs: inputs.map(resolve), outputs: outputs.map(resolve) };
}

// ---------------------------------------------------------------------------------------------
// Shape inference

function pair(v: unknown, fallback: number): [number, number] {
  if (v === undefined || v === null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [Number(v[0]), Number(v[1])];
  if (Array.isArray(v) && v.length === 1) return [Number(v[0]), Number(v[0])];
  fail(`expected an int or a pair, got ${formatJson(v)}`);
}

export function convOut(size: number, k: number, s: number, d: number, padding: string): number;
export function convOut(size: number | null, k: number, s: number, d: number, padding: string): number | null;
export function convOut(size: number | null, k: number, s: number, d: number, padding: string): number | null {
  if (size === null) return null;
  if (padding === 'same') return Math.ceil(size / s);
  const span = (k - 1) * d + 1;
  return size < span ? 0 : Math.floor((size - span) / s) + 1;
}

/** ZeroPadding2D's padding as [[top, bottom], [left, right]]. */
export function zeroPadding(v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number') return [[v, v], [v, v]];
  if (Array.isArray(v) && v.length === 2) {
    const [a, b] = v;
    if (typeof a === 'number' && typeof b === 'number') return [[a, a], [b, b]];
    if (Array.isArray(a) && Array.isArray(b)) return [[a[0], a[1]], [b[0], b[1]]];
  }
  fail(`ZeroPadding2D: bad padding ${formatJson(v)}`);
}

function activationName(v: unknown): string {
  if (v === undefined || v === null) return 'linear';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as any).class_name === 'string') return String((v as any).config?.name ?? (v as any).class_name).toLowerCase();
  return String(v);
}

/** Keras activation names sepconv runs (the layers' names). */
export const SUPPORTED_ACTIVATIONS = new Set(ACTIVATION_NAMES);

/** A per-sample size; `null` where the model leaves it open (known at predict time). Shared with the graph converter. */
export type Dim = number | null;
/** The product of the sizes; NaN when one is open. */
export const prod = (s: readonly Dim[]): number => s.reduce<number>((a, b) => (b === null ? NaN : a * b), 1);
export const isOpen = (s: readonly Dim[]): boolean => s.some((d) => d === null);
export const plusDim = (d: Dim, k: number): Dim => (d === null ? null : d + k);
/** Elementwise broadcast of two shapes (no check); an open size against 1 stays open. */
export function broadcastShape(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const pa = [...Array<Dim>(rank - a.length).fill(1), ...a];
  const pb = [...Array<Dim>(rank - b.length).fill(1), ...b];
  return pa.map((d, i) => {
    const e = pb[i]!;
    if (d === null) return e === null || e === 1 ? null : e;
    if (e === null) return d === 1 ? null : d;
    return Math.max(d, e);
  });
}

function fmt(s: readonly Dim[]): string {
  const head = s.slice(0, 8).map((d) => (d === null ? 'null' : typeof d === 'number' ? String(d) : formatJson(d)));
  return `[${head.join(', ')}${s.length > 8 ? `, … ${s.length - 8} more` : ''}]`;
}

/**
 * Infers every layer's output shape, weights, parameter count and MACs. MACs follow the papers:
 * conv = OH*OW*KH*KW*(Cin/groups)*Cout, depthwise = OH*OW*KH*KW*C*M, dense = in*out; BN,
 * activations, pooling and add/mul count none. `inputShape` (no batch) overrides the InputLayer's.
 */
export function inferGraph(graph: FlatGraph, inputShape?: readonly number[]): GraphInfo {
  // HostOp: a graph model's post-processing op (layers/host.ts), produced by the graph importer only.
  const unsupported = graph.layers.filter((l) => !SUPPORTED.has(l.className) && l.className !== 'HostOp');
  const badAct = graph.layers.filter(
    (l) => SUPPORTED.has(l.className) && 'activation' in l.config && !SUPPORTED_ACTIVATIONS.has(activationName(l.config.activation)),
  );
  if (unsupported.length || badAct.length) {
    const lines = [
      ...unsupported.map((l) => `  ${clip(l.name)} (${clip(l.className)})`),
      ...badAct.map((l) => `  ${clip(l.name)} (${l.className} with activation ${quote(activationName(l.config.activation))})`),
    ];
    fail(`model ${quote(graph.name)} uses ${lines.length} layer(s) sepconv does not support:\n${formatList(lines, 20, '\n')}`);
  }
  const shapes = new Map<string, Dim[]>();
  const infos: LayerInfo[] = [];
  for (const l of graph.layers) {
    const ins = l.inputs.map((n) => shapes.get(n) ?? fail(`layer ${quote(l.name)}: its input ${quote(n)} is not a layer listed before it`));
    const c = l.config;
    const name = l.name;
    const one = (): Dim[] => {
      if (ins.length !== 1) fail(`layer '${name}' (${l.className}): expected 1 input, got ${ins.length}`);
      return ins[0]!;
    };
    const image = (): [Dim, Dim, number] => {
      const s = one();
      if (s.length !== 3) fail(`layer '${name}' (${l.className}): expected an NHWC input [H, W, C], got ${fmt(s)}`);
      return s as [Dim, Dim, number];
    };
    // Layers whose weights or output need every size: the model must be loaded with `inputShape`.
    const needKnown = (s: readonly Dim[], what: string): number[] => {
      if (isOpen(s)) fail(`layer '${name}' (${l.className}): ${what} needs known input sizes, got ${fmt(s)}; pass inputShape`);
      return s as number[];
    };
    /** Sizes from the config (kernel, strides, dilation, pool, filters, units, pads): integers in [min, MAX_DIM]. */
    const sizes = (what: string, v: readonly unknown[], min = 1): void => {
      if (!v.every((d) => isDim(d, min))) fail(`layer ${quote(name)} (${clip(l.className)}): ${what} must be integers from ${min} to ${MAX_DIM}, got ${formatJson(v)}`);
    };
    let out: Dim[];
    const weights: WeightSpec[] = [];
    let macs = 0;
    const w = (n: string, shape: number[]): void => {
      weights.push({ name: `${name}/${n}`, shape });
    };
    switch (l.className) {
      case 'InputLayer': {
        const bs = inputShape ? [null, ...inputShape] : batchShape(c);
        if (!bs) fail(`input '${name}': no batch_input_shape`);
        const s = bs.slice(1);
        // Open sizes (null) are fine except the channels, which every weight shape needs.
        if (s.length === 0 || s.length > 64 || !s.every((d) => d === null || isDim(d, 1)) || s[s.length - 1] === null) {
          fail(`input '${name}': shape ${formatJson(bs)} has unknown channels or sizes that are not positive integers; pass inputShape`);
        }
        if (elementCount(s.filter((d): d is number => d !== null)) > MAX_ELEMENTS) fail(`input ${quote(name)}: shape ${formatJson(bs)} has more than 2**30 - 1 values per sample`);
        out = s as Dim[];
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        const [h, wd, cin] = image();
        if (c.data_format && c.data_format !== 'channels_last') fail(`layer '${name}': only channels_last is supported`);
        const [kh, kw] = pair(c.kernel_size, 1);
        const [sh, sw] = pair(c.strides, 1);
        const [dh, dw] = pair(c.dilation_rate, 1);
        sizes('kernel_size, strides and dilation_rate', [kh, kw, sh, sw, dh, dw]);
        const padding = String(c.padding ?? 'valid').toLowerCase();
        if (padding !== 'same' && padding !== 'valid') fail(`layer '${name}': padding '${c.padding}' is not supported`);
        const oh = convOut(h, kh, sh, dh, padding);
        const ow = convOut(wd, kw, sw, dw, padding);
        if ((oh !== null && oh < 1) || (ow !== null && ow < 1)) fail(`layer '${name}': input ${fmt([h, wd, cin])} is smaller than its ${kh}x${kw} kernel`);
        const useBias = c.use_bias ?? true;
        if (l.className === 'Conv2D') {
          const groups = c.groups ?? 1;
          const f = c.filters;
          sizes('filters and groups', [f, groups]);
          if (cin % groups || f % groups) fail(`layer '${name}': ${cin} channels or ${f} filters not divisible by groups ${groups}`);
          w('kernel', [kh, kw, cin / groups, f]);
          if (useBias) w('bias', [f]);
          macs = prod([oh, ow]) * kh * kw * (cin / groups) * f;
          out = [oh, ow, f];
        } else {
          const m = c.depth_multiplier ?? 1;
          sizes('depth_multiplier', [m]);
          w('depthwise_kernel', [kh, kw, cin, m]);
          macs = prod([oh, ow]) * kh * kw * cin * m;
          if (l.className === 'DepthwiseConv2D') {
            if (useBias) w('bias', [cin * m]);
            out = [oh, ow, cin * m];
          } else {
            const f = c.filters;
            sizes('filters', [f]);
            w('pointwise_kernel', [1, 1, cin * m, f]);
            if (useBias) w('bias', [f]);
            macs += prod([oh, ow]) * cin * m * f;
            out = [oh, ow, f];
          }
        }
        break;
      }
      case 'BatchNormalization': {
        const s = one();
        const axis = Array.isArray(c.axis) ? c.axis[0] : c.axis ?? -1;
        if (axis !== -1 && axis !== s.length) fail(`layer '${name}': BatchNormalization over axis ${axis} (only the channel axis is supported)`);
        const ch = s[s.length - 1]!;
        if (c.scale ?? true) w('gamma', [ch]);
        if (c.center ?? true) w('beta', [ch]);
        w('moving_mean', [ch]);
        w('moving_variance', [ch]);
        out = s;
        break;
      }
      case 'Normalization': {
        const s = one();
        const ch = s[s.length - 1]!;
        const axis = Array.isArray(c.axis) ? c.axis : [c.axis ?? -1];
        if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== s.length)) fail(`layer '${name}': Normalization over axis ${formatJson(c.axis)} (only the channel axis is supported)`);
        if (c.mean == null) {
          w('mean', [ch]);
          w('variance', [ch]);
          w('count', []);
        }
        out = s;
        break;
      }
      case 'ReLU':
      case 'LeakyReLU':
      case 'Activation':
      case 'Softmax':
      case 'Dropout':
      case 'Rescaling':
        out = one();
        break;
      case 'PReLU': {
        const s = one();
        const shared: number[] = c.shared_axes == null ? [] : Array.isArray(c.shared_axes) ? c.shared_axes : [c.shared_axes];
        if (shared.some((a) => !Number.isInteger(a) || a < 1 || a > s.length)) fail(`layer '${name}' (PReLU): shared_axes ${formatJson(c.shared_axes)} do not fit input ${fmt(s)}`);
        const alpha = s.map((d, i) => (shared.includes(i + 1) ? 1 : d));
        w('alpha', needKnown(alpha, 'an alpha over an axis it does not share'));
        out = s;
        break;
      }
      case 'Concatenate': {
        if (ins.length < 2) fail(`layer '${name}' (Concatenate): expected at least 2 inputs, got ${ins.length}`);
        const axis = c.axis ?? -1;
        if (axis !== -1 && axis !== ins[0]!.length) fail(`layer '${name}' (Concatenate): only the channel axis (-1) is supported, got axis ${axis}`);
        const joined = channelConcatShape(ins);
        if (!joined) fail(`layer '${name}' (Concatenate): inputs ${ins.map(fmt).join(' and ')} differ outside the channel axis`);
        out = joined;
        break;
      }
      case 'ZeroPadding2D': {
        const [h, wd, ch] = image();
        const [[t, b], [le, r]] = zeroPadding(c.padding ?? 1);
        sizes('padding', [t, b, le, r], 0);
        out = [plusDim(h, t + b), plusDim(wd, le + r), ch];
        break;
      }
      case 'Add':
      case 'Multiply': {
        if (ins.length < 2) fail(`layer '${name}' (${l.className}): expected at least 2 inputs, got ${ins.length}`);
        const rank = ins.reduce((r, s) => Math.max(r, s.length), 0);
        for (let i = 0; i < rank; i++) {
          const known = ins.map((s) => (s.length - rank + i >= 0 ? s[s.length - rank + i]! : 1)).filter((d): d is number => d !== null);
          const m = known.reduce((a, d) => Math.max(a, d), 1);
          if (known.some((d) => d !== 1 && d !== m)) fail(`layer '${name}' (${l.className}): inputs ${ins.map(fmt).join(' and ')} do not broadcast`);
        }
        // Open sizes are checked when predict() sees them.
        out = ins.reduce(broadcastShape);
        // A Multiply by a per-channel [1, 1, C] gate (squeeze-excite) is a 1x1 depthwise conv with
        // input-dependent weights: one MAC per output element. Plain elementwise products count none.
        if (l.className === 'Multiply' && rank === 3 && ins.some((s) => s.length === 3 && s[0] === 1 && s[1] === 1 && prod(s) < prod(out))) {
          macs = prod(out);
        }
        break;
      }
      case 'GlobalAveragePooling2D': {
        const [, , ch] = image();
        out = c.keepdims ? [1, 1, ch] : [ch];
        break;
      }
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        const [h, wd, ch] = image();
        const [ph, pw] = pair(c.pool_size, 2);
        const [sh, sw] = c.strides == null ? [ph, pw] : pair(c.strides, 1);
        sizes('pool_size and strides', [ph, pw, sh, sw]);
        const padding = String(c.padding ?? 'valid').toLowerCase();
        out = [convOut(h, ph, sh, 1, padding), convOut(wd, pw, sw, 1, padding), ch];
        if (out.some((d) => d !== null && d < 1)) fail(`layer '${name}': input ${fmt([h, wd, ch])} is smaller than its pool`);
        break;
      }
      case 'Reshape': {
        const s = needKnown(one(), 'Reshape');
        const t: number[] = [...(c.target_shape as number[])];
        const known = prod(t.filter((d) => d !== -1 && d !== null));
        const n = prod(s);
        const unknown = t.findIndex((d) => d === -1 || d === null);
        if (unknown >= 0) t[unknown] = n / known;
        if (prod(t) !== n || !t.every((d) => Number.isInteger(d))) fail(`layer '${name}': cannot reshape ${fmt(s)} to ${formatJson(c.target_shape)}`);
        out = t;
        break;
      }
      case 'Flatten':
        out = [prod(needKnown(one(), 'Flatten'))];
        break;
      case 'Dense': {
        const s = one();
        const fin = s[s.length - 1] as number;
        const units = c.units;
        sizes('units', [units]);
        w('kernel', [fin, units]);
        if (c.use_bias ?? true) w('bias', [units]);
        macs = (prod(s) / fin) * fin * units;
        out = [...s.slice(0, -1), units];
        break;
      }
      case 'Resize':
      case 'Conv2DTranspose':
      case 'DepthToSpace':
      case 'SpaceToDepth':
      case 'PadND':
      case 'ChannelGather': {
        // Shapes and weights as the layer itself computes them (layers/image.ts).
        const s = one();
        try {
          const layer = imageLayer(l);
          out = layer.computeOutputShape([s]);
          if (layer instanceof Conv2DTranspose) {
            const cin = s[s.length - 1];
            if (cin === null || cin === undefined) fail(`layer '${name}' (Conv2DTranspose): unknown input channels`);
            w('kernel', [...layer.kernelSize, layer.filters, cin]);
            if (layer.useBias) w('bias', [layer.filters]);
            if (!isOpen(s)) macs = prod(s as number[]) * layer.kernelSize[0] * layer.kernelSize[1] * layer.filters;
          }
        } catch (e) {
          if (e instanceof ModelFormatError) throw e;
          fail(`layer ${quote(name)} (${l.className}): ${(e as Error).message}`);
        }
        break;
      }
      case 'HostOp':
        // Whole TF shapes (batch included), inferred by the importer; the layer checks them again when applied.
        out = [...(c.out_shape as number[])];
        break;
      default:
        fail(`layer '${name}': unsupported class ${l.className}`);
    }
    shapes.set(name, out);
    const params = weights.reduce((a, ws) => a + prod(ws.shape), 0);
    infos.push({ name, className: l.className, inputs: l.inputs, outputShape: out, weights, params, macs });
  }
  return {
    name: graph.name,
    layers: infos,
    inputs: graph.inputs,
    outputs: graph.outputs,
    inputShape: shapes.get(graph.inputs[0]!)!,
    outputShape: shapes.get(graph.outputs[0]!)!,
    params: infos.reduce((a, l) => a + l.params, 0),
    macs: infos.reduce((a, l) => a + l.macs, 0),
  };
}

/** The shape of shapes joined along the last (channel) axis; undefined when they differ in rank or another axis (an open size, null, matches any). */
export function channelConcatShape<D extends number | null>(shapes: readonly (readonly D[])[]): D[] | undefined {
  const first = shapes[0]!;
  const rank = first.length;
  if (shapes.some((s) => s.length !== rank)) return undefined;
  const out: D[] = [];
  for (let i = 0; i < rank - 1; i++) {
    const known = shapes.map((s) => s[i]!).filter((d) => d !== null);
    if (known.some((d) => d !== known[0])) return undefined;
    out.push((known[0] ?? null) as D);
  }
  out.push(shapes.reduce<number>((a, s) => a + (s[rank - 1] as number), 0) as D);
  return out;
}

/** The Keras activation name as sepconv's layers take it. */
export function kerasActivation(v: unknown): string {
  return activationName(v);
}
