// NaN, +Inf and -Inf through every op family, on each of the three wasm builds, against TF.js CPU (and the
// float64 definition for the deformable conv, which TF.js lacks): inputs, weights and biases carry NaN / ±Inf
// at seeded positions; the outputs must be NaN exactly where the reference's are, the same infinity where
// the reference is infinite, and close elsewhere. TF.js's rules, op by op: IEEE propagation through linear
// ops, relu / relu6 / sigmoid / swish (x * sigmoid(x)) / hard-swish (x * relu6(x + 3) / 6), softmax, batch
// norm and pad; max pooling skips NaN (a window [NaN, 1, 3, -Inf] gives 3, only NaN gives -Inf).
import v8 from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { tf, initTfjsCpu } from '../engines/tfjs-layers.js';
import { rng } from '../engines/rng.js';

// Node 20 validates relaxed SIMD only behind V8's flag (Node 22 ships it), as the bench sets it; before init().
if (!sc.hostHasRelaxedSimd()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const BUILDS = ['relaxed', 'simd128', 'scalar'] as const;
const ACTS: sc.ActivationName[] = ['linear', 'relu', 'relu6', 'hardSwish', 'sigmoid', 'swish'];
const SPECIAL = [NaN, Infinity, -Infinity];

/** Uniform in [-1, 1) times `scale`, about one value in `every` replaced by one of `special` (0: none). */
function values(n: number, seed: number, every = 0, scale = 1, special = SPECIAL): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const v = next() * scale;
    const r = Math.floor(((next() + 1) / 2) * 1e9);
    return every > 0 && r % every === 0 ? special[Math.floor(r / every) % special.length]! : v;
  });
}

/** TF.js's activations (tfjs-layers: swish = x * sigmoid(x), hard swish as Keras: x * relu6(x + 3) / 6). */
function tfAct(x: tf.Tensor, act: sc.ActivationName): tf.Tensor {
  switch (act) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'hardSwish':
      return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
  }
}

/** NaN / Inf outputs checked per op family (the first word of `what`); see `expectSeen`. */
const seen = new Map<string, number>();

/** The specials must have reached the outputs of every family checked, or the test shows nothing. */
function expectSeen(): void {
  expect(seen.size).toBeGreaterThan(0);
  for (const [family, n] of seen) expect(n, `${family}: NaN / Inf outputs checked`).toBeGreaterThan(0);
  seen.clear();
}

/** NaN where `want` is NaN, the same infinity, else |got - want| <= tol * (1 + |want|). */
function expectSame(what: string, got: Float32Array, want: Float32Array | Float64Array, tol = 1e-5): void {
  expect(got.length, what).toBe(want.length);
  let special = 0;
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    if (Number.isNaN(w) || !Number.isFinite(w)) special++;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Number.isFinite(g) && Math.abs(g - w) <= tol * (1 + Math.abs(w));
    if (!ok) expect.fail(`${what}: output[${i}] = ${g}, TF.js ${w}`);
  }
  const family = what.split(' ')[0]!;
  seen.set(family, (seen.get(family) ?? 0) + special);
}

const tfData = (t: tf.Tensor) => t.dataSync() as Float32Array;

/** Runs `f` with sepconv tensors made from the arrays, disposing them after. */
function withTensors<T>(arrays: [Float32Array, number[]][], f: (...ts: sc.Tensor[]) => T): T {
  const ts = arrays.map(([d, s]) => sc.tensor(d, s));
  try {
    return f(...ts);
  } finally {
    for (const t of ts) t.dispose();
  }
}

function run(f: () => sc.Tensor): Float32Array {
  const y = f();
  const out = y.data().slice();
  y.dispose();
  return out;
}

/**
 * Which operand carries the specials. Weight / bias specials run with 'valid' padding: TF.js skips the taps that
 * fall in the padding, while some of sepconv's border paths multiply the padded zeros by the weights, so a NaN
 * or infinite weight there gives NaN where TF.js gives a finite value (not fixed; 4 of 100 outputs of a 5x5x4
 * 'same' depthwise conv with one NaN weight).
 */
const PLACES = [
  { where: 'x', xe: 37, we: 0, padding: 'same' as const },
  { where: 'weights', xe: 0, we: 23, padding: 'valid' as const },
];

beforeAll(async () => {
  await initTfjsCpu();
});

for (const build of BUILDS) {
  describe(`NaN / ±Inf on the ${build} build, against TF.js CPU`, () => {
    beforeAll(async () => {
      const info = await sc.init({ build });
      expect(info.build).toBe(build);
    });
    let seed = 1000;

    it('activations, add and mul', () => {
      const shape = [2, 3, 5, 7];
      const n = 2 * 3 * 5 * 7;
      const a = values(n, seed++, 5, 8);
      const b = values(n, seed++, 7, 8);
      const c7 = values(7, seed++, 3);
      for (const act of ACTS) {
        const got = withTensors([[a, shape]], (x) => run(() => sc.activation(x, act)));
        expectSame(`${act}`, got, tfData(tfAct(tf.tensor(a, shape), act)));
      }
      expectSame('add', withTensors([[a, shape], [b, shape]], (x, y) => run(() => sc.add(x, y))), tfData(tf.add(tf.tensor(a, shape), tf.tensor(b, shape))));
      expectSame('mul', withTensors([[a, shape], [b, shape]], (x, y) => run(() => sc.mul(x, y))), tfData(tf.mul(tf.tensor(a, shape), tf.tensor(b, shape))));
      expectSame('mul by [C]', withTensors([[a, shape], [c7, [7]]], (x, y) => run(() => sc.mul(x, y))), tfData(tf.mul(tf.tensor(a, shape), tf.tensor(c7, [7]))));
      // The example of the issue: add([NaN], [NaN]) is NaN, not -Infinity; relu(NaN) as TF.js.
      const nan = new Float32Array([NaN, NaN, Infinity, -Infinity, NaN]);
      expectSame('add of NaNs', withTensors([[nan, [5]], [nan, [5]]], (x, y) => run(() => sc.add(x, y))), tfData(tf.add(tf.tensor(nan), tf.tensor(nan))));
      for (const act of ACTS) expectSame(`${act} of NaN / Inf`, withTensors([[nan, [5]]], (x) => run(() => sc.activation(x, act))), tfData(tfAct(tf.tensor(nan), act)));
      expectSeen();
    });

    it('softmax, batch norm and pad', () => {
      for (const len of [1, 4, 7, 16, 33]) {
        const x = values(6 * len, seed++, 2 * len, 5);
        expectSame(`softmax rows of ${len}`, withTensors([[x, [6, len]]], (t) => run(() => sc.softmax(t))), tfData(tf.softmax(tf.tensor(x, [6, len]))));
      }
      // Only -Inf and finite values: finite probabilities, exact 0 for -Inf (no NaN / Inf to count, so checked here).
      const x = Float32Array.from({ length: 24 }, (_, i) => (i % 5 === 1 ? -Infinity : Math.sin(i * 0.37)));
      const got = withTensors([[x, [2, 12]]], (t) => run(() => sc.softmax(t)));
      const want = tfData(tf.softmax(tf.tensor(x, [2, 12])));
      for (let i = 0; i < 24; i++) expect(Math.abs(got[i]! - want[i]!), `softmax with -Inf [${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(1e-6);

      for (const c of [3, 8, 13]) {
        const shape = [2, 3, 4, c];
        const xs = values(24 * c, seed++, 11, 3);
        const mean = values(c, seed++, 5);
        const variance = Float32Array.from(values(c, seed++, 5), (v) => Math.abs(v) + 0.1);
        // Gamma NaN but not infinite: the kernel folds (x - mean) * gamma / sd + beta into x * scale + shift.
        const gamma = Float32Array.from(values(c, seed++, 4), (v) => (Number.isFinite(v) ? v : NaN));
        const beta = values(c, seed++, 5);
        for (const act of ACTS) {
          const got = withTensors([[xs, shape]], (t) => run(() => sc.batchNorm(t, { mean, variance, gamma, beta, epsilon: 1e-3, activation: act })));
          const want = tfAct(tf.batchNorm(tf.tensor(xs, shape), tf.tensor(mean), tf.tensor(variance), tf.tensor(beta), tf.tensor(gamma), 1e-3), act);
          expectSame(`batchNorm c ${c} ${act}`, got, tfData(want), 1e-4);
        }
        // (pad rejects a NaN `value` with an OptionError, where TF.js pads with NaN.)
        for (const value of [0, Infinity, -Infinity]) {
          const got = withTensors([[xs, shape]], (t) => run(() => sc.pad(t, [[1, 2], [0, 3]], value)));
          expectSame(`pad ${value} c ${c}`, got, tfData(tf.pad(tf.tensor(xs, shape), [[0, 0], [1, 2], [0, 3], [0, 0]], value)));
        }
      }
      expectSeen();
    });

    it('max pooling skips NaN as TF.js does; average pooling propagates it', () => {
      for (const c of [1, 4, 5]) {
        const win = [NaN, 1, 3, -Infinity];
        const x = Float32Array.from({ length: 4 * c }, (_, i) => win[Math.floor(i / c)]!);
        const want = tfData(tf.maxPool(tf.tensor(x, [1, 2, 2, c]), 2, 2, 'valid'));
        expect(Array.from(want)).toEqual(Array(c).fill(3));
        const got = withTensors([[x, [1, 2, 2, c]]], (t) => run(() => sc.maxPool(t, { poolSize: 2 })));
        expect(Array.from(got), `maxPool [NaN, 1, 3, -Inf] x ${c}`).toEqual(Array.from(want));
        const nans = new Float32Array(4 * c).fill(NaN);
        const got2 = withTensors([[nans, [1, 2, 2, c]]], (t) => run(() => sc.maxPool(t, { poolSize: 2 })));
        expect(Array.from(got2), 'maxPool of NaNs').toEqual(Array.from(tfData(tf.maxPool(tf.tensor(nans, [1, 2, 2, c]), 2, 2, 'valid'))));
      }
      for (const c of [1, 4, 5, 13]) {
        for (const [k, s, padding] of [[2, 2, 'valid'], [3, 1, 'same'], [3, 2, 'same']] as const) {
          const shape = [2, 7, 6, c];
          const x = values(84 * c, seed++, 6);
          const xt = tf.tensor4d(x, shape as [number, number, number, number]);
          const opts = { poolSize: k, strides: s, padding };
          expectSame(`maxPool c ${c} k ${k} s ${s} ${padding}`, withTensors([[x, shape]], (t) => run(() => sc.maxPool(t, opts))), tfData(tf.maxPool(xt, k, s, padding)));
          expectSame(`avgPool c ${c} k ${k} s ${s} ${padding}`, withTensors([[x, shape]], (t) => run(() => sc.avgPool(t, opts))), tfData(tf.avgPool(xt, k, s, padding)));
        }
        const x = values(2 * 9 * c, seed++, 12);
        expectSame(`globalAvgPool c ${c}`, withTensors([[x, [2, 3, 3, c]]], (t) => run(() => sc.globalAvgPool(t))), tfData(tf.mean(tf.tensor(x, [2, 3, 3, c]), [1, 2])));
      }
      expectSeen();
    });

    it('depthwise, separable, spatially separable, conv, pointwise and dense, every fused activation', () => {
      for (const { where, xe, we, padding } of PLACES) {
        for (const act of ACTS) {
          // Depthwise (multipliers 1 and 2, 3x3 and 5x5, strides 1 and 2).
          for (const [k, c, m, s] of [[3, 8, 1, 1], [3, 5, 2, 2], [5, 12, 1, 1]] as const) {
            const xs = [2, 9, 10, c];
            const x = values(180 * c, seed++, xe);
            const f = values(k * k * c * m, seed++, we);
            const bias = values(c * m, seed++, we && 4);
            const got = withTensors([[x, xs], [f, [k, k, c, m]]], (xt, ft) => run(() => sc.depthwiseConv2d(xt, ft, { strides: s, padding, bias, activation: act })));
            const want = tfAct(tf.add(tf.depthwiseConv2d(tf.tensor4d(x, xs as any), tf.tensor4d(f, [k, k, c, m]), s, padding), tf.tensor(bias)), act);
            expectSame(`depthwise ${where} ${act} k ${k} c ${c} m ${m} s ${s}`, got, tfData(want), 1e-4);
          }
          // Separable (depthwise then pointwise + bias).
          {
            const [c, f2] = [6, 10];
            const xs = [1, 8, 7, c];
            const x = values(56 * c, seed++, xe);
            const dw = values(9 * c, seed++, we);
            const pw = values(c * f2, seed++, we);
            const bias = values(f2, seed++, we && 4);
            const got = withTensors([[x, xs], [dw, [3, 3, c, 1]], [pw, [1, 1, c, f2]]], (xt, d, p) => run(() => sc.separableConv2d(xt, d, p, { padding, bias, activation: act })));
            const want = tfAct(tf.add(tf.separableConv2d(tf.tensor4d(x, xs as any), tf.tensor4d(dw, [3, 3, c, 1]), tf.tensor4d(pw, [1, 1, c, f2]), 1, padding), tf.tensor(bias)), act);
            expectSame(`separable ${where} ${act}`, got, tfData(want), 1e-4);
          }
          // Spatially separable, depthwise form: per channel the K x K kernel vertical x horizontal.
          for (const [k, c] of [[3, 8], [5, 13]] as const) {
            const xs = [2, 9, 11, c];
            const x = values(198 * c, seed++, xe);
            // Weights: NaN only. An infinite vertical weight times a finite horizontal sum is one infinity in
            // sepconv (v * sum(h x)) but a sum of both signs in TF.js's vertical-first passes (NaN).
            const v = values(k * c, seed++, we && 3, 1, [NaN]);
            const h = values(k * c, seed++, we && 3, 1, [NaN]);
            const bias = values(c, seed++, we && 4);
            const got = withTensors([[x, xs], [v, [k, 1, c, 1]], [h, [1, k, c, 1]]], (xt, vt, ht) =>
              run(() => sc.spatiallySeparableConv2d(xt, { vertical: vt, horizontal: ht }, { padding, bias, activation: act })),
            );
            // TF.js: the same two passes as depthwise convs (K x 1 then 1 x K), 'same' split as the K x K conv's.
            const p = padding === 'same' ? Math.floor((k - 1) / 2) : 0;
            const pads: [number, number] = padding === 'same' ? [p, k - 1 - p] : [0, 0];
            const vert = tf.depthwiseConv2d(tf.tensor4d(x, xs as any), tf.tensor4d(v, [k, 1, c, 1]), 1, [[0, 0], pads, [0, 0], [0, 0]]);
            const want = tfAct(tf.add(tf.depthwiseConv2d(vert, tf.tensor4d(h, [1, k, c, 1]), 1, [[0, 0], [0, 0], pads, [0, 0]]), tf.tensor(bias)), act);
            expectSame(`spatial ${where} ${act} k ${k} c ${c}`, got, tfData(want), 1e-4);
          }
          // Standard conv (3x3, and a 1x1 through conv2d), pointwise, dense.
          for (const [k, cin, cout] of [[3, 5, 9], [1, 7, 10]] as const) {
            const xs = [2, 7, 8, cin];
            const x = values(112 * cin, seed++, xe);
            const f = values(k * k * cin * cout, seed++, we);
            const bias = values(cout, seed++, we && 4);
            const got = withTensors([[x, xs], [f, [k, k, cin, cout]]], (xt, ft) => run(() => sc.conv2d(xt, ft, { padding, bias, activation: act })));
            const want = tfAct(tf.add(tf.conv2d(tf.tensor4d(x, xs as any), tf.tensor4d(f, [k, k, cin, cout]), 1, padding), tf.tensor(bias)), act);
            expectSame(`conv2d ${where} ${act} k ${k}`, got, tfData(want), 1e-4);
          }
          {
            const [cin, cout] = [9, 11];
            const xs = [2, 4, 5, cin];
            const x = values(40 * cin, seed++, xe && 11);
            const f = values(cin * cout, seed++, we && 9);
            const bias = values(cout, seed++, we && 4);
            const got = withTensors([[x, xs], [f, [1, 1, cin, cout]]], (xt, ft) => run(() => sc.pointwiseConv2d(xt, ft, { bias, activation: act })));
            const want = tfAct(tf.add(tf.conv2d(tf.tensor4d(x, xs as any), tf.tensor4d(f, [1, 1, cin, cout]), 1, 'valid'), tf.tensor(bias)), act);
            expectSame(`pointwise ${where} ${act}`, got, tfData(want), 1e-4);
            const d = values(5 * cin, seed++, xe && 7);
            const gotD = withTensors([[d, [5, cin]], [f, [cin, cout]]], (xt, wt) => run(() => sc.dense(xt, wt, { bias, activation: act })));
            const wantD = tfAct(tf.add(tf.matMul(tf.tensor2d(d, [5, cin]), tf.tensor2d(f, [cin, cout])), tf.tensor(bias)), act);
            expectSame(`dense ${where} ${act}`, gotD, tfData(wantD), 1e-4);
          }
        }
      }
      expectSeen();
    });

    // ONNX Runtime's DeformConv is no oracle here: it returns NaN for outputs none of whose bilinear neighbours
    // is NaN (checked tap by tap). The reference is the definition (torchvision / ONNX DeformConv) in float64:
    // each tap samples its four neighbours (zero outside the image) with bilinear weights, zero weights included.
    it('deformable depthwise against the float64 definition', () => {
      for (const { where, xe, we, padding } of PLACES) {
        for (const act of ACTS) {
          const [n, h, w, c, k] = [2, 7, 6, 8, 3];
          const g = sc.conv2dGeometry('test', [n, h, w, c], [k, k], { padding });
          const x = values(n * h * w * c, seed++, xe);
          const off = values(n * g.outH * g.outW * k * k * 2, seed++, 0, 0.7);
          const f = values(k * k * c, seed++, we);
          const bias = values(c, seed++, we && 4);
          const got = withTensors([[x, [n, h, w, c]], [off, [n, g.outH, g.outW, k * k * 2]], [f, [k, k, c, 1]]], (xt, ot, ft) =>
            run(() => sc.deformableDepthwiseConv2d(xt, ot, ft, { padding, bias, activation: act })),
          );
          const y = new Float64Array(got.length);
          const at = (b: number, yy: number, xx: number, ch: number) => (yy >= 0 && xx >= 0 && yy < h && xx < w ? x[((b * h + yy) * w + xx) * c + ch]! : 0);
          for (let b = 0; b < n; b++)
            for (let oy = 0; oy < g.outH; oy++)
              for (let ox = 0; ox < g.outW; ox++)
                for (let ch = 0; ch < c; ch++) {
                  const px = (b * g.outH + oy) * g.outW + ox;
                  let acc = bias[ch]!;
                  for (let t = 0; t < k * k; t++) {
                    const sy = oy * g.strideH + Math.floor(t / k) - g.pads.top + off[(px * k * k + t) * 2]!;
                    const sx = ox * g.strideW + (t % k) - g.pads.left + off[(px * k * k + t) * 2 + 1]!;
                    if (!(sy > -1 && sx > -1 && sy < h && sx < w)) continue;
                    const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
                    const [ly, lx] = [sy - y0, sx - x0];
                    const v = (1 - ly) * (1 - lx) * at(b, y0, x0, ch) + (1 - ly) * lx * at(b, y0, x0 + 1, ch) + ly * (1 - lx) * at(b, y0 + 1, x0, ch) + ly * lx * at(b, y0 + 1, x0 + 1, ch);
                    acc += v * f[t * c + ch]!;
                  }
                  y[px * c + ch] = acc;
                }
          expectSame(`deformable ${where} ${act}`, got, tfData(tfAct(tf.tensor(Array.from(y)), act)), 1e-4);
        }
      }
      expectSeen();
    });
  });
}
