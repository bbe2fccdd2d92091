// Issue 26's "real models (ONNX)" table: the ONNX corpus (torchvision exports from scripts/torch-fixtures.sh,
// PaddleOCR's .onnx files from scripts/fixtures-npm.sh), each run from the same .onnx file by sepconv
// (loadOnnxModel, NCHW in and out as exported: the boundary transposes are timed), ONNX Runtime Web (wasm,
// 1 thread) and ONNX Runtime Node (native, 1 thread), interleaved in this one process. Fixtures that are
// not made are rows that say so; the bench never makes them (setup.sh does).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { keep, type BenchArgs } from './args.js';
import { ourBuild, ROOT, type EngineId, type OurBuild } from './engines/index.js';
import type { Ctx, EngineMeasure } from './measure.js';
import { hashSeed, rng } from './rng.js';
import * as sc from './sepconv.js';
import { interleave, type Contender } from './timing.js';

export const ONNX_ENGINES: EngineId[] = ['sepconv-simd128', 'sepconv-relaxed', 'ort-web', 'ort-node'];

export interface OnnxCorpusDef {
  id: string;
  label: string;
  file: string;
  /** NCHW input (open sizes of the file filled in). */
  shape: number[];
  /** Why the row cannot run (fixture missing). */
  na?: string;
}

export interface OnnxCorpusResult {
  id: string;
  label: string;
  file: string;
  shape: number[];
  na?: string;
  engines: Partial<Record<EngineId, EngineMeasure & { setupMs?: number }>>;
  /** max |ours - ORT-node| / max |ORT-node| of the first output. */
  err?: Partial<Record<EngineId, number>>;
  /** Where sepconv simd128's time goes: profile() summed by layer class, largest first (share of the profiled total). */
  profile?: { className: string; share: number; ms: number }[];
}

const cacheDir = () => process.env.SEPCONV_CACHE ?? `${homedir()}/.cache/sepconv`;

/** The corpus rows, smallest first (wasm memories only grow). */
export function onnxCorpusDefs(): OnnxCorpusDef[] {
  const defs: OnnxCorpusDef[] = [];
  const ocr = `${cacheDir()}/ocr-models-1.4.2/assets`;
  const ocrNa = existsSync(ocr) ? undefined : 'not fetched: run scripts/fixtures-npm.sh';
  defs.push({ id: 'ppocr_cls', label: 'PP-OCR mobile v2 direction classifier', file: `${ocr}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, shape: [1, 3, 48, 192], ...(ocrNa ? { na: ocrNa } : {}) });
  let torch: string | undefined;
  try {
    torch = execFileSync('bash', [join(ROOT, 'scripts/torch-fixtures.sh'), 'path'], { encoding: 'utf8' }).trim();
  } catch {
    torch = undefined;
  }
  const made = torch !== undefined && existsSync(join(torch, '.complete'));
  const names = made ? (JSON.parse(readFileSync(join(torch!, 'fixtures.json'), 'utf8')).models as { name: string; file: string; exporter: string }[]).filter((m) => m.exporter === 'dynamo') : [];
  const order = ['mobilenet_v3_small', 'shufflenet_v2_x1_0', 'mobilenet_v2', 'mobilenet_v3_large', 'efficientnet_b0', 'lraspp_mobilenet_v3_large', 'deeplabv3_mobilenet_v3_large'];
  for (const n of order) {
    const m = names.find((x) => x.name === n);
    defs.push({ id: n, label: `torchvision ${n} (torch.onnx.export)`, file: m ? join(torch!, m.file) : `${n}.onnx`, shape: [1, 3, 224, 224], ...(m ? {} : { na: 'not exported: run scripts/torch-fixtures.sh make' }) });
  }
  defs.push({ id: 'ppocr_det', label: 'PP-OCRv4 text detector', file: `${ocr}/ch_PP-OCRv4_det_infer.onnx`, shape: [1, 3, 480, 640], ...(ocrNa ? { na: ocrNa } : {}) });
  return defs;
}

export function selectedOnnxCorpus(args: BenchArgs): OnnxCorpusDef[] {
  // --quick: the small classifier only.
  return onnxCorpusDefs().filter((d) => (!args.quick || d.id === 'ppocr_cls') && keep(args, d.id, d.label, 'onnx'));
}

interface Built {
  run: () => unknown;
  before?: () => unknown;
  output: () => Promise<Float32Array>;
  dispose: () => unknown;
  setupMs: number;
  profile?: () => { className: string; share: number; ms: number }[];
}

async function buildOurs(ctx: Ctx, build: OurBuild, def: OnnxCorpusDef, input: Float32Array): Promise<Built> {
  const use = () => ctx.engines.useSepconv(build);
  use();
  const t0 = performance.now();
  // Open input sizes (PaddleOCR's) fixed to the row's, as a user does.
  const m = await sc.loadOnnxModel(def.file, { inputShape: def.shape.slice(1) });
  const x = sc.tensor(input, def.shape);
  // NCHW as exported: a rank-4 output is a fresh tensor (the boundary transpose), freed after each run.
  const once = () => {
    const y = m.predict(x) as sc.Tensor;
    if (y.shape.length === 4) y.dispose();
  };
  once();
  return {
    setupMs: performance.now() - t0,
    run: once,
    before: use,
    output: async () => {
      use();
      const y = m.predict(x) as sc.Tensor;
      const d = Float32Array.from(y.data());
      if (y.shape.length === 4) y.dispose();
      return d;
    },
    profile: () => {
      use();
      // profile() runs the NHWC graph inside (the boundary transposes are not layers): feed it NHWC.
      const [n, c, h, w] = def.shape as [number, number, number, number];
      const nhwc = new Float32Array(input.length);
      for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) nhwc[(b * h * w + i) * c + ch] = input[(b * c + ch) * h * w + i]!;
      const xn = sc.tensor(nhwc, [n, h, w, c]);
      try {
        const rep = (m as any).profile(xn, { runs: 3 });
        const by = new Map<string, number>();
        for (const r of rep.rows as { className: string; ms: number }[]) by.set(r.className, (by.get(r.className) ?? 0) + r.ms);
        const total = [...by.values()].reduce((a, b) => a + b, 0) || 1;
        return [...by].map(([className, ms]) => ({ className, ms, share: ms / total })).sort((a, b) => b.ms - a.ms);
      } finally {
        xn.dispose();
      }
    },
    dispose: () => {
      use();
      x.dispose();
      m.dispose();
    },
  };
}

async function buildOrt(ctx: Ctx, id: 'ort-web' | 'ort-node', def: OnnxCorpusDef, input: Float32Array): Promise<Built> {
  const ort = id === 'ort-web' ? ctx.engines.ortWeb : ctx.engines.ortNode;
  const t0 = performance.now();
  let session: any;
  if (id === 'ort-node') {
    session = await ort.InferenceSession.create(def.file, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
  } else {
    // The same file: its bytes, plus the external data file(s) beside it by their relative names.
    const data = `${def.file}.data`;
    const externalData = existsSync(data) ? [{ path: basename(data), data: new Uint8Array(readFileSync(data)) }] : undefined;
    session = await ort.InferenceSession.create(new Uint8Array(readFileSync(def.file)), { executionProviders: ['wasm'], graphOptimizationLevel: 'all', ...(externalData ? { externalData } : {}) });
  }
  const x = new ort.Tensor('float32', input, def.shape);
  const feeds = { [session.inputNames[0]]: x };
  const out = session.outputNames[0];
  const once = async () => (await session.run(feeds))[out];
  await once();
  return {
    setupMs: performance.now() - t0,
    run: once,
    output: async () => Float32Array.from((await once()).data as Float32Array),
    dispose: () => session.release(),
  };
}

function relErr(got: Float32Array, want: Float32Array): number {
  if (got.length !== want.length) return Infinity;
  let e = 0;
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    e = Math.max(e, Math.abs(got[i]! - want[i]!));
    m = Math.max(m, Math.abs(want[i]!));
  }
  return e / Math.max(m, 1e-30);
}

export async function runOnnxCorpus(ctx: Ctx, defs: OnnxCorpusDef[], ids: EngineId[]): Promise<OnnxCorpusResult[]> {
  const results: OnnxCorpusResult[] = [];
  for (const def of defs) {
    const res: OnnxCorpusResult = { id: def.id, label: def.label, file: def.file.replace(`${cacheDir()}/`, '~/.cache/sepconv/'), shape: def.shape, engines: {} };
    results.push(res);
    if (def.na) {
      res.na = def.na;
      ctx.tick(ctx.args.warmup + ctx.args.runs);
      continue;
    }
    const r = rng(hashSeed(def.id));
    // ImageNet-normalised-looking values (about N(0, 1)).
    const input = Float32Array.from({ length: def.shape.reduce((a, b) => a * b, 1) }, () => r() * 1.7);
    const built = new Map<EngineId, Built>();
    for (const id of ids) {
      if (!ctx.engines.has(id)) {
        res.engines[id] = { na: ctx.engines.info.get(id)?.error ?? 'not loaded' };
        continue;
      }
      ctx.log(`onnx ${def.id}: building on ${id}`);
      try {
        const build = ourBuild(id);
        built.set(id, build ? await buildOurs(ctx, build, def, input) : await buildOrt(ctx, id as 'ort-web' | 'ort-node', def, input));
      } catch (err) {
        res.engines[id] = { na: `${ourBuild(id) ? 'sepconv refuses it' : 'setup failed'}: ${err instanceof Error ? err.message.split('\n').slice(0, 4).join(' ') : String(err)}` };
      }
    }
    const ref = built.get('ort-node');
    if (ref) {
      const want = await ref.output();
      res.err = {};
      for (const [id, b] of built) if (id !== 'ort-node') res.err[id] = relErr(await b.output(), want);
    }
    ctx.log(`onnx ${def.id}: timing`);
    const contenders: Contender[] = [...built].map(([id, b]) => ({ id, run: b.run, before: b.before }));
    const timed = await interleave(contenders, { warmup: ctx.args.warmup, warmupMs: ctx.args.warmupMs, runs: ctx.args.runs, tick: () => ctx.tick() });
    const ours = built.get('sepconv-simd128');
    if (ours?.profile) {
      try {
        res.profile = ours.profile();
      } catch {
        // profile() is diagnostics: a failure leaves the row without it
      }
    }
    for (const [id, b] of built) {
      const t = timed.get(id)!;
      res.engines[id] = t.stats.runs ? { median: t.stats.median, min: t.stats.min, runs: t.stats.runs, setupMs: b.setupMs, ...(t.error ? { error: t.error } : {}) } : { error: t.error ?? 'no runs' };
      await b.dispose();
    }
    ctx.roof.sample(3);
  }
  return results;
}

const f = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a: EngineMeasure | undefined, b: EngineMeasure | undefined, key: 'median' | 'min' = 'median') => (a?.[key] && b?.[key] ? `${(b[key]! / a[key]!).toFixed(2)}x` : '–');

/** The "real models (ONNX)" Markdown table. */
export function onnxCorpusMarkdown(rows: OnnxCorpusResult[]): string {
  const L: string[] = [];
  L.push('| model | input (NCHW) | ours simd128 ms | ours relaxed ms | ORT web ms | ORT node ms | ORT-web / ours simd128 (min) | ORT-web / ours relaxed (min) | ORT-node / ours simd128 | max error vs ORT-node |');
  L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  const cell = (m: (EngineMeasure & { setupMs?: number }) | undefined) => (m?.median !== undefined ? `${f(m.median)} (min ${f(m.min)}, n=${m.runs})` : m?.na ? 'n/a' : m?.error ? 'error' : '–');
  for (const r of rows) {
    if (r.na) {
      L.push(`| ${r.label} | ${r.shape.join('x')} | n/a | n/a | n/a | n/a | – | – | – | ${r.na} |`);
      continue;
    }
    const e = r.engines;
    const err = r.err?.['sepconv-simd128'];
    L.push(`| ${r.label} | ${r.shape.join('x')} | ${cell(e['sepconv-simd128'])} | ${cell(e['sepconv-relaxed'])} | ${cell(e['ort-web'])} | ${cell(e['ort-node'])} | ${ratio(e['sepconv-simd128'], e['ort-web'])} (${ratio(e['sepconv-simd128'], e['ort-web'], 'min')}) | ${ratio(e['sepconv-relaxed'], e['ort-web'])} (${ratio(e['sepconv-relaxed'], e['ort-web'], 'min')}) | ${ratio(e['sepconv-simd128'], e['ort-node'])} | ${err === undefined ? '–' : err.toExponential(1)} |`);
  }
  L.push('', 'Every engine runs the same .onnx file (torchvision exports: the default dynamo exporter, weights in `<name>.onnx.data`), on the same seeded input, one thread, interleaved. sepconv loads it with `loadOnnxModel` and takes / returns NCHW as exported (the two boundary transposes are in its time). Ratios: their median (min) / ours; > 1 means sepconv is faster.');
  const prof = rows.filter((r) => r.profile?.length);
  if (prof.length) {
    L.push('', "Where sepconv simd128's time goes (`profile()`, 3 runs, summed by layer class; the NHWC graph without the boundary transposes):");
    for (const r of prof) L.push(`- ${r.id}: ${r.profile!.slice(0, 4).map((p) => `${p.className} ${(100 * p.share).toFixed(0)}%`).join(', ')}`);
  }
  const na = rows.flatMap((r) => Object.entries(r.engines).filter(([, m]) => m?.na).map(([id, m]) => `${r.id}/${id}: ${m!.na}`));
  if (na.length) L.push('', `Not run: ${na.join('; ')}.`);
  return L.join('\n');
}

