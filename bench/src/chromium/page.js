// The Chromium threads page (served as-is by bench/src/chromium-threads.ts; a cross-origin-isolated page).
// ?threads=N&engines=sepconv,tfjs,ort: each engine is loaded with N threads, from the files an app ships:
// sepconv's dist/browser.js (+ dist/worker.js, wasm/), TF.js bundled by esbuild with its wasm files under
// /tfjs/, ORT-web's ort.wasm.min.mjs with its ort-wasm-simd-threaded.{mjs,wasm} under /ort/.
const q = new URLSearchParams(location.search);
const THREADS = Number(q.get('threads') ?? '2');
const WANT = (q.get('engines') ?? 'sepconv,tfjs,ort').split(',').filter(Boolean);
const E = {};
const models = new Map();

const bin = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};
const f32 = async (url) => {
  const b = await bin(url);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

/** Loads the engines; returns what each reports about itself. */
async function loadEngines() {
  const info = { threads: THREADS, crossOriginIsolated: globalThis.crossOriginIsolated === true, hardwareConcurrency: navigator.hardwareConcurrency, userAgent: navigator.userAgent, engines: {} };
  if (WANT.includes('sepconv')) {
    const sc = await import('/sepconv/dist/browser.js');
    const b = await sc.init({ threads: THREADS });
    E.sepconv = sc;
    info.engines.sepconv = { backend: { ...sc.backend() }, init: { ...b } };
  }
  if (WANT.includes('tfjs')) {
    const m = await import('/tfjs-bundle/tf.js');
    m.wasm.setWasmPaths('/tfjs/');
    m.wasm.setThreadsCount(THREADS);
    m.tf.env().set('PROD', true);
    if (!(await m.tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    await m.tf.ready();
    E.tf = m;
    info.engines.tfjs = { version: m.tf.version_core, wasmVersion: m.wasm.version_wasm, threadsCount: m.wasm.getThreadsCount(), simd: m.tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), multithread: m.tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') };
  }
  if (WANT.includes('ort')) {
    const ort = await import('/ort/ort.wasm.min.mjs');
    ort.env.wasm.numThreads = THREADS;
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    E.ort = ort;
    info.engines.ort = { version: ort.env.versions?.web, numThreads: ort.env.wasm.numThreads };
  }
  return info;
}

/**
 * Builds model `m` (served under /models/<id>/) on every loaded engine, runs each once and returns the outputs
 * (softmax probabilities) per engine. `ortOptions`: extra ORT session options.
 */
async function loadModel(m, ortOptions = {}) {
  const base = `/models/${m.id}`;
  const x = await f32(`${base}/input-nhwc.bin`);
  const out = {};
  const entry = { id: m.id, run: {} };
  if (E.sepconv) {
    const sc = E.sepconv;
    const cfg = await (await fetch(`${base}/keras.json`)).json();
    const blob = await f32(`${base}/weights.bin`);
    const w = new Map();
    for (const { name, offset, length } of m.weights) w.set(name, blob.slice(offset, offset + length));
    const model = await sc.modelFromKerasConfig(cfg);
    model.setWeights(w);
    const xt = sc.tensor(x.slice(), m.shape);
    entry.sepconv = { model, xt };
    entry.run.sepconv = () => model.predict(xt);
    out.sepconv = Array.from(model.predict(xt).data());
  }
  if (E.tf) {
    const { tf, tfconv, tfl } = E.tf;
    const model = m.tfGraph ? await tfconv.loadGraphModel(`${base}/tf/model.json`) : await tfl.loadLayersModel(`${base}/tf/model.json`);
    const xt = tf.tensor(x, m.shape);
    const once = () => {
      const y = model.predict(xt);
      const d = (Array.isArray(y) ? y[0] : y).dataSync();
      tf.dispose(y);
      return d;
    };
    entry.tfjs = { model, xt };
    entry.run.tfjs = once;
    out.tfjs = Array.from(once());
  }
  if (E.ort) {
    const ort = E.ort;
    const session = await ort.InferenceSession.create(await bin(`${base}/model.onnx`), { executionProviders: ['wasm'], graphOptimizationLevel: 'all', ...ortOptions });
    const [n, h, w, c] = m.shape;
    const xt = new ort.Tensor('float32', await f32(`${base}/input-nchw.bin`), [n, c, h, w]);
    const name = session.outputNames[0];
    const feeds = { [session.inputNames[0]]: xt };
    entry.ort = { session };
    entry.run.ort = async () => (await session.run(feeds))[name];
    out.ort = Array.from((await entry.run.ort()).data);
  }
  models.set(m.id, entry);
  return out;
}

/** One timed run of `engine` on model `id` (ms, performance.now() around it; ORT's run is awaited). */
async function timeRun(engine, id, threads) {
  const entry = models.get(id);
  const run = entry.run[engine];
  if (!run) throw new Error(`no ${engine} for ${id}`);
  if (engine === 'sepconv' && threads !== undefined) E.sepconv.configureThreads({ threads });
  const t0 = performance.now();
  const r = run();
  if (r && typeof r.then === 'function') await r;
  const dt = performance.now() - t0;
  if (engine === 'sepconv' && threads !== undefined) E.sepconv.configureThreads({ threads: THREADS });
  return dt;
}

/** sepconv's ops split per run (threadStats delta over one run). */
function sepconvSplit(id) {
  const sc = E.sepconv;
  const a = sc.threadStats();
  models.get(id).run.sepconv();
  const b = sc.threadStats();
  return { split: b.split - a.split, single: b.single - a.single };
}

/**
 * The cost of handing work to a Web Worker on this page, the thing a thread pool pays per split op: the main
 * thread bumps a shared counter and Atomics.notify()s; the worker answers by storing the counter back; the main
 * thread spins until it sees the answer. `mode` 'wait': the worker sleeps in Atomics.wait between jobs (a pool
 * that blocks at once); 'spin': it polls the counter (a pool that spins). Round trips in microseconds, right after
 * the previous job (hot) and after ~1 ms idle.
 */
async function wakeLatency(mode, n = 200) {
  const sab = new SharedArrayBuffer(16);
  const a = new Int32Array(sab);
  const src = `onmessage = (e) => { const a = new Int32Array(e.data.sab); let seen = 0; postMessage('up');
    for (;;) { if (e.data.mode === 'wait') Atomics.wait(a, 0, seen); else while (Atomics.load(a, 0) === seen) {}
      seen = Atomics.load(a, 0); if (seen < 0) return; Atomics.store(a, 1, seen); } };`;
  const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
  const w = new Worker(url);
  await new Promise((r) => { w.onmessage = r; w.postMessage({ sab, mode }); });
  const hot = [];
  const idle = [];
  for (let i = 1; i <= n; i++) {
    // every other job after ~1 ms idle (the worker is really asleep, its core may be halted), the others at once
    const paused = i % 2 === 0;
    if (paused) await new Promise((r) => setTimeout(r, 1));
    const us = paused ? idle : hot;
    const t0 = performance.now();
    Atomics.store(a, 0, i);
    Atomics.notify(a, 0);
    while (Atomics.load(a, 1) !== i) {}
    us.push((performance.now() - t0) * 1000);
  }
  Atomics.store(a, 0, -1);
  Atomics.notify(a, 0);
  w.terminate();
  URL.revokeObjectURL(url);
  const st = (v) => {
    v.sort((x, y) => x - y);
    return { medianUs: v[v.length >> 1], p90Us: v[Math.floor(v.length * 0.9)] };
  };
  return { mode, n, hot: st(hot), idle: st(idle) };
}

globalThis.chromiumBench = { loadEngines, loadModel, timeRun, sepconvSplit, wakeLatency, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
globalThis.chromiumBenchReady = true;
