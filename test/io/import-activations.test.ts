// Keras layers beyond the MobileNet set, through TF.js's own saved model.json: LeakyReLU, PReLU (per
// channel and unshared), ReLU with an arbitrary max_value, and Concatenate, built and seeded in
// tfjs-layers, saved, loaded by sepconv's loadModel and compared on the same input; the Keras 3
// spelling of LeakyReLU (negative_slope) loads too. Tolerance: max |ours - tfjs| / (1 + |tfjs|) <= 1e-4.
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { initTfjsCpu, saveArtifacts, seedWeights, tf, tfl } from '../engines/tfjs-layers.js';
import { rng } from '../engines/rng.js';

const SHAPE = [2, 9, 11, 5];

beforeAll(async () => {
  await sc.init();
  await initTfjsCpu();
});

function build(): tfl.LayersModel {
  const x = tfl.input({ shape: SHAPE.slice(1) });
  const a = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'a' }).apply(x) as tfl.SymbolicTensor;
  const a1 = tfl.layers.leakyReLU({ alpha: 0.1, name: 'leaky' }).apply(a) as tfl.SymbolicTensor;
  const b = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'b' }).apply(x) as tfl.SymbolicTensor;
  const b1 = tfl.layers.prelu({ sharedAxes: [1, 2], name: 'prelu_c' }).apply(b) as tfl.SymbolicTensor;
  const capped = tfl.layers.reLU({ maxValue: 0.75, name: 'relu_cap' }).apply(x) as tfl.SymbolicTensor;
  const cat = tfl.layers.concatenate({ name: 'cat' }).apply([a1, capped, b1]) as tfl.SymbolicTensor;
  const c = tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'c' }).apply(cat) as tfl.SymbolicTensor;
  const y = tfl.layers.prelu({ name: 'prelu_full' }).apply(c) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y });
}

function worstError(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  return worst;
}

describe('LeakyReLU, PReLU, ReLU(max_value), Concatenate from a TF.js layers model', () => {
  it('load and predict as TF.js does', async () => {
    const tm = build();
    seedWeights(tm, 11);
    const art = await saveArtifacts(tm);
    const next = rng(12);
    const x = Float32Array.from({ length: SHAPE.reduce((p, q) => p * q, 1) }, () => next() * 2);
    const want = tf.tidy(() => (tm.predict(tf.tensor(x, SHAPE)) as tf.Tensor).dataSync().slice() as Float32Array);
    for (const keras3 of [false, true]) {
      // Keras 3 writes LeakyReLU's slope as negative_slope.
      const topology = JSON.parse(JSON.stringify(art.modelTopology).replace(/"alpha":0\.1\b/, keras3 ? '"negative_slope":0.1' : '"alpha":0.1'));
      const modelJson = { format: 'layers-model', modelTopology: topology, weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }] };
      const ours = await sc.loadModel({ modelJson, weights: { 'w.bin': new Uint8Array(art.weightData) } });
      using xt = sc.tensor(x, SHAPE);
      using y = ours.predict(xt) as sc.Tensor;
      expect(y.shape).toEqual([2, 9, 11, 4]);
      expect(worstError(y.data(), want), `${keras3 ? 'keras 3' : 'tfjs'} spelling`).toBeLessThanOrEqual(1e-4);
      ours.dispose();
    }
    // The output PReLU has negative values (its alphas matter); the input has values the cap clips.
    expect(want.some((v) => v < 0)).toBe(true);
    expect(x.some((v) => v > 0.75)).toBe(true);
    tm.dispose();
  });
});
