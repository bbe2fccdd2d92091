// The demo's module worker: sepconv and TF.js-wasm run here, off the page's main thread, on the
// same model bytes and the same input. Messages in: { type: 'load', model, build? },
// { type: 'run', id, width, height, data (RGBA), compare, runs }. Out: 'ready', 'result', 'error'.
import * as sc from 'sepconv';
import { preprocess, topK } from '../lib/pixels.mjs';
import { MODELS } from './models.js';

let spec;
let model;
let tf; // { tf, ref } once TF.js-wasm has loaded the same model
let tfError;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Warm-up (>= 2 runs each), then the engines take turns, in alternating order, run by run. */
function timeInterleaved(fns, runs) {
  for (const fn of fns) for (let i = 0; i < 2; i++) fn();
  const ts = fns.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < fns.length; j++) {
      const k = r % 2 ? fns.length - 1 - j : j;
      const t0 = performance.now();
      fns[k]();
      ts[k].push(performance.now() - t0);
    }
  }
  return ts.map((t) => ({ median: median(t), min: Math.min(...t), runs: t.length }));
}

async function loadTfjs(raw) {
  const core = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const tfl = await import('@tensorflow/tfjs-layers');
  const tfconv = await import('@tensorflow/tfjs-converter');
  core.env().set('PROD', true);
  wasm.setWasmPaths(new URL('/tfjs-wasm/', self.location.href).href);
  wasm.setThreadsCount(1);
  if (!(await core.setBackend('wasm'))) throw new Error('the TF.js wasm backend did not initialize');
  await core.ready();
  // The same bytes sepconv read (as demo/main.mjs does).
  const handler = core.io.fromMemory({
    modelTopology: raw.json.modelTopology,
    weightSpecs: raw.groups.flatMap((g) => g.weights),
    weightData: raw.weightData.slice().buffer,
    format: raw.json.format,
  });
  const ref = sc.detectFormat(raw.json) === 'graph' ? await tfconv.loadGraphModel(handler) : await tfl.loadLayersModel(handler);
  return { tf: core, ref };
}

async function load({ model: name, build }) {
  spec = MODELS[name];
  if (!spec) throw new Error(`unknown model '${name}' (known: ${Object.keys(MODELS).join(', ')})`);
  const t0 = performance.now();
  const info = await sc.init(build ? { build } : {});
  const raw = await sc.readModelFiles(new URL(spec.url, self.location.href).href);
  model = await sc.loadModel({ modelJson: raw.json, weights: raw.weightData });
  const loadMs = performance.now() - t0;
  try {
    tf = await loadTfjs(raw);
  } catch (e) {
    tfError = String(e?.message ?? e);
  }
  return { type: 'ready', backend: info, title: spec.title, what: spec.what, params: model.countParams(), loadMs, tfjs: !!tf, tfjsError: tfError };
}

/** A model with several outputs (a detector): outputs matched to TF.js's by shape. */
function runOutputs({ id, width, height, data, compare, runs = 5 }) {
  const { input, frame } = spec.prepare({ width, height, data });
  const shape = [1, spec.size, spec.size, 3];
  const raws = (outs) => (Array.isArray(outs) ? outs : [outs]).map((t) => ({ shape: [...t.shape], data: t.dataSync?.() ?? t.data() }));
  const xt = sc.tensor(input, shape);
  try {
    const t0 = performance.now();
    const ys = raws(model.predict(xt));
    const onceMs = performance.now() - t0;
    const out = { type: 'result', id, found: spec.decodeOutputs(ys, frame), ms: { sepconv: { median: onceMs, min: onceMs, runs: 1 } } };
    if (compare) {
      const fns = [() => raws(model.predict(xt))];
      let xr;
      if (tf) {
        xr = tf.tf.tensor(input, shape);
        const rs = tf.tf.tidy(() => raws(tf.ref.execute(xr)));
        out.maxDiff = 0;
        for (const y of ys) {
          const r = rs.find((o) => o.shape.join() === y.shape.join());
          if (!r) throw new Error(`TF.js gave no output of shape [${y.shape}]`);
          for (let k = 0; k < r.data.length; k++) out.maxDiff = Math.max(out.maxDiff, Math.abs(y.data[k] - r.data[k]) / (1 + Math.abs(r.data[k])));
        }
        fns.push(() => tf.tf.tidy(() => raws(tf.ref.execute(xr))));
      }
      const [ours, theirs] = timeInterleaved(fns, runs);
      xr?.dispose();
      out.ms = { sepconv: ours, ...(theirs ? { tfjs: theirs } : {}) };
      if (!tf) out.tfjsError = tfError;
    }
    return out;
  } finally {
    xt.dispose();
  }
}

function run(msg) {
  if (spec.prepare) return runOutputs(msg);
  const { id, width, height, data, compare, runs = 5 } = msg;
  const x = spec.normalize(preprocess({ width, height, data }, spec.size));
  const shape = [1, spec.size, spec.size, 3];
  const xt = sc.tensor(x, shape);
  try {
    const t0 = performance.now();
    const y = model.predict(xt).data();
    const onceMs = performance.now() - t0;
    const found = spec.decode(y, topK);
    const out = { type: 'result', id, found, ms: { sepconv: { median: onceMs, min: onceMs, runs: 1 } } };
    if (compare) {
      const fns = [() => model.predict(xt)];
      let xr;
      if (tf) {
        xr = tf.tf.tensor(x, shape);
        const r = tf.tf.tidy(() => tf.ref.predict(xr).dataSync());
        out.maxDiff = Math.max(...Array.from(r, (v, k) => Math.abs(y[k] - v) / (1 + Math.abs(v))));
        fns.push(() => tf.tf.tidy(() => tf.ref.predict(xr).dataSync()));
      }
      const [ours, theirs] = timeInterleaved(fns, runs);
      xr?.dispose();
      out.ms = { sepconv: ours, ...(theirs ? { tfjs: theirs } : {}) };
      if (!tf) out.tfjsError = tfError;
    }
    return out;
  } finally {
    xt.dispose();
  }
}

self.onmessage = async ({ data: msg }) => {
  try {
    if (msg.type === 'load') self.postMessage(await load(msg));
    else if (msg.type === 'run') self.postMessage(run(msg));
  } catch (e) {
    self.postMessage({ type: 'error', id: msg.id, name: e?.name ?? 'Error', message: String(e?.message ?? e) });
  }
};
