// One cold start, in a fresh process: node bench/coldstart-child.mjs <engine> <data dir>
// Reads the model (Keras config, weights, ONNX bytes, input) BEFORE the clock starts, then times
// import -> module compile/instantiate -> model build + weights -> first result (and a second run,
// so first-run packing/planning can be told apart from the steady-state inference).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [engine, dir] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8'));
const blob = readFileSync(join(dir, 'weights.bin'));
const all = new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
const weights = new Map(manifest.weights.map((w) => [w.name, all.slice(w.offset, w.offset + w.size)]));
const shape = manifest.inputShape;
const inputBuf = readFileSync(join(dir, 'input.bin'));
const input = new Float32Array(inputBuf.buffer.slice(inputBuf.byteOffset, inputBuf.byteOffset + inputBuf.byteLength));
const onnxBytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
const inputNchw = new Float32Array(readFileSync(join(dir, 'input-nchw.bin')).buffer.slice(0));
const now = () => performance.now();
const out = { engine };
// every wasm memory the engine creates (ORT-web keeps its module private)
const memories = new Set();
const collect = (inst, imports) => {
  for (const v of Object.values(inst.exports)) if (v instanceof WebAssembly.Memory) memories.add(v);
  for (const ns of Object.values(imports ?? {})) for (const v of Object.values(ns ?? {})) if (v instanceof WebAssembly.Memory) memories.add(v);
};
const inst = WebAssembly.instantiate.bind(WebAssembly);
WebAssembly.instantiate = async (src, imports) => {
  const r = await inst(src, imports);
  collect(r instanceof WebAssembly.Instance ? r : r.instance, imports);
  return r;
};
const Inst = WebAssembly.Instance;
WebAssembly.Instance = function (module, imports) {
  const i = new Inst(module, imports);
  collect(i, imports);
  return i;
};
WebAssembly.Instance.prototype = Inst.prototype;
const heap = () => [...memories].reduce((a, m) => a + m.buffer.byteLength, 0);

try {
  if (engine === 'sepconv-simd128') {
    const t0 = now();
    const s = await import('sepconv');
    const t1 = now();
    await s.init({ build: 'simd128' });
    const t2 = now();
    const m = s.modelFromKerasConfig(cfg);
    m.setWeights(weights);
    const x = s.tensor(input, shape);
    const t3 = now();
    m.predict(x).data();
    const t4 = now();
    m.predict(x).data();
    const t5 = now();
    Object.assign(out, { importMs: t1 - t0, compileMs: t2 - t1, buildMs: t3 - t2, firstRunMs: t4 - t3, secondRunMs: t5 - t4, totalMs: t4 - t0, heapBytes: heap(), stats: m.memoryStats() });
  } else if (engine === 'tfjs-wasm') {
    const t0 = now();
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const tfl = await import('@tensorflow/tfjs-layers');
    const t1 = now();
    wasm.setWasmPaths(join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
    wasm.setThreadsCount(1);
    await tf.setBackend('wasm');
    const t2 = now();
    const model = await tfl.models.modelFromJSON({ modelTopology: cfg });
    model.setWeights(model.weights.map((w) => tf.tensor(weights.get(w.originalName), w.shape)));
    const x = tf.tensor(input, shape);
    const t3 = now();
    model.predict(x).dataSync();
    const t4 = now();
    model.predict(x).dataSync();
    const t5 = now();
    Object.assign(out, { importMs: t1 - t0, compileMs: t2 - t1, buildMs: t3 - t2, firstRunMs: t4 - t3, secondRunMs: t5 - t4, totalMs: t4 - t0, heapBytes: tf.backend().wasm.HEAPU8.length });
  } else if (engine === 'ort-web' || engine === 'ort-node') {
    const t0 = now();
    const ort = engine === 'ort-web' ? await import('onnxruntime-web') : (await import('onnxruntime-node')).default;
    const t1 = now();
    const opts = engine === 'ort-web' ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all' } : { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 };
    if (engine === 'ort-web') {
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      // compile + instantiate the wasm with a 1-node model, so it is timed apart from the model's session
      const ident = new Uint8Array(readFileSync(join(dir, 'identity.onnx')));
      await (await ort.InferenceSession.create(ident, opts)).release();
    }
    const t2 = now();
    const session = await ort.InferenceSession.create(onnxBytes, opts);
    const x = new ort.Tensor('float32', inputNchw, [shape[0], shape[3], shape[1], shape[2]]);
    const t3 = now();
    await session.run({ [session.inputNames[0]]: x });
    const t4 = now();
    await session.run({ [session.inputNames[0]]: x });
    const t5 = now();
    Object.assign(out, { importMs: t1 - t0, compileMs: t2 - t1, buildMs: t3 - t2, firstRunMs: t4 - t3, secondRunMs: t5 - t4, totalMs: t4 - t0, ...(engine === 'ort-web' ? { heapBytes: heap() } : {}) });
  } else {
    throw new Error(`unknown engine ${engine}`);
  }
} catch (e) {
  out.na = e instanceof Error ? e.message.split('\n')[0] : String(e);
}
process.stdout.write(`\n@@COLDSTART ${JSON.stringify(out)}\n`);
process.exit(0);
