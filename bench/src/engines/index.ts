// Loads every engine into this one process. A failure to load is recorded, not thrown: that
// engine is then "not available" in every table.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { ENGINES } from '../args.js';
import * as sc from '../sepconv.js';
import { addMemory, attributing, wasmHeapBytes } from './wasm-memory.js';

declare const __BENCH_ROOT__: string;
export const ROOT: string = typeof __BENCH_ROOT__ === 'string' ? __BENCH_ROOT__ : process.cwd();
export const req = createRequire(join(ROOT, 'package.json'));

export type OurBuild = 'relaxed' | 'simd128' | 'scalar';

/** The sepconv build an engine id names (sepconv-<build>). */
export function ourBuild(id: EngineId): OurBuild | undefined {
  return id.startsWith('sepconv-') ? (id.slice('sepconv-'.length) as OurBuild) : undefined;
}

let relaxedNote = 'relaxed SIMD';

/**
 * Node 20 ships relaxed SIMD behind V8's flag (Node 22, Chrome 114+ and workerd without one): set it
 * before any wasm compiles so the relaxed build runs in this process. TF.js 4.22 has no relaxed build
 * and ORT-web 1.30 picks one only when asked (env.wasm.simd = 'relaxed'), so the others run as before.
 */
export function enableRelaxedSimd(): void {
  if (sc.hostHasRelaxedSimd()) return;
  req('node:v8').setFlagsFromString('--experimental-wasm-relaxed-simd');
  relaxedNote = 'relaxed SIMD (V8 flag --experimental-wasm-relaxed-simd on this Node)';
}

export type EngineId = 'sepconv-simd128' | 'sepconv-relaxed' | 'sepconv-scalar' | 'tfjs-wasm' | 'tfjs-wasm-layers' | 'tfjs-cpu' | 'ort-web' | 'ort-node';

export interface LoadInfo {
  ok: boolean;
  error?: string;
  /** Module compile + instantiate, ms (cold only the first time in a process). */
  loadMs?: number;
  version?: string;
  /** How the engine runs, printed beside its column: SIMD, threads, graph optimisation, model path. */
  settings?: EngineSettings;
}

export interface EngineSettings {
  simd: string;
  threads: string;
  /** Graph optimisation / fusion: what the engine does with BatchNorm and activations. */
  graph: string;
}

/** The settings of every engine, as the bench sets them up (threads off for everyone). */
export function engineSettings(id: EngineId, e: Engines): EngineSettings {
  const tfThreads = () => `1 (setThreadsCount(1); getThreadsCount() = ${e.tfWasm?.getThreadsCount?.() ?? '?'})`;
  switch (id) {
    case 'sepconv-simd128':
    case 'sepconv-relaxed':
    case 'sepconv-scalar':
      return {
        simd: id === 'sepconv-scalar' ? 'none (scalar build)' : id === 'sepconv-relaxed' ? 'simd128 + relaxed_madd (FMA)' : 'simd128 (mul then add)',
        threads: '1 (sepconv has no threads)',
        graph: 'modelFromKerasConfig / loadGraphModel: BN folded into the conv, bias + activation fused, one arena',
      };
    case 'tfjs-wasm':
      return {
        simd: 'simd128 (tfjs-backend-wasm-simd.wasm, XNNPACK; WASM_HAS_SIMD_SUPPORT)',
        threads: tfThreads(),
        graph: "fastest path: graph model from tensorflowjs_converter (Grappler: BN folded, _FusedConv2D / FusedDepthwiseConv2dNative with bias + activation), loadGraphModel; kernels: tf.fused.conv2d / tf.fused.depthwiseConv2d",
      };
    case 'tfjs-wasm-layers':
      return {
        simd: 'simd128 (same backend instance as TF.js wasm)',
        threads: tfThreads(),
        graph: 'none: tfjs-layers (what loadLayersModel users get): Conv2D, BatchNormalization, activation as separate kernels',
      };
    case 'tfjs-cpu':
      return { simd: 'none (plain JS)', threads: '1 (JS main thread)', graph: 'fastest path: the same graph model as TF.js wasm (loadGraphModel)' };
    case 'ort-web':
      return { simd: 'simd128 (1.30 always runs its SIMD build)', threads: '1 (env.wasm.numThreads = 1, proxy off)', graph: "graphOptimizationLevel 'all' (Conv+BN, Conv+activation fusion)" };
    case 'ort-node':
      return { simd: 'native (AVX2/AVX-512 as the CPU has; the ceiling, not a competitor)', threads: '1 (intraOpNumThreads = interOpNumThreads = 1)', graph: "graphOptimizationLevel 'all'" };
  }
}

export class Engines {
  readonly info = new Map<EngineId, LoadInfo>();
  readonly rt = new Map<OurBuild, sc.Runtime>();
  tf: any;
  /** @tensorflow/tfjs-backend-wasm (threads, version). */
  tfWasm: any;
  ortWeb: any;
  ortNode: any;

  has(id: EngineId): boolean {
    return this.info.get(id)?.ok === true;
  }

  /** Makes the sepconv instance current (the package keeps one current instance; ops use it). */
  useSepconv(build: OurBuild): sc.Runtime {
    const rt = this.rt.get(build)!;
    sc.setRuntime(rt);
    return rt;
  }

  useTf(backend: 'wasm' | 'cpu'): void {
    // Both backends are initialized; switching only picks the registered instance.
    if (this.tf.getBackend() !== backend) void this.tf.setBackend(backend);
    if (this.tf.getBackend() !== backend) throw new Error(`tfjs: could not switch to ${backend}`);
  }

  heapBytes(id: EngineId): number | undefined {
    if ((id === 'tfjs-wasm' || id === 'tfjs-wasm-layers') && this.has(id)) return this.tf.findBackend('wasm')?.wasm?.HEAPU8?.length;
    return wasmHeapBytes(id);
  }

  static async load(want: (id: EngineId) => boolean): Promise<Engines> {
    const e = new Engines();
    const tryLoad = async (id: EngineId, f: () => Promise<string | undefined>) => {
      if (!want(id)) {
        e.info.set(id, { ok: false, error: 'not selected' });
        return;
      }
      const t0 = performance.now();
      try {
        const version = await attributing(id, f);
        e.info.set(id, { ok: true, loadMs: performance.now() - t0, ...(version ? { version } : {}) });
      } catch (err) {
        e.info.set(id, { ok: false, error: err instanceof Error ? err.message.split('\n')[0] : String(err) });
      }
    };
    if (want('sepconv-relaxed')) enableRelaxedSimd();
    for (const build of ['simd128', 'relaxed', 'scalar'] as const) {
      await tryLoad(`sepconv-${build}`, async () => {
        const bytes = readFileSync(join(ROOT, `packages/sepconv/wasm/sepconv-${build}.wasm`));
        const module = await sc.toModule(bytes);
        const rt = sc.instantiate(module, { build, reason: 'bench' });
        e.rt.set(build, rt);
        addMemory(`sepconv-${build}`, rt.memory);
        return build === 'relaxed' ? relaxedNote : undefined;
      });
    }
    if (want('tfjs-wasm') || want('tfjs-wasm-layers') || want('tfjs-cpu')) {
      e.tf = req('@tensorflow/tfjs-core');
      await tryLoad('tfjs-cpu', async () => {
        req('@tensorflow/tfjs-backend-cpu');
        await e.tf.setBackend('cpu');
        return e.tf.version_core;
      });
      const loadWasm = async () => {
        const wasm = req('@tensorflow/tfjs-backend-wasm');
        e.tfWasm = wasm;
        wasm.setWasmPaths(join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
        wasm.setThreadsCount(1);
        if (!(await e.tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
        if (!e.tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) throw new Error('tfjs-wasm loaded without SIMD');
        return `${wasm.version_wasm} simd, ${wasm.getThreadsCount?.() ?? 1} thread`;
      };
      await tryLoad('tfjs-wasm', loadWasm);
      // tfjs-wasm-layers: the same backend instance (loaded once), models built through tfjs-layers.
      const w = e.info.get('tfjs-wasm')!;
      if (w.ok && want('tfjs-wasm-layers')) e.info.set('tfjs-wasm-layers', { ...w, version: `${w.version}, tfjs-layers ${req('@tensorflow/tfjs-layers/package.json').version}` });
      else await tryLoad('tfjs-wasm-layers', loadWasm);
    }
    await tryLoad('ort-web', async () => {
      const ort = await import('onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      // 1.30 always runs its SIMD build (env.wasm.simd is gone); proxy off, so runs stay in this thread.
      ort.env.wasm.proxy = false;
      // Force the module to instantiate now (a 1-node model), so its load is not counted in a run.
      const { onnxIdentityModel } = await import('../onnx/builder.js');
      const s = await ort.InferenceSession.create(onnxIdentityModel(), { executionProviders: ['wasm'] });
      await s.release();
      e.ortWeb = ort;
      return ort.env.versions?.web;
    });
    await tryLoad('ort-node', async () => {
      e.ortNode = req('onnxruntime-node');
      return req('onnxruntime-node/package.json').version;
    });
    if (e.has('tfjs-wasm') || e.has('tfjs-wasm-layers')) e.useTf('wasm');
    for (const [id, i] of e.info) if (i.ok) i.settings = engineSettings(id, e);
    return e;
  }
}

export const ALL_ENGINES = ENGINES as EngineId[];
