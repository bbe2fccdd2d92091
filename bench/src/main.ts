import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { HELP, parseArgs, type BenchArgs } from './args.js';
import { ALL_ENGINES, Engines, ROOT, type EngineId } from './engines/index.js';
import { KERNEL_ENGINES, runKernels, runSpatialModelPair, runSpatialPair, selectedKernelCases, SPATIAL_PAIR_ENGINES, spatialModelPairCases, spatialPairCases } from './kernels.js';
import type { Ctx } from './measure.js';
import { MemoryRoof, Roof } from './roof.js';
import { MODEL_ENGINES, runModels, selectedModels } from './models.js';
import { runSeed, selectedSeedRows } from './seed.js';
import { ONNX_ENGINES, runOnnxCorpus, selectedOnnxCorpus } from './onnx-corpus.js';
import { measureSizes } from './size.js';
import { runColdStart } from './coldstart.js';
import { planningSizes, runPlanning } from './planning.js';
import { writeReport, type BenchResults } from './report.js';
import { converterVersion } from './engines/tfjs-graph.js';

const req = createRequire(join(ROOT, 'package.json'));

export async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseArgs(argv, ROOT);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  if (args.reportFrom) {
    const { readFileSync } = await import('node:fs');
    const { dirname: dn, resolve: rs } = await import('node:path');
    const file = rs(args.reportFrom);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    args.outDir = dn(file);
    args.writeResults = !saved.quick && !argv.includes('--no-results-md');
    const files = await writeReport(saved, args);
    console.error(`bench: re-rendered ${files.join(', ')}`);
    return 0;
  }
  const started = new Date();
  const t0 = performance.now();
  const want = (id: EngineId) => !args.engines || args.engines.has(id);
  const engines = await Engines.load(want);
  const roof = new Roof();
  for (let i = 0; i < (args.quick ? 2 : 10); i++) roof.sample(args.quick ? 5 : 20);
  const memoryRoof = new MemoryRoof(args.quick ? 16 : 64);
  for (let i = 0; i < (args.quick ? 2 : 5); i++) memoryRoof.sample();

  const kernelCases = args.suites.has('kernels') ? selectedKernelCases({ args } as Ctx) : [];
  const seedRows = args.suites.has('seed') ? selectedSeedRows(args) : [];
  const models = args.suites.has('models') ? selectedModels(args) : [];
  const onnxRows = args.suites.has('onnx') ? selectedOnnxCorpus(args) : [];
  const rounds = args.warmup + args.runs;
  const hasPair = spatialPairCases(kernelCases) !== undefined;
  const hasModelPair = spatialModelPairCases(kernelCases) !== undefined;
  const total = (kernelCases.length + (hasPair ? 1 : 0) + (hasModelPair ? 1 : 0) + seedRows.length + models.length + onnxRows.length) * rounds + (args.suites.has('coldstart') ? 1 : 0) + (args.suites.has('size') ? 1 : 0) + (args.suites.has('planning') ? planningSizes(args.quick).length : 0);

  let bar: any;
  if (args.progress) {
    const cp = req('cli-progress');
    bar = new cp.SingleBar({ format: 'bench [{bar}] {percentage}% | {value}/{total} rounds | {eta_formatted} left | {what}', etaBuffer: 200, hideCursor: true, stream: process.stderr }, cp.Presets.shades_classic);
    bar.start(total, 0, { what: 'starting' });
  }
  let what = '';
  const ctx: Ctx = {
    args,
    engines,
    roof,
    tick: (n = 1) => bar?.increment(n, { what }),
    log: (s) => {
      what = s;
      if (bar) bar.update({ what: s });
      else if (!args.quick) console.error(`bench: ${s}`);
    },
  };

  const results: BenchResults = {
    date: started.toISOString(),
    command: `node bench/run.mjs ${argv.join(' ')}`.trim(),
    quick: args.quick,
    host: hostInfo(),
    engines: Object.fromEntries(ALL_ENGINES.map((id) => [id, engines.info.get(id)])),
    roof: roof.result(),
    memoryRoof: memoryRoof.result(),
    kernels: [],
    seed: [],
    models: [],
    ...(models.length ? { converter: converterVersion() } : {}),
  };
  const suite = async (name: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (err) {
      results.errors ??= [];
      results.errors.push(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      console.error(`bench: suite ${name} failed: ${err instanceof Error ? err.message : err}`);
    }
  };
  try {
    // models first: wasm memories only grow, so their heap sizes are not inflated by the big kernel cases
    if (models.length) await suite('models', async () => void (results.models = await runModels(ctx, models, MODEL_ENGINES.filter(want))));
    if (onnxRows.length) await suite('onnx', async () => void (results.onnx = await runOnnxCorpus(ctx, onnxRows, ONNX_ENGINES.filter(want))));
    if (kernelCases.length) await suite('kernels', async () => void (results.kernels = await runKernels(ctx, kernelCases, KERNEL_ENGINES.filter(want))));
    if (hasPair) await suite('kernel pair', async () => void (results.spatialPair = await runSpatialPair(ctx, kernelCases, SPATIAL_PAIR_ENGINES.filter(want))));
    if (hasModelPair) await suite('model pair', async () => void (results.spatialModelPair = await runSpatialModelPair(ctx, kernelCases, SPATIAL_PAIR_ENGINES.filter(want))));
    if (seedRows.length) await suite('seed', async () => void (results.seed = await runSeed(ctx, seedRows)));
    if (args.suites.has('coldstart')) {
      ctx.log('cold start (child processes)');
      await suite('coldstart', async () => void (results.coldStart = await runColdStart(args)));
      ctx.tick();
    }
    if (args.suites.has('planning')) await suite('planning', async () => void ((results as BenchResults & { planning?: unknown }).planning = await runPlanning(ctx)));
    if (args.suites.has('size')) {
      ctx.log('shipped bytes');
      await suite('size', async () => void (results.size = await measureSizes(args)));
      ctx.tick();
    }
  } finally {
    bar?.stop();
  }
  for (let i = 0; i < (args.quick ? 1 : 5); i++) roof.sample(args.quick ? 5 : 20);
  results.roof = roof.result();
  for (let i = 0; i < (args.quick ? 1 : 5); i++) memoryRoof.sample();
  results.memoryRoof = memoryRoof.result();
  results.seconds = (performance.now() - t0) / 1000;
  mkdirSync(args.outDir, { recursive: true });
  const files = await writeReport(results, args);
  console.error(`bench: done in ${results.seconds.toFixed(0)} s; wrote ${files.join(', ')}`);
  return results.errors?.length ? 1 : 0;
}

function hostInfo() {
  const os = req('node:os');
  return {
    node: process.version,
    v8: process.versions.v8,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    ...cpuDetail(),
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    loadavg: os.loadavg(),
  };
}

/** Linux only: CPU family / model and cache sizes, which tell hosts with the same model name apart (the tile choices depend on them). */
function cpuDetail(): { cpuId?: string; caches?: string } {
  const fs = req('node:fs');
  const read = (f: string): string | undefined => {
    try {
      return fs.readFileSync(f, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const info = read('/proc/cpuinfo') ?? '';
  const field = (k: string) => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1];
  const family = field('cpu family');
  const model = field('model');
  const caches: string[] = [];
  for (let i = 0; i < 8; i++) {
    const dir = `/sys/devices/system/cpu/cpu0/cache/index${i}`;
    const [level, type, size] = ['level', 'type', 'size'].map((f) => read(`${dir}/${f}`));
    if (!level || !size) break;
    if (type !== 'Instruction') caches.push(`L${level}${type === 'Data' ? 'd' : ''} ${size}`);
  }
  return { ...(family ? { cpuId: `family ${family} model ${model ?? '?'}` } : {}), ...(caches.length ? { caches: caches.join(', ') } : {}) };
}

export { writeFileSync };
