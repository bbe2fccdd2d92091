// `node bench/run.mjs chromium-threads [--quick]` (issue 27): sepconv, TF.js-wasm (threaded SIMD build,
// setThreadsCount(2)) and ONNX Runtime Web (numThreads = 2) at 2 threads in real headless Chromium, on one
// cross-origin-isolated page (COOP / COEP from the test server), MobileNetV1 1.0-224 and MobileNetV2 1.0-224
// with the same seeded weights in every engine (the Node bench's artifacts: the Keras config + weights for
// sepconv, the tensorflowjs_converter graph model for TF.js, the NCHW ONNX graph for ORT). Every engine's
// output is checked against the others before anything is timed; then interleaved rounds in rotating order,
// medians, ratios theirs / ours. Also sepconv at 1 thread (configureThreads({ threads: 1 }) on the same page;
// TF.js and ORT fix their thread count at init: no 1-thread column for them). Idle CPU of the Chromium
// processes is measured after each engine runs (a runtime whose workers spin steals the second core).
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { launchChromium, CHROMIUM, type Browser } from '../../test/runtimes/support/browser.js';
import { serveDir, type StaticServer } from '../../test/runtimes/support/serve.js';
import { scratch } from '../../test/runtimes/support/package.js';
import { req, ROOT } from './engines/index.js';
import { tfjsModelFromConfig } from './engines/tfjs-model.js';
import { convertToGraph, graphOps, saveLayers, writeModelFiles, type ConvertMode } from './engines/tfjs-graph.js';
import { prepareModel, compareProbs, type ModelDef } from './models.js';
import { nhwcToNchw } from './onnx/builder.js';
import { maxAbsDiff } from './chains.js';
import { stats, type Stats } from './timing.js';
import { writeSection } from './results-sections.js';
import * as v1 from '../../packages/sepconv/src/models/mobilenet-v1.js';
import * as v2 from '../../packages/sepconv/src/models/mobilenet-v2.js';

export const CHROMIUM_THREADS_HELP = `node bench/run.mjs chromium-threads [flags]
  sepconv vs TF.js-wasm (threaded SIMD) vs ORT-web at 2 threads in headless Chromium (cross-origin isolated),
  MobileNetV1 1.0-224 and MobileNetV2 1.0-224, same seeded weights; output check first, then interleaved rounds.

  --quick            tiny models (alpha 0.25 / 0.35 at 64x64, 10 classes), 1 warm-up + 3 runs; writes to --out only
  --runs N           timed rounds per model (default 20; quick 3)
  --warmup-ms T      warm up each contender at least T ms (default 1000; quick 0)
  --settle-ms T      pause after every timed run, for every engine alike (default 100, or 300 when the idle-CPU
                     probe saw Chromium still busy 50-200 ms after a run): ORT's intra-op threads spin after a run
  --out DIR          write chromium-threads.json and chromium-threads.md there (default: bench/results for a
                     full run, a temp dir for --quick); with --out, bench/RESULTS.md is left alone
  --no-results-md    do not write the "chromium-threads" section of bench/RESULTS.md (a full run without --only
                     writes it; --quick and --only never do)
  --no-convert       never run tensorflowjs_converter: TF.js runs a cached graph model, else the layers model
                     (said in the table)
  --only v1|v2       only MobileNetV1 or V2
  --no-one-thread-page  no second page with TF.js and ORT at 1 thread (their 1-thread columns)
  --ort-spin 0|1     ORT's session.intra_op.allow_spinning (default: ORT's own default, not set)
`;

type EngineKey = 'sepconv' | 'tfjs' | 'ort';
const LABEL: Record<string, string> = { sepconv: 'sepconv 2 threads', 'sepconv-1t': 'sepconv 1 thread', tfjs: 'TF.js-wasm 2 threads', ort: 'ORT-web 2 threads', 'tfjs-1t': 'TF.js-wasm 1 thread', 'ort-1t': 'ORT-web 1 thread' };
const ENGINES: EngineKey[] = ['sepconv', 'tfjs', 'ort'];
// Correct engines agree to ~1e-7 here; a wrong input layout on the tiny quick models moves the probabilities by ~3e-4.
const TOL = 1e-4;
const HW_CONCURRENCY = 4;
/** Back-to-back runs of each contender alone (after warm-up), for the threads-at-work and idle-CPU probes. */
const B2B_RUNS = 5;

interface Opts {
  quick: boolean;
  runs: number;
  warmup: number;
  warmupMs: number;
  settleMs?: number;
  out?: string;
  resultsMd: boolean;
  convert: ConvertMode;
  ortSpin?: '0' | '1';
  only?: string;
  /** TF.js and ORT at 1 thread on a second page. */
  onePage: boolean;
  help: boolean;
}

function parse(argv: string[]): Opts {
  const o: Opts = { quick: false, runs: 20, warmup: 3, warmupMs: 1000, resultsMd: false, convert: 'setup', onePage: true, help: false };
  let runs: number | undefined;
  let warmupMs: number | undefined;
  let noResults = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`chromium-threads: ${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--runs') runs = Number(val());
    else if (a === '--warmup-ms') warmupMs = Number(val());
    else if (a === '--settle-ms') o.settleMs = Number(val());
    else if (a === '--out') o.out = val();
    else if (a === '--no-results-md') noResults = true;
    else if (a === '--no-convert') o.convert = 'cached';
    else if (a === '--only') o.only = val();
    else if (a === '--no-one-thread-page') o.onePage = false;
    else if (a === '--ort-spin') {
      const v = val();
      if (v !== '0' && v !== '1') throw new Error('chromium-threads: --ort-spin takes 0 or 1');
      o.ortSpin = v;
    } else if (a === '-h' || a === '--help') o.help = true;
    else throw new Error(`chromium-threads: unknown flag ${a}\n\n${CHROMIUM_THREADS_HELP}`);
  }
  if (o.quick) {
    o.warmup = 1;
    if (o.convert === 'setup') o.convert = 'if-installed';
  }
  o.resultsMd = !o.quick && !o.only && !noResults && o.out === undefined;
  o.runs = runs ?? (o.quick ? 3 : 20);
  o.warmupMs = warmupMs ?? (o.quick ? 0 : 1000);
  if (!(o.runs >= 1) || !(o.warmupMs >= 0) || (o.settleMs !== undefined && !(o.settleMs >= 0))) throw new Error('chromium-threads: --runs >= 1, --warmup-ms and --settle-ms >= 0');
  return o;
}

function defs(quick: boolean): ModelDef[] {
  if (quick) {
    return [
      { id: 'mobilenet_v1_q', label: 'MobileNetV1 0.25-64 (quick)', config: () => v1.mobilenetV1Config({ alpha: 0.25, resolution: 64, classes: 10 }) },
      { id: 'mobilenet_v2_q', label: 'MobileNetV2 0.35-64 (quick)', config: () => v2.mobilenetV2Config({ alpha: 0.35, resolution: 64, classes: 10 }) },
    ];
  }
  // The ids of bench/src/models.ts: the same seeded weights, so the same cached TF.js conversions.
  return [
    { id: 'mobilenet_v1', label: 'MobileNetV1 1.0-224', config: () => v1.mobilenetV1Config() },
    { id: 'mobilenet_v2', label: 'MobileNetV2 1.0-224', config: () => v2.mobilenetV2Config() },
  ];
}

// --- CPU time of the Chromium processes (every descendant of this process), from /proc ---

function descendants(root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      (kids.get(ppid) ?? kids.set(ppid, []).get(ppid)!).push(Number(d));
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const todo = [...(kids.get(root) ?? [])];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(kids.get(p) ?? []));
  }
  return out;
}

/** CPU time (ns) of every thread of every Chromium process (schedstat: ns on CPU), by thread id, with its name. */
function chromiumCpu(): Map<string, { name: string; ns: number }> {
  const out = new Map<string, { name: string; ns: number }>();
  for (const pid of descendants(process.pid)) {
    let tasks: string[];
    let renderer = false;
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
      renderer = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const ns = Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
        // a renderer's main thread (the page's JS) keeps the process name: call it what it is
        const name = renderer && t === String(pid) ? 'CrRendererMain' : readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
        out.set(`${pid}/${t}`, { name, ns });
      } catch {
        // thread ended
      }
    }
  }
  return out;
}

/** CPU ms between two snapshots, per thread name (threads that ended in between are left out, new ones counted from 0). */
function cpuDelta(c0: ReturnType<typeof chromiumCpu>, c1: ReturnType<typeof chromiumCpu>): { ms: number; byName: Map<string, number> } {
  const byName = new Map<string, number>();
  let ms = 0;
  for (const [tid, { name, ns }] of c1) {
    const d = (ns - (c0.get(tid)?.ns ?? 0)) / 1e6;
    ms += d;
    byName.set(name, (byName.get(name) ?? 0) + d);
  }
  return { ms, byName };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Chromium's CPU use while this process (and the page) sleeps `ms`: cores busy (1 = one core spinning). */
async function idleCores(ms: number, top?: string[], workers?: number[]): Promise<number> {
  const c0 = chromiumCpu();
  const t0 = performance.now();
  await sleep(ms);
  const d = cpuDelta(c0, chromiumCpu());
  const dt = performance.now() - t0;
  if (top) {
    // the busiest thread names in this window (Chromium names its threads: DedicatedWorker, CrRendererMain, ...)
    const busy = [...d.byName].map(([n, v]) => [n, v / dt] as const).filter(([, v]) => v >= 0.05);
    top.push(...busy.sort((a, b) => b[1] - a[1]).slice(0, 3).map(([n, v]) => `${n} ${v.toFixed(2)}`));
  }
  // Web Workers' threads (the engines' thread pools): Chromium names them DedicatedWorker.
  workers?.push([...d.byName].filter(([n]) => n.startsWith('DedicatedWorker')).reduce((a, [, v]) => a + v, 0) / dt);
  return d.ms / dt;
}

// --- the served directory ---

interface ModelManifest {
  id: string;
  label: string;
  shape: number[];
  weights: { name: string; offset: number; length: number }[];
  tfGraph: boolean;
  tfSource: string;
  tfOps?: Record<string, number>;
  macs?: number;
}

async function prepare(dir: string, o: Opts, log: (s: string) => void): Promise<ModelManifest[]> {
  const link = (target: string, name: string) => symlinkSync(target, join(dir, name));
  link(join(ROOT, 'packages/sepconv'), 'sepconv');
  link(join(ROOT, 'node_modules/onnxruntime-web/dist'), 'ort');
  link(join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'), 'tfjs');
  link(join(ROOT, 'bench/src/chromium/page.js'), 'page.js');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>sepconv chromium threads</title><script type="module" src="/page.js"></script>');
  await build({
    entryPoints: [join(ROOT, 'bench/src/chromium/tfjs-entry.js')],
    outfile: join(dir, 'tfjs-bundle', 'tf.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    nodePaths: [join(ROOT, 'node_modules')],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  // Node side: the tfjs-layers model (for saving + converting) on TF.js's CPU backend.
  const tf = req('@tensorflow/tfjs-core');
  req('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  const out: ModelManifest[] = [];
  for (const def of defs(o.quick).filter((d) => !o.only || d.id.includes(o.only!))) {
    log(`${def.id}: building the artifacts`);
    const p = prepareModel(def);
    const mdir = join(dir, 'models', def.id);
    mkdirSync(mdir, { recursive: true });
    writeFileSync(join(mdir, 'keras.json'), JSON.stringify(p.cfg));
    const weights: ModelManifest['weights'] = [];
    let n = 0;
    for (const [name, v] of p.weights!) {
      weights.push({ name, offset: n, length: v.length });
      n += v.length;
    }
    const blob = new Float32Array(n);
    for (const w of weights) blob.set(p.weights!.get(w.name)!, w.offset);
    writeFileSync(join(mdir, 'weights.bin'), new Uint8Array(blob.buffer));
    writeFileSync(join(mdir, 'input-nhwc.bin'), new Uint8Array(p.input.buffer, p.input.byteOffset, p.input.byteLength));
    const nchw = nhwcToNchw(p.input, p.shape);
    writeFileSync(join(mdir, 'input-nchw.bin'), new Uint8Array(nchw.buffer, nchw.byteOffset, nchw.byteLength));
    writeFileSync(join(mdir, 'model.onnx'), p.onnx());
    const layers = await tfjsModelFromConfig(tf, p.cfg, p.weights!, () => undefined);
    const saved = await saveLayers(tf, layers);
    layers.dispose();
    log(`${def.id}: tensorflowjs_converter (cached in ~/.cache/sepconv/graph-models)`);
    const g = convertToGraph(def.id, saved, o.convert);
    let tfGraph = false;
    let tfSource: string;
    let tfOps: Record<string, number> | undefined;
    if ('modelJson' in g) {
      mkdirSync(join(mdir, 'tf'));
      const gdir = dirname(g.modelJson);
      for (const f of readdirSync(gdir)) if (f.endsWith('.json') || f.endsWith('.bin')) copyFileSync(join(gdir, f), join(mdir, 'tf', f));
      tfGraph = true;
      tfOps = graphOps(g.modelJson);
      tfSource = 'graph model from tensorflowjs_converter (tfjs-converter loadGraphModel; BN folded, _FusedConv2D / FusedDepthwiseConv2dNative)';
    } else {
      writeModelFiles(join(mdir, 'tf'), saved);
      tfSource = `layers model (tfjs-layers loadLayersModel), NOT the fused graph path: ${g.na}`;
    }
    out.push({ id: def.id, label: def.label, shape: p.shape, weights, tfGraph, tfSource, tfOps, macs: p.macs });
  }
  return out;
}

// --- the run ---

interface Check {
  a: string;
  b: string;
  maxAbsDiff: number;
  logitDiff: number;
  top1: boolean;
  ok: boolean;
}

interface ModelResult {
  id: string;
  label: string;
  macs?: number;
  tfSource: string;
  checks: Check[];
  checkOk: boolean;
  ms: Record<string, Stats>;
  sepconvSplit?: { split: number; single: number };
  /** Engines whose threads were still busy 0-50 ms after a run. */
  spinning?: string[];
  /** Pause after every timed run, ms. */
  settleMs?: number;
}

type Bench = {
  loadEngines(): Promise<any>;
  loadModel(m: ModelManifest, ortOptions?: any): Promise<Record<EngineKey, number[]>>;
  timeRun(engine: EngineKey, id: string, threads?: number): Promise<number>;
  sepconvSplit(id: string): { split: number; single: number };
  wakeLatency(mode: 'wait' | 'spin', n?: number): Promise<{ mode: string; n: number; hot: { medianUs: number; p90Us: number }; idle: { medianUs: number; p90Us: number } }>;
};

export async function chromiumThreadsMain(argv: string[]): Promise<number> {
  let o: Opts;
  try {
    o = parse(argv);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  if (o.help) {
    console.log(CHROMIUM_THREADS_HELP);
    return 0;
  }
  const log = (s: string) => console.error(`chromium-threads: ${s}`);
  const load0 = loadavg();
  const dir = scratch('chromium-threads');
  let browser: Browser | undefined;
  let server: StaticServer | undefined;
  try {
    const manifests = await prepare(dir, o, log);
    server = await serveDir(dir, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    browser = await launchChromium();
    const openPage = async (query: string) => {
      const page = await browser!.context.newPage();
      // TF.js 4.22 caps its XNNPACK pool at navigator.hardwareConcurrency / 2 (init_with_threads_count: "2 threads
      // per core"), whatever setThreadsCount asks: 1 thread on a 2-vCPU host. The page reports 4 logical CPUs
      // (DevTools' hardware-concurrency override) so setThreadsCount(2) gives 2; sepconv and ORT are given their
      // thread count explicitly and are not affected.
      const cdp = await browser!.context.newCDPSession(page);
      await cdp.send('Emulation.setHardwareConcurrencyOverride', { hardwareConcurrency: HW_CONCURRENCY });
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') log(`page ${m.type()}: ${m.text()}`);
      });
      await page.goto(`${server!.url}/?${query}`, { timeout: 120_000 });
      await page.waitForFunction(() => (globalThis as any).chromiumBenchReady === true, null, { timeout: 120_000 });
      return <T>(method: keyof Bench, ...args: unknown[]): Promise<T> =>
        page.evaluate(([m, a]) => (globalThis as any).chromiumBench[m as string](...(a as unknown[])), [method, args] as const) as Promise<T>;
    };
    const pageErrors: string[] = [];
    const call = await openPage('threads=2');
    // TF.js and ORT fix their thread count when they load: their 1-thread columns come from a second page.
    const call1 = o.onePage ? await openPage('threads=1&engines=tfjs,ort') : undefined;
    const info = await call<any>('loadEngines');
    log(`engines: ${JSON.stringify(info.engines)}`);
    const problems: string[] = [];
    if (!info.crossOriginIsolated) problems.push('the page is not crossOriginIsolated');
    if (info.engines.sepconv?.backend?.threads !== 2) problems.push(`sepconv backend().threads = ${info.engines.sepconv?.backend?.threads} (${info.engines.sepconv?.backend?.threadsReason})`);
    if (info.engines.tfjs?.threadsCount !== 2) problems.push(`TF.js getThreadsCount() = ${info.engines.tfjs?.threadsCount}`);
    const info1 = call1 ? await call1<any>('loadEngines') : undefined;
    if (info1) {
      log(`engines on the 1-thread page: ${JSON.stringify(info1.engines)}`);
      if (info1.engines.tfjs?.threadsCount !== 1) problems.push(`1-thread page: TF.js getThreadsCount() = ${info1.engines.tfjs?.threadsCount}`);
      if (info1.engines.ort?.numThreads !== 1) problems.push(`1-thread page: ORT numThreads = ${info1.engines.ort?.numThreads}`);
    }
    const ortOptions = o.ortSpin !== undefined ? { extra: { session: { intra_op: { allow_spinning: o.ortSpin } } } } : {};
    const results: ModelResult[] = [];
    const idle: { when: string; cores: number[]; busiest?: string; workers?: number }[] = [];
    const busyRuns: { model: string; engine: string; ms: number; workerMs: number; mainMs: number }[] = [];
    await sleep(1000);
    const baseline = Math.min(await idleCores(300), await idleCores(300));
    idle.push({ when: 'page loaded, nothing run yet (best of two 300 ms windows)', cores: [baseline] });
    for (const m of manifests) {
      log(`${m.id}: loading on every engine, checking outputs`);
      const outs: Record<string, number[]> = await call<Record<EngineKey, number[]>>('loadModel', m, ortOptions);
      if (call1) for (const [k, v] of Object.entries(await call1<Record<string, number[]>>('loadModel', m, ortOptions))) outs[`${k}-1t`] = v;
      const checks: Check[] = [];
      const pairs: [string, string][] = [];
      for (let i = 0; i < ENGINES.length; i++) for (let j = i + 1; j < ENGINES.length; j++) pairs.push([ENGINES[i]!, ENGINES[j]!]);
      if (call1) pairs.push(['sepconv', 'tfjs-1t'], ['sepconv', 'ort-1t']);
      for (const [a, b] of pairs) {
        const x = Float32Array.from(outs[a]!);
        const y = Float32Array.from(outs[b]!);
        const d = maxAbsDiff(x, y);
        const c = compareProbs(x, y);
        checks.push({ a, b, maxAbsDiff: d, ...c, ok: d < TOL && c.logitDiff < TOL && c.top1 && Number.isFinite(d) });
      }
      for (const c of checks) log(`${m.id}: check ${c.a} vs ${c.b}: max |diff| ${c.maxAbsDiff.toExponential(2)} (probabilities), logit diff ${c.logitDiff.toExponential(2)}, top-1 ${c.top1 ? 'same' : 'DIFFERS'}${c.ok ? '' : '  <- FAILED'}`);
      const res: ModelResult = { id: m.id, label: m.label, macs: m.macs, tfSource: m.tfSource, checks, checkOk: checks.every((c) => c.ok), ms: {} };
      results.push(res);
      if (!res.checkOk) {
        problems.push(`${m.id}: an engine's output differs (max |diff| or logit diff >= ${TOL}, or top-1 differs): not timed`);
        continue;
      }
      res.sepconvSplit = await call<{ split: number; single: number }>('sepconvSplit', m.id);
      // Interleaved rounds, rotating order: sepconv 2 threads, TF.js 2, ORT 2, sepconv 1 thread, TF.js 1, ORT 1.
      const contenders: { id: string; engine: EngineKey; threads?: number; onePage?: boolean }[] = [
        { id: 'sepconv', engine: 'sepconv' },
        { id: 'tfjs', engine: 'tfjs' },
        { id: 'ort', engine: 'ort' },
        { id: 'sepconv-1t', engine: 'sepconv', threads: 1 },
        ...(call1 ? [{ id: 'tfjs-1t', engine: 'tfjs' as const, onePage: true }, { id: 'ort-1t', engine: 'ort' as const, onePage: true }] : []),
      ];
      const samples = new Map(contenders.map((c) => [c.id, [] as number[]]));
      const warmSpent = new Map(contenders.map((c) => [c.id, 0]));
      const round = async (r: number, settle: number, record: (id: string, ms: number) => void) => {
        for (let k = 0; k < contenders.length; k++) {
          const c = contenders[(k + r) % contenders.length]!;
          record(c.id, await (c.onePage ? call1! : call)<number>('timeRun', c.engine, m.id, c.threads));
          if (settle) await sleep(settle);
        }
      };
      // Warm-up (V8 tiers each engine's wasm up; not timed against anyone).
      for (let r = 0; r < o.warmup || (r < 200 && [...warmSpent.values()].some((v) => v < o.warmupMs)); r++) await round(r, 0, (id, ms) => warmSpent.set(id, warmSpent.get(id)! + ms));
      // Each contender alone, warmed up: 5 runs back to back (wall times; CPU of the page's main thread and of the
      // Web Workers' threads, i.e. are the threads really used?), then the page sleeps: Chromium's CPU 0-50, 50-200,
      // 200-700 ms after the last run (does a pool keep spinning?).
      for (const c of contenders) {
        const c0 = chromiumCpu();
        const walls: number[] = [];
        for (let k = 0; k < B2B_RUNS; k++) walls.push(await (c.onePage ? call1! : call)<number>('timeRun', c.engine, m.id, c.threads));
        const d = cpuDelta(c0, chromiumCpu());
        const during = (prefix: string) => [...d.byName].filter(([n]) => n.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
        busyRuns.push({ model: m.id, engine: c.id, ms: stats(walls).median, workerMs: during('DedicatedWorker') / B2B_RUNS, mainMs: during('CrRendererMain') / B2B_RUNS });
        const top: string[] = [];
        const workers: number[] = [];
        const cores = [await idleCores(50, top, workers), await idleCores(150, undefined, workers), await idleCores(500)];
        idle.push({ when: `${m.id}: after ${LABEL[c.id]}`, cores, busiest: top.join(', '), workers: Math.max(...workers) });
        log(`${m.id}: ${LABEL[c.id]} back to back ${stats(walls).median.toFixed(1)} ms; idle CPU after: ${cores.map((x) => x.toFixed(2)).join(' / ')} cores (0-50 / 50-200 / 200-700 ms)${top.length ? `; busiest threads 0-50 ms: ${top.join(', ')}` : ''}`);
      }
      // Every engine gets the same pause after each timed run, long enough for a pool that spins after a run
      // (ORT's intra-op threads do, by default) to go to sleep before the next engine starts: 100 ms, or 300 ms
      // when something still ran 50-200 ms after a run.
      const mine = idle.filter((r) => r.when.startsWith(`${m.id}:`));
      const late = mine.filter((r) => r.cores[1]! > baseline + 0.2);
      const settle = o.settleMs ?? (late.length ? 300 : 100);
      res.spinning = mine.filter((r) => r.workers! > 0.1).map((r) => `${r.when.slice(m.id.length + 2)} (worker threads ${r.workers!.toFixed(2)} cores)`);
      res.settleMs = settle;
      log(`${m.id}: ${settle} ms pause after every timed run${res.spinning.length ? `; worker threads busy after a run: ${res.spinning.join('; ')}` : ''}`);
      for (let r = 0; r < o.runs; r++) await round(r, settle, (id, ms) => samples.get(id)!.push(ms));
      for (const c of contenders) res.ms[c.id] = stats(samples.get(c.id)!);
      log(`${m.id}: ${contenders.map((c) => `${LABEL[c.id]} ${res.ms[c.id]!.median.toFixed(1)} ms`).join(', ')}`);
    }
    // What handing a job to a Web Worker costs on this page (per split op of a pool): blocked vs spinning worker.
    const wake = [await call<any>('wakeLatency', 'wait'), await call<any>('wakeLatency', 'spin')];
    log(`worker hand-off round trip (median, p90 us): ${wake.map((w) => `${w.mode}: at once ${w.hot.medianUs.toFixed(0)}, ${w.hot.p90Us.toFixed(0)}; after 1 ms idle ${w.idle.medianUs.toFixed(0)}, ${w.idle.p90Us.toFixed(0)}`).join('; ')}`);
    const load1 = loadavg();
    idle.push({ when: 'end (300 ms)', cores: [await idleCores(300)] });
    if (pageErrors.length) problems.push(`page errors: ${pageErrors.join(' / ')}`);
    const wasm = server.requests.filter((p) => /\.(wasm|mjs)$|worker/.test(p) || p.startsWith('/sepconv/dist/') || p.startsWith('/tfjs-bundle/'));
    const report = {
      date: new Date().toISOString(),
      quick: o.quick,
      command: `node bench/run.mjs chromium-threads ${argv.join(' ')}`.trim(),
      chromium: (/(HeadlessChrome|Chrome)\/[\d.]+/.exec(info.userAgent) ?? [info.userAgent])[0],
      chromiumBinary: CHROMIUM,
      info,
      info1,
      requests: [...new Set(wasm)],
      loadavg: [load0, load1],
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      idle,
      busyRuns,
      wake,
      runs: o.runs,
      ortOptions,
      results,
      problems,
    };
    const md = markdown(report);
    console.log(md);
    const outDir = o.out ?? (o.quick ? scratch('chromium-threads-out') : join(ROOT, 'bench/results'));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'chromium-threads.json'), JSON.stringify(report, null, 1));
    writeFileSync(join(outDir, 'chromium-threads.md'), md);
    log(`wrote ${join(outDir, 'chromium-threads.md')} and .json`);
    if (o.resultsMd) log(`wrote the "chromium-threads" section of ${writeSection('chromium-threads', resultsSection(report))}`);
    if (problems.length) {
      for (const p of problems) log(`PROBLEM: ${p}`);
      return 1;
    }
    return 0;
  } finally {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const f1 = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function table(r: any): string[] {
  const L = [
    '| model | sepconv 2 threads ms | TF.js-wasm 2 threads ms | ORT-web 2 threads ms | TF.js / ours | ORT / ours | target ≥ 2x on both | sepconv 1 thread ms | TF.js-wasm 1 thread ms | ORT-web 1 thread ms | 2-thread speed-up: sepconv / TF.js / ORT |',
    '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|',
  ];
  const ms = (m: ModelResult, id: string) => (m.ms[id] ? f1(m.ms[id]!.median) : 'n/a');
  const up = (m: ModelResult, id: string) => (m.ms[`${id}-1t`] && m.ms[id] ? `${(m.ms[`${id}-1t`]!.median / m.ms[id]!.median).toFixed(2)}x` : 'n/a');
  for (const m of r.results as ModelResult[]) {
    if (!m.checkOk) {
      L.push(`| ${m.label} | output check failed: not timed | | | | | | | | | |`);
      continue;
    }
    const ours = m.ms.sepconv!.median;
    const tf = m.ms.tfjs!.median / ours;
    const ort = m.ms.ort!.median / ours;
    L.push(`| ${m.label} | ${f1(ours)} | ${f1(m.ms.tfjs!.median)} | ${f1(m.ms.ort!.median)} | ${tf.toFixed(2)}x | ${ort.toFixed(2)}x | ${tf >= 2 && ort >= 2 ? 'met' : `missed (${[tf < 2 ? 'TF.js' : '', ort < 2 ? 'ORT' : ''].filter(Boolean).join(', ')})`} | ${ms(m, 'sepconv-1t')} | ${ms(m, 'tfjs-1t')} | ${ms(m, 'ort-1t')} | ${up(m, 'sepconv')} / ${up(m, 'tfjs')} / ${up(m, 'ort')} |`);
  }
  return L;
}

function markdown(r: any): string {
  const e = r.info.engines;
  const f = (x: number) => x.toFixed(2);
  const L = [
    `# sepconv vs TF.js-wasm vs ORT-web at 2 threads in headless Chromium (issue 27)${r.quick ? ' — QUICK (tiny models, not a measurement)' : ''}`,
    '',
    `Command: \`${r.command}\`; ${r.date}; ${r.chromium} (${r.chromiumBinary}, headless), crossOriginIsolated ${r.info.crossOriginIsolated} (COOP same-origin / COEP require-corp from the test server), navigator.hardwareConcurrency ${r.info.hardwareConcurrency} (DevTools override: TF.js 4.22 caps its pool at hardwareConcurrency / 2 whatever setThreadsCount says, 1 thread on this host's 2); host ${r.cpus} logical CPUs (${r.cpuModel}); load average before ${r.loadavg[0].map(f).join(' ')}, after ${r.loadavg[1].map(f).join(' ')}.`,
    '',
    `One page, all three engines loaded at 2 threads; the same seeded weights everywhere (bench/src/models.ts: sepconv builds the Keras config with modelFromKerasConfig, TF.js runs ${r.results.every((m: ModelResult) => m.tfSource.startsWith('graph')) ? "the tensorflowjs_converter graph model (its fastest path)" : 'the model noted below'}, ORT-web the NCHW ONNX graph of bench/src/onnx/keras.ts, graphOptimizationLevel 'all'${Object.keys(r.ortOptions).length ? `, ${JSON.stringify(r.ortOptions)}` : ''}). Each round runs every contender once in rotating order (${r.runs} timed rounds after warm-up); medians; ratios = their median / ours (> 1: sepconv faster). sepconv 1 thread is configureThreads({ threads: 1 }) on the same page (the threaded build, its pool idle); TF.js and ORT fix their thread count when they load, so their 1-thread columns run on a second page (?threads=1: setThreadsCount(1), numThreads = 1) timed in the same rounds. Speed-up = 1-thread median / 2-thread median (2 = ideal).`,
    '',
    ...table(r),
    '',
    '## Output check (before timing; softmax probabilities: max |diff| < 1e-4, centred log-probabilities relative to their range < 1e-4, the same top-1)',
    '',
    '| model | pair | max abs diff | logit diff (rel.) | top-1 | ok |',
    '|---|---|---:|---:|---|---|',
    ...r.results.flatMap((m: ModelResult) => m.checks.map((c) => `| ${m.label} | ${c.a} vs ${c.b} | ${c.maxAbsDiff.toExponential(2)} | ${c.logitDiff.toExponential(2)} | ${c.top1 ? 'same' : 'differs'} | ${c.ok ? 'yes' : '**no**'} |`)),
    '',
    '## Engines',
    '',
    `- sepconv: dist/browser.js, init({ threads: 2 }) → backend() ${JSON.stringify(e.sepconv?.backend)}; ops split per MobileNet run at 2 threads: ${r.results.map((m: ModelResult) => `${m.id} ${m.sepconvSplit ? `${m.sepconvSplit.split} split / ${m.sepconvSplit.single} single` : 'n/a'}`).join(', ')}.`,
    `- TF.js-wasm: tfjs-core ${e.tfjs?.version}, tfjs-backend-wasm ${e.tfjs?.wasmVersion}; setThreadsCount(2) before setBackend('wasm') → getThreadsCount() ${e.tfjs?.threadsCount}, WASM_HAS_SIMD_SUPPORT ${e.tfjs?.simd}, WASM_HAS_MULTITHREAD_SUPPORT ${e.tfjs?.multithread}. Model: ${[...new Set(r.results.map((m: ModelResult) => m.tfSource))].join('; ')}.`,
    `- ORT-web: onnxruntime-web ${e.ort?.version} (dist/ort.wasm.min.mjs), env.wasm.numThreads ${e.ort?.numThreads}, proxy off, wasmPaths /ort/.`,
    ...(r.info1 ? [`- The 1-thread page (TF.js and ORT only): TF.js getThreadsCount() ${r.info1.engines.tfjs?.threadsCount}, ORT numThreads ${r.info1.engines.ort?.numThreads}; its outputs are checked against sepconv's too.`] : []),
    `- Files each engine loaded (the server's request log: wasm, workers, glue scripts): ${[['sepconv', '/sepconv/'], ['TF.js', '/tfjs'], ['ORT', '/ort/']].map(([n, pre]) => `${n}: ${r.requests.filter((p: string) => p.startsWith(pre!)).map((p: string) => `\`${p}\``).join(', ') || 'none'}`).join('; ')} (TF.js's pthread workers start from a Blob of the worker script bundled in tfjs-backend-wasm, so no worker file is requested).`,
    '',
    '## Each engine alone: 5 runs back to back (after warm-up), and its threads at work',
    '',
    'Not interleaved: each contender runs 5 times in a row (no pause), so its weights and activations stay in the caches between runs and its pool stays warm; the table above is the interleaved measurement (rotating order, a pause after each run) and is the one the targets are judged on. CPU per run from /proc: the page\'s main thread (CrRendererMain; sepconv\'s and TF.js\'s callers do a part of each split op and spin-wait for the rest, browsers\' main threads cannot block) and the Web Workers\' threads (DedicatedWorker: the pools). Worker CPU close to the main thread\'s = the work really is split over 2 threads.',
    '',
    '| model | engine | median wall ms (back to back) | main thread CPU ms per run | worker threads CPU ms per run |',
    '|---|---|---:|---:|---:|',
    ...r.busyRuns.map((b: any) => `| ${b.model} | ${LABEL[b.engine] ?? b.engine} | ${f1(b.ms)} | ${f1(b.mainMs)} | ${f1(b.workerMs)} |`),
    '',
    '## Handing a job to a Web Worker on this page',
    '',
    'A thread pool pays this once per split op: the main thread bumps a shared counter and calls Atomics.notify, the worker stores the counter back, the main thread spins until it sees it (a Blob worker of the page, 200 round trips: every other one right after the previous job, the others after ~1 ms idle). \'wait\': the worker sleeps in Atomics.wait between jobs; \'spin\': it polls. performance.now() is coarsened to 5 µs on an isolated page.',
    '',
    '| worker between jobs | at once: median µs | p90 µs | after 1 ms idle: median µs | p90 µs |',
    '|---|---:|---:|---:|---:|',
    ...(r.wake ?? []).map((w: any) => `| ${w.mode === 'wait' ? 'Atomics.wait (blocked)' : 'spinning'} | ${w.hot.medianUs.toFixed(0)} | ${w.hot.p90Us.toFixed(0)} | ${w.idle.medianUs.toFixed(0)} | ${w.idle.p90Us.toFixed(0)} |`),
    '',
    '## Idle CPU of the Chromium processes (page and Node asleep; cores busy, 1.00 = one core spinning)',
    '',
    'Measured from /proc (every thread of every Chromium process: schedstat) after warm-up, right after the 5 back-to-back runs of each contender: 0-50, 50-200 and 200-700 ms after the last run. A runtime whose workers keep spinning after a run takes the second core from whichever engine runs next. Thread names: DedicatedWorker = Web Workers (the engines\' thread pools), CrRendererMain = the page\'s main thread, ThreadPoolForeg(roundWorker) = Chromium\'s task pool (V8 background compilation, GC).',
    '',
    '| when | 0-50 ms | 50-200 ms | 200-700 ms | worker threads, busiest window | busiest threads 0-50 ms (cores) |',
    '|---|---:|---:|---:|---:|---|',
    ...r.idle.map((i: any) => `| ${i.when} | ${[0, 1, 2].map((k) => (i.cores[k] === undefined ? '' : f(i.cores[k]))).join(' | ')} | ${i.workers === undefined ? '' : f(i.workers)} | ${i.busiest ?? ''} |`),
    '',
    ...r.results.filter((m: ModelResult) => m.settleMs !== undefined).map((m: ModelResult) => `- ${m.label}: a ${m.settleMs} ms pause after every timed run, every engine alike (so a pool still spinning after its run does not take the second core from the next engine); worker threads (DedicatedWorker) busy > 0.1 core in a window after a run: ${m.spinning?.length ? m.spinning.join('; ') : 'none'}.`),
    ...(r.problems.length ? ['', '## Problems', '', ...r.problems.map((p: string) => `- ${p}`)] : []),
  ];
  return L.join('\n') + '\n';
}

function resultsSection(r: any): string {
  return [
    '## Threads in Chromium: sepconv vs TF.js-wasm vs ORT-web at 2 threads (issue 27)',
    '',
    `Command: \`${r.command}\` (${r.date}; ${r.chromium} headless, cross-origin isolated; load average ${r.loadavg[0].map((x: number) => x.toFixed(2)).join(' ')} before, ${r.loadavg[1].map((x: number) => x.toFixed(2)).join(' ')} after). Details (engine settings, wasm files loaded, output check, idle CPU): [bench/results/chromium-threads.md](results/chromium-threads.md). Target: sepconv ≥ 2x faster than each at 2 threads on both models.`,
    '',
    ...table(r),
  ].join('\n');
}
