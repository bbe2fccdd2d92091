// The page: picks a photo (a sample, a file, or webcam frames), hands its pixels to the worker,
// draws what comes back, and shows sepconv's latency beside TF.js-wasm's on the same model.
// Query: ?sample=N picks face-api's sampleN.jpg (default 1), ?runs=N timed runs (default 5),
// ?build=relaxed|simd128|scalar forces a sepconv build, ?model=blazeface|nsfw the model (demo/web/models.js).
import { BOX_COLOR, draw, POINT_COLOR } from './draw.js';
import { DEFAULT_MODEL } from './models.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const runs = Math.max(1, Number(params.get('runs')) || 5);
const canvas = $('view');
const status = (text, state) => {
  $('status').textContent = text;
  if (state) $('status').dataset.state = state;
};

// A module worker loaded by URL (Vite bundles it as its own entry; no blob: worker).
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 0;
const pending = new Map();
let ready;
worker.onmessage = ({ data }) => {
  if (data.type === 'ready') return ready.resolve(data);
  const p = pending.get(data.id);
  if (data.type === 'error') {
    if (p) p.reject(Object.assign(new Error(data.message), { name: data.name }));
    else ready.reject(Object.assign(new Error(data.message), { name: data.name }));
  } else p?.resolve(data);
  pending.delete(data.id);
};
worker.onerror = (e) => showError(new Error(`the worker failed: ${e.message}`));

function call(msg, transfer = []) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ ...msg, id }, transfer);
  });
}

function showError(e) {
  status(`Error: ${e.name ?? 'Error'}: ${e.message}`, 'error');
  $('error').textContent = e.stack ?? '';
}

/** The source's pixels, as RGBA at the canvas's aspect (the model resizes them itself). */
function pixelsOf(source, w, h) {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d');
  ctx.drawImage(source, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h);
}

function fitCanvas(w, h) {
  const scale = Math.min(1, 640 / Math.max(w, h));
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
}

function showLatency(ms, tfjsError) {
  const row = (name, t) => `<tr><td>${name}</td><td>${t.median.toFixed(1)}</td><td>${t.min.toFixed(1)}</td><td>${t.runs}</td></tr>`;
  const b = ready.value.backend;
  $('latency').tBodies[0].innerHTML =
    row(`sepconv (${b.build} build)`, ms.sepconv) +
    (ms.tfjs ? row('TF.js-wasm (XNNPACK)', ms.tfjs) : `<tr><td>TF.js-wasm</td><td colspan="3">unavailable: ${tfjsError ?? 'not loaded'}</td></tr>`);
  if (ms.tfjs) $('latency').dataset.ratio = (ms.tfjs.median / ms.sepconv.median).toFixed(2);
}

let current; // the image (or video) last run
async function runOn(source, w, h, compare) {
  current = source;
  const img = pixelsOf(source, w, h);
  const r = await call({ type: 'run', width: w, height: h, data: img.data, compare, runs }, [img.data.buffer]);
  draw(canvas, source, r.found);
  $('result').textContent = r.found.labels.map((l) => `${l.label} ${(l.score * 100).toFixed(1)}%`).join(', ');
  if (compare) {
    showLatency(r.ms, r.tfjsError);
    $('agree').textContent = r.maxDiff === undefined ? '' : `Largest difference from TF.js over all outputs: ${r.maxDiff.toExponential(2)} (relative to 1 + |TF.js|).`;
  } else {
    $('latency').tBodies[0].rows[0]?.cells[1] && ($('latency').tBodies[0].rows[0].cells[1].textContent = r.ms.sepconv.median.toFixed(1));
  }
  return r;
}

async function runOnImage(img) {
  stopWebcam();
  fitCanvas(img.naturalWidth, img.naturalHeight);
  status(`Running sepconv and TF.js-wasm (${runs} timed runs each, taking turns)…`, 'running');
  await runOn(img, img.naturalWidth, img.naturalHeight, true);
  status('Done.', 'done');
  $('compare').disabled = false;
}

async function loadImage(url) {
  const img = new Image();
  img.src = url;
  await img.decode();
  return img;
}

let webcam;
function stopWebcam() {
  if (!webcam) return;
  webcam.getTracks().forEach((t) => t.stop());
  webcam = undefined;
  $('webcam').textContent = 'Use the webcam';
}

async function startWebcam() {
  webcam = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  $('webcam').textContent = 'Stop the webcam';
  const video = $('video');
  video.srcObject = webcam;
  await video.play();
  fitCanvas(video.videoWidth, video.videoHeight);
  status('Webcam: sepconv runs on each frame (one in flight); "Time again" compares with TF.js-wasm on the current frame.', 'webcam');
  $('compare').disabled = false;
  current = video;
  while (webcam) {
    await runOn(video, video.videoWidth, video.videoHeight, false);
    await new Promise((r) => requestAnimationFrame(r));
  }
}

async function main() {
  let resolve, reject;
  ready = { promise: new Promise((a, b) => ((resolve = a), (reject = b))) };
  ready.resolve = (v) => ((ready.value = v), resolve(v));
  ready.reject = reject;
  worker.postMessage({ type: 'load', model: params.get('model') ?? DEFAULT_MODEL, build: params.get('build') ?? undefined });
  const info = await ready.promise;
  $('model-title').textContent = info.title;
  $('model-what').textContent = info.what;
  document.title = `sepconv: ${info.title}`;
  $('backend').textContent = (`sepconv ${info.backend.build} build (${info.backend.reason}); model loaded in ${info.loadMs.toFixed(0)} ms, ${info.params.toLocaleString('en-US')} params. TF.js-wasm: ${info.tfjs ? 'loaded the same model' : `unavailable (${info.tfjsError})`}.`);

  for (let i = 1; i <= 6; i++) $('sample').add(new Option(`sample ${i}`, String(i)));
  $('sample').value = params.get('sample') ?? '1';
  $('sample').onchange = () => loadImage(`/samples/sample${$('sample').value}.jpg`).then(runOnImage).catch(showError);
  $('file').onchange = () => {
    const f = $('file').files?.[0];
    if (f) loadImage(URL.createObjectURL(f)).then(runOnImage).catch(showError);
  };
  $('webcam').onclick = () => (webcam ? stopWebcam() : startWebcam().catch((e) => (stopWebcam(), showError(e))));
  $('compare').onclick = () => {
    if (current instanceof HTMLImageElement) runOnImage(current).catch(showError);
    else if (current) runOn(current, current.videoWidth, current.videoHeight, true).catch(showError);
  };
  await runOnImage(await loadImage(`/samples/sample${$('sample').value}.jpg`));
}

// For tests and the console: draw() on the page's canvas, and the last result.
globalThis.sepconvDemo = { draw: (found) => draw(canvas, current, found), colors: { box: BOX_COLOR, point: POINT_COLOR } };
main().catch(showError);
