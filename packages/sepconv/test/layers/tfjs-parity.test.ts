// Every layer type against @tensorflow/tfjs-layers on the CPU backend, with the same seeded random
// weights, over several shapes. Tolerance: max |got - ref| <= 1e-4 * (1 + |ref|) per element.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { input, layers, model, sequential, tensor, type Layer, type Model, type Tensor } from '../../src/entry/node.js';
import { initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
  await tf.setBackend('cpu');
});

type TfModel = tfl.LayersModel;

export function randomWeightsFor(m: Model, seed: number): Map<string, Float32Array> {
  const next = rng(seed);
  const map = new Map<string, Float32Array>();
  for (const s of m.weightSpecs()) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const v = randomArray(n, next);
    if (s.name.endsWith('variance')) for (let i = 0; i < n; i++) v[i] = Math.abs(v[i]!) * 0.9 + 0.1;
    map.set(s.name, v);
  }
  return map;
}

/**
 * Sets the same arrays into the TF.js model: by layer name where the TF.js layers carry our names, else in
 * layer order (TF.js lists a model's weights trainable-first, so go layer by layer). Shapes must agree.
 */
function copyWeights(weights: Map<string, Float32Array>, tfm: TfModel, transform?: (arrays: Float32Array[]) => Float32Array[]): void {
  const withWeights = tfm.layers.filter((l) => l.weights.length > 0);
  const ourLayers = new Set([...weights.keys()].map((k) => k.split('/')[0]!));
  const byName = !transform && withWeights.every((l) => ourLayers.has(l.name));
  let arrays = [...weights.values()];
  if (transform) arrays = transform(arrays);
  const total = withWeights.reduce((a, l) => a + l.weights.length, 0);
  expect(arrays.length, `weight count vs TF.js`).toBe(total);
  let next = 0;
  for (const l of withWeights) {
    const mine = byName ? [...weights.entries()].filter(([k]) => k.startsWith(`${l.name}/`)).map(([, v]) => v) : arrays.slice(next, next + l.weights.length);
    next += l.weights.length;
    l.setWeights(
      l.weights.map((w, i) => {
        expect(mine[i]!.length, `weight ${w.name} size`).toBe(w.shape.reduce((x, y) => x! * y!, 1));
        return tf.tensor(mine[i]!, w.shape as number[]);
      }),
    );
  }
}

function maxRelErr(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  return worst;
}

export const TOL = 1e-4;

/** Runs both models on the same random input (batch 2) and compares. */
function compare(m: Model, tfm: TfModel, inShape: number[], seed: number, transform?: (arrays: Float32Array[]) => Float32Array[]): number {
  const w = randomWeightsFor(m, seed);
  m.setWeights(w);
  copyWeights(w, tfm, transform);
  const n = 2;
  const xData = randomArray(n * inShape.reduce((a, b) => a * b, 1), rng(seed + 1));
  using x = tensor(xData, [n, ...inShape]);
  const y = m.predict(x) as Tensor;
  const ref = tf.tidy(() => (tfm.predict(tf.tensor(xData, [n, ...inShape])) as tf.Tensor).dataSync() as Float32Array);
  const tfShape = (tfm.outputs[0]!.shape as (number | null)[]).slice(1);
  expect(y.shape.slice(1)).toEqual(tfShape);
  const err = maxRelErr(y.data(), ref);
  expect(err).toBeLessThanOrEqual(TOL);
  m.dispose();
  tfm.dispose();
  return err;
}

function seqBoth(inShape: number[], ours: Layer[], theirs: tfl.layers.Layer[]): [Model, TfModel] {
  const m = sequential(ours, { inputShape: inShape });
  const t = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: inShape }), ...theirs] });
  return [m, t];
}

const SHAPES: [number, number, number][] = [
  [7, 9, 3],
  [8, 8, 8],
  [5, 6, 17],
];

describe(`layers vs TF.js (cpu backend), ${TEST_BUILD} build`, () => {
  it('Conv2D: kernel sizes, strides, paddings, dilations, bias, activation', () => {
    let seed = 1;
    for (const s of SHAPES)
      for (const [k, stride, padding, dil, act] of [
        [3, 1, 'same', 1, 'relu'],
        [3, 2, 'same', 1, 'linear'],
        [3, 1, 'valid', 2, 'relu6'],
        [1, 1, 'valid', 1, 'linear'],
        [5, 2, 'valid', 1, 'sigmoid'],
        [2, 1, 'same', 1, 'softmax'],
      ] as const) {
        if (padding === 'valid' && (s[0] < k + (dil - 1) * (k - 1) || s[1] < k + (dil - 1) * (k - 1))) continue;
        const o = { filters: 6, kernelSize: k, strides: stride, padding, dilationRate: dil, useBias: seed % 2 === 0, activation: act } as const;
        compare(...seqBoth(s, [layers.conv2d(o)], [tfl.layers.conv2d(o)]), s, seed++);
      }
  });

  it('DepthwiseConv2D with depth multipliers, and PointwiseConv2D', () => {
    let seed = 100;
    for (const s of SHAPES)
      for (const [k, m, stride, padding, dil] of [
        [3, 1, 1, 'same', 1],
        [3, 2, 2, 'same', 1],
        [5, 1, 1, 'same', 1],
        [3, 3, 1, 'valid', 1], // (tfjs-layers' DepthwiseConv2D ignores dilationRate; the op test covers dilation)
      ] as const) {
        const o = { kernelSize: k, depthMultiplier: m, strides: stride, padding, dilationRate: dil, useBias: true, activation: 'relu6' } as const;
        compare(...seqBoth(s, [layers.depthwiseConv2d(o)], [tfl.layers.depthwiseConv2d(o)]), s, seed++);
      }
    for (const s of SHAPES) {
      compare(...seqBoth(s, [layers.pointwiseConv2d({ filters: 9, activation: 'relu' })], [tfl.layers.conv2d({ filters: 9, kernelSize: 1, activation: 'relu' })]), s, seed++);
    }
  });

  it('SeparableConv2D (Keras semantics)', () => {
    let seed = 200;
    for (const s of SHAPES)
      for (const [k, m, stride, padding] of [
        [3, 1, 1, 'same'],
        [3, 2, 2, 'same'],
        [5, 1, 1, 'valid'],
      ] as const) {
        const o = { filters: 7, kernelSize: k, depthMultiplier: m, strides: stride, padding, activation: 'relu' } as const;
        compare(...seqBoth(s, [layers.separableConv2d(o)], [tfl.layers.separableConv2d(o)]), s, seed++);
      }
  });

  it('SpatiallySeparableConv2D equals the KxK conv of its rank-1 kernel', () => {
    let seed = 300;
    for (const s of SHAPES)
      for (const [k, stride, padding] of [
        [3, 1, 'same'],
        [3, 2, 'same'],
        [5, 1, 'valid'],
      ] as const) {
        const c = s[2];
        // Per-channel form vs a depthwise KxK with kernel v[ky] * h[kx].
        const [m, t] = seqBoth(s, [layers.spatiallySeparableConv2d({ kernelSize: k, strides: stride, padding })], [tfl.layers.depthwiseConv2d({ kernelSize: k, strides: stride, padding })]);
        compare(m, t, s, seed++, ([v, h, b]) => {
          const full = new Float32Array(k * k * c);
          for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let ch = 0; ch < c; ch++) full[(ky * k + kx) * c + ch] = v![ky * c + ch]! * h![kx * c + ch]!;
          return [full, b!];
        });
        // Across-channel (Inception) form vs Kx1 conv then 1xK conv.
        const [m2, t2] = seqBoth(
          s,
          [layers.spatiallySeparableConv2d({ kernelSize: k, filters: 5, strides: stride, padding })],
          [tfl.layers.conv2d({ filters: 5, kernelSize: [k, 1], strides: [stride, 1], padding, useBias: false }), tfl.layers.conv2d({ filters: 5, kernelSize: [1, k], strides: [1, stride], padding })],
        );
        compare(m2, t2, s, seed++);
      }
  });

  it("DepthwiseSeparableConv (the seed's PyTorch block) vs dw -> BN -> ReLU6 -> pw -> BN -> ReLU6", () => {
    let seed = 400;
    for (const s of SHAPES)
      for (const stride of [1, 2]) {
        const theirs = [
          tfl.layers.zeroPadding2d({ padding: 1 }),
          tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'valid', useBias: false }),
          tfl.layers.batchNormalization({ epsilon: 1e-5 }),
          tfl.layers.reLU({ maxValue: 6 }),
          tfl.layers.conv2d({ filters: 10, kernelSize: 1, useBias: false }),
          tfl.layers.batchNormalization({ epsilon: 1e-5 }),
          tfl.layers.reLU({ maxValue: 6 }),
        ];
        const [m, t] = seqBoth(s, [layers.depthwiseSeparableConv({ filters: 10, strides: stride })], theirs);
        expect(m.describePlan().map((p) => `${p.kind}:${p.activation}`)).toEqual(['depthwise:relu6', 'pointwise:relu6']);
        compare(m, t, s, seed++);
      }
  });

  it('BatchNormalization folded into convs, and standalone (with center/scale off)', () => {
    let seed = 500;
    for (const s of SHAPES) {
      const [m, t] = seqBoth(
        s,
        [layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: true }), layers.batchNormalization({ epsilon: 1e-3 }), layers.activation({ activation: 'relu' })],
        [tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: true }), tfl.layers.batchNormalization({ epsilon: 1e-3 }), tfl.layers.activation({ activation: 'relu' })],
      );
      expect(m.describePlan().map((p) => p.kind)).toEqual(['conv']);
      compare(m, t, s, seed++);
      compare(...seqBoth(s, [layers.batchNormalization({ center: false })], [tfl.layers.batchNormalization({ center: false })]), s, seed++);
      compare(...seqBoth(s, [layers.batchNormalization({ scale: false }), layers.reLU()], [tfl.layers.batchNormalization({ scale: false }), tfl.layers.reLU()]), s, seed++);
      // Dense -> BN folds too.
      compare(
        ...seqBoth(s, [layers.flatten(), layers.dense({ units: 5, useBias: false }), layers.batchNormalization()], [tfl.layers.flatten(), tfl.layers.dense({ units: 5, useBias: false }), tfl.layers.batchNormalization()]),
        s,
        seed++,
      );
    }
  });

  it('Activation and ReLU', () => {
    let seed = 600;
    for (const s of SHAPES) {
      for (const a of ['relu', 'relu6', 'sigmoid', 'swish', 'softmax', 'linear'] as const) {
        compare(...seqBoth(s, [layers.activation({ activation: a })], [tfl.layers.activation({ activation: a })]), s, seed++);
      }
      compare(...seqBoth(s, [layers.reLU({ maxValue: 6 })], [tfl.layers.reLU({ maxValue: 6 })]), s, seed++);
      compare(...seqBoth(s, [layers.reLU()], [tfl.layers.reLU()]), s, seed++);
    }
  });

  it('SqueezeExcite vs GAP -> 1x1 conv relu -> 1x1 conv sigmoid -> multiply', () => {
    let seed = 700;
    for (const s of SHAPES) {
      const c = s[2];
      const r = Math.max(1, Math.floor(c * 0.25));
      const inp = tfl.input({ shape: s });
      let g = tfl.layers.globalAveragePooling2d({}).apply(inp) as tfl.SymbolicTensor;
      g = tfl.layers.reshape({ targetShape: [1, 1, c] }).apply(g) as tfl.SymbolicTensor;
      g = tfl.layers.conv2d({ filters: r, kernelSize: 1, activation: 'relu' }).apply(g) as tfl.SymbolicTensor;
      g = tfl.layers.conv2d({ filters: c, kernelSize: 1, activation: 'sigmoid' }).apply(g) as tfl.SymbolicTensor;
      const out = tfl.layers.multiply().apply([inp, g]) as tfl.SymbolicTensor;
      const t = tfl.model({ inputs: inp, outputs: out });
      const m = sequential([layers.squeezeExcite({ ratio: 0.25 })], { inputShape: s });
      compare(m, t, s, seed++);
    }
  });

  it('pooling: GlobalAveragePooling2D, AveragePooling2D, MaxPooling2D', () => {
    let seed = 800;
    for (const s of SHAPES) {
      compare(...seqBoth(s, [layers.globalAveragePooling2d()], [tfl.layers.globalAveragePooling2d({})]), s, seed++);
      for (const [p, st, pad] of [
        [2, 2, 'valid'],
        [3, 2, 'same'],
        [3, 1, 'same'],
      ] as const) {
        const o = { poolSize: p, strides: st, padding: pad } as const;
        compare(...seqBoth(s, [layers.averagePooling2d(o)], [tfl.layers.averagePooling2d(o)]), s, seed++);
        compare(...seqBoth(s, [layers.maxPooling2d(o)], [tfl.layers.maxPooling2d(o)]), s, seed++);
      }
    }
  });

  it('Dense, Flatten, Reshape, Dropout, ZeroPadding2D, Rescaling', () => {
    let seed = 900;
    for (const s of SHAPES) {
      compare(
        ...seqBoth(s, [layers.dropout({ rate: 0.3 }), layers.flatten(), layers.dense({ units: 6, activation: 'relu' }), layers.dense({ units: 4, activation: 'softmax' })], [
          tfl.layers.dropout({ rate: 0.3 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 6, activation: 'relu' }),
          tfl.layers.dense({ units: 4, activation: 'softmax' }),
        ]),
        s,
        seed++,
      );
      compare(...seqBoth(s, [layers.dense({ units: 3 })], [tfl.layers.dense({ units: 3 })]), s, seed++);
      compare(...seqBoth(s, [layers.reshape({ targetShape: [-1, s[2]] }), layers.dense({ units: 3 })], [tfl.layers.reshape({ targetShape: [s[0] * s[1], s[2]] }), tfl.layers.dense({ units: 3 })]), s, seed++);
      compare(...seqBoth(s, [layers.zeroPadding2d({ padding: [[1, 2], [0, 3]] })], [tfl.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]] })]), s, seed++);
      compare(...seqBoth(s, [layers.zeroPadding2d({ padding: 2 }), layers.conv2d({ filters: 3, kernelSize: 3 })], [tfl.layers.zeroPadding2d({ padding: 2 }), tfl.layers.conv2d({ filters: 3, kernelSize: 3 })]), s, seed++);
      compare(...seqBoth(s, [layers.rescaling({ scale: 1 / 127.5, offset: -1 })], [tfl.layers.rescaling({ scale: 1 / 127.5, offset: -1 })]), s, seed++);
      // consecutive per-channel maps compose into one (exec.ts fuse), then the swish pass
      compare(
        ...seqBoth(
          s,
          [layers.rescaling({ scale: 0.5, offset: 0.25 }), layers.rescaling({ scale: 3, offset: -1 }), layers.batchNormalization(), layers.activation({ activation: 'swish' })],
          [tfl.layers.rescaling({ scale: 0.5, offset: 0.25 }), tfl.layers.rescaling({ scale: 3, offset: -1 }), tfl.layers.batchNormalization(), tfl.layers.activation({ activation: 'swish' })],
        ),
        s,
        seed++,
      );
    }
  });

  it('Add and Multiply over branches (functional)', () => {
    let seed = 1000;
    for (const s of SHAPES) {
      for (const kind of ['add', 'multiply'] as const) {
        const inp = input({ shape: s });
        const a = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: `a${seed}` }).apply(inp);
        const b = layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: `b${seed}` }).apply(layers.conv2d({ filters: 4, kernelSize: 1, name: `c${seed}` }).apply(inp));
        const m = model({ inputs: inp, outputs: layers[kind]().apply([a, b]) });
        const ti = tfl.input({ shape: s });
        const ta = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: `a${seed}` }).apply(ti) as tfl.SymbolicTensor;
        const tb = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: `b${seed}` }).apply(tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: `c${seed}` }).apply(ti)) as tfl.SymbolicTensor;
        const t = tfl.model({ inputs: ti, outputs: tfl.layers[kind]().apply([ta, tb]) as tfl.SymbolicTensor });
        compare(m, t, s, seed++);
      }
    }
  });

  it('ResNet-style add -> ReLU fuses into the add (and matches TF.js)', () => {
    let seed = 1100;
    for (const s of SHAPES) {
      const inp = input({ shape: s });
      const a = layers.conv2d({ filters: s[2], kernelSize: 3, padding: 'same', name: `ra${seed}` }).apply(inp);
      const m = model({ inputs: inp, outputs: layers.reLU().apply(layers.add().apply([a, inp])) });
      expect(m.describePlan().map((p) => `${p.kind}:${p.activation}`)).toEqual(['conv:linear', 'add:relu']);
      const ti = tfl.input({ shape: s });
      const ta = tfl.layers.conv2d({ filters: s[2], kernelSize: 3, padding: 'same', name: `ra${seed}` }).apply(ti) as tfl.SymbolicTensor;
      const t = tfl.model({ inputs: ti, outputs: tfl.layers.reLU().apply(tfl.layers.add().apply([ta, ti])) as tfl.SymbolicTensor });
      compare(m, t, s, seed++);
    }
  });

  it('hard_swish and Normalization match their formulas', () => {
    const s = [4, 5, 3];
    const xData = randomArray(2 * 60, rng(5)).map((v) => v * 6);
    using x = tensor(xData, [2, ...s]);
    const m = sequential([layers.activation({ activation: 'hard_swish' })], { inputShape: s });
    const y = (m.predict(x) as Tensor).data();
    for (let i = 0; i < y.length; i++) {
      const v = xData[i]!;
      expect(Math.abs(y[i]! - (v * Math.min(Math.max(v + 3, 0), 6)) / 6)).toBeLessThanOrEqual(TOL);
    }
    const mean = [0.5, -1, 2];
    const variance = [4, 0.25, 1];
    const n = sequential([layers.normalization({ mean, variance })], { inputShape: s });
    const z = (n.predict(x) as Tensor).data();
    for (let i = 0; i < z.length; i++) {
      const c = i % 3;
      expect(Math.abs(z[i]! - (xData[i]! - mean[c]!) / Math.sqrt(variance[c]!))).toBeLessThanOrEqual(TOL);
    }
    expect(n.countParams()).toBe(3 + 3 + 1);
    m.dispose();
    n.dispose();
  });
});
