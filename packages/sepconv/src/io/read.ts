// Reads a TF.js model (layers or graph format) into a flat Keras-style graph plus validated
// float32 weights named `<layer>/<weight>`, without touching wasm. `loadModel` (build.ts) turns
// the result into a sepconv model.
import { formatList, formatJson, ModelFormatError, quote } from '../errors.js';
import { convertGraphModel } from './graph-model.js';
import { inferGraph, normalizeKerasConfig, type FlatGraph, type GraphInfo, type KerasModelConfig } from './keras-config.js';
import { readModelFiles, type LoadOptions, type ModelSource, type RawModel } from './sources.js';
import { decodeWeights, type NamedWeights } from './weights.js';

/** A model.json read and understood (see `parseModel`): its format, the flattened graph, and per-layer shapes, weights, params and MACs. */
export interface ParsedModel {
  format: 'layers' | 'graph';
  graph: FlatGraph;
  /** Shapes, weights, params and MACs per layer, inferred from the config. */
  info: GraphInfo;
  /** Every weight the graph needs, validated against `info`. */
  weights: Map<string, Float32Array>;
}

/** Which kind of TF.js model a model.json object holds: `'layers'` (a Keras model config) or `'graph'` (a converted TF graph). Throws `ModelFormatError` when it is neither. */
export function detectFormat(json: any): 'layers' | 'graph' {
  const t = json.modelTopology;
  if (json.format === 'graph-model' || Array.isArray(t?.node)) return 'graph';
  if (json.format === 'layers-model' || t?.model_config || t?.class_name) return 'layers';
  throw new ModelFormatError('model.json: cannot tell the format (no modelTopology.model_config for a layers model, no modelTopology.node for a graph model)');
}

/** The Keras model config of a layers-format model.json. */
export function kerasModelConfig(json: any): KerasModelConfig {
  const t = json.modelTopology;
  const mc = t.model_config ?? t;
  if (!mc || typeof mc.class_name !== 'string' || !mc.config) throw new ModelFormatError('model.json: modelTopology.model_config must be { class_name, config }');
  return mc;
}

/**
 * Matches manifest weight names to the model's `<layer>/<weight>` names (`wanted`): exactly, else after
 * dropping `:0` suffixes and enclosing scopes (`model/Conv1/kernel` for a nested model). Every wanted
 * weight must be found with its shape and every manifest weight used, or one ModelFormatError lists the
 * missing, mis-shaped and extra ones (the first 10 of each).
 */
export function matchWeights(
  wanted: readonly { name: string; shape: readonly number[] }[],
  decoded: Map<string, Float32Array>,
  shapes: Map<string, readonly number[]>,
  what: string,
): Map<string, Float32Array> {
  const byKey = new Map<string, string>();
  // The `/`-suffixes of every clean name (`b/c` and `c` of `a/b/c`), for the nested-scope match in one
  // lookup; at most the last 16 segments, so the index stays linear in the manifest's size.
  const bySuffix = new Map<string, string[]>();
  for (const k of decoded.keys()) {
    const clean = k.replace(/:\d+$/, '');
    byKey.set(clean, k);
    let i = clean.length;
    for (let seg = 0; seg < 16 && i > 0 && (i = clean.lastIndexOf('/', i - 1)) >= 0; seg++) {
      const suffix = clean.slice(i + 1);
      const list = bySuffix.get(suffix);
      if (list) list.push(clean);
      else bySuffix.set(suffix, [clean]);
    }
  }
  const out = new Map<string, Float32Array>();
  const used = new Set<string>();
  const missing: string[] = [];
  const badShape: string[] = [];
  for (const w of wanted) {
    let key = byKey.get(w.name);
    if (key === undefined) {
      const hits = bySuffix.get(w.name) ?? [];
      if (hits.length === 1) key = byKey.get(hits[0]!);
    }
    if (key === undefined || used.has(key)) {
      missing.push(`${w.name} ${formatJson(w.shape)}`);
      continue;
    }
    used.add(key);
    const got = shapes.get(key)!;
    if (got.join() !== w.shape.join()) {
      badShape.push(`${w.name}: the model needs ${formatJson(w.shape)}, the file has ${formatJson(got)}`);
      continue;
    }
    out.set(w.name, decoded.get(key)!);
  }
  const extra = [...decoded.keys()].filter((k) => !used.has(k));
  if (missing.length || badShape.length || extra.length) {
    const parts = [
      missing.length ? `missing weights:\n${formatList(missing.map((m) => `  ${m}`), 10, '\n')}` : '',
      badShape.length ? `weights of the wrong shape:\n${formatList(badShape.map((m) => `  ${m}`), 10, '\n')}` : '',
      extra.length ? `weights no layer uses:\n${formatList(extra.map((m) => `  ${m}`), 10, '\n')}` : '',
    ].filter(Boolean);
    throw new ModelFormatError(`${what}: the weights do not fit the model:\n${parts.join('\n')}`);
  }
  return out;
}

/** Decoded manifest weights as float32 values and shapes, by manifest name. */
export function floatWeights(decoded: NamedWeights): { floats: Map<string, Float32Array>; shapes: Map<string, number[]> } {
  const floats = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const [k, v] of decoded) {
    floats.set(k, v.values instanceof Float32Array ? v.values : Float32Array.from(v.values));
    shapes.set(k, v.shape);
  }
  return { floats, shapes };
}

/** Parses model.json + shards (already read) into a validated flat graph and weights. */
export function parseModel(raw: RawModel, opts: Pick<LoadOptions, 'inputShape' | 'maxGeneratedElements'> = {}): ParsedModel {
  const format = detectFormat(raw.json);
  const decodedRaw = decodeWeights(raw.groups, raw.weightData, raw.what);
  if (format === 'layers') {
    const graph = normalizeKerasConfig(kerasModelConfig(raw.json));
    const info = inferGraph(graph, opts.inputShape);
    const { floats, shapes } = floatWeights(decodedRaw);
    return { format, graph, info, weights: matchWeights(info.layers.flatMap((l) => l.weights), floats, shapes, raw.what) };
  }
  const sigOutputs = raw.json.signature?.outputs ? Object.values(raw.json.signature.outputs).map((o: any) => String(o?.name).replace(/:\d+$/, '')) : undefined;
  const { graph, weights } = convertGraphModel(raw.json.modelTopology.node, decodedRaw, {
    outputs: sigOutputs && sigOutputs.length === 1 ? sigOutputs : undefined,
    inputShape: opts.inputShape,
    maxGeneratedElements: opts.maxGeneratedElements,
  });
  const info = inferGraph(graph);
  // The converter produced both sides; still check every shape as for layers models.
  const shapes = new Map<string, number[]>();
  for (const l of info.layers) for (const w of l.weights) shapes.set(w.name, w.shape);
  const defaults = new Map<string, Float32Array>();
  for (const [name, shape] of shapes) {
    const v = weights.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!v) throw new ModelFormatError(`${raw.what}: converting the graph left weight ${quote(name)} unset (a bug in sepconv)`);
    if (v.length !== size) throw new ModelFormatError(`${raw.what}: weight ${quote(name)} has ${v.length} values, its layer needs ${formatJson(shape)}`);
    defaults.set(name, v);
  }
  return { format, graph, info, weights: defaults };
}

/** Reads and parses a TF.js model from any source, without building it. */
export async function readModel(source: ModelSource, opts: LoadOptions = {}): Promise<ParsedModel> {
  const raw = await readModelFiles(source, opts);
  return parseModel(raw, opts);
}
