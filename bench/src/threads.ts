// `node bench/run.mjs --threads [--quick] [--runs N]`: 1 thread vs 2 threads in ONE process, on the same
// threaded runtime and the same model objects (configureThreads switches the per-op thread limit),
// interleaved rounds, ratios of medians. Sections: the five zoo models at full size, one row per op
// family, and the pointwise size sweep behind the pool's MIN_PARALLEL_WORK threshold. Imports the
// built package (dist/, whose worker.js the pool loads): run `pnpm build` first.
import { loadavg, cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sc from 'sepconv';
import { interleave, stats, type Stats } from './timing.js';
import { FAMILY_ORDER, layerFamilies, recordProfile, type StepLike } from './families.js';

declare const __BENCH_ROOT__: string;

const random = (seed: number, n: number, scale = 1): Float32Array => {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  });
};
const tensor = (seed: number, shape: number[], scale = 1) => sc.tensor(random(seed, shape.reduce((a, b) => a * b, 1), scale), shape);

function seedModel(m: sc.Model, s: number): void {
  const w = m.getWeights();
  let i = 0;
  for (const [name, v] of w) {
    const r = random(s + i++, v.length, 0.1);
    w.set(name, /variance/.test(name) ? r.map((x) => 0.5 + Math.abs(x)) : /gamma/.test(name) ? r.map((x) => 1 + x) : r);
  }
  m.setWeights(w);
}

/** One op family of one model at 1 and 2 threads: the sum of its layers' fastest profiled times. */
interface FamilySplit {
  model: string;
  family: string;
  steps: number;
  t1: number;
  t2: number;
  share1: number;
}

/**
 * Where the barriers bite: `calls` Model.profile() calls alternating 1 and 2 threads, each layer's
 * fastest time per setting, summed per op family (bench/src/families.ts). Time between steps is its own row.
 */
function familySplit(name: string, model: sc.Model, x: sc.Tensor, calls: number): FamilySplit[] {
  const per = [new Map<string, number[]>(), new Map<string, number[]>()];
  const between: number[][] = [[], []];
  for (let i = 0; i < 2 * calls; i++) {
    const k = (i + (i >> 1)) & 1; // 0 1 1 0 0 1 1 0 ...: each setting first as often as second
    sc.configureThreads({ threads: k + 1 });
    recordProfile(model.profile(x, { runs: 1 }), per[k]!, between[k]!);
  }
  const layers = layerFamilies(model.lower([x.shape.slice(1)]).steps as unknown as StepLike[]);
  const fam = new Map<string, FamilySplit>();
  for (const [layer, times1] of per[0]!) {
    const { family, steps } = layers.get(layer) ?? { family: 'other (pad, concat, reshape, ...)', steps: 0 };
    const row = fam.get(family) ?? { model: name, family, steps: 0, t1: 0, t2: 0, share1: 0 };
    row.steps += steps;
    row.t1 += stats(times1).min;
    row.t2 += stats(per[1]!.get(layer) ?? times1).min;
    fam.set(family, row);
  }
  const rows = [...fam.values()].sort((a, b) => FAMILY_ORDER.indexOf(a.family) - FAMILY_ORDER.indexOf(b.family));
  rows.push({ model: name, family: 'between steps (JS dispatch)', steps: 0, t1: stats(between[0]!).min, t2: stats(between[1]!).min, share1: 0 });
  const total = rows.reduce((a, r) => a + r.t1, 0);
  for (const r of rows) r.share1 = r.t1 / total;
  return rows;
}

interface Row {
  section: string;
  name: string;
  t1: Stats;
  t2: Stats;
  ratio: number;
  target?: number;
  split?: number;
  /** Threshold rows: whether the default threshold splits this op. */
  splitByDefault?: boolean;
}

type Setting = sc.ThreadConfig;

/** Interleaved rounds of `run` under setting A and B (default 1 vs 2 threads); ratio = B / A. */
async function ab(section: string, name: string, run: () => void, o: { warmup: number; runs: number; target?: number; a?: Setting; b?: Setting }): Promise<Row> {
  const a = o.a ?? { threads: 1 };
  const b = o.b ?? { threads: 2 };
  const res = await interleave(
    [
      { id: 't1', before: () => sc.configureThreads(a), run },
      { id: 't2', before: () => sc.configureThreads(b), run },
    ],
    { warmup: o.warmup, warmupMs: 300, runs: o.runs },
  );
  const t1 = res.get('t1')!.stats;
  const t2 = res.get('t2')!.stats;
  // Ops split per run under B (one more run, counted).
  sc.configureThreads(b);
  const before = sc.threadStats().split;
  run();
  const row = { section, name, t1, t2, ratio: t2.median / t1.median, target: o.target, split: sc.threadStats().split - before };
  console.error(`threads: ${name}: ${t1.median.toFixed(3)} ms, ${t2.median.toFixed(3)} ms, x${row.ratio.toFixed(2)}`);
  return row;
}

export async function threadsMain(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : quick ? 3 : 15;
  const warmup = quick ? 1 : 3;
  const info = await sc.init({ threads: 2 });
  if (info.threads !== 2) {
    console.error(`threads: no 2-thread runtime here (${info.threadsReason})`);
    return 1;
  }
  const load0 = loadavg();
  const rows: Row[] = [];
  const families: FamilySplit[] = [];
  const res = quick ? 0.25 : 1;
  const models: { name: string; make: () => sc.Model; size: number; target: number }[] = [
    { name: 'MobileNetV1 1.0-224', make: () => sc.mobilenetV1(), size: 224, target: 0.58 },
    { name: 'ResNet-50', make: () => sc.resnet50(), size: 224, target: 0.58 },
    { name: 'Xception 299', make: () => sc.xception(), size: 299, target: 0.58 },
    { name: 'MobileNetV2 1.0-224', make: () => sc.mobilenetV2(), size: 224, target: 0.62 },
    { name: 'EfficientNet-B0', make: () => sc.efficientnet('b0'), size: 224, target: 0.62 },
  ];
  for (const [k, m] of models.entries()) {
    const size = quick ? Math.max(32, Math.round((m.size * res) / 8) * 8) : m.size;
    const model = quick ? (k === 0 ? sc.mobilenetV1({ alpha: 0.25, resolution: size }) : undefined) : m.make();
    if (!model) continue;
    seedModel(model, 10 * k);
    const x = tensor(k + 1, [1, size, size, 3]);
    rows.push(await ab('models', m.name, () => void model.predict(x), { warmup, runs, target: m.target }));
    families.push(...familySplit(m.name, model, x, quick ? 3 : 2 * runs));
    model.dispose();
    x.dispose();
  }
  // The barrier: workers that sleep between ops (spinMs 0: a futex wake per op) vs workers that poll.
  const defaults = sc.threadStats();
  {
    const model = quick ? sc.mobilenetV2({ alpha: 0.35, resolution: 96 }) : sc.mobilenetV2();
    seedModel(model, 3);
    const size = quick ? 96 : 224;
    const x = tensor(4, [1, size, size, 3]);
    rows.push(
      await ab('barrier', `MobileNetV2${quick ? ' 0.35-96' : ' 1.0-224'} at 2 threads: workers sleep between ops (spinMs 0) vs poll (spinMs ${defaults.spinMs})`, () => void model.predict(x), {
        warmup,
        runs,
        a: { threads: 2, spinMs: 0 },
        b: { threads: 2, spinMs: defaults.spinMs },
      }),
    );
    rows.push(
      await ab('barrier', `the same, workers poll 0.1 ms vs ${defaults.spinMs} ms`, () => void model.predict(x), {
        warmup,
        runs,
        a: { threads: 2, spinMs: 0.1 },
        b: { threads: 2, spinMs: defaults.spinMs },
      }),
    );
    sc.configureThreads({ spinMs: defaults.spinMs });
    model.dispose();
    x.dispose();
  }
  // One op per family, MobileNet-sized.
  const s = quick ? 0.5 : 1;
  const d = (n: number) => Math.max(4, Math.round(n * s));
  const pwX = tensor(1, [1, d(28), d(28), 128]);
  const pwW = tensor(2, [1, 1, 128, 128], 0.1);
  const dwX = tensor(3, [1, d(112), d(112), 64]);
  const dwW = tensor(4, [3, 3, 64, 1]);
  const cvX = tensor(5, [1, d(224), d(224), 3]);
  const cvW = tensor(6, [3, 3, 3, 32], 0.3);
  const r3X = tensor(7, [1, d(56), d(56), 64]);
  const r3W = tensor(8, [3, 3, 64, 64], 0.05);
  const plX = tensor(9, [1, d(112), d(112), 64]);
  const eA = tensor(10, [1, d(56), d(56), 144]);
  const eB = tensor(11, [1, d(56), d(56), 144]);
  const opCases: [string, () => sc.Tensor][] = [
    ['pointwise 28x28 128->128', () => sc.pointwiseConv2d(pwX, pwW)],
    ['depthwise 3x3 112x112x64', () => sc.depthwiseConv2d(dwX, dwW, { padding: 'same' })],
    ['conv 3x3 s2 224x224x3->32 (stem)', () => sc.conv2d(cvX, cvW, { strides: 2, padding: 'same' })],
    ['conv 3x3 56x56x64->64 (ResNet)', () => sc.conv2d(r3X, r3W, { padding: 'same' })],
    ['max pool 3x3 s2 112x112x64', () => sc.maxPool(plX, { poolSize: 3, strides: 2, padding: 'same' })],
    ['add 56x56x144', () => sc.add(eA, eB)],
    ['swish 56x56x144', () => sc.swish(eA)],
  ];
  for (const [name, op] of opCases) rows.push(await ab('ops', name, () => op().dispose(), { warmup, runs: runs * 2 }));
  // The threshold: each family at growing sizes, forced to split at any size (minWork 0) vs one thread;
  // the last column says whether the default threshold splits it (ratio < 1 should be split, > 1 not).
  const sweep: [string, number[], (n: number) => () => void][] = [
    ['pointwise {n} px x 64 -> 64', quick ? [16, 256] : [16, 32, 64, 144, 256, 1024], (n) => {
      const x = tensor(12, [1, 1, n, 64]);
      const w = tensor(13, [1, 1, 64, 64], 0.1);
      return () => sc.pointwiseConv2d(x, w).dispose();
    }],
    ['depthwise 3x3 {n}x{n}x32', quick ? [8, 16] : [6, 8, 12, 16, 28], (n) => {
      const x = tensor(14, [1, n, n, 32]);
      const w = tensor(15, [3, 3, 32, 1]);
      return () => sc.depthwiseConv2d(x, w, { padding: 'same' }).dispose();
    }],
    ['max pool 3x3 s2 {n}x{n}x32', quick ? [16, 32] : [12, 16, 24, 32, 56], (n) => {
      const x = tensor(16, [1, n, n, 32]);
      return () => sc.maxPool(x, { poolSize: 3, strides: 2, padding: 'same' }).dispose();
    }],
    ['add {n} k values', quick ? [4, 32] : [2, 4, 8, 16, 32, 64], (n) => {
      const a = tensor(17, [1, n, 32, 32]);
      const b = tensor(18, [1, n, 32, 32]);
      return () => sc.add(a, b).dispose();
    }],
    ['swish {n} k values', quick ? [1, 8] : [0.5, 1, 2, 4, 8, 16], (n) => {
      const a = tensor(19, [1, n * 32, 32]);
      return () => sc.swish(a).dispose();
    }],
  ];
  for (const [label, sizes, make] of sweep) {
    for (const n of sizes) {
      const run = make(n);
      const row = await ab('threshold', label.replaceAll('{n}', String(n)), run, { warmup, runs: runs * 3, a: { threads: 1 }, b: { threads: 2, minWork: 0 } });
      sc.configureThreads({ threads: 2, minWork: defaults.minWork });
      const before = sc.threadStats().split;
      run();
      row.splitByDefault = sc.threadStats().split > before;
      rows.push(row);
    }
  }
  sc.configureThreads({ minWork: defaults.minWork });
  const load1 = loadavg();
  const f = (x: number) => x.toFixed(2);
  const f3 = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(2));
  const L = [
    `# sepconv threads: 1 vs 2 threads (Node ${process.version}, ${info.build} threads build)`,
    '',
    `Command: \`node bench/run.mjs --threads${quick ? ' --quick' : ''}\`; ${new Date().toISOString()}; ${cpus().length} logical CPUs (${cpus()[0]?.model ?? '?'}); load average before ${load0.map(f).join(' ')}, after ${load1.map(f).join(' ')}.`,
    `One process, one threaded runtime; each round runs both settings (configureThreads({ threads: 1 | 2 })) in rotating order; medians of the timed rounds. Ratio = 2-thread / 1-thread time (0.5 is ideal). Pool defaults: minWork ${defaults.minWork} (pointwise-MAC equivalents), spinMs ${defaults.spinMs}.`,
    'Barrier row: both columns at 2 threads, workers sleeping between ops vs polling. Threshold rows: every op split (minWork 0) at 2 threads vs 1 thread; "split by default" says whether the default minWork splits it.',
    '',
    '| section | case | 1 thread ms | 2 threads ms | ratio | target | ops split per run | split by default |',
    '|---|---|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.section} | ${r.name} | ${f3(r.t1.median)} | ${f3(r.t2.median)} | ${f(r.ratio)} | ${r.target ? `<= ${r.target}${r.ratio <= r.target ? '' : ' (missed)'}` : ''} | ${r.split !== undefined ? r.split : ''} | ${r.splitByDefault === undefined ? '' : r.splitByDefault ? 'yes' : 'no'} |`),
  ];
  L.push(
    '',
    '## Per op family inside the models',
    '',
    "Model.profile() (a timer around every step) alternating 1 and 2 threads; each layer's fastest time per setting, summed per op family. Families under 1% of the 1-thread time are left out. Ratio = 2-thread / 1-thread.",
    '',
    '| model | op family | steps | share at 1 thread | 1 thread ms | 2 threads ms | ratio |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...families
      .filter((r) => r.share1 >= 0.01)
      .map((r) => `| ${r.model} | ${r.family} | ${r.steps || ''} | ${(100 * r.share1).toFixed(0)}% | ${f(r.t1)} | ${f(r.t2)} | ${f(r.t2 / r.t1)} |`),
  );
  const md = L.join('\n') + '\n';
  console.log(md);
  if (!quick) {
    const dir = join(__BENCH_ROOT__, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'threads.md'), md);
    console.error(`threads: wrote bench/results/threads.md`);
  }
  sc.terminate();
  return 0;
}
