// The bytes a user ships for MobileNetV2 inference in a browser, weights excluded: each engine's
// JS minified and tree-shaken by esbuild for a tiny classify() app, plus the .wasm it fetches.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BenchArgs } from './args.js';
import { ROOT, req } from './engines/index.js';

export interface SizeRow {
  id: string;
  label: string;
  jsRaw: number;
  jsGzip: number;
  wasmRaw: number;
  wasmGzip: number;
  totalRaw: number;
  totalGzip: number;
  files: string[];
}

const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).length;

async function bundle(contents: string, alias?: Record<string, string>): Promise<Uint8Array> {
  const esbuild = req('esbuild');
  const r = await esbuild.build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    external: ['fs', 'path', 'os', 'crypto', 'worker_threads', 'perf_hooks', 'module', 'url', 'node:*'],
    plugins: alias
      ? [{ name: 'alias', setup(b: any) { for (const [k, v] of Object.entries(alias)) b.onResolve({ filter: new RegExp(`^${k}$`) }, () => ({ path: v })); } }]
      : [],
  });
  return r.outputFiles[0].contents as Uint8Array;
}

function row(id: string, label: string, js: Uint8Array, wasmFiles: string[]): SizeRow {
  const wasm = wasmFiles.map((f) => new Uint8Array(readFileSync(f)));
  const wasmRaw = wasm.reduce((a, b) => a + b.length, 0);
  const wasmGzip = wasm.reduce((a, b) => a + gz(b), 0);
  const jsGzip = gz(js);
  return {
    id,
    label,
    jsRaw: js.length,
    jsGzip,
    wasmRaw,
    wasmGzip,
    totalRaw: js.length + wasmRaw,
    totalGzip: jsGzip + wasmGzip,
    files: wasmFiles.map((f) => f.replace(`${ROOT}/`, '')),
  };
}

export async function measureSizes(_args: BenchArgs): Promise<{ rows: SizeRow[]; note: string; na?: string }> {
  const rows: SizeRow[] = [];
  const errors: string[] = [];
  const attempt = async (f: () => Promise<SizeRow>, what: string) => {
    try {
      rows.push(await f());
    } catch (e) {
      errors.push(`${what}: ${e instanceof Error ? e.message.split('\n')[0] : e}`);
    }
  };
  const wasmDir = join(ROOT, 'packages/sepconv/wasm');
  const ours = `import { init, tensor, mobilenetV2 } from 'sepconv';
export async function classify(pixels) { await init(); const m = mobilenetV2(); const x = tensor(pixels, [1, 224, 224, 3]); return m.predict(x).data(); }`;
  const entry = { sepconv: join(ROOT, 'packages/sepconv/src/entry/browser.ts') };
  // The target row is the larger fetch: relaxed, what Chrome 114+ downloads (hosts without relaxed SIMD take simd128).
  await attempt(async () => row('sepconv', 'sepconv (browser entry + relaxed-SIMD .wasm, the build Chrome fetches)', await bundle(ours, entry), [join(wasmDir, 'sepconv-relaxed.wasm')]), 'sepconv');
  await attempt(async () => row('sepconv-simd128', 'sepconv (browser entry + simd128 .wasm, hosts without relaxed SIMD)', await bundle(ours, entry), [join(wasmDir, 'sepconv-simd128.wasm')]), 'sepconv simd128');
  await attempt(async () => row('sepconv-all', 'sepconv, all three .wasm builds deployed (each host fetches only one)', await bundle(ours, entry), ['relaxed', 'simd128', 'scalar'].map((b) => join(wasmDir, `sepconv-${b}.wasm`))), 'sepconv all');
  const tfDist = join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const tfCore = `import * as tf from '@tensorflow/tfjs-core'; import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export async function ready() { setWasmPaths('/'); await tf.setBackend('wasm'); return tf; }`;
  await attempt(async () => row('tfjs-core+wasm', 'tfjs-core + tfjs-backend-wasm (+ SIMD .wasm)', await bundle(tfCore), [join(tfDist, 'tfjs-backend-wasm-simd.wasm')]), 'tfjs');
  const tfLayers = `import * as tf from '@tensorflow/tfjs-core'; import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'; import { loadLayersModel } from '@tensorflow/tfjs-layers';
export async function classify(url, pixels) { setWasmPaths('/'); await tf.setBackend('wasm'); const m = await loadLayersModel(url); return m.predict(tf.tensor4d(pixels, [1, 224, 224, 3])).data(); }`;
  await attempt(async () => row('tfjs-core+wasm+layers', 'tfjs-core + tfjs-backend-wasm + tfjs-layers (needed to run a layers model)', await bundle(tfLayers), [join(tfDist, 'tfjs-backend-wasm-simd.wasm')]), 'tfjs-layers');
  const ortDist = join(ROOT, 'node_modules/onnxruntime-web/dist');
  const ort = `import * as ort from 'onnxruntime-web/wasm';
export async function classify(bytes, pixels) { ort.env.wasm.numThreads = 1; const s = await ort.InferenceSession.create(bytes); return s.run({ input: new ort.Tensor('float32', pixels, [1, 3, 224, 224]) }); }`;
  await attempt(async () => row('ort-web', 'onnxruntime-web/wasm (+ ort-wasm-simd-threaded .wasm)', await bundle(ort), [join(ortDist, 'ort-wasm-simd-threaded.wasm')]), 'ort');
  const ours1 = rows.find((r) => r.id === 'sepconv');
  const tf1 = rows.find((r) => r.id === 'tfjs-core+wasm');
  const note =
    `JS: esbuild --bundle --minify (ESM, browser) of a tiny classify() app per engine, tree-shaken; gzip -9. ` +
    (ours1 && tf1 ? `sepconv / (tfjs-core + tfjs-backend-wasm), gzip: ${(ours1.totalGzip / tf1.totalGzip).toFixed(3)} (target ≤ 0.333: ${ours1.totalGzip * 3 <= tf1.totalGzip ? 'met' : 'missed'}). ` : '') +
     (errors.length ? ` Failed: ${errors.join('; ')}.` : '');
  return { rows, note };
}

export { statSync };
