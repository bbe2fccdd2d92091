// The plain-JS kernels the executor falls back to (for wasm builds without a kernel family, and for the
// elementwise/pool/pad steps until their wasm ops land), against TF.js CPU. Tolerance 1e-4 * (1 + |ref|).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { binaryJS, convJS, gapJS, gemmJS, padJS, poolJS } from '../../src/layers/fallback.js';
import { convGeometry } from '../../src/ops/geometry.js';
import { randomArray, rng } from '../helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function close(got: Float32Array, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(want[i]!)));
}

describe('fallback kernels vs TF.js', () => {
  it('convJS (incl. groups as split convs) and gemmJS', () => {
    const next = rng(1);
    const [n, h, w, cin, cout, k] = [2, 7, 6, 4, 6, 3];
    const x = randomArray(n * h * w * cin, next);
    for (const groups of [1, 2]) {
      const f = randomArray(k * k * (cin / groups) * cout, next);
      const b = randomArray(cout, next);
      const g = convGeometry('t', h, w, [k, k], [2, 1], [1, 1], 'same');
      const y = new Float32Array(n * g.outH * g.outW * cout);
      convJS(x, n, cin, y, f, b, g, cout, groups, 'relu');
      const ref = tf.tidy(() => {
        const xt = tf.tensor4d(x, [n, h, w, cin]);
        const ft = tf.tensor4d(f, [k, k, cin / groups, cout]);
        const parts = Array.from({ length: groups }, (_, gi) => {
          const xs = tf.slice(xt, [0, 0, 0, (gi * cin) / groups], [n, h, w, cin / groups]);
          const fs = tf.slice(ft, [0, 0, 0, (gi * cout) / groups], [k, k, cin / groups, cout / groups]);
          return tf.conv2d(xs, fs, [2, 1], 'same');
        });
        return tf.relu(tf.add(groups === 1 ? parts[0]! : tf.concat(parts, 3), tf.tensor1d(b))).dataSync();
      });
      close(y, ref);
    }
    const a = randomArray(5 * 7, next);
    const wts = randomArray(7 * 3, next);
    const out = new Float32Array(15);
    gemmJS(a, 5, 7, out, wts, 3, undefined, 'softmax');
    close(out, tf.tidy(() => tf.softmax(tf.matMul(tf.tensor2d(a, [5, 7]), tf.tensor2d(wts, [7, 3]))).dataSync()));
  });

  it('poolJS, gapJS, padJS, binaryJS', () => {
    const next = rng(2);
    const [n, h, w, c] = [2, 5, 6, 3];
    const x = randomArray(n * h * w * c, next);
    const g = convGeometry('t', h, w, [3, 3], [2, 2], [1, 1], 'same');
    const y = new Float32Array(n * g.outH * g.outW * c);
    poolJS('avg', x, n, c, g, y);
    close(y, tf.tidy(() => tf.avgPool(tf.tensor4d(x, [n, h, w, c]), 3, 2, 'same').dataSync()));
    poolJS('max', x, n, c, g, y);
    close(y, tf.tidy(() => tf.maxPool(tf.tensor4d(x, [n, h, w, c]), 3, 2, 'same').dataSync()));
    const m = new Float32Array(n * c);
    gapJS(x, n, h * w, c, m);
    close(m, tf.tidy(() => tf.mean(tf.tensor4d(x, [n, h, w, c]), [1, 2]).dataSync()));
    const p = { top: 1, bottom: 0, left: 2, right: 1 };
    const padded = new Float32Array(n * (h + 1) * (w + 3) * c);
    padJS(x, n, h, w, c, p, padded);
    close(padded, tf.tidy(() => tf.pad(tf.tensor4d(x, [n, h, w, c]), [[0, 0], [1, 0], [2, 1], [0, 0]]).dataSync()));
    const gate = randomArray(n * c, next);
    const prod = new Float32Array(x.length);
    binaryJS('mul', x, gate, prod, n, c);
    close(prod, tf.tidy(() => tf.mul(tf.tensor4d(x, [n, h, w, c]), tf.tensor4d(gate, [n, 1, 1, c])).dataSync()));
    binaryJS('add', x, x, prod, n, c);
    close(prod, Array.from(x, (v) => 2 * v));
  });
});
