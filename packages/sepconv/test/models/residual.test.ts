// A small residual network (the seed's XceptionBlock: shortcut 1x1 conv + two depthwise-separable blocks,
// added) built three ways: with the DepthwiseSeparableConv block, with primitive Keras layers, and in TF.js.
// All give the same output (max |err| <= 1e-4 * (1 + |ref|)).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { input, layers, model, tensor, type Model, type SymbolicTensor, type Tensor } from '../../src/entry/node.js';
import { initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
  await tf.setBackend('cpu');
});

const CIN = 6;
const COUT = 10;
const S = [9, 11, CIN];

function composite(): Model {
  const inp = input({ shape: S });
  const shortcut = layers.conv2d({ filters: COUT, kernelSize: 1, name: 'shortcut' }).apply(inp);
  let x = layers.depthwiseSeparableConv({ filters: COUT, name: 'block1' }).apply(inp);
  x = layers.depthwiseSeparableConv({ filters: COUT, name: 'block2' }).apply(x);
  return model({ inputs: inp, outputs: layers.add({ name: 'add' }).apply([x, shortcut]) });
}

function primitive(): Model {
  const inp = input({ shape: S });
  const shortcut = layers.conv2d({ filters: COUT, kernelSize: 1, name: 'shortcut' }).apply(inp);
  const block = (x: SymbolicTensor, name: string): SymbolicTensor => {
    x = layers.zeroPadding2d({ padding: 1, name: `${name}_pad` }).apply(x);
    x = layers.depthwiseConv2d({ kernelSize: 3, useBias: false, name: `${name}_dw` }).apply(x);
    x = layers.batchNormalization({ epsilon: 1e-5, name: `${name}_bn1` }).apply(x);
    x = layers.reLU({ maxValue: 6, name: `${name}_relu1` }).apply(x);
    x = layers.conv2d({ filters: COUT, kernelSize: 1, useBias: false, name: `${name}_pw` }).apply(x);
    x = layers.batchNormalization({ epsilon: 1e-5, name: `${name}_bn2` }).apply(x);
    return layers.reLU({ maxValue: 6, name: `${name}_relu2` }).apply(x);
  };
  const x = block(block(inp, 'block1'), 'block2');
  return model({ inputs: inp, outputs: layers.add({ name: 'add' }).apply([x, shortcut]) });
}

function tfjs(): tfl.LayersModel {
  const inp = tfl.input({ shape: S });
  const shortcut = tfl.layers.conv2d({ filters: COUT, kernelSize: 1, name: 'shortcut' }).apply(inp) as tfl.SymbolicTensor;
  const block = (x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor => {
    x = tfl.layers.zeroPadding2d({ padding: 1 }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.depthwiseConv2d({ kernelSize: 3, useBias: false, name: `${name}_dw` }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.batchNormalization({ epsilon: 1e-5, name: `${name}_bn1` }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.reLU({ maxValue: 6 }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.conv2d({ filters: COUT, kernelSize: 1, useBias: false, name: `${name}_pw` }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.batchNormalization({ epsilon: 1e-5, name: `${name}_bn2` }).apply(x) as tfl.SymbolicTensor;
    return tfl.layers.reLU({ maxValue: 6 }).apply(x) as tfl.SymbolicTensor;
  };
  const x = block(block(inp, 'block1'), 'block2');
  return tfl.model({ inputs: inp, outputs: tfl.layers.add().apply([x, shortcut]) as tfl.SymbolicTensor });
}

/** Weights by primitive name; the composite's names map onto them. */
function weights(): Map<string, Float32Array> {
  const next = rng(7);
  const m = new Map<string, Float32Array>();
  const put = (name: string, n: number, positive = false) => m.set(name, randomArray(n, next).map((v) => (positive ? Math.abs(v) + 0.2 : v)));
  put('shortcut/kernel', CIN * COUT);
  put('shortcut/bias', COUT);
  for (const [b, c] of [
    ['block1', CIN],
    ['block2', COUT],
  ] as const) {
    put(`${b}_dw/depthwise_kernel`, 9 * c);
    for (const [bn, n] of [
      ['bn1', c],
      ['bn2', COUT],
    ] as const) {
      put(`${b}_${bn}/gamma`, n);
      put(`${b}_${bn}/beta`, n);
      put(`${b}_${bn}/moving_mean`, n);
      put(`${b}_${bn}/moving_variance`, n, true);
      if (bn === 'bn1') put(`${b}_pw/kernel`, c * COUT);
    }
  }
  return m;
}

describe(`a residual network built three ways (${TEST_BUILD})`, () => {
  it('composite block == primitive layers == TF.js', () => {
    const w = weights();
    const prim = primitive();
    prim.setWeights(w);
    const comp = composite();
    const compW = new Map<string, Float32Array>();
    for (const [k, v] of w) {
      const m = /^(block\d)_(dw|pw|bn1|bn2)\/(.*)$/.exec(k);
      if (!m) compW.set(k, v);
      else if (m[2] === 'dw') compW.set(`${m[1]}/depthwise_kernel`, v);
      else if (m[2] === 'pw') compW.set(`${m[1]}/pointwise_kernel`, v);
      else compW.set(`${m[1]}/${m[2]}/${m[3]}`, v);
    }
    comp.setWeights(compW);
    expect(comp.countParams()).toBe(prim.countParams());
    const t = tfjs();
    for (const l of t.layers) {
      if (!l.weights.length) continue;
      l.setWeights(l.weights.map((lw) => tf.tensor(w.get(`${l.name}/${lw.name.split('/').pop()}`)!, lw.shape as number[])));
    }
    const xData = randomArray(2 * S.reduce((a, b) => a * b, 1), rng(8));
    using x = tensor(xData, [2, ...S]);
    const a = (comp.predict(x) as Tensor).data();
    const b = (prim.predict(x) as Tensor).data();
    const ref = tf.tidy(() => (t.predict(tf.tensor(xData, [2, ...S])) as tf.Tensor).dataSync());
    for (let i = 0; i < ref.length; i++) {
      const tol = 1e-4 * (1 + Math.abs(ref[i]!));
      expect(Math.abs(a[i]! - ref[i]!)).toBeLessThanOrEqual(tol);
      expect(Math.abs(b[i]! - ref[i]!)).toBeLessThanOrEqual(tol);
    }
    // Both fuse to the same 6 steps: (dw, pw) x 2, the shortcut, the add.
    expect(comp.describePlan().map((s) => s.kind)).toEqual(prim.describePlan().map((s) => s.kind));
    expect(prim.describePlan().map((s) => s.kind)).toEqual(['depthwise', 'pointwise', 'depthwise', 'pointwise', 'pointwise', 'add']);
    comp.dispose();
    prim.dispose();
    t.dispose();
  });
});
