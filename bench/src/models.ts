// Issue 6's whole-model bench: five networks from the package's zoo configs, the same seeded
// weights in every engine (sepconv simd128/relaxed/scalar; TF.js's fastest path, a graph model from
// tensorflowjs_converter, on wasm and cpu, and tfjs-layers on wasm; ONNX on ORT). Plus a real
// converted graph model (nsfwjs's MobileNetV2 1.4), which sepconv's loadGraphModel and TF.js's run.
import { join } from 'node:path';
import { keep, type BenchArgs } from './args.js';
import * as sc from './sepconv.js';
import { ALL_ENGINES, ourBuild, ROOT, type EngineId, type Engines, type OurBuild } from './engines/index.js';
import { tfjsModelFromConfig } from './engines/tfjs-model.js';
import { convertToGraph, graphOps, loadTfGraph, readArtifacts, saveLayers, type TfArtifacts } from './engines/tfjs-graph.js';
import { kerasToOnnx } from './onnx/keras.js';
import { nhwcToNchw } from './onnx/builder.js';
import { maxAbsDiff } from './chains.js';
import type { Ctx, EngineMeasure } from './measure.js';
import { hashSeed, randn, rng } from './rng.js';
import { interleave, type Contender } from './timing.js';
import * as v1 from '../../packages/sepconv/src/models/mobilenet-v1.js';
import * as v2 from '../../packages/sepconv/src/models/mobilenet-v2.js';
import * as eff from '../../packages/sepconv/src/models/efficientnet.js';
import * as xc from '../../packages/sepconv/src/models/xception.js';
import * as rn from '../../packages/sepconv/src/models/resnet.js';
import * as kc from '../../packages/sepconv/src/io/keras-config.js';

export const MODEL_ENGINES: EngineId[] = ALL_ENGINES;
const SLOW: EngineId[] = ['sepconv-scalar', 'tfjs-cpu'];

export interface ModelDef {
  id: string;
  label: string;
  /** A zoo model: its Keras config (every engine gets it with the same seeded weights). */
  config?: () => any;
  /** A real TF.js graph model as tensorflowjs_converter wrote it (sepconv and TF.js run the file). */
  graphFile?: string;
  /** Only these engines run it (the others say so). */
  engines?: EngineId[];
}

/** nsfwjs's MobileNetV2 alpha 1.4 at 224: a trained model converted to a TF.js graph model (uint8 weights). */
export const NSFW_GRAPH: ModelDef = {
  id: 'nsfwjs_mobilenet_v2_mid',
  label: 'nsfwjs MobileNetV2 1.4-224 (real graph model)',
  graphFile: join(ROOT, 'node_modules/nsfwjs/dist/models/mobilenet_v2_mid/model.min.js'),
};

const call = (ns: Record<string, any>, name: string, ...a: any[]) => {
  const f = ns[name];
  if (typeof f !== 'function') throw new Error(`${name} not available`);
  return f(...a);
};

// Smallest first: wasm memories only grow, so the heap read after a model is that model's peak.
export function modelDefs(quick: boolean): ModelDef[] {
  if (quick) {
    return [
      { id: 'mobilenet_v2', label: 'MobileNetV2 0.35-32 (quick)', config: () => call(v2, 'mobilenetV2Config', { alpha: 0.35, resolution: 32, classes: 10 }) },
      { id: 'efficientnet_b0', label: 'EfficientNet-B0 at 32 (quick)', config: () => call(eff, 'efficientnetConfig', 'b0', { resolution: 32, classes: 10 }) },
      // a 224x224 model: in --quick only the engines the test needs, not the slow ones
      { ...NSFW_GRAPH, engines: ['sepconv-simd128', 'sepconv-relaxed', 'tfjs-wasm'] },
    ];
  }
  return [
    { id: 'mobilenet_v2', label: 'MobileNetV2 1.0-224', config: () => call(v2, 'mobilenetV2Config') },
    { id: 'mobilenet_v1', label: 'MobileNetV1 1.0-224', config: () => call(v1, 'mobilenetV1Config') },
    NSFW_GRAPH,
    { id: 'efficientnet_b0', label: 'EfficientNet-B0', config: () => call(eff, 'efficientnetConfig', 'b0') },
    { id: 'resnet50', label: 'ResNet-50', config: () => call(rn, 'resnet50Config') },
    { id: 'xception', label: 'Xception-299', config: () => call(xc, 'xceptionConfig') },
  ];
}

export function selectedModels(args: BenchArgs): ModelDef[] {
  return modelDefs(args.quick).filter((m) => keep(args, m.id, m.label, 'models'));
}

export interface ModelResult {
  id: string;
  label: string;
  inputShape?: number[];
  macs?: number;
  params?: number;
  na?: string;
  engines: Partial<Record<EngineId, EngineMeasure & { heapBytes?: number; firstRunMs?: number; setupMs?: number; memory?: { arenaBytes: number; unsharedActivationBytes: number; packedWeightBytes: number } }>>;
  check?: { reference: EngineId; against: EngineId; maxAbsDiff: number; logitDiff: number; top1: boolean; ok: boolean }[];
  /** The TF.js graph model the fastest-path columns ran: where it came from and its ops (what was fused), or why there is none. */
  tfGraph?: { source: string; ops?: Record<string, number>; na?: string };
}

/** Seeded weights for every `<layer>/<weight>` of the graph (BN statistics kept sane). */
export function makeWeights(info: any): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const l of info.layers) {
    for (const w of l.weights as { name: string; shape: number[] }[]) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const local = w.name.slice(w.name.lastIndexOf('/') + 1);
      const seed = hashSeed(w.name);
      let v: Float32Array;
      if (local === 'gamma') v = randn(n, seed, 0.1).map((x) => 1 + x);
      else if (local === 'moving_variance' || local === 'variance') v = randn(n, seed, 0.1).map((x) => 1.1 + x);
      else if (local === 'beta' || local === 'moving_mean' || local === 'mean' || local === 'bias') v = randn(n, seed, 0.05);
      else if (local === 'count') v = new Float32Array(n).fill(1);
      else {
        // kernels: variance 1/fanIn (fanIn = all dims but the last; depthwise: the spatial taps)
        const fanIn = local === 'depthwise_kernel' ? w.shape[0]! * w.shape[1]! : n / w.shape[w.shape.length - 1]!;
        v = randn(n, seed, Math.sqrt(3 / fanIn));
      }
      out.set(w.name, v);
    }
  }
  // A peaked softmax (logits of a few units), so the cross-engine output check compares something.
  const last = [...info.layers].reverse().find((l: any) => l.weights.some((w: any) => w.name.endsWith('/kernel')));
  if (last) for (const w of last.weights) if (w.name.endsWith('/kernel')) out.set(w.name, out.get(w.name)!.map((x) => x * 20));
  return out;
}

interface Built {
  run: () => unknown;
  before?: () => unknown;
  output: () => Promise<Float32Array>;
  dispose: () => unknown;
  heap?: () => number | undefined;
  stats?: () => any;
  setupMs: number;
  firstRunMs?: number;
}

const OUR_FACTORIES = ['modelFromKerasConfig', 'modelFromConfig', 'fromKerasConfig'];
export function ourModelFactory(): ((config: any) => any) | undefined {
  for (const n of OUR_FACTORIES) {
    const f = sc.fn(sc.api, n) ?? sc.fn(sc.modelsModule, n) ?? sc.fn(sc.ioBuild, n);
    if (f) return f as (config: any) => any;
  }
  return undefined;
}

async function buildOurs(e: Engines, build: OurBuild, cfg: any, weights: Map<string, Float32Array>, input: Float32Array, shape: number[]): Promise<Built | string> {
  const factory = ourModelFactory();
  if (!factory) return `no model factory exported yet (looked for ${OUR_FACTORIES.join(', ')})`;
  return timeOurs(e, build, async () => {
    const m = await factory(cfg);
    m.setWeights(weights);
    return m;
  }, input, shape);
}

/**
 * Builds a sepconv model with `build` current (`make`), then times its first predict (BN folding, packing,
 * arena planning); every later use makes `build` current again (objects of another runtime refuse).
 */
async function timeOurs(e: Engines, build: OurBuild, make: () => Promise<any>, input: Float32Array, shape: number[]): Promise<Built> {
  const use = () => e.useSepconv(build);
  use();
  const t0 = performance.now();
  const m = await make();
  const x = sc.tensor(input, shape);
  const t1 = performance.now();
  // predict returns a view of the model's arena (valid until the next predict): nothing to free.
  const once = () => m.predict(x);
  once();
  const first = performance.now() - t1;
  return {
    setupMs: t1 - t0,
    firstRunMs: first,
    run: once,
    before: use,
    output: async () => {
      use();
      return once().data();
    },
    heap: () => e.rt.get(build)!.memory.buffer.byteLength,
    stats: () => {
      use();
      return m.memoryStats?.();
    },
    dispose: () => {
      use();
      x.dispose();
      m.dispose?.();
    },
  };
}

/** A TF.js model (tfjs-layers or a graph model) on one backend; `make` builds it on that backend. */
async function buildTf(e: Engines, id: 'tfjs-wasm' | 'tfjs-wasm-layers' | 'tfjs-cpu', make: () => Promise<any>, input: Float32Array, shape: number[]): Promise<Built | string> {
  const tf = e.tf;
  const use = () => e.useTf(id === 'tfjs-cpu' ? 'cpu' : 'wasm');
  use();
  const t0 = performance.now();
  const model: any = await make();
  const x = tf.tensor(input, shape);
  const t1 = performance.now();
  const once = () => {
    const y = model.predict(x);
    const d = (Array.isArray(y) ? y[0] : y).dataSync();
    tf.dispose(y);
    return d;
  };
  once();
  const first = performance.now() - t1;
  return {
    setupMs: t1 - t0,
    firstRunMs: first,
    run: once,
    before: use,
    output: async () => {
      use();
      return Float32Array.from(once());
    },
    heap: () => e.heapBytes(id),
    dispose: () => {
      use();
      x.dispose();
      model.dispose();
    },
  };
}

/** sepconv on a TF.js graph model file (its loadGraphModel: the importer users call). */
async function buildOursGraph(e: Engines, build: OurBuild, file: string, input: Float32Array, shape: number[]): Promise<Built | string> {
  const load = sc.fn(sc.api, 'loadGraphModel');
  if (!load) return 'loadGraphModel not exported yet';
  return timeOurs(e, build, () => load(file), input, shape);
}

async function buildOrt(e: Engines, id: 'ort-web' | 'ort-node', onnxBytes: Uint8Array, inputName: string, input: Float32Array, shape: number[]): Promise<Built | string> {
  const ort = id === 'ort-web' ? e.ortWeb : e.ortNode;
  const t0 = performance.now();
  const opts = id === 'ort-web'
    ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }
    : { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 };
  const session = await ort.InferenceSession.create(onnxBytes, opts);
  const [n, h, w, c] = shape as [number, number, number, number];
  const x = new ort.Tensor('float32', nhwcToNchw(input, shape), [n, c, h, w]);
  const out = session.outputNames[0];
  const t1 = performance.now();
  const once = async () => {
    const r = await session.run({ [inputName]: x });
    return r[out];
  };
  await once();
  const first = performance.now() - t1;
  return {
    setupMs: t1 - t0,
    firstRunMs: first,
    run: once,
    output: async () => {
      const y = await once();
      const d = y.data as Float32Array;
      if ((y.dims as number[]).length !== 4) return Float32Array.from(d);
      const [yn, yc, yh, yw] = y.dims as number[];
      const o = new Float32Array(d.length);
      for (let b = 0; b < yn!; b++)
        for (let ci = 0; ci < yc!; ci++)
          for (let yy = 0; yy < yh!; yy++)
            for (let xx = 0; xx < yw!; xx++) o[((b * yh! + yy) * yw! + xx) * yc! + ci] = d[((b * yc! + ci) * yh! + yy) * yw! + xx]!;
      return o;
    },
    heap: () => e.heapBytes(id),
    dispose: () => session.release(),
  };
}

export interface PreparedModel {
  def: ModelDef;
  /** Zoo models only (a graph-file row has no Keras config, no layers form, no ONNX). */
  cfg?: any;
  info?: any;
  flat?: any;
  weights?: Map<string, Float32Array>;
  input: Float32Array;
  shape: number[];
  macs?: number;
  params?: number;
  onnx: () => Uint8Array;
}

export function prepareModel(def: ModelDef): PreparedModel {
  if (!def.config) throw new Error(`${def.id}: not a zoo model`);
  const cfg = def.config();
  const flat = kc.normalizeKerasConfig(cfg);
  const info = kc.inferGraph(flat);
  const weights = makeWeights(info);
  // a zoo config has a fixed input size
  const shape = [1, ...info.inputShape] as number[];
  const input = seededInput(def.id, shape);
  let bytes: Uint8Array | undefined;
  const onnx = () => (bytes ??= kerasToOnnx(flat.layers, new Map(info.layers.map((l: any) => [l.name, l.outputShape])), flat.outputs[0], (n) => weights.get(n)));
  return { def, cfg, info, flat, weights, input, shape, macs: info.macs, params: info.params, onnx };
}

function seededInput(id: string, shape: number[]): Float32Array {
  const r = rng(hashSeed(id));
  return Float32Array.from({ length: shape.reduce((a: number, b: number) => a * b, 1) }, () => (r() + 1) / 2);
}

/** A graph-file row: input shape from the graph's Placeholder, MACs and params from sepconv's import of it. */
async function prepareGraphFile(def: ModelDef, e: Engines): Promise<{ p: PreparedModel; art: TfArtifacts }> {
  const art = await readArtifacts(def.graphFile!);
  const ph = (art.modelTopology?.node ?? []).find((n: any) => n.op === 'Placeholder');
  const dims = (ph?.attr?.shape?.shape?.dim ?? []).map((d: any) => Number(d.size));
  if (dims.length !== 4 || dims.slice(1).some((d: number) => !(d > 0))) throw new Error(`${def.id}: no NHWC input shape in the graph (${JSON.stringify(dims)})`);
  const shape = [1, ...dims.slice(1)];
  const p: PreparedModel = { def, input: seededInput(def.id, shape), shape, onnx: () => { throw new Error('no ONNX form'); } };
  const load = sc.fn(sc.api, 'loadGraphModel');
  const build = (['simd128', 'relaxed', 'scalar'] as const).find((b) => e.rt.has(b));
  if (load && build) {
    e.useSepconv(build);
    const m = await load(def.graphFile!);
    p.macs = m.summary().totalMacs;
    p.params = m.countParams();
    m.dispose();
  }
  return { p, art };
}

/**
 * TF.js's fastest path for a zoo model: the exact tfjs-layers model the bench builds (same config, same
 * weights), saved as a layers model and converted by tensorflowjs_converter (cached).
 */
async function zooGraph(ctx: Ctx, p: PreparedModel): Promise<{ art?: TfArtifacts; info: NonNullable<ModelResult['tfGraph']> }> {
  const e = ctx.engines;
  const backend = e.has('tfjs-wasm') || e.has('tfjs-wasm-layers') ? 'wasm' : 'cpu';
  const use = () => e.useTf(backend);
  use();
  const layers = await tfjsModelFromConfig(e.tf, p.cfg, p.weights!, use);
  const saved = await saveLayers(e.tf, layers);
  layers.dispose();
  ctx.log(`model ${p.def.id}: tensorflowjs_converter (layers -> graph model)`);
  const r = convertToGraph(p.def.id, saved, ctx.args.convert);
  if ('na' in r) return { info: { source: 'tensorflowjs_converter', na: r.na } };
  return { art: await readArtifacts(r.modelJson), info: { source: `tensorflowjs_converter --input_format=tfjs_layers_model --output_format=tfjs_graph_model (${r.modelJson})`, ops: graphOps(r.modelJson) } };
}

/** Softmax outputs compared as centered log-probabilities (logits up to a constant), relative to their range. */
export function compareProbs(a: Float32Array, b: Float32Array): { logitDiff: number; top1: boolean } {
  if (a.length !== b.length) return { logitDiff: Infinity, top1: false };
  const la = Array.from(a, (v) => Math.log(Math.max(v, 1e-30)));
  const lb = Array.from(b, (v) => Math.log(Math.max(v, 1e-30)));
  const ma = la.reduce((x, y) => x + y, 0) / la.length;
  const mb = lb.reduce((x, y) => x + y, 0) / lb.length;
  let d = 0;
  for (let i = 0; i < la.length; i++) d = Math.max(d, Math.abs(la[i]! - ma - (lb[i]! - mb)));
  const range = Math.max(...lb) - Math.min(...lb) || 1;
  const arg = (v: number[]) => v.reduce((bi, x, i) => (x > v[bi]! ? i : bi), 0);
  return { logitDiff: d / range, top1: arg(la) === arg(lb) };
}

export async function runModels(ctx: Ctx, defs: ModelDef[], ids: EngineId[]): Promise<ModelResult[]> {
  const results: ModelResult[] = [];
  for (const def of defs) {
    ctx.log(`model ${def.id}: setting up`);
    const res: ModelResult = { id: def.id, label: def.label, engines: {} };
    results.push(res);
    let p: PreparedModel;
    let graph: TfArtifacts | undefined;
    try {
      if (def.graphFile) {
        const g = await prepareGraphFile(def, ctx.engines);
        p = g.p;
        graph = g.art;
        res.tfGraph = { source: `${def.graphFile.replace(`${ROOT}/`, '')} as shipped (tensorflowjs_converter output)` };
      } else p = prepareModel(def);
    } catch (err) {
      res.na = `${def.graphFile ? 'model' : 'config'} not available: ${err instanceof Error ? err.message : String(err)}`;
      ctx.tick(ctx.args.warmup + ctx.args.runs);
      continue;
    }
    res.inputShape = p.shape;
    res.macs = p.macs;
    res.params = p.params;
    // TF.js's fastest path needs the converted graph model (zoo models: converted once, cached).
    if (!graph && p.cfg && ids.some((id) => (id === 'tfjs-wasm' || id === 'tfjs-cpu') && ctx.engines.has(id))) {
      try {
        const g = await zooGraph(ctx, p);
        graph = g.art;
        res.tfGraph = g.info;
      } catch (err) {
        res.tfGraph = { source: 'tensorflowjs_converter', na: `setup failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
      }
    }
    const built = new Map<EngineId, Built>();
    for (const id of ids) {
      if (!ctx.engines.has(id)) {
        res.engines[id] = { na: ctx.engines.info.get(id)?.error ?? 'not loaded' };
        continue;
      }
      if (def.graphFile && (id === 'tfjs-wasm-layers' || id === 'ort-web' || id === 'ort-node')) {
        res.engines[id] = { na: id === 'tfjs-wasm-layers' ? 'a graph model: there is no layers model to load' : 'no ONNX form of this TF.js graph model' };
        continue;
      }
      if (def.engines && !def.engines.includes(id)) {
        res.engines[id] = { na: 'not run in --quick for this model' };
        continue;
      }
      const cap = id === 'tfjs-cpu' ? ctx.args.slowMaxGmac : id === 'sepconv-scalar' ? ctx.args.scalarMaxGmac : Infinity;
      if ((p.macs ?? 0) > cap * 1e9) {
        res.engines[id] = { na: `skipped: ${((p.macs ?? 0) / 1e9).toFixed(1)} GMAC is over --${id === 'tfjs-cpu' ? 'slow' : 'scalar'}-max-gmac ${cap} for this slow engine` };
        continue;
      }
      ctx.log(`model ${def.id}: building on ${id}`);
      const build = ourBuild(id);
      try {
        let b: Built | string;
        if (build) b = def.graphFile ? await buildOursGraph(ctx.engines, build, def.graphFile, p.input, p.shape) : await buildOurs(ctx.engines, build, p.cfg, p.weights!, p.input, p.shape);
        else if (id === 'tfjs-wasm' || id === 'tfjs-cpu') {
          const g = graph;
          b = g ? await buildTf(ctx.engines, id, () => loadTfGraph(ctx.engines.tf, g), p.input, p.shape) : `no graph model: ${res.tfGraph?.na ?? 'not converted'}`;
        } else if (id === 'tfjs-wasm-layers') {
          b = p.cfg ? await buildTf(ctx.engines, id, () => tfjsModelFromConfig(ctx.engines.tf, p.cfg, p.weights!, () => ctx.engines.useTf('wasm')), p.input, p.shape) : 'a graph model: there is no layers model to load';
        } else b = p.cfg ? await buildOrt(ctx.engines, id as 'ort-web' | 'ort-node', p.onnx(), p.flat.inputs[0], p.input, p.shape) : 'no ONNX form of this TF.js graph model';
        if (typeof b === 'string') res.engines[id] = { na: b };
        else built.set(id, b);
      } catch (err) {
        res.engines[id] = { na: `setup failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
      }
    }
    // same weights => same outputs: every engine against TF.js-wasm (else ORT-node)
    const refId = (['tfjs-wasm', 'tfjs-wasm-layers', 'ort-node', 'ort-web'] as EngineId[]).find((r) => built.has(r));
    if (refId) {
      const ref = await built.get(refId)!.output();
      res.check = [];
      for (const [id, b] of built) {
        if (id === refId) continue;
        try {
          const got = await b.output();
          const c = compareProbs(got, ref);
          res.check.push({ reference: refId, against: id, maxAbsDiff: maxAbsDiff(got, ref), ...c, ok: c.logitDiff <= 1e-3 && c.top1 });
        } catch (err) {
          res.check.push({ reference: refId, against: id, maxAbsDiff: NaN, logitDiff: NaN, top1: false, ok: false });
        }
      }
    }
    ctx.log(`model ${def.id}: timing`);
    const contenders: Contender[] = [...built].map(([id, b]) => ({
      id,
      run: b.run,
      before: b.before,
      ...(SLOW.includes(id) ? { budgetMs: ctx.args.slowBudget * 1000, minRuns: 1 } : {}),
    }));
    const timed = await interleave(contenders, { warmup: ctx.args.warmup, warmupMs: ctx.args.warmupMs, runs: ctx.args.runs, tick: () => ctx.tick() });
    for (const [id, b] of built) {
      const t = timed.get(id)!;
      const m: ModelResult['engines'][EngineId] = t.stats.runs ? { median: t.stats.median, min: t.stats.min, runs: t.stats.runs } : { error: t.error ?? 'no runs' };
      if (m!.median && res.macs) {
        m!.gflops = (2 * res.macs) / (m!.median * 1e6);
        m!.roofShare = m!.gflops / ctx.roof.result().gflops;
      }
      if (t.error) m!.error = t.error;
      m!.setupMs = b.setupMs;
      m!.firstRunMs = b.firstRunMs;
      const heap = b.heap?.();
      if (heap !== undefined) m!.heapBytes = heap;
      const st = b.stats?.();
      if (st) m!.memory = { arenaBytes: st.arenaBytes, unsharedActivationBytes: st.unsharedActivationBytes, packedWeightBytes: st.packedWeightBytes };
      res.engines[id] = m;
      await b.dispose();
    }
    ctx.roof.sample(5);
  }
  return results;
}
