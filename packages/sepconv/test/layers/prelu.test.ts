// PReLU / LeakyReLU / general ReLU steps run by the wasm prelu kernel (crates/kernels/src/prelu.rs), on each
// build: after a conv (slope per channel, C = 1, 3, 17, 32; a full-shape slope; batch 2) against the float64
// definition on sepconv's own conv output and against TF.js CPU's prelu, both bit for bit; on a model input
// holding NaN, +-0, +-Inf and subnormals (LeakyReLU, ReLU with threshold / maxValue) against the definition.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { input, layers, model, tensor, type Model, type SymbolicTensor } from '../../src/entry/node.js';
import { initForTest, randomArray, rng } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
  await tf.setBackend('cpu');
});

const def = (x: number, slope: number, threshold: number, maxValue: number): number => (x >= threshold ? Math.min(x, maxValue) : slope * (x - threshold));

/** Index of the first element that differs bit for bit (NaN equals NaN), or -1. */
function firstDiff(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) return i;
  return -1;
}

describe('PReLU in wasm', () => {
  for (const c of [1, 3, 17, 32]) {
    for (const shared of [[1, 2], null] as const) {
      it(`after a conv, C = ${c}, sharedAxes ${JSON.stringify(shared)}`, () => {
        const [n, h, w, cin] = [2, 5, 7, 4];
        const next = rng(100 + c);
        const inp = input({ shape: [h, w, cin] });
        const conv = layers.conv2d({ filters: c, kernelSize: 3, padding: 'same', name: 'conv' }).apply(inp) as SymbolicTensor;
        const pl = layers.prelu({ sharedAxes: shared, name: 'prelu' });
        const withPrelu = model({ inputs: inp, outputs: pl.apply(conv) as SymbolicTensor });
        const plain = model({ inputs: inp, outputs: conv });
        const wConv = withPrelu.getLayer('conv');
        const kernel = randomArray(9 * cin * c, next);
        const bias = randomArray(c, next);
        wConv.setWeights([kernel, bias]);
        plain.getLayer('conv').setWeights([kernel, bias]);
        // Distinct slopes (negative, above 1, zero), so a slope read from the wrong channel shows.
        const alphaLen = shared ? c : h * w * c;
        const alpha = Float32Array.from({ length: alphaLen }, (_, i) => (i % 7 === 6 ? 0 : next() * 3));
        pl.setWeights([alpha]);
        using xt = tensor(randomArray(n * h * w * cin, next), [n, h, w, cin]);
        using pre = plain.predict(xt) as import('../../src/entry/node.js').Tensor;
        using y = withPrelu.predict(xt) as import('../../src/entry/node.js').Tensor;
        const p = pre.data();
        const period = alphaLen;
        const want = Float32Array.from(p, (v, i) => def(v, alpha[i % period]!, 0, Infinity));
        const got = y.data();
        const d = firstDiff(got, want);
        expect(d, d < 0 ? '' : `element ${d} (channel ${d % c}): got ${got[d]}, want ${want[d]}`).toBe(-1);
        expect(p.some((v) => v < 0)).toBe(true);
        const tfOut = tf.tidy(() => tf.prelu(tf.tensor(p, [n, h, w, c]), tf.tensor(alpha, shared ? [c] : [h, w, c])).dataSync() as Float32Array);
        expect(firstDiff(got, tfOut)).toBe(-1);
        for (const m of [withPrelu, plain] as Model[]) m.dispose();
      });
    }
  }

  it('LeakyReLU and general ReLU on a model input with NaN, +-0, +-Inf and subnormals', () => {
    const special = [NaN, 0, -0, Infinity, -Infinity, 1e-40, -1e-40, 3e38, -3e38, 6, 0.25, -0.3, 0.1, -0.1, 1.5];
    const next = rng(7);
    const c = 5;
    const x = Float32Array.from({ length: 3 * 4 * c * 2 }, (_, i) => (i % 3 === 0 ? special[(i / 3) % special.length]! : next() * 4));
    const cases: { layer: () => import('../../src/layers/layer.js').Layer; slope: number; threshold: number; maxValue: number }[] = [
      { layer: () => layers.leakyReLU({ alpha: 0.3 }), slope: 0.3, threshold: 0, maxValue: Infinity },
      { layer: () => layers.reLU({ negativeSlope: 0.2, maxValue: 0.1 }), slope: 0.2, threshold: 0, maxValue: 0.1 },
      { layer: () => layers.reLU({ negativeSlope: -1.5, threshold: 0.1, maxValue: 6 }), slope: -1.5, threshold: 0.1, maxValue: 6 },
      { layer: () => layers.reLU({ negativeSlope: 0.7, threshold: -0.3 }), slope: 0.7, threshold: -0.3, maxValue: Infinity },
    ];
    for (const k of cases) {
      const inp = input({ shape: [3, 4, c] });
      const m = model({ inputs: inp, outputs: k.layer().apply(inp) as SymbolicTensor });
      using xt = tensor(x, [2, 3, 4, c]);
      using y = m.predict(xt) as import('../../src/entry/node.js').Tensor;
      // The layers keep their slope as a float32 (Float32Array.of(alpha)); threshold and maxValue as given.
      const want = Float32Array.from(x, (v) => def(v, Math.fround(k.slope), k.threshold, k.maxValue));
      const got = y.data();
      const d = firstDiff(got, want);
      expect(d, d < 0 ? '' : `${JSON.stringify(k)}: element ${d} (x ${x[d]}): got ${got[d]}, want ${want[d]}`).toBe(-1);
      m.dispose();
    }
  });
});
