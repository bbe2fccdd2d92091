// `node bench/run.mjs profile [flags]`: where a whole model's time goes in sepconv, per op family
// (issue 24: "the profile that explains the gap"). Runs Model.profile() (per-step timers, one predict per
// call) many times per model, takes each layer's fastest time (the machine is shared: the minimum is the
// run no other process preempted, as the roof is its best sample), and groups the lowered steps (Model.lower(), the
// same steps profile() times) into op families: pointwise, standard conv, depthwise 3x3 s1 / s2, 5x5,
// the fused expand + depthwise ring kernel, squeeze-excite, pools, activations, elementwise, and the time
// between steps (JS dispatch).
import { Engines, type OurBuild } from './engines/index.js';
import { modelDefs, ourModelFactory, prepareModel } from './models.js';
import { Roof } from './roof.js';
import * as sc from './sepconv.js';
import { stats } from './timing.js';
import { writeSection } from './results-sections.js';
import { CONV_FAMILIES, FAMILY_ORDER, layerFamilies, recordProfile, stepFamily, type StepLike } from './families.js';

export { CONV_FAMILIES, FAMILY_ORDER, stepFamily, type StepLike };

export const PROFILE_HELP = `node bench/run.mjs profile [flags]

  Per-op-family profile of whole models on sepconv (Model.profile(): a timer around every step), as a
  Markdown table: share of the model's time, GFLOP/s and % of the roof per family, and the time between
  steps. The roof is the bench's hand-written wasm mul+add kernel, sampled around each model.
  --models a,b     zoo ids (default mobilenet_v1,mobilenet_v2,efficientnet_b0,xception,resnet50)
  --calls N        profile() calls per model, one predict each; each layer's fastest time is used (default 61)
  --warmup-ms T    predicts before profiling until T ms ran (default 1500: V8's optimized code lands late)
  --build B        simd128 (default) or relaxed
  --act-swap A=B   build the models with activation B wherever the config says A (e.g. swish=relu6: what
                   B0's swish costs, family by family); repeatable
  --wasm FILE      run this .wasm build instead of packages/sepconv/wasm's (a before/after profile)
  --json FILE      also write the numbers as JSON
  --roof G         % of roof against G GFLOP/s (e.g. an idle full run's) instead of this run's best sample
  --results-md     also write the table into bench/RESULTS.md (its "profile" section; a full bench run keeps it)
`;

export interface FamilyRow {
  family: string;
  steps: number;
  ms: number;
  macs: number;
}

export interface ModelProfile {
  id: string;
  label: string;
  families: FamilyRow[];
  /** Sum of the per-layer minimum times. */
  stepsMs: number;
  /** stepsMs plus the least time between steps of a profiled predict (timers on). */
  profiledMs: number;
  /** Fastest predict() without timers, measured right before. */
  predictMs: number;
  macs: number;
  roofGflops: number;
}

/**
 * Profiles a built model on input `x`: `calls` profile() calls of one predict each, each layer's minimum,
 * grouped by family. Runs predict first until `warmupMs` passed.
 */
export function profileModel(m: any, x: any, opts: { calls: number; warmupMs: number; between?: () => void }): Omit<ModelProfile, 'id' | 'label' | 'roofGflops'> {
  const t0 = performance.now();
  let n = 0;
  while (n < 3 || performance.now() - t0 < opts.warmupMs) {
    m.predict(x);
    n++;
  }
  const plain: number[] = [];
  for (let i = 0; i < Math.max(5, opts.calls); i++) {
    const t = performance.now();
    m.predict(x);
    plain.push(performance.now() - t);
  }
  const perLayer = new Map<string, number[]>();
  const between: number[] = [];
  const macsByLayer = new Map<string, number>();
  for (let i = 0; i < opts.calls; i++) {
    const p = m.profile(x, { runs: 1 });
    recordProfile(p, perLayer, between);
    for (const r of p.rows) macsByLayer.set(r.name, r.macs);
    opts.between?.();
  }
  const shape = x.shape.slice(1);
  const layers = layerFamilies(m.lower([shape]).steps as StepLike[]);
  const fam = new Map<string, FamilyRow>();
  let stepsMs = 0;
  for (const [layer, times] of perLayer) {
    const { family: f, steps } = layers.get(layer) ?? { family: 'other (pad, concat, reshape, ...)', steps: 0 };
    const row = fam.get(f) ?? { family: f, steps: 0, ms: 0, macs: 0 };
    const ms = stats(times).min;
    row.steps += steps;
    row.ms += ms;
    row.macs += macsByLayer.get(layer) ?? 0;
    stepsMs += ms;
    fam.set(f, row);
  }
  const families = [...fam.values()].sort((a, b) => FAMILY_ORDER.indexOf(a.family) - FAMILY_ORDER.indexOf(b.family));
  return {
    families,
    stepsMs,
    profiledMs: stepsMs + stats(between).min,
    predictMs: stats(plain).min,
    macs: families.reduce((a, r) => a + r.macs, 0),
  };
}

const pct = (x: number) => (x >= 0.095 ? `${(100 * x).toFixed(0)}%` : `${(100 * x).toFixed(1)}%`);
const gf = (macs: number, ms: number) => (ms > 0 && macs > 0 ? (2 * macs) / (ms * 1e6) : 0);

/** The per-model family table, one column per model: share of time · GFLOP/s · % roof. */
export function profileMarkdown(ps: ModelProfile[]): string {
  const fams = FAMILY_ORDER.filter((f) => ps.some((p) => p.families.some((r) => r.family === f)));
  const head = `| op family | ${ps.map((p) => `${p.label}: share · GFLOP/s · % roof`).join(' | ')} |`;
  const sep = `|---|${ps.map(() => '--:').join('|')}|`;
  const cell = (p: ModelProfile, r: FamilyRow | undefined) => {
    if (!r) return '–';
    const share = pct(r.ms / p.profiledMs);
    if (r.macs === 0) return `${share} (${r.ms.toFixed(2)} ms)`;
    const g = gf(r.macs, r.ms);
    return `${share} · ${g.toFixed(1)} · ${pct(g / p.roofGflops)}`;
  };
  const rows = fams.map((f) => `| ${f} | ${ps.map((p) => cell(p, p.families.find((r) => r.family === f))).join(' | ')} |`);
  const between = `| between steps (JS dispatch, views, timers) | ${ps.map((p) => `${pct((p.profiledMs - p.stepsMs) / p.profiledMs)} (${(p.profiledMs - p.stepsMs).toFixed(2)} ms)`).join(' | ')} |`;
  const conv = `| **all conv kernels** | ${ps
    .map((p) => {
      const rs = p.families.filter((r) => CONV_FAMILIES.has(r.family));
      const ms = rs.reduce((a, r) => a + r.ms, 0);
      const macs = rs.reduce((a, r) => a + r.macs, 0);
      const g = gf(macs, ms);
      return `${pct(ms / p.profiledMs)} · ${g.toFixed(1)} · ${pct(g / p.roofGflops)}`;
    })
    .join(' | ')} |`;
  const total = `| **whole model** (profiled; fastest predict() without timers) | ${ps
    .map((p) => `${p.profiledMs.toFixed(1)} ms · ${gf(p.macs, p.profiledMs).toFixed(1)} · ${pct(gf(p.macs, p.profiledMs) / p.roofGflops)} (${p.predictMs.toFixed(1)} ms · ${pct(gf(p.macs, p.predictMs) / p.roofGflops)})`)
    .join(' | ')} |`;
  const steps = `| steps (fused plan) | ${ps.map((p) => String(p.families.reduce((a, r) => a + r.steps, 0))).join(' | ')} |`;
  return [head, sep, ...rows, between, conv, total, steps].join('\n');
}

/** A Keras config with every `activation: from` (layer configs and Activation layers) set to `to`. */
export function swapActivations(cfg: any, swaps: [string, string][]): any {
  const walk = (v: any): any => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: any = {};
      for (const [k, x] of Object.entries(v)) {
        const hit = k === 'activation' && typeof x === 'string' ? swaps.find(([f]) => f === x) : undefined;
        out[k] = hit ? hit[1] : walk(x);
      }
      return out;
    }
    return v;
  };
  return walk(cfg);
}

function parseProfile(argv: string[]) {
  const o = { models: ['mobilenet_v1', 'mobilenet_v2', 'efficientnet_b0', 'xception', 'resnet50'], calls: 61, warmupMs: 1500, build: 'simd128' as OurBuild, json: undefined as string | undefined, wasm: undefined as string | undefined, swaps: [] as [string, string][], resultsMd: false, roof: undefined as number | undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`profile: ${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--models') o.models = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--calls') o.calls = Number(value());
    else if (a === '--warmup-ms') o.warmupMs = Number(value());
    else if (a === '--json') o.json = value();
    else if (a === '--wasm') o.wasm = value();
    else if (a === '--results-md') o.resultsMd = true;
    else if (a === '--roof') {
      o.roof = Number(value());
      if (!(o.roof > 0)) throw new Error('profile: --roof takes GFLOP/s, e.g. 63.7');
    }
    else if (a === '--act-swap') {
      const [from, to] = value().split('=');
      if (!from || !to) throw new Error('profile: --act-swap takes FROM=TO, e.g. swish=relu6');
      o.swaps.push([from, to]);
    }
    else if (a === '--build') {
      const b = value();
      if (b !== 'simd128' && b !== 'relaxed') throw new Error(`profile: --build is simd128 or relaxed, got ${b}`);
      o.build = b;
    } else throw new Error(`profile: unknown argument ${a} (see --help)`);
  }
  if (!Number.isInteger(o.calls) || o.calls < 1) throw new Error('profile: --calls must be a positive integer');
  if (!(o.warmupMs >= 0)) throw new Error('profile: --warmup-ms must be a time in ms');
  return o;
}

export async function profileMain(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parseProfile>;
  try {
    o = parseProfile(argv);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  if (o.help) {
    console.log(PROFILE_HELP);
    return 0;
  }
  const defs = modelDefs(false).filter((d) => d.config && o.models.includes(d.id));
  if (defs.length === 0) {
    console.error(`profile: no zoo model among ${o.models.join(', ')} (have ${modelDefs(false).filter((d) => d.config).map((d) => d.id).join(', ')})`);
    return 2;
  }
  const e = await Engines.load((id) => id === `sepconv-${o.build}`);
  if (o.wasm) {
    const { readFileSync } = await import('node:fs');
    e.rt.set(o.build, sc.instantiate(await sc.toModule(readFileSync(o.wasm)), { build: o.build, reason: 'profile' }));
  }
  const factory = ourModelFactory();
  if (!factory || !e.rt.has(o.build)) {
    console.error(`profile: sepconv ${o.build} or its model factory is not available`);
    return 2;
  }
  const roof = new Roof();
  const os = await import('node:os');
  const load0 = os.loadavg();
  const out: ModelProfile[] = [];
  for (const def of defs.sort((a, b) => o.models.indexOf(a.id) - o.models.indexOf(b.id))) {
    e.useSepconv(o.build);
    const p = prepareModel(o.swaps.length ? { ...def, config: () => swapActivations(def.config!(), o.swaps) } : def);
    const m = await factory(p.cfg);
    m.setWeights(p.weights!);
    const x = sc.tensor(p.input, p.shape);
    for (let i = 0; i < 3; i++) roof.sample(20);
    // Short roof samples between the calls: on a loaded machine a long one is rarely left alone.
    const r = profileModel(m, x, { ...o, between: () => roof.sample(3) });
    for (let i = 0; i < 3; i++) roof.sample(20);
    out.push({ id: def.id, label: def.label, ...r, roofGflops: roof.result().gflops });
    console.error(`profile: ${def.id} ${r.profiledMs.toFixed(1)} ms profiled, ${r.predictMs.toFixed(1)} ms predict`);
    x.dispose();
    m.dispose();
  }
  // One roof for every model: the best sample of the run (a loaded machine preempts some samples).
  for (let i = 0; i < 5; i++) roof.sample(20);
  for (const p of out) p.roofGflops = o.roof ?? roof.result().gflops;
  const load1 = os.loadavg();
  const fmt = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const lines: string[] = [];
  const say = (l: string) => {
    lines.push(l);
    console.log(l);
  };
  say(`Command: \`${`node bench/run.mjs profile ${argv.join(' ')}`.trim()}\``);
  say(`Build ${o.build}${o.wasm ? ` (${o.wasm})` : ''}${o.swaps.length ? `; activations swapped: ${o.swaps.map(([a, b]) => `${a} -> ${b}`).join(', ')}` : ''}; ${o.calls} profile() calls of one predict per model, each layer's fastest time and the least time between steps (a shared machine: the runs nobody preempted); roof ${o.roof !== undefined ? `${o.roof} GFLOP/s (given; this run's best sample ${roof.result().gflops.toFixed(1)})` : `${roof.result().gflops.toFixed(1)} GFLOP/s (best sample)`}; load average ${fmt(load0)} at start, ${fmt(load1)} at end; ${new Date().toISOString()}.\n`);
  say(profileMarkdown(out));
  if (o.resultsMd) {
    const host = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`;
    const head = [
      '## Where the time goes: per-op-family profile (issue 24)',
      '',
      `Each cell: share of the model's profiled time · GFLOP/s · % of the roof. Made by \`Model.profile()\` (a timer around every step of the fused plan) on ${host}; the steps are grouped by op family from \`Model.lower()\`. "pw→dw (fused)" is the pointwise conv and the depthwise conv that reads it run as one ring kernel (expand → depthwise in MobileNetV2 / B0, pointwise → next block's depthwise in MobileNetV1 / Xception): its time and MACs are both convs'. Families with no MACs show their ms. Sigmoid / swish passes run inside their conv's step and count there (at 0 FLOPs).`,
      '',
    ];
    const f = writeSection('profile', [...head, ...lines].join('\n'));
    console.error(`profile: wrote the "profile" section of ${f}`);
  }
  if (o.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), build: o.build, loadavg: [load0, load1], roof: roof.result(), models: out }, null, 1));
  }
  return 0;
}
