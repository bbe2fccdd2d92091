// `node bench/run.mjs real-models [flags]`: issue 25 item 5, the "real models" table. Every trained TF.js
// graph model of the @vladmandic/human@3.3.6 corpus (scripts/fixtures-npm.sh caches it; nothing is
// downloaded here) that sepconv loads today, timed beside TF.js-wasm (XNNPACK, 1 thread) and TF.js CPU
// running the same model.json through tfjs-converter's loadGraphModel, interleaved in one process; with
// each model's share of sepconv's time in conv kernels (Model.profile(), grouped as bench/src/profile.ts
// does). The list is data-driven: every model.json in the corpus folder is tried, the ones that load are
// timed and the others are listed with the reason, so a model appears here as soon as sepconv loads it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engines, req, type EngineId } from './engines/index.js';
import { cacheDir, readArtifacts } from './engines/tfjs-graph.js';
import { CONV_FAMILIES, profileModel, type FamilyRow } from './profile.js';
import { hashSeed, rng } from './rng.js';
import { Roof } from './roof.js';
import * as sc from './sepconv.js';
import { interleave, type Contender } from './timing.js';
import { writeSection } from './results-sections.js';

export const REAL_MODELS_HELP = `node bench/run.mjs real-models [flags]

  Times every model of the @vladmandic/human@3.3.6 corpus (~/.cache/sepconv/human-3.3.6/models, from
  scripts/fixtures-npm.sh) that sepconv loads, on sepconv simd128, TF.js-wasm (1 thread, loadGraphModel)
  and TF.js CPU, interleaved in one process; prints a Markdown table with the speed-ups, each model's share
  of sepconv's time in conv kernels (Model.profile()), and the models that do not load with the reason.
  --dir DIR        corpus folder (default $SEPCONV_CACHE or ~/.cache/sepconv, + human-3.3.6/models)
  --only a,b       only models whose name contains one of these
  --runs N         timed rounds (default 20)
  --warmup-ms T    warm-up per engine until it ran T ms (default 500)
  --calls N        profile() calls per model for the conv share (default 9)
  --slow-budget S  seconds TF.js CPU may spend per model (default 10)
  --size N         spatial size for open (-1) input dims (default 256)
  --json FILE      also write the numbers as JSON
  --results-md     also write the table into bench/RESULTS.md (its "real-models" section; a full bench run keeps it)
`;

/** The conv-dominated rule of issue 25's target: conv kernels take at least this share of sepconv's time. */
export const CONV_DOMINATED = 0.5;
/** Issue 25's target for conv-dominated models: TF.js-wasm median / ours. */
export const TARGET = 1.5;

interface SigTensor {
  name: string;
  dtype: string;
  dims: number[];
}

/** The signature's inputs and outputs, top level or (older converters) under userDefinedMetadata. */
function signature(json: any, size: number): { inputs: SigTensor[]; outputs: string[] } {
  const sig = json.signature ?? json.userDefinedMetadata?.signature ?? {};
  const inputs = Object.values(sig.inputs ?? {}).map((t: any) => {
    const dims = (t.tensorShape?.dim ?? []).map((d: any, i: number) => {
      const v = Number(d.size);
      return v > 0 ? v : i === 0 ? 1 : size;
    });
    return { name: String(t.name).replace(/:\d+$/, ''), dtype: String(t.dtype ?? 'DT_FLOAT'), dims };
  });
  const outputs = Object.values(sig.outputs ?? {}).map((t: any) => String(t.name).replace(/:\d+$/, ''));
  return { inputs, outputs };
}

/** Seeded input values: floats in [0, 1), integer dtypes 0..255 (an image). */
function inputValues(t: SigTensor, seed: number): Float32Array | Int32Array {
  const r = rng(seed);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.dtype === 'DT_FLOAT' || t.dtype === 'DT_HALF') return Float32Array.from({ length: n }, () => (r() + 1) / 2);
  return Int32Array.from({ length: n }, () => Math.floor(((r() + 1) / 2) * 255.99));
}

interface RealRow {
  model: string;
  inputs: string;
  outputs: number;
  macs?: number;
  ms: Partial<Record<EngineId, { median: number; min: number; runs: number } | { na: string }>>;
  convShare?: number;
  families?: FamilyRow[];
  profiledMs?: number;
  /** Largest |ours - TF.js-wasm| over all outputs, relative to that output's largest |value|. */
  relErr?: number;
  na?: string;
}

function parseReal(argv: string[]) {
  const o = { dir: join(cacheDir(), 'human-3.3.6', 'models'), only: [] as string[], runs: 20, warmupMs: 500, calls: 9, slowBudget: 10, size: 256, json: undefined as string | undefined, resultsMd: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`real-models: ${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--dir') o.dir = value();
    else if (a === '--only') o.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--runs') o.runs = Number(value());
    else if (a === '--warmup-ms') o.warmupMs = Number(value());
    else if (a === '--calls') o.calls = Number(value());
    else if (a === '--slow-budget') o.slowBudget = Number(value());
    else if (a === '--size') o.size = Number(value());
    else if (a === '--json') o.json = value();
    else if (a === '--results-md') o.resultsMd = true;
    else throw new Error(`real-models: unknown argument ${a} (see --help)`);
  }
  for (const [k, v] of [['--runs', o.runs], ['--calls', o.calls], ['--size', o.size]] as const) if (!Number.isInteger(v) || v < 1) throw new Error(`real-models: ${k} must be a positive integer`);
  if (!(o.warmupMs >= 0) || !(o.slowBudget > 0)) throw new Error('real-models: --warmup-ms must be >= 0 and --slow-budget > 0');
  return o;
}

/** A TF.js graph model on one backend, run on named inputs; every signature output read back. */
async function tfBuild(e: Engines, backend: 'wasm' | 'cpu', art: any, feeds: SigTensor[], values: (Float32Array | Int32Array)[], outputs: string[]) {
  const tf = e.tf;
  const tfconv = req('@tensorflow/tfjs-converter');
  const use = () => e.useTf(backend);
  use();
  const model = await tfconv.loadGraphModel(tf.io.fromMemory(art));
  const xs = feeds.map((f, i) => tf.tensor(values[i], f.dims, f.dtype === 'DT_FLOAT' || f.dtype === 'DT_HALF' ? 'float32' : 'int32'));
  const named = Object.fromEntries(feeds.map((f, i) => [f.name, xs[i]]));
  const outs = outputs.length ? outputs : undefined;
  const once = () => {
    const y = model.execute(named, outs);
    const ys = Array.isArray(y) ? y : [y];
    const d = ys.map((t: any) => Float32Array.from(t.dataSync()));
    tf.dispose(ys);
    return d;
  };
  once();
  return {
    run: once,
    before: use,
    output: () => {
      use();
      return once();
    },
    dispose: () => {
      use();
      tf.dispose(xs);
      model.dispose();
    },
  };
}

export async function realModelsMain(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parseReal>;
  try {
    o = parseReal(argv);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  if (o.help) {
    console.log(REAL_MODELS_HELP);
    return 0;
  }
  if (!existsSync(o.dir)) {
    console.error(`real-models: no corpus at ${o.dir} (run scripts/fixtures-npm.sh)`);
    return 2;
  }
  const files = readdirSync(o.dir)
    .filter((f) => f.endsWith('.json'))
    .filter((f) => o.only.length === 0 || o.only.some((s) => f.includes(s)))
    .sort();
  const e = await Engines.load((id) => id === 'sepconv-simd128' || id === 'tfjs-wasm' || id === 'tfjs-cpu');
  for (const id of ['sepconv-simd128', 'tfjs-wasm', 'tfjs-cpu'] as EngineId[]) if (!e.has(id)) console.error(`real-models: ${id} not loaded: ${e.info.get(id)?.error}`);
  const os = await import('node:os');
  const load0 = os.loadavg();
  const roof = new Roof();
  for (let i = 0; i < 5; i++) roof.sample(20);
  const rows: RealRow[] = [];
  for (const f of files) {
    const name = f.replace(/\.json$/, '');
    const path = join(o.dir, f);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    if (!json.modelTopology) continue; // not a model (the corpus's models.json index)
    const sig = signature(json, o.size);
    const row: RealRow = { model: name, inputs: sig.inputs.map((t) => `[${t.dims.join(',')}] ${t.dtype.replace('DT_', '').toLowerCase()}`).join(', '), outputs: sig.outputs.length, ms: {} };
    rows.push(row);
    e.useSepconv('simd128');
    let ours: any;
    try {
      ours = await sc.api.loadModel(path);
    } catch (err: any) {
      const ops = Array.isArray(err?.unsupported) ? [...new Set(err.unsupported.map((u: any) => u.op))].join(', ') : undefined;
      row.na = ops ? `${err.constructor?.name}: unsupported ops ${ops}` : `${err?.constructor?.name ?? 'Error'}: ${String(err?.message ?? err).split('\n')[0]!.slice(0, 160)}`;
      console.error(`real-models: ${name}: does not load (${row.na})`);
      continue;
    }
    console.error(`real-models: ${name}: timing`);
    const values = sig.inputs.map((t, i) => inputValues(t, hashSeed(`${name}/${i}`)));
    const xs = sig.inputs.map((t, i) => sc.tensor(values[i]!, t.dims));
    const x = xs.length === 1 ? xs[0] : xs;
    const art = await readArtifacts(path);
    const built: { id: EngineId; b: { run: () => unknown; before?: () => unknown; output: () => Float32Array[]; dispose: () => unknown } }[] = [];
    const useOurs = () => e.useSepconv('simd128');
    const oursOut = () => {
      useOurs();
      const y = ours.predict(x);
      return (Array.isArray(y) ? y : [y]).map((t: any) => Float32Array.from(t.data()));
    };
    built.push({ id: 'sepconv-simd128', b: { run: () => ours.predict(x), before: useOurs, output: oursOut, dispose: () => {} } });
    for (const [id, backend] of [['tfjs-wasm', 'wasm'], ['tfjs-cpu', 'cpu']] as const) {
      if (!e.has(id)) {
        row.ms[id] = { na: 'not loaded' };
        continue;
      }
      try {
        built.push({ id, b: await tfBuild(e, backend, art, sig.inputs, values, sig.outputs) });
      } catch (err) {
        row.ms[id] = { na: `setup failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
      }
    }
    // Same model, same input: every output against TF.js-wasm's (relative to that output's largest magnitude).
    const tfw = built.find((c) => c.id === 'tfjs-wasm');
    if (tfw) {
      const want = tfw.b.output();
      const got = oursOut();
      let worst = 0;
      want.forEach((w, k) => {
        const g = got[k];
        if (!g || g.length !== w.length) {
          worst = Infinity;
          return;
        }
        let big = 0;
        let err = 0;
        for (let i = 0; i < w.length; i++) {
          big = Math.max(big, Math.abs(w[i]!));
          err = Math.max(err, Math.abs(g[i]! - w[i]!));
        }
        worst = Math.max(worst, big > 0 ? err / big : err);
      });
      row.relErr = worst;
    }
    const contenders: Contender[] = built.map(({ id, b }) => ({ id, run: b.run, before: b.before, ...(id === 'tfjs-cpu' ? { budgetMs: o.slowBudget * 1000, minRuns: 3 } : {}) }));
    const t = await interleave(contenders, { warmup: 3, warmupMs: o.warmupMs, runs: o.runs });
    for (const { id } of built) {
      const s = t.get(id)!;
      row.ms[id] = s.stats.runs ? { median: s.stats.median, min: s.stats.min, runs: s.stats.runs } : { na: s.error ?? 'no runs' };
    }
    useOurs();
    try {
      const p = profileModel(ours, xs.length === 1 ? xs[0] : xs, { calls: o.calls, warmupMs: 200 });
      row.families = p.families;
      row.profiledMs = p.profiledMs;
      row.macs = p.macs;
      row.convShare = p.families.filter((r) => CONV_FAMILIES.has(r.family)).reduce((a, r) => a + r.ms, 0) / p.profiledMs;
    } catch (err) {
      console.error(`real-models: ${name}: profile failed: ${err instanceof Error ? err.message : err}`);
    }
    for (const { b } of built) await b.dispose();
    useOurs();
    for (const xt of xs) xt.dispose();
    ours.dispose();
    roof.sample(10);
  }
  const load1 = os.loadavg();
  const tfv = e.info.get('tfjs-wasm')?.version ?? 'n/a';
  const text = [
    `Command: \`${`node bench/run.mjs real-models ${argv.join(' ')}`.trim()}\``,
    `${new Date().toISOString()}; ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}; load average ${load0.map((v) => v.toFixed(2)).join(' ')} at start, ${load1.map((v) => v.toFixed(2)).join(' ')} at end; roof ${roof.result().gflops.toFixed(1)} GFLOP/s (best sample); TF.js-wasm ${tfv}; corpus ${o.dir.replace(os.homedir(), '~')}.`,
    '',
    realModelsMarkdown(rows),
  ].join('\n');
  console.log(text);
  if (o.resultsMd) {
    const head = [
      '## Real models: the @vladmandic/human@3.3.6 corpus (issue 25)',
      '',
      `Trained TF.js graph models as they ship, every one sepconv loads (the list is the corpus folder: a model joins the table when sepconv loads it). sepconv simd128 (\`loadModel\`), TF.js-wasm (XNNPACK, 1 thread) and TF.js CPU (tfjs-converter \`loadGraphModel\` on the same model.json), one process, interleaved rounds (${o.runs} timed; TF.js CPU stops after ${o.slowBudget} s), seeded inputs at the signature's shape (open sizes at ${o.size}); every output checked against TF.js-wasm's. "Conv kernels" is the share of sepconv's \`Model.profile()\` time in conv / depthwise / pointwise / fused pw→dw steps (bench/src/profile.ts families). Ratios: their median / ours (> 1: sepconv faster), (min) from each engine's fastest run.`,
      '',
    ];
    const f = writeSection('real-models', [...head, text].join('\n'));
    console.error(`real-models: wrote the "real-models" section of ${f}`);
  }
  if (o.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), loadavg: [load0, load1], roof: roof.result(), rows }, (_k, v) => (v === Infinity ? 'Infinity' : v), 1));
  }
  return 0;
}

const med = (m: RealRow['ms'][EngineId]) => (m && 'median' in m ? m.median : undefined);
const mn = (m: RealRow['ms'][EngineId]) => (m && 'min' in m ? m.min : undefined);
const ms = (v: number | undefined) => (v === undefined ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : '–');
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** The real-models table, the target check per model, and the models that do not load. */
export function realModelsMarkdown(rows: RealRow[]): string {
  const ok = rows.filter((r) => !r.na);
  const lines = [
    '| model | input | outputs | MMAC | ours simd128 ms | TF.js-wasm ms | TF.js CPU ms | ours vs TF.js-wasm (min) | ours vs TF.js CPU | conv kernels, share of our time | largest other families (share) | max err vs TF.js-wasm (rel.) |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|',
  ];
  for (const r of ok) {
    const o = r.ms['sepconv-simd128'];
    const w = r.ms['tfjs-wasm'];
    const c = r.ms['tfjs-cpu'];
    const others = (r.families ?? [])
      .filter((f) => !CONV_FAMILIES.has(f.family))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3)
      .map((f) => `${f.family} ${pct(f.ms / r.profiledMs!)}`)
      .join(', ');
    const between = r.profiledMs !== undefined && r.families ? r.profiledMs - r.families.reduce((a, f) => a + f.ms, 0) : undefined;
    const btw = between !== undefined ? `; between steps ${pct(between / r.profiledMs!)}` : '';
    lines.push(
      `| ${r.model} | ${r.inputs} | ${r.outputs} | ${r.macs !== undefined ? (r.macs / 1e6).toFixed(1) : '–'} | ${ms(med(o))} | ${ms(med(w))} | ${c && 'median' in c ? `${ms(c.median)} (n=${c.runs})` : 'n/a'} | ${ratio(med(w), med(o))} (${ratio(mn(w), mn(o))}) | ${ratio(med(c), med(o))} | ${r.convShare !== undefined ? pct(r.convShare) : '–'} | ${others}${btw} | ${r.relErr !== undefined ? r.relErr.toExponential(1) : '–'} |`,
    );
  }
  const out = [lines.join('\n'), ''];
  const checks = ok.map((r) => {
    const sp = (med(r.ms['tfjs-wasm']) ?? NaN) / (med(r.ms['sepconv-simd128']) ?? NaN);
    const dominated = (r.convShare ?? 0) >= CONV_DOMINATED;
    if (!dominated) return `- ${r.model}: not conv-dominated (conv kernels ${r.convShare !== undefined ? pct(r.convShare) : '?'} of our time); ${sp.toFixed(2)}x`;
    const worst = (r.families ?? []).filter((f) => !CONV_FAMILIES.has(f.family)).sort((a, b) => b.ms - a.ms)[0];
    const convFams = (r.families ?? []).filter((f) => CONV_FAMILIES.has(f.family)).sort((a, b) => b.ms - a.ms).slice(0, 2);
    const held = `largest conv families ${convFams.map((f) => `${f.family} ${pct(f.ms / r.profiledMs!)} at ${((2 * f.macs) / (f.ms * 1e6)).toFixed(1)} GFLOP/s`).join(', ')}${worst ? `; largest non-conv ${worst.family} ${pct(worst.ms / r.profiledMs!)}` : ''}`;
    return `- ${sp >= TARGET ? '✅' : '❌'} ${r.model}: conv kernels ${pct(r.convShare!)} of our time, ${sp.toFixed(2)}x TF.js-wasm (target ${TARGET}x)${sp >= TARGET ? '' : `; ${held}`}`;
  });
  out.push(`**Target (issue 25): every model whose time is mostly convolution (conv kernels ≥ ${pct(CONV_DOMINATED)} of sepconv's profiled time) ≥ ${TARGET}x faster than TF.js-wasm:**`, ...checks);
  const na = rows.filter((r) => r.na);
  if (na.length) out.push('', `Not in the table (sepconv does not load them yet; they appear once it does): ${na.map((r) => `${r.model} (${r.na})`).join('; ')}.`);
  return out.join('\n');
}
