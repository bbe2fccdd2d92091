#!/usr/bin/env node
// Soak run (not a test): N predictions of one model at alternating input sizes, printing every `--every`
// predictions the wasm heap, the process RSS, the JS heap and the output drift (the largest difference of any
// output from that size's first output on the same input; 0 means bit-identical). A leak shows as a heap or
// RSS that keeps growing after the first round of sizes, a stale-state bug as a non-zero drift.
//
//   node bench/soak.mjs [--n 10000] [--every 500] [--sizes 96,128,160,224] [--alpha 0.35] [--batch 1] [--build simd128]
//
// The model is MobileNetV2 (alpha 0.35 by default) with its input size left open (Keras
// Input(shape=(None, None, 3))): the zoo's Keras config with the InputLayer opened, imported with
// modelFromKerasConfig and given seeded weights. It uses the built package (run `pnpm build` first).
import { parseArgs } from 'node:util';
import * as sc from 'sepconv';

const { values: a } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    every: { type: 'string', default: '500' },
    sizes: { type: 'string', default: '96,128,160,224' },
    alpha: { type: 'string', default: '0.35' },
    batch: { type: 'string', default: '1' },
    build: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (a.help) {
  console.log('node bench/soak.mjs [--n 10000] [--every 500] [--sizes 96,128,160,224] [--alpha 0.35] [--batch 1] [--build relaxed|simd128|scalar]');
  process.exit(0);
}
const n = Number(a.n);
const every = Number(a.every);
const sizes = a.sizes.split(',').map(Number);
const batch = Number(a.batch);
if (![n, every, batch, ...sizes].every((v) => Number.isInteger(v) && v > 0) || sizes.some((s) => s < 32)) {
  console.error('soak: --n, --every, --batch must be positive integers and --sizes integers >= 32');
  process.exit(2);
}

/** mulberry32 in [-1, 1). */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

const info = await sc.init(a.build ? { build: a.build } : {});
const config = sc.mobilenetV2Config({ alpha: Number(a.alpha), resolution: 224, classes: 1000 });
const input = config.config.layers.find((l) => l.class_name === 'InputLayer');
input.config.batch_input_shape = [null, null, null, 3];
const model = sc.modelFromKerasConfig(config);
const next = rng(1);
model.setWeights(
  new Map(
    model.weightSpecs().map((s) => {
      const fanIn = s.shape.slice(0, -1).reduce((p, d) => p * d, 1) || 1;
      const scale = Math.sqrt(3 / fanIn);
      const len = s.shape.reduce((p, d) => p * d, 1);
      const v = /variance$/.test(s.name) ? Float32Array.from({ length: len }, () => 1 + Math.abs(next()) / 2) : Float32Array.from({ length: len }, () => next() * scale);
      return [s.name, v];
    }),
  ),
);

const inputs = sizes.map((s) => sc.tensor(Float32Array.from({ length: batch * s * s * 3 }, next), [batch, s, s, 3]));
const first = new Array(sizes.length);
const MiB = (b) => (b / 2 ** 20).toFixed(1);
console.log(`soak: MobileNetV2 alpha ${a.alpha}, open input, batch ${batch}, sizes ${sizes.join('/')}, ${n} predictions, sepconv ${info.build} build, Node ${process.version}`);
console.log('predictions  wasm heap MiB  RSS MiB  JS heap MiB  max drift  ms/predict');
let drift = 0;
let worstDrift = 0;
let t0 = performance.now();
const start = performance.now();
for (let i = 1; i <= n; i++) {
  const k = (i - 1) % sizes.length;
  const y = model.predict(inputs[k]).data();
  if (!first[k]) first[k] = y;
  else {
    const f = first[k];
    for (let j = 0; j < y.length; j++) {
      const d = Math.abs(y[j] - f[j]);
      if (!(d <= drift)) drift = Number.isNaN(d) ? Infinity : d;
    }
  }
  if (i % every === 0 || i === n) {
    const count = i % every === 0 ? every : i % every;
    const ms = (performance.now() - t0) / count;
    const mem = model.memoryStats();
    const pm = process.memoryUsage();
    console.log(`${String(i).padStart(11)}  ${MiB(mem.wasmHeapBytes).padStart(13)}  ${MiB(pm.rss).padStart(7)}  ${MiB(pm.heapUsed).padStart(11)}  ${drift.toExponential(2).padStart(9)}  ${ms.toFixed(2).padStart(10)}`);
    worstDrift = Math.max(worstDrift, drift);
    drift = 0;
    t0 = performance.now();
  }
}
console.log(`soak: done in ${((performance.now() - start) / 1000).toFixed(1)} s, max drift over the run ${worstDrift.toExponential(2)}`);
for (const t of inputs) t.dispose();
model.dispose();
