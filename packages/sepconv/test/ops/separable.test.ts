// ops/separable.ts: Keras SeparableConv2D semantics (depthwise, no bias; pointwise + bias + activation),
// against TF.js tf.separableConv2d on the CPU backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionError, separableConv2d, ShapeError, tensor } from '../../src/entry/node.js';
import { initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
  await tf.setBackend('cpu');
});

describe(`separableConv2d (${TEST_BUILD})`, () => {
  it('matches tf.separableConv2d + bias + relu over shapes, strides, multipliers, paddings', () => {
    let seed = 1;
    for (const [h, w, c, m, f, k, s, pad] of [
      [7, 9, 3, 1, 5, 3, 1, 'same'],
      [8, 8, 8, 2, 4, 3, 2, 'same'],
      [6, 5, 4, 1, 7, 5, 1, 'valid'],
      [10, 10, 16, 1, 32, 3, 2, 'valid'],
    ] as const) {
      const next = rng(seed++);
      const xd = randomArray(2 * h * w * c, next);
      const dd = randomArray(k * k * c * m, next);
      const pd = randomArray(c * m * f, next);
      const bias = randomArray(f, next);
      using x = tensor(xd, [2, h, w, c]);
      using dwf = tensor(dd, [k, k, c, m]);
      using pwf = tensor(pd, [1, 1, c * m, f]);
      using y = separableConv2d(x, dwf, pwf, { strides: s, padding: pad, bias, activation: 'relu' });
      const ref = tf.tidy(() =>
        tf
          .relu(tf.add(tf.separableConv2d(tf.tensor4d(xd, [2, h, w, c]), tf.tensor4d(dd, [k, k, c, m]), tf.tensor4d(pd, [1, 1, c * m, f]), s, pad), tf.tensor1d(bias)))
          .dataSync(),
      );
      const got = y.data();
      expect(got.length).toBe(ref.length);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ref[i]!)));
    }
  });

  it('throws typed errors naming the filter that does not fit', () => {
    using x = tensor(new Float32Array(1 * 4 * 4 * 3), [1, 4, 4, 3]);
    using dwf = tensor(new Float32Array(9 * 3), [3, 3, 3, 1]);
    using bad = tensor(new Float32Array(9 * 2), [3, 3, 2, 1]);
    using pwf = tensor(new Float32Array(3 * 5), [1, 1, 3, 5]);
    using pw4 = tensor(new Float32Array(4 * 5), [1, 1, 4, 5]);
    expect(() => separableConv2d(x, bad, pwf)).toThrow(/depthwiseFilter/);
    expect(() => separableConv2d(x, dwf, pw4)).toThrow(ShapeError);
    expect(() => separableConv2d(x, dwf, pwf, { strides: 0 })).toThrow(OptionError);
    expect(() => separableConv2d(x, dwf, pwf, { bias: new Float32Array(4) })).toThrow(/bias/);
    using y = separableConv2d(x, dwf, pwf, { padding: 'same' });
    expect(y.shape).toEqual([1, 4, 4, 5]);
  });
});
