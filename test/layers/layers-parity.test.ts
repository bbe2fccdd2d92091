// Through the built package ('sepconv', dist/): a MobileNetV2/EfficientNet-style network made of the
// public layers (inverted residuals with ZeroPadding + strided depthwise, squeeze-excite, residual add,
// head) against the same network in @tensorflow/tfjs-layers (CPU backend), same seeded weights.
// Tolerance: max |ours - tfjs| <= 1e-4 * (1 + |tfjs|).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';
import { seededWeights, setBoth } from './same-weights.js';

beforeAll(async () => {
  await sc.init();
  await tf.setBackend('cpu');
});


type Api = {
  conv: (o: any) => any;
  dw: (o: any) => any;
  bn: (o: any) => any;
  relu6: (o: any) => any;
  pad: (o: any) => any;
  add: (o: any) => any;
  gap: (o: any) => any;
  dense: (o: any) => any;
  act: (o: any) => any;
  mul: (o: any) => any;
  reshape: (o: any) => any;
};

const ours: Api = {
  conv: (o) => sc.layers.conv2d(o),
  dw: (o) => sc.layers.depthwiseConv2d(o),
  bn: (o) => sc.layers.batchNormalization(o),
  relu6: (o) => sc.layers.reLU({ maxValue: 6, ...o }),
  pad: (o) => sc.layers.zeroPadding2d(o),
  add: (o) => sc.layers.add(o),
  gap: (o) => sc.layers.globalAveragePooling2d(o),
  dense: (o) => sc.layers.dense(o),
  act: (o) => sc.layers.activation(o),
  mul: (o) => sc.layers.multiply(o),
  reshape: (o) => sc.layers.reshape(o),
};

const theirs: Api = {
  conv: (o) => tfl.layers.conv2d(o),
  dw: (o) => tfl.layers.depthwiseConv2d(o),
  bn: (o) => tfl.layers.batchNormalization(o),
  relu6: (o) => tfl.layers.reLU({ maxValue: 6, ...o }),
  pad: (o) => tfl.layers.zeroPadding2d(o),
  add: (o) => tfl.layers.add(o),
  gap: (o) => tfl.layers.globalAveragePooling2d(o),
  dense: (o) => tfl.layers.dense(o),
  act: (o) => tfl.layers.activation(o),
  mul: (o) => tfl.layers.multiply(o),
  reshape: (o) => tfl.layers.reshape(o),
};

/** The same architecture code for both libraries (Keras Applications style). */
function build(L: Api, x: any): any {
  const block = (x: any, cin: number, expand: number, cout: number, stride: number, id: string): any => {
    let h = L.conv({ filters: cin * expand, kernelSize: 1, padding: 'same', useBias: false, name: `${id}_expand` }).apply(x);
    h = L.bn({ epsilon: 1e-3, name: `${id}_expand_BN` }).apply(h);
    h = L.relu6({ name: `${id}_expand_relu` }).apply(h);
    if (stride === 2) h = L.pad({ padding: [[0, 1], [0, 1]], name: `${id}_pad` }).apply(h);
    h = L.dw({ kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false, name: `${id}_depthwise` }).apply(h);
    h = L.bn({ epsilon: 1e-3, name: `${id}_depthwise_BN` }).apply(h);
    h = L.relu6({ name: `${id}_depthwise_relu` }).apply(h);
    // Squeeze-excite (EfficientNet's layer form).
    let s = L.gap({ name: `${id}_se_squeeze` }).apply(h);
    s = L.reshape({ targetShape: [1, 1, cin * expand], name: `${id}_se_reshape` }).apply(s);
    s = L.conv({ filters: Math.max(1, cin >> 1), kernelSize: 1, activation: 'relu', name: `${id}_se_reduce` }).apply(s);
    s = L.conv({ filters: cin * expand, kernelSize: 1, activation: 'sigmoid', name: `${id}_se_expand` }).apply(s);
    h = L.mul({ name: `${id}_se_excite` }).apply([h, s]);
    h = L.conv({ filters: cout, kernelSize: 1, padding: 'same', useBias: false, name: `${id}_project` }).apply(h);
    h = L.bn({ epsilon: 1e-3, name: `${id}_project_BN` }).apply(h);
    return stride === 1 && cin === cout ? L.add({ name: `${id}_add` }).apply([x, h]) : h;
  };
  let h = L.conv({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' }).apply(x);
  h = L.bn({ epsilon: 1e-3, name: 'bn_Conv1' }).apply(h);
  h = L.relu6({ name: 'Conv1_relu' }).apply(h);
  h = block(h, 8, 1, 8, 1, 'block_0');
  h = block(h, 8, 3, 12, 2, 'block_1');
  h = block(h, 12, 3, 12, 1, 'block_2');
  h = L.gap({ name: 'global_average_pooling2d' }).apply(h);
  h = L.dense({ units: 7, name: 'predictions' }).apply(h);
  return h;
}

describe('public layers through the built package vs tfjs-layers', () => {
  it('a small MobileNetV2/EfficientNet-style network gives the same logits', () => {
    const S = [24, 20, 3];
    const inp = sc.input({ shape: S, name: 'input_1' });
    const m = sc.model({ inputs: inp, outputs: build(ours, inp), name: 'tiny' });
    const ti = tfl.input({ shape: S, name: 'input_1' });
    const t = tfl.model({ inputs: ti, outputs: build(theirs, ti) });
    // Same seeded weights, layer by layer (Keras weight order in both).
    const map = seededWeights(m, 3);
    setBoth(m, t, map);
    expect(m.countParams()).toBe(t.countParams());

    const x = Float32Array.from({ length: 2 * S.reduce((a, b) => a * b, 1) }, rng(4));
    using xt = sc.tensor(x, [2, ...S]);
    const got = (m.predict(xt) as sc.Tensor).data();
    const want = tf.tidy(() => (t.predict(tf.tensor(x, [2, ...S])) as tf.Tensor).dataSync());
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(want[i]!)));

    // Every conv's BN and ReLU6 folded: the plan has no standalone affine/activation steps.
    const kinds = m.describePlan().map((p: { kind: string }) => p.kind);
    expect(kinds.filter((k: string) => k === 'affine' || k === 'activation')).toEqual([]);
    expect(kinds.filter((k: string) => k === 'pad')).toEqual([]); // folded into the strided depthwise
    const summary = m.summary();
    expect(summary.totalParams).toBe(t.countParams());
    expect(summary.rows.find((r: { name: string }) => r.name === 'block_1_project')!.separable).toBeUndefined();
    const stats = m.memoryStats();
    expect(stats.arenaBytes).toBeLessThan(stats.unsharedActivationBytes);
    m.dispose();
    t.dispose();
  });
});
