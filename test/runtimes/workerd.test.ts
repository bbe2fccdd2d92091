// Cloudflare Workers, for real: the workerd binary from npm serving a worker that imports the
// packed package through its `workerd` condition, bundled as wrangler bundles (the .wasm files
// become CompiledWasm modules, so they arrive as WebAssembly.Module). Also measures the edge
// budgets the README quotes: cold start, memory, bundle bytes.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDepthwiseCorrect, expectSameResults, type WorkloadResult } from './support/compare.js';
import { packed, ROOT, type Packed } from './support/package.js';
import { hostGlobalRefs, NODE_GLOBALS } from './support/globals.js';
import { fixtureDir } from './support/project.js';
import { lastJson, run } from './support/proc.js';
import { bundleWorker, startWorkerd, type RunningWorker, type WorkerBundle } from './support/workerd.js';
import { compute } from './fixtures/workload.mjs';

// The reference: Node, in this process, from the same tarball.
async function nodeResult(pkg: Packed, build: 'auto' | 'scalar'): Promise<WorkloadResult> {
  const sepconv = await import(join(pkg.pkg, 'dist/node.js'));
  await sepconv.init(build === 'auto' ? {} : { build });
  return compute(sepconv) as WorkloadResult;
}

const WORKERS_MEMORY_LIMIT = 128 * 2 ** 20;

let pkg: Packed;
let dir: string;
let bundle: WorkerBundle;
let worker: RunningWorker;
const budgets: Record<string, unknown> = {};

beforeAll(async () => {
  pkg = packed();
  dir = fixtureDir(pkg, 'worker', ['worker.mjs', 'workload.mjs']);
  const out = join(dir, 'out');
  mkdirSync(out);
  bundle = await bundleWorker(join(dir, 'worker.mjs'), out, { data: { 'simd-bytes.bin': join(pkg.pkg, 'wasm/sepconv-simd128.wasm') } });
  worker = await startWorkerd(bundle);
});

afterAll(async () => {
  await worker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (Object.keys(budgets).length) {
    mkdirSync(join(ROOT, 'test/.tmp'), { recursive: true });
    // Which run measured it: the times depend on the machine and its load (sizes do not).
    const measuredBy = { measuredAt: new Date().toISOString(), node: process.version, cpus: cpus().length, loadAverage1m: +loadavg()[0]!.toFixed(1) };
    writeFileSync(join(ROOT, 'test/.tmp/edge-budgets.json'), JSON.stringify({ run: measuredBy, ...budgets }, null, 2) + '\n');
  }
});

async function get<T>(path: string): Promise<{ body: T; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(worker.url + path);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${text}\n${worker.stderr()}`);
  return { body: JSON.parse(text) as T, ms };
}

type WorkerResult = WorkloadResult & { info: { build: string; reason: string }; importIsModule: boolean; compiles: Record<string, number> };

describe('workerd (Cloudflare Workers runtime)', () => {
  it('bundles with only the wasm modules beside the script, and no Node built-ins', async () => {
    const names = bundle.modules.map((m) => `${m.type}:${m.name}`).sort();
    expect(names).toEqual(['data:simd-bytes.bin', 'esModule:worker.js', 'wasm:sepconv-relaxed.wasm', 'wasm:sepconv-scalar.wasm', 'wasm:sepconv-simd128.wasm']);
    const code = readFileSync(join(bundle.dir, 'worker.js'), 'utf8');
    // No static import of anything but the wasm modules (workerd resolves those at load).
    expect([...new Set([...code.matchAll(/(?:^|[;}\n])\s*import\s*[\w${}\s,*]*from\s*["']([^"']+)["']/g)].map((m) => m[1]))].sort()).toEqual(['./sepconv-relaxed.wasm', './sepconv-scalar.wasm', './sepconv-simd128.wasm', './simd-bytes.bin']);
    // Node-only code paths are feature-tested and never taken here (see packaging.test.ts for the list).
    // sepconv's own code is scanned: the same worker bundled with the package's dependencies left out.
    // (onnx-proto, imported on the first ONNX load, carries protobufjs's own typeof-guarded `global` /
    // `require` feature tests, and esbuild's CommonJS shim around it.)
    const deps = Object.keys(JSON.parse(readFileSync(join(pkg.pkg, 'package.json'), 'utf8')).dependencies ?? {});
    const ownOut = join(dir, 'own');
    mkdirSync(ownOut, { recursive: true });
    await bundleWorker(join(dir, 'worker.mjs'), ownOut, { data: { 'simd-bytes.bin': join(pkg.pkg, 'wasm/sepconv-simd128.wasm') }, external: deps });
    const hits = hostGlobalRefs(readFileSync(join(ownOut, 'worker.js'), 'utf8'), NODE_GLOBALS);
    expect(hits, 'Node globals in the worker bundle').toEqual([]);
  });

  it('answers on 127.0.0.1 with outputs matching Node, the wasm arriving as a WebAssembly.Module', async () => {
    const memBefore = worker.memory();
    const first = await get<WorkerResult>('/');
    const memAfter = worker.memory();
    const warm = await get<WorkerResult>('/');
    const r = first.body;
    expect(r.importIsModule).toBe(true);
    expect(r.compiles).toEqual({ compile: 0, instantiateBytes: 0 });
    expect(r.info.build).toBe('relaxed');
    expect(r.info.reason).toMatch(/workerd validates relaxed SIMD and the self-test passed/);
    expectDepthwiseCorrect('workerd', r);
    expectSameResults('workerd', r, await nodeResult(pkg, 'auto'));

    const code = bundle.modules.find((m) => m.name === 'worker.js')!;
    const wasm = bundle.modules.filter((m) => m.type === 'wasm');
    Object.assign(budgets, {
      workload: 'depthwise cases + MobileNetV2 alpha 0.35 64x64 (test/runtimes/fixtures/workload.mjs), whole namespace imported',
      startupToListenMs: Math.round(worker.startupMs),
      firstRequestMs: Math.round(first.ms),
      warmRequestMs: Math.round(warm.ms),
      workerdRssBeforeFirstRequestMiB: +(memBefore.rss / 2 ** 20).toFixed(1),
      workerdPeakRssMiB: +(memAfter.peak / 2 ** 20).toFixed(1),
      bundle: {
        workerJs: { bytes: code.bytes, gzip: code.gzipBytes },
        wasm: wasm.map((m) => ({ name: m.name, bytes: m.bytes, gzip: m.gzipBytes })),
        totalBytes: code.bytes + wasm.reduce((a, m) => a + m.bytes, 0),
        totalGzip: code.gzipBytes + wasm.reduce((a, m) => a + m.gzipBytes, 0),
      },
    });
    // Even the RSS growth of the whole workerd process stays under one isolate's 128 MB.
    expect(memAfter.peak - memBefore.rss).toBeLessThan(WORKERS_MEMORY_LIMIT);
  });

  it('forced scalar and forced simd128 match Node', async () => {
    const { body } = await get<WorkerResult>('/?build=scalar');
    expect(body.info.build).toBe('scalar');
    expectSameResults('workerd scalar', body, await nodeResult(pkg, 'scalar'));
    const simd = (await get<WorkerResult>('/?build=simd128')).body;
    expect(simd.info.build).toBe('simd128');
    // Node 20 runs simd128 here: the same binary, the same bits.
    expectSameResults('workerd simd128', simd, await nodeResult(pkg, 'auto'), { rtol: 0, atol: 0 });
  });

  it('threads: workerd runs one thread, says why, warns once, and matches Node', async () => {
    const { body } = await get<WorkerResult & { warnings: string[] }>('/?threads=2&build=simd128');
    expect(body.info).toMatchObject({ build: 'simd128', threads: 1, threadsReason: 'workerd has no threads' });
    expect(body.warnings).toHaveLength(1);
    expectSameResults('workerd threads: 2', body, await nodeResult(pkg, 'auto'), { rtol: 0, atol: 0 });
  });

  it('rejects compiling bytes, and sepconv says to import the .wasm as a module', async () => {
    const { body } = await get<{ raw: string; ours: { name: string; message: string; isWasmLoadError: boolean } }>('/bytes');
    expect(body.raw).toMatch(/disallowed by embedder/);
    expect(body.ours.isWasmLoadError).toBe(true);
    expect(body.ours.message).toMatch(/forbids compiling wasm from bytes/);
    expect(body.ours.message).toMatch(/init\(\{ module/);
    expect(body.ours.message).toMatch(/sepconv\/wasm\/simd128/);
    // and the instance still works afterwards
    const again = await get<WorkerResult>('/');
    expect(again.body.info.build).toBe('relaxed');
  });
});

describe('the edge-light entry (Vercel Edge / Next.js middleware shape), run in workerd as a stand-in', () => {
  it('resolves dist/edge-light.js, takes the ?module wasm imports as modules, and matches Node', async () => {
    const edgeDir = fixtureDir(pkg, 'edge', ['worker.mjs', 'workload.mjs']);
    const out = join(edgeDir, 'out');
    mkdirSync(out);
    const edge = await bundleWorker(join(edgeDir, 'worker.mjs'), out, {
      conditions: ['edge-light', 'worker', 'browser'],
      data: { 'simd-bytes.bin': join(pkg.pkg, 'wasm/sepconv-simd128.wasm') },
      metafile: true,
    });
    expect(edge.inputs!.some((p) => p.endsWith('node_modules/sepconv/dist/edge-light.js'))).toBe(true);
    const w = await startWorkerd(edge);
    try {
      const res = await fetch(w.url + '/');
      const body = (await res.json()) as WorkerResult;
      expect(res.status, JSON.stringify(body).slice(0, 500)).toBe(200);
      expect(body.info.reason).toMatch(/^edge-light validates relaxed SIMD/);
      expect(body.compiles).toEqual({ compile: 0, instantiateBytes: 0 });
      expectSameResults('edge-light in workerd', body, await nodeResult(pkg, 'auto'));
    } finally {
      await w.stop();
      rmSync(edgeDir, { recursive: true, force: true });
    }
  });
});

describe('workerd edge budgets: MobileNetV2 1.0 at 224x224', () => {
  let budgetDir: string;
  let budgetBundle: WorkerBundle;
  let budgetWorker: RunningWorker;

  beforeAll(async () => {
    budgetDir = fixtureDir(pkg, 'budget', ['budget-worker.mjs', 'budget-node.mjs', 'workload.mjs']);
    const out = join(budgetDir, 'out');
    mkdirSync(out);
    budgetBundle = await bundleWorker(join(budgetDir, 'budget-worker.mjs'), out);
    budgetWorker = await startWorkerd(budgetBundle);
  });
  afterAll(async () => {
    await budgetWorker?.stop();
    if (budgetDir) rmSync(budgetDir, { recursive: true, force: true });
  });

  it("README.md's bundle-size rows are this bundle's sizes", () => {
    // Sizes are deterministic (same package, same esbuild): README must quote what is measured here.
    // Times are not checked: README labels them with the run they come from (docs/edge-budgets.json).
    const kB = (n: number) => `${Math.round(n / 1000)} kB`;
    const code = budgetBundle.modules.find((m) => m.name === 'worker.js')!;
    const wasm = budgetBundle.modules.filter((m) => m.type === 'wasm');
    const sum = (k: 'bytes' | 'gzipBytes') => wasm.reduce((a, m) => a + m[k], 0);
    const expected: Record<string, string> = {
      'worker bundle: `worker.js` (named imports, tree-shaken)': `${kB(code.bytes)} (${kB(code.gzipBytes)} gzip)`,
      'worker bundle: the three `.wasm` builds': `${kB(sum('bytes'))} (${kB(sum('gzipBytes'))} gzip)`,
      '**worker bundle, total**': `**${kB(code.bytes + sum('bytes'))} (${kB(code.gzipBytes + sum('gzipBytes'))} gzip)**`,
    };
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const quoted = Object.fromEntries(
      Object.keys(expected).map((label) => {
        const row = readme.split('\n').find((l) => l.startsWith(`| ${label} |`));
        return [label, row?.split('|')[2]?.trim() ?? '(no such row in README.md)'];
      }),
    );
    expect(quoted, 'README.md edge-budget table: write the measured sizes into these rows').toEqual(expected);
  });

  it('cold start, memory and bundle bytes stay inside the Workers limits', async () => {
    const at = async <T>(path: string) => {
      const t0 = performance.now();
      const res = await fetch(budgetWorker.url + path);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${text}\n${budgetWorker.stderr()}`);
      return { body: JSON.parse(text) as T, ms: performance.now() - t0 };
    };
    const rssIdle = budgetWorker.memory().rss;
    const initR = await at<{ build: string }>('/init');
    const buildR = await at<{ params?: number }>('/build');
    const first = await at<{ shape: number[]; sum: number; memory?: { wasmHeapBytes: number; arenaBytes: number; packedWeightBytes: number } }>('/predict');
    const warm = [];
    for (let i = 0; i < 3; i++) warm.push((await at('/predict')).ms);
    const mem = budgetWorker.memory();
    expect(initR.body.build).toBe('relaxed');
    expect(first.body.shape).toEqual([1, 1000]);
    expect(first.body.sum).toBeCloseTo(1, 4);
    const code = budgetBundle.modules.find((m) => m.name === 'worker.js')!;
    const wasm = budgetBundle.modules.filter((m) => m.type === 'wasm');
    const total = { bytes: code.bytes + wasm.reduce((a, m) => a + m.bytes, 0), gzip: code.gzipBytes + wasm.reduce((a, m) => a + m.gzipBytes, 0) };
    Object.assign(budgets, {
      mobilenetV2: {
        model: 'MobileNetV2 alpha 1.0, 224x224x3, 1000 classes, seeded weights (test/runtimes/fixtures/budget-worker.mjs)',
        params: buildR.body.params,
        startupToListenMs: Math.round(budgetWorker.startupMs),
        initMs: Math.round(initR.ms),
        buildAndWeightsMs: Math.round(buildR.ms),
        firstPredictMs: Math.round(first.ms),
        coldStartTotalMs: Math.round(budgetWorker.startupMs + initR.ms + buildR.ms + first.ms),
        warmPredictMs: Math.round(Math.min(...warm)),
        wasmHeapMiB: first.body.memory ? +(first.body.memory.wasmHeapBytes / 2 ** 20).toFixed(1) : undefined,
        packedWeightsMiB: first.body.memory ? +(first.body.memory.packedWeightBytes / 2 ** 20).toFixed(1) : undefined,
        arenaMiB: first.body.memory ? +(first.body.memory.arenaBytes / 2 ** 20).toFixed(1) : undefined,
        workerdIdleRssMiB: +(rssIdle / 2 ** 20).toFixed(1),
        workerdPeakRssMiB: +(mem.peak / 2 ** 20).toFixed(1),
        isolateGrowthMiB: +((mem.peak - rssIdle) / 2 ** 20).toFixed(1),
        bundle: {
          workerJs: { bytes: code.bytes, gzip: code.gzipBytes },
          wasm: wasm.map((m) => ({ name: m.name, bytes: m.bytes, gzip: m.gzipBytes })),
          total,
        },
      },
    });
    // What the isolate is charged (V8 heap + ArrayBuffers + wasm memory), measured on the same
    // steps in Node, since workerd exposes no memory API; process RSS growth is the upper bound.
    const nodeMem = lastJson<{ peakBytes: number; steadyBytes: number }>(
      await run(process.execPath, ['--expose-gc', join(budgetDir, 'budget-node.mjs'), join(pkg.pkg, 'dist/node.js')], { timeoutMs: 120_000 }),
      'budget-node.mjs',
    );
    (budgets.mobilenetV2 as Record<string, unknown>).isolateChargedPeakMiB = +(nodeMem.peakBytes / 2 ** 20).toFixed(1);
    (budgets.mobilenetV2 as Record<string, unknown>).isolateChargedSteadyMiB = +(nodeMem.steadyBytes / 2 ** 20).toFixed(1);
    // Workers: 128 MB per isolate (JS heap + wasm memory). The charged estimate must fit with room
    // to spare; the process RSS growth (which also holds V8's compiled code for both wasm builds
    // and freed-but-unreturned buffers) is reported, and only checked for runaway growth.
    expect(nodeMem.peakBytes).toBeLessThan(0.75 * WORKERS_MEMORY_LIMIT);
    expect(mem.peak - rssIdle).toBeLessThan(2 * WORKERS_MEMORY_LIMIT);
    // Workers Free plan: 3 MB compressed script size.
    expect(total.gzip).toBeLessThan(3 * 2 ** 20);
  });
});
