// `node bench/run.mjs --threads [--quick] [--runs N]`: 1 thread vs 2 threads in ONE process, on the same
// threaded runtime and the same model objects (configureThreads switches the per-op thread limit),
// interleaved rounds, ratios of medians. Sections: the five zoo models at full size, one row per op
// family, and the pointwise size sweep behind the pool's MIN_PARALLEL_WORK threshold. Imports the
// built package (dist/, whose worker.js the pool loads): run `pnpm build` first.
import { loadavg, cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sc from 'sepconv';
import { interleave, type Stats } from './timing.js';

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

interface Row {
  section: string;
  name: string;
  t1: Stats;
  t2: Stats;
  ratio: number;
  target?: number;
  split?: number;
}

async function ab(section: string, name: string, run: () => void, o: { warmup: number; runs: number; target?: number }): Promise<Row> {
  const res = await interleave(
    [
      { id: 't1', before: () => sc.configureThreads({ threads: 1 }), run },
      { id: 't2', before: () => sc.configureThreads({ threads: 2 }), run },
    ],
    { warmup: o.warmup, warmupMs: 300, runs: o.runs },
  );
  const t1 = res.get('t1')!.stats;
  const t2 = res.get('t2')!.stats;
  // Ops split per run at 2 threads (one more run, counted).
  sc.configureThreads({ threads: 2 });
  const before = sc.threadStats().split;
  run();
  const row = { section, name, t1, t2, ratio: t2.median / t1.median, target: o.target, split: sc.threadStats().split - before };
  console.error(`threads: ${name}: 1 thread ${t1.median.toFixed(2)} ms, 2 threads ${t2.median.toFixed(2)} ms, x${row.ratio.toFixed(2)}`);
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
  const families: [string, () => sc.Tensor][] = [
    ['pointwise 28x28 128->128', () => sc.pointwiseConv2d(pwX, pwW)],
    ['depthwise 3x3 112x112x64', () => sc.depthwiseConv2d(dwX, dwW, { padding: 'same' })],
    ['conv 3x3 s2 224x224x3->32 (stem)', () => sc.conv2d(cvX, cvW, { strides: 2, padding: 'same' })],
    ['conv 3x3 56x56x64->64 (ResNet)', () => sc.conv2d(r3X, r3W, { padding: 'same' })],
    ['max pool 3x3 s2 112x112x64', () => sc.maxPool(plX, { poolSize: 3, strides: 2, padding: 'same' })],
    ['add 56x56x144', () => sc.add(eA, eB)],
    ['swish 56x56x144', () => sc.swish(eA)],
  ];
  for (const [name, op] of families) rows.push(await ab('ops', name, () => op().dispose(), { warmup, runs: runs * 2 }));
  // The threshold: pointwise GEMMs of growing size, split at any size (minWork 0) vs one thread.
  sc.configureThreads({ minWork: 0 });
  for (const px of quick ? [16, 256] : [16, 64, 144, 256, 576, 1024, 3136]) {
    const x = tensor(12, [1, 1, px, 64]);
    const w = tensor(13, [1, 1, 64, 64], 0.1);
    rows.push(await ab('threshold', `pointwise ${px} px x 64 -> 64 (${((px * 64 * 64) / 1024).toFixed(0)} k MAC)`, () => sc.pointwiseConv2d(x, w).dispose(), { warmup, runs: runs * 3 }));
  }
  const load1 = loadavg();
  const f = (x: number) => x.toFixed(2);
  const L = [
    `# sepconv threads: 1 vs 2 threads (Node ${process.version}, ${info.build} threads build)`,
    '',
    `Command: \`node bench/run.mjs --threads${quick ? ' --quick' : ''}\`; ${new Date().toISOString()}; ${cpus().length} logical CPUs (${cpus()[0]?.model ?? '?'}); load average before ${load0.map(f).join(' ')}, after ${load1.map(f).join(' ')}.`,
    'One process, one threaded runtime; each round runs both settings (configureThreads({ threads: 1 | 2 })) in rotating order; medians of the timed rounds. Ratio = 2-thread / 1-thread time (0.5 is ideal).',
    '',
    '| section | case | 1 thread ms | 2 threads ms | ratio | target | ops split per run |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.section} | ${r.name} | ${f(r.t1.median)} | ${f(r.t2.median)} | ${f(r.ratio)} | ${r.target ? `<= ${r.target}${r.ratio <= r.target ? '' : ' (missed)'}` : ''} | ${r.split !== undefined ? r.split : ''} |`),
  ];
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
