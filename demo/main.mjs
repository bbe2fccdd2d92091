#!/usr/bin/env node
// sepconv demo. By default: face detection with BlazeFace, the trained TF.js graph model of
// @vladmandic/human@3.3.6's corpus (scripts/fixtures-npm.sh caches it), run by sepconv on real photos
// (@vladmandic/face-api's samples): its outputs decoded into face boxes and 6 keypoints (demo/lib/faces.mjs),
// printed, drawn onto each photo and written as PNGs (demo/out/ by default), and sepconv's latency next to
// TF.js's wasm backend running the same model.json as a graph model (tfjs-converter, single thread).
// `--model nsfw` / `nsfw-mid` (or any TF.js classifier model.json) is the older path: real trained
// MobileNetV2 NSFW classifiers (shipped by the npm package nsfwjs, TF.js layers and graph formats,
// uint8-quantized, inside .min.js wrappers). Prints the top classes per photo, the latency against TF.js-wasm,
// and the model's summary().
// TF.js's fastest path is a graph model (tensorflowjs_converter folds BatchNorm and fuses activations);
// for a layers model the demo also times that, converted by scripts/python-fixtures.sh when its pinned
// converter is installed, and labels the two TF.js figures.
//
//   node demo/main.mjs [--image photo.jpg ...] [--model path/to/model.json] [options]   (--help)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as sc from 'sepconv';
import { PNG } from 'pngjs';
import { decodeFaces, blazefaceInput, drawFaces, iou } from './lib/faces.mjs';
import { decodeImage, preprocess, topK } from './lib/images.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// An unreadable image or model ends the demo with one line on stderr (no stack trace) and exit code 1;
// SEPCONV_DEMO_DEBUG=1 prints the stack as well.
const oneLine = (e) => String(e?.message ?? e).replace(/\s+/g, ' ').trim().slice(0, 400);
function fail(what, e) {
  console.error(`sepconv demo: ${what}: ${oneLine(e)}`);
  if (process.env.SEPCONV_DEMO_DEBUG) console.error(e?.stack ?? e);
  process.exit(1);
}
process.on('uncaughtException', (e) => fail('failed', e));
process.on('unhandledRejection', (e) => fail('failed', e));
const nm = (p) => join(root, 'node_modules', p);
const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
const HUMAN_MODELS = join(process.env.SEPCONV_CACHE ?? join(homedir(), '.cache/sepconv'), 'human-3.3.6/models');
const BUILTIN = {
  face: { kind: 'face', path: join(HUMAN_MODELS, 'blazeface.json'), title: "BlazeFace face detector (@vladmandic/human@3.3.6's models/blazeface.json, TF.js graph model)" },
  nsfw: { kind: 'classifier', path: nm('nsfwjs/dist/models/mobilenet_v2/model.min.js'), title: 'nsfwjs MobileNetV2 alpha 1.0 (TF.js layers model, uint8 weights)', labels: NSFW_CLASSES },
  'nsfw-mid': { kind: 'classifier', path: nm('nsfwjs/dist/models/mobilenet_v2_mid/model.min.js'), title: 'nsfwjs MobileNetV2 alpha 1.4 (TF.js graph model, uint8 weights)', labels: NSFW_CLASSES },
};

const HELP = `sepconv demo: detect faces in photos with a trained BlazeFace and draw them (default), or classify
photos with a trained MobileNetV2 NSFW classifier (--model nsfw); compare latency with TF.js-wasm.

Usage: node demo/main.mjs [options]      (or ./scripts/demo.sh [options])

Options:
  --image <path>       a JPEG or PNG (repeatable). Default: face-api's sample1..6.jpg (photos of people)
  --model <path|name>  a built-in: 'face' (default: BlazeFace face detector from @vladmandic/human's corpus,
                       boxes + 6 keypoints drawn into --out), 'nsfw' (nsfwjs's NSFW classifier, MobileNetV2 1.0,
                       layers) or 'nsfw-mid' (the same classifier, MobileNetV2 1.4, graph); or a TF.js
                       classifier model.json (layers or graph format; shards next to it). Repeatable.
  --out <dir>          where the face detector writes <photo>.faces.png (default: demo/out/)
  --min-score <p>      face score threshold, 0..1 (default 0.5)
  --labels <path>      class names for --model, one per line (default: class indices)
  --size <n>           input size when the model's is unknown (default: the model's, else 224)
  --normalize <mode>   pixel scaling: unit (x/255, default; what nsfwjs feeds), mobilenet (x/127.5-1), raw
  --top <k>            classes shown per photo (default 3)
  --runs <n>           timed runs per engine, engines taking turns (default 10, after >= 3 warm-ups and >= 1 s)
  --no-tfjs            skip the TF.js-wasm comparison
  --no-convert         for a layers model, do not convert it to a TF.js graph model (TF.js's fastest path; done
                       by scripts/python-fixtures.sh when its converter is installed: \`bash scripts/python-fixtures.sh setup\`)
  --no-summary         skip the summary() table
  --build <b>          sepconv wasm build: relaxed | simd128 | scalar (default: the best the host runs)
  -h, --help           this text
`;

let args;
try {
  args = parseArgs({
    options: {
      image: { type: 'string', multiple: true },
      model: { type: 'string', multiple: true },
      labels: { type: 'string' },
      out: { type: 'string', default: join(root, 'demo/out') },
      'min-score': { type: 'string', default: '0.5' },
      size: { type: 'string' },
      normalize: { type: 'string', default: 'unit' },
      top: { type: 'string', default: '3' },
      runs: { type: 'string', default: '10' },
      'no-tfjs': { type: 'boolean', default: false },
      'no-convert': { type: 'boolean', default: false },
      'no-summary': { type: 'boolean', default: false },
      build: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  console.error(`${e.message}\n\n${HELP}`);
  process.exit(2);
}
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const runs = Math.max(1, Number(args.runs) || 10);
const top = Math.max(1, Number(args.top) || 3);
if (!['unit', 'mobilenet', 'raw'].includes(args.normalize)) {
  console.error(`--normalize must be unit, mobilenet or raw, got ${args.normalize}`);
  process.exit(2);
}
const images = args.image ?? [1, 2, 3, 4, 5, 6].map((i) => nm(`@vladmandic/face-api/demo/sample${i}.jpg`));
for (const p of images) {
  if (!existsSync(p)) {
    console.error(`no such image: ${p}`);
    process.exit(2);
  }
}
const minScore = Number(args['min-score']);
if (!(minScore >= 0 && minScore <= 1)) {
  console.error(`--min-score must be a number in 0..1, got ${args['min-score']}`);
  process.exit(2);
}
const specs = (args.model ?? ['face']).map((m) => {
  if (BUILTIN[m]) {
    if (BUILTIN[m].kind === 'face' && !existsSync(BUILTIN[m].path)) fail(`no face model at ${BUILTIN[m].path}`, 'run `bash scripts/fixtures-npm.sh` (or ./scripts/demo.sh) to fetch the real-model corpus');
    return BUILTIN[m];
  }
  if (!existsSync(m)) {
    console.error(`no such model file: ${m}`);
    process.exit(2);
  }
  let labels;
  try {
    labels = args.labels ? readFileSync(args.labels, 'utf8').split(/\r?\n/).filter(Boolean) : undefined;
  } catch (e) {
    fail(`cannot read labels ${args.labels}`, e);
  }
  return { kind: 'classifier', path: resolve(m), title: m, labels };
});

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
// Warm-up: at least 3 runs and 1 s per engine, so V8 has swapped in its optimized wasm (it runs new
// wasm code unoptimized first); then the engines take turns, in alternating order, run by run.
function timeInterleaved(fns) {
  for (const fn of fns) for (let i = 0, t0 = performance.now(); i < 3 || performance.now() - t0 < 1000; i++) fn();
  const ts = fns.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < fns.length; j++) {
      const k = r % 2 ? fns.length - 1 - j : j;
      const t0 = performance.now();
      fns[k]();
      ts[k].push(performance.now() - t0);
    }
  }
  return ts.map((t) => ({ median: median(t), min: Math.min(...t) }));
}
const scale = (x) => (args.normalize === 'mobilenet' ? x.map((v) => v * 2 - 1) : args.normalize === 'raw' ? x.map((v) => v * 255) : x);

// TF.js with its wasm backend, one thread, from the installed package's binaries.
let tfjs;
async function loadTfjs() {
  if (tfjs !== undefined) return tfjs;
  try {
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const tfl = await import('@tensorflow/tfjs-layers');
    const tfconv = await import('@tensorflow/tfjs-converter');
    tf.env().set('PROD', true);
    wasm.setWasmPaths(nm('@tensorflow/tfjs-backend-wasm/dist/') + '/');
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialize');
    await tf.ready();
    tfjs = { tf, tfl, tfconv };
  } catch (e) {
    console.log(`(TF.js-wasm unavailable: ${e.message})`);
    tfjs = null;
  }
  return tfjs;
}

/** TF.js artifacts (tf.io.fromMemory) of the model files sepconv read. */
const artifactsOf = (raw) => ({
  modelTopology: raw.json.modelTopology,
  weightSpecs: raw.groups.flatMap((g) => g.weights),
  weightData: raw.weightData.slice().buffer,
  format: raw.json.format,
});

/**
 * TF.js's fastest path for a layers model: the graph model tensorflowjs_converter makes from it (pinned,
 * scripts/python-fixtures.sh; cached in ~/.cache/sepconv). Returns its raw files, or a sentence why not.
 */
async function convertedGraph(raw) {
  if (args['no-convert']) return 'not converted (--no-convert)';
  const script = join(root, 'scripts/python-fixtures.sh');
  try {
    execFileSync('bash', [script, 'ready'], { stdio: 'ignore' });
  } catch {
    return 'its converter is not installed: `bash scripts/python-fixtures.sh setup` (a Python 3.11 venv, ~1.2 GB, once), then run the demo again';
  }
  const json = JSON.stringify({ ...raw.json, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: raw.groups.flatMap((g) => g.weights) }] });
  const key = createHash('sha256').update(json).update(raw.weightData).digest('hex').slice(0, 16);
  const dir = join(process.env.SEPCONV_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sepconv'), 'graph-models', `demo-${key}`);
  mkdirSync(join(dir, 'layers'), { recursive: true });
  writeFileSync(join(dir, 'layers/model.json'), json);
  writeFileSync(join(dir, 'layers/group1-shard1of1.bin'), raw.weightData);
  process.stdout.write('    converting to a TF.js graph model (tensorflowjs_converter, cached) ... ');
  try {
    execFileSync('bash', [script, 'convert', join(dir, 'layers/model.json'), join(dir, 'graph')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    console.log('failed');
    return `tensorflowjs_converter failed: ${String(e.stderr ?? e.message).trim().split('\n').pop()}`;
  }
  console.log('done');
  return sc.readModelFiles(join(dir, 'graph/model.json'));
}

const info = await sc.init(args.build ? { build: args.build } : {});
console.log(`sepconv ${info.build} build (${info.reason})`);
const decoded = images.map((p) => {
  try {
    const img = decodeImage(p);
    if (!(img?.width > 0 && img?.height > 0 && img.data?.length >= img.width * img.height * 4)) throw new Error('no pixels decoded');
    return { path: p, img };
  } catch (e) {
    fail(`cannot read image ${p}`, e);
  }
});

for (const spec of specs) {
  if (spec.kind === 'face') await detectFaces(spec);
  else await classify(spec);
}

/** sepconv's model from the file, with its loading phases on one line; one-line error if it cannot. */
async function loadOurs(path, inputShape) {
  const t0 = performance.now();
  let lastPhase = '';
  let model;
  try {
    model = await sc.loadModel(path, {
      onProgress: (p) => {
        if (p.phase !== lastPhase && p.loaded === p.total) process.stdout.write(`    ${p.phase} ✓ `);
        if (p.loaded === p.total) lastPhase = p.phase;
      },
      inputShape,
    });
  } catch (e) {
    process.stdout.write('\n');
    fail(`cannot load model ${path}`, e);
  }
  console.log(`\n    loaded in ${(performance.now() - t0).toFixed(0)} ms: ${model.countParams().toLocaleString('en-US')} params`);
  return model;
}

async function classify(spec) {
  console.log(`\n=== ${spec.title}\n    ${spec.path}`);
  const model = await loadOurs(spec.path, args.size ? [Number(args.size), Number(args.size), 3] : undefined);
  const inShape = model.inputs[0].shape;
  const size = inShape[0] ?? (Number(args.size) || 224);
  const outLabels = spec.labels;

  // TF.js on the same bytes (the same model.json and shards sepconv read). A graph model is TF.js's
  // fastest path as it is; a layers model runs unfused in tfjs-layers (what loadLayersModel users get), so
  // it is also converted to a graph model when the converter is there, and both are timed.
  let ref;
  let layersRef;
  let fastestNote;
  const tj = args['no-tfjs'] ? null : await loadTfjs();
  if (tj) {
    const raw = await sc.readModelFiles(spec.path);
    const handler = tj.tf.io.fromMemory(artifactsOf(raw));
    if (sc.detectFormat(raw.json) === 'graph') ref = await tj.tfconv.loadGraphModel(handler);
    else {
      layersRef = await tj.tfl.loadLayersModel(handler);
      const g = await convertedGraph(raw);
      if (typeof g === 'string') fastestNote = g;
      else ref = await tj.tfconv.loadGraphModel(tj.tf.io.fromMemory(artifactsOf(g)));
    }
    ref ??= layersRef;
  }

  console.log(`\n    photo${' '.repeat(14)}top ${top} (sepconv)${ref ? '                                   TF.js-wasm top 1' : ''}`);
  let worst = 0;
  let firstInput;
  for (const { path, img } of decoded) {
    const x = scale(preprocess(img, size));
    firstInput ??= x;
    const xt = sc.tensor(x, [1, size, size, 3]);
    const y = model.predict(xt).data();
    xt.dispose();
    const ks = topK(y, Math.min(top, y.length));
    const fmt = (k, p) => `${outLabels?.[k] ?? `class ${k}`} ${(p * 100).toFixed(1)}%`;
    let line = `    ${path.replace(/^.*\//, '').padEnd(18)} ${ks.map((k) => fmt(k, y[k])).join(', ').padEnd(52)}`;
    if (ref) {
      const r = tj.tf.tidy(() => ref.predict(tj.tf.tensor(x, [1, size, size, 3])).dataSync());
      for (let k = 0; k < r.length; k++) worst = Math.max(worst, Math.abs(y[k] - r[k]) / (1 + Math.abs(r[k])));
      const rk = topK(r, 1)[0];
      line += ` ${fmt(rk, r[rk])}`;
    }
    console.log(line);
  }
  if (ref) console.log(`    max |sepconv - TF.js| / (1 + |TF.js|) over all outputs: ${worst.toExponential(2)}`);

  // Latency, batch 1, same input, single thread for both.
  const xt = sc.tensor(firstInput, [1, size, size, 3]);
  const xr = ref ? tj.tf.tensor(firstInput, [1, size, size, 3]) : undefined;
  const both = layersRef && ref !== layersRef;
  const [ours, theirs, theirsLayers] = timeInterleaved([
    () => model.predict(xt),
    ...(ref ? [() => tj.tf.tidy(() => ref.predict(xr).dataSync())] : []),
    ...(both ? [() => tj.tf.tidy(() => layersRef.predict(xr).dataSync())] : []),
  ]);
  xr?.dispose();
  xt.dispose();
  const s = model.summary();
  const gmacs = s.totalMacs / 1e9;
  console.log(`\n    latency, batch 1, median of ${runs} (min):`);
  console.log(`      sepconv (${info.build}, 1 thread)   ${ours.median.toFixed(1).padStart(7)} ms (${ours.min.toFixed(1)})  ${((2 * gmacs) / (ours.median / 1e3)).toFixed(1)} GFLOP/s`);
  const line = (label, t) => console.log(`      ${label.padEnd(31)}${t.median.toFixed(1).padStart(7)} ms (${t.min.toFixed(1)})  ${((2 * gmacs) / (t.median / 1e3)).toFixed(1)} GFLOP/s`);
  const speed = (label, t) => console.log(`      sepconv vs ${label}: ${t.median >= ours.median ? `${(t.median / ours.median).toFixed(2)}x faster` : `${(ours.median / t.median).toFixed(2)}x slower`}`);
  if (theirs) {
    const fastest = ref !== layersRef;
    line(fastest ? 'TF.js-wasm graph (1 thread)' : 'TF.js-wasm layers (1 thread)', theirs);
    if (theirsLayers) line('TF.js-wasm layers (1 thread)', theirsLayers);
    if (fastest) speed(`TF.js-wasm's fastest path (graph model${layersRef ? ' converted by tensorflowjs_converter' : ''}: BN folded, activations fused)`, theirs);
    if (layersRef) speed('TF.js-wasm through loadLayersModel (this layers model as is; Conv2D, BN, activation unfused)', theirsLayers ?? theirs);
    if (fastestNote) console.log(`      (TF.js's fastest path, this model as a graph model, not timed: ${fastestNote})`);
  }
  const mem = model.memoryStats();
  console.log(`    arena ${(mem.arenaBytes / 2 ** 20).toFixed(1)} MiB, packed weights ${(mem.packedWeightBytes / 2 ** 20).toFixed(1)} MiB, ${s.totalMacs.toLocaleString('en-US')} MACs`);
  if (!args['no-summary']) {
    console.log('\n' + s.toString());
    args['no-summary'] = true; // the table once is enough
  }
  ref?.dispose();
  if (layersRef !== ref) layersRef?.dispose();
  model.dispose();
}

/**
 * The default demo: BlazeFace on each photo with sepconv, faces decoded (demo/lib/faces.mjs), printed and
 * drawn into <out>/<photo>.faces.png; the same decoding on TF.js-wasm's outputs of the same model.json
 * (how well the engines' boxes agree), and both engines' latency.
 */
async function detectFaces(spec) {
  console.log(`\n=== ${spec.title}\n    ${spec.path}`);
  const model = await loadOurs(spec.path);
  const size = model.inputs[0].shape[0] ?? 256;
  const raws = (outs) => (Array.isArray(outs) ? outs : [outs]).map((t) => ({ shape: [...t.shape], data: t.dataSync?.() ?? t.data() }));

  // TF.js on the same bytes: the graph model as it ships, through tfjs-converter (TF.js's graph-model path).
  let ref;
  const tj = args['no-tfjs'] ? null : await loadTfjs();
  if (tj) ref = await tj.tfconv.loadGraphModel(tj.tf.io.fromMemory(artifactsOf(await sc.readModelFiles(spec.path))));

  try {
    mkdirSync(args.out, { recursive: true });
  } catch (e) {
    fail(`cannot create the output folder ${args.out}`, e);
  }
  console.log(`\n    photo              faces (sepconv; box x0,y0-x1,y1 in photo pixels, score)${ref ? '   IoU with TF.js-wasm (min)' : ''}`);
  let firstInput;
  for (const { path, img } of decoded) {
    const { input, frame } = blazefaceInput(img, size);
    firstInput ??= input;
    const xt = sc.tensor(input, [1, size, size, 3]);
    const faces = decodeFaces(raws(model.predict(xt)), frame, { minScore });
    xt.dispose();
    let agree = '';
    if (ref) {
      const theirs = tj.tf.tidy(() => decodeFaces(raws(ref.execute(tj.tf.tensor(input, [1, size, size, 3]))), frame, { minScore }));
      const worst = faces.length === theirs.length ? Math.min(1, ...faces.map((f) => Math.max(0, ...theirs.map((t) => iou(f.box, t.box))))) : 0;
      agree = faces.length === theirs.length ? `   ${worst.toFixed(3)}` : `   TF.js-wasm found ${theirs.length} face(s)`;
    }
    const name = path.replace(/^.*[\\/]/, '');
    const desc = faces.length ? faces.map((f) => `${f.box.map((v) => Math.round(v)).join(',').replace(/^(\d+,\d+),/, '$1-')} ${(f.score * 100).toFixed(0)}%`).join('; ') : 'no face';
    console.log(`    ${name.padEnd(18)} ${`${faces.length}: ${desc}`.padEnd(62)}${agree}`);
    const drawn = drawFaces(img, faces);
    const png = new PNG({ width: drawn.width, height: drawn.height });
    png.data = Buffer.from(drawn.data.buffer, drawn.data.byteOffset, drawn.data.byteLength);
    const file = join(args.out, `${name.replace(/\.[^.]*$/, '')}.faces.png`);
    try {
      writeFileSync(file, PNG.sync.write(png));
    } catch (e) {
      fail(`cannot write ${file}`, e);
    }
  }
  console.log(`    drawn (green boxes, red keypoints: eyes, nose, mouth, ears) into ${args.out}/`);

  // Latency, batch 1, the first photo's input, single thread for both; each run reads every output.
  const xt = sc.tensor(firstInput, [1, size, size, 3]);
  const xr = ref ? tj.tf.tensor(firstInput, [1, size, size, 3]) : undefined;
  const [ours, theirs] = timeInterleaved([
    () => raws(model.predict(xt)),
    ...(ref ? [() => tj.tf.tidy(() => raws(ref.execute(xr)))] : []),
  ]);
  xr?.dispose();
  xt.dispose();
  const s = model.summary();
  const gmacs = s.totalMacs / 1e9;
  const line = (label, t) => console.log(`      ${label.padEnd(40)}${t.median.toFixed(2).padStart(8)} ms (${t.min.toFixed(2)})  ${((2 * gmacs) / (t.median / 1e3)).toFixed(1)} GFLOP/s`);
  console.log(`\n    latency, batch 1, ${size}x${size} input, median of ${runs} (min):`);
  line(`sepconv (${info.build}, 1 thread)`, ours);
  if (theirs) {
    line("TF.js-wasm graph model (1 thread)", theirs);
    console.log(`      sepconv vs TF.js-wasm's graph-model path (tfjs-converter loadGraphModel, the same model.json): ${theirs.median >= ours.median ? `${(theirs.median / ours.median).toFixed(2)}x faster` : `${(ours.median / theirs.median).toFixed(2)}x slower`}`);
  }
  console.log(`    ${s.totalMacs.toLocaleString('en-US')} MACs`);
  if (!args['no-summary']) {
    console.log('\n' + s.toString());
    args['no-summary'] = true;
  }
  ref?.dispose();
  model.dispose();
}
