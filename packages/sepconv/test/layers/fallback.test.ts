// The plain-JS kernels the executor uses for the step shapes the wasm ops do not take (broadcast add /
// mul, pools with window-wide pads, activations after them), against TF.js CPU. Tolerance 1e-4 * (1 + |ref|).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { activationJS, binaryJS, poolJS } from '../../src/layers/fallback.js';
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
  it('activationJS (relu6, swish, softmax over rows)', () => {
    const next = rng(1);
    const x = randomArray(5 * 7, next);
    const y = new Float32Array(x.length);
    activationJS(x, y, 7, 'relu6');
    close(y, tf.tidy(() => tf.relu6(tf.tensor1d(x)).dataSync()));
    activationJS(x, y, 7, 'swish');
    close(y, tf.tidy(() => tf.mul(tf.tensor1d(x), tf.sigmoid(tf.tensor1d(x))).dataSync()));
    activationJS(x, y, 7, 'softmax');
    close(y, tf.tidy(() => tf.softmax(tf.tensor2d(x, [5, 7])).dataSync()));
  });

  it('poolJS, binaryJS', () => {
    const next = rng(2);
    const [n, h, w, c] = [2, 5, 6, 3];
    const x = randomArray(n * h * w * c, next);
    const g = convGeometry('t', h, w, [3, 3], [2, 2], [1, 1], 'same');
    const y = new Float32Array(n * g.outH * g.outW * c);
    poolJS('avg', x, n, c, g, y);
    close(y, tf.tidy(() => tf.avgPool(tf.tensor4d(x, [n, h, w, c]), 3, 2, 'same').dataSync()));
    poolJS('max', x, n, c, g, y);
    close(y, tf.tidy(() => tf.maxPool(tf.tensor4d(x, [n, h, w, c]), 3, 2, 'same').dataSync()));
    const gate = randomArray(n * c, next);
    const prod = new Float32Array(x.length);
    binaryJS('mul', x, gate, prod, n, c);
    close(prod, tf.tidy(() => tf.mul(tf.tensor4d(x, [n, h, w, c]), tf.tensor4d(gate, [n, 1, 1, c])).dataSync()));
    binaryJS('add', x, x, prod, n, c);
    close(prod, Array.from(x, (v) => 2 * v));
  });
});
