// Through the built package ('sepconv', dist/): a 5x1 depthwise followed by a 1x5 depthwise (and 1x5 then 5x1)
// is planned as one spatially separable step whatever built the model — the public layers API, or a TF.js graph
// model (DepthwiseConv2dNative -> [FusedBatchNormV3] -> FusedDepthwiseConv2dNative with BiasAdd + Relu, the ops
// tensorflowjs_converter writes) loaded with loadGraphModel — and gives TF.js CPU's outputs (tfjs-layers for the
// layers model, tfjs-converter running the same graph model). Pairs that must not fuse stay two depthwise steps.
// Tolerance: max |ours - tfjs| <= 2e-5 * (1 + |tfjs|).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';

beforeAll(async () => {
  await sc.init();
  await tf.setBackend('cpu');
});

const [H, W, C, K] = [12, 13, 8, 5];

function random(n: number, next: () => number, positive = false): Float32Array {
  return Float32Array.from({ length: n }, () => (positive ? Math.abs(next()) + 0.3 : next()));
}

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  expect(worst).toBeLessThanOrEqual(2e-5);
}

describe('layers models: DepthwiseConv2D 5x1 -> 1x5 through the public API vs tfjs-layers (CPU)', () => {
  const cases = [
    { order: 'vh', padding: 'same', strides: 1, bias1: false, bn: false, relu: false, m2: 1, fused: true },
    { order: 'vh', padding: 'same', strides: 2, bias1: false, bn: false, relu: false, m2: 1, fused: true },
    { order: 'vh', padding: 'valid', strides: 2, bias1: true, bn: true, relu: false, m2: 1, fused: true },
    { order: 'hv', padding: 'same', strides: 1, bias1: false, bn: false, relu: false, m2: 1, fused: true },
    { order: 'vh', padding: 'valid', strides: 1, bias1: true, bn: false, relu: true, m2: 1, fused: false },
    { order: 'vh', padding: 'same', strides: 1, bias1: true, bn: false, relu: false, m2: 1, fused: true },
    { order: 'hv', padding: 'same', strides: 2, bias1: true, bn: true, relu: false, m2: 1, fused: true },
    { order: 'vh', padding: 'valid', strides: 1, bias1: false, bn: false, relu: false, m2: 2, fused: false },
  ] as const;
  for (const c of cases) {
    const name = `${c.order === 'vh' ? '5x1 -> 1x5' : '1x5 -> 5x1'} ${c.padding}, stride ${c.strides}${c.bias1 ? ', bias on the first' : ''}${c.bn ? ', BN between' : ''}${c.relu ? ', relu between' : ''}${c.m2 > 1 ? `, multiplier ${c.m2}` : ''}: ${c.fused ? 'one spatial step' : 'two depthwise steps'}`;
    it(name, () => {
      const [k1, k2] = c.order === 'vh' ? [[K, 1], [1, K]] : [[1, K], [K, 1]];
      const build = (L: any, inputFn: any, modelFn: any) => {
        const inp = inputFn({ shape: [H, W, C] });
        let x = L.depthwiseConv2d({ kernelSize: k1, padding: c.padding, useBias: c.bias1, name: 'dw1' }).apply(inp);
        if (c.bn) x = L.batchNormalization({ name: 'bn1' }).apply(x);
        if (c.relu) x = L.activation({ activation: 'relu', name: 'relu1' }).apply(x);
        x = L.depthwiseConv2d({ kernelSize: k2, padding: c.padding, strides: c.strides, depthMultiplier: c.m2, name: 'dw2' }).apply(x);
        x = L.activation({ activation: 'relu', name: 'relu2' }).apply(x);
        return modelFn({ inputs: inp, outputs: x });
      };
      const t: tfl.LayersModel = build(tfl.layers, tfl.input, tfl.model);
      const ours: sc.Model = build(sc.layers, sc.input, sc.model);
      const next = rng(11 + cases.indexOf(c));
      const w = new Map<string, Float32Array>();
      for (const l of t.layers) {
        if (!l.weights.length) continue;
        const vals = l.weights.map((lw) => {
          const leaf = lw.name.split('/').pop()!.replace(/_\d+$/, '');
          const v = random(lw.shape.reduce((a: number, b) => a * (b ?? 1), 1), next, leaf === 'moving_variance');
          w.set(`${l.name}/${leaf}`, v);
          return tf.tensor(v, lw.shape as number[]);
        });
        l.setWeights(vals);
      }
      ours.setWeights(w);
      const kinds = ours.describePlan().map((s) => s.kind);
      expect(kinds.includes('spatial')).toBe(c.fused);
      expect(kinds.filter((k) => k === 'depthwise')).toHaveLength(c.fused ? 0 : 2);
      const xData = random(2 * H * W * C, next);
      using x = sc.tensor(xData, [2, H, W, C]);
      const got = (ours.predict(x) as sc.Tensor).data();
      const want = tf.tidy(() => (t.predict(tf.tensor(xData, [2, H, W, C])) as tf.Tensor).dataSync());
      expectNear(got, want);
      if (c.fused) {
        const row = ours.profile(x, { runs: 1 }).rows.find((r) => r.name === 'dw1')!;
        expect(row.fused).toContain('dw2');
      }
      ours.dispose();
      t.dispose();
    });
  }
});

// A TF.js graph model written by hand in the converter's format (what tensorflowjs_converter makes of
// DepthwiseConv2D 5x1 -> [BatchNormalization] -> DepthwiseConv2D 1x5 + relu), run by tfjs-converter and by sepconv.
const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
const F = { type: 'DT_FLOAT' };

function graphModel(o: { padding: 'SAME' | 'VALID'; strides: number; bn: boolean; reluBetween: boolean }, seed: number) {
  const next = rng(seed);
  const consts: [string, number[], Float32Array][] = [
    ['v/w', [K, 1, C, 1], random(K * C, next)],
    ['h/w', [1, K, C, 1], random(K * C, next)],
    ['h/b', [C], random(C, next)],
  ];
  if (o.bn) consts.push(['bn/scale', [C], random(C, next)], ['bn/offset', [C], random(C, next)], ['bn/mean', [C], random(C, next)], ['bn/variance', [C], random(C, next, true)]);
  const node = (name: string, op: string, input: string[], attr: Record<string, unknown>) => ({ name, op, input, attr });
  const conv = { T: F, data_format: { s: b64('NHWC') }, padding: { s: b64(o.padding) }, dilations: ints(1, 1, 1, 1) };
  const nodes: unknown[] = [
    node('x', 'Placeholder', [], { shape: { shape: { dim: [-1, H, W, C].map((d) => ({ size: String(d) })) } }, dtype: F }),
    ...consts.map(([name, shape]) => node(name, 'Const', [], { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } }, dtype: F })),
    node('v/depthwise', 'DepthwiseConv2dNative', ['x', 'v/w'], { ...conv, strides: ints(1, 1, 1, 1) }),
  ];
  let prev = 'v/depthwise';
  if (o.bn) {
    nodes.push(node('bn/FusedBatchNormV3', 'FusedBatchNormV3', [prev, 'bn/scale', 'bn/offset', 'bn/mean', 'bn/variance'], { T: F, U: F, epsilon: { f: 0.001 }, data_format: { s: b64('NHWC') }, is_training: { b: false } }));
    prev = 'bn/FusedBatchNormV3';
  }
  if (o.reluBetween) {
    nodes.push(node('mid/Relu', 'Relu', [prev], { T: F }));
    prev = 'mid/Relu';
  }
  nodes.push(
    node('h/Relu', 'FusedDepthwiseConv2dNative', [prev, 'h/w', 'h/b'], { ...conv, strides: ints(1, o.strides, o.strides, 1), num_args: { i: '1' }, fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu')] } } }),
    node('Identity', 'Identity', ['h/Relu'], { T: F }),
  );
  const weightSpecs = consts.map(([name, shape]) => ({ name, shape, dtype: 'float32' as const }));
  const data = new Float32Array(consts.reduce((a, [, , v]) => a + v.length, 0));
  let off = 0;
  for (const [, , v] of consts) {
    data.set(v, off);
    off += v.length;
  }
  const modelTopology = { node: nodes, library: {}, versions: {} };
  return {
    modelJson: { format: 'graph-model', modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] },
    artifacts: { format: 'graph-model', modelTopology, weightSpecs, weightData: data.slice().buffer },
    weights: data.slice().buffer,
  };
}

describe('graph models: the converter\'s 5x1 -> 1x5 depthwise ops through loadGraphModel vs tfjs-converter (CPU)', () => {
  const cases = [
    { padding: 'SAME', strides: 1, bn: false, reluBetween: false, fused: true },
    { padding: 'SAME', strides: 2, bn: false, reluBetween: false, fused: true },
    { padding: 'VALID', strides: 1, bn: true, reluBetween: false, fused: true },
    { padding: 'VALID', strides: 2, bn: true, reluBetween: false, fused: true },
    { padding: 'SAME', strides: 1, bn: true, reluBetween: false, fused: true },
    { padding: 'SAME', strides: 2, bn: true, reluBetween: false, fused: true },
    { padding: 'VALID', strides: 1, bn: false, reluBetween: true, fused: false },
  ] as const;
  for (const c of cases) {
    it(`${c.padding}, stride ${c.strides}${c.bn ? ', FusedBatchNormV3 between' : ''}${c.reluBetween ? ', Relu between' : ''}: ${c.fused ? 'one spatial step' : 'two depthwise steps'}`, async () => {
      const g = graphModel(c, 40 + cases.indexOf(c));
      const ours = await sc.loadGraphModel({ modelJson: g.modelJson, weights: g.weights });
      const ref = await tfconv.loadGraphModel(tf.io.fromMemory(g.artifacts as any));
      const kinds = ours.describePlan().map((s) => s.kind);
      expect(kinds.includes('spatial')).toBe(c.fused);
      expect(kinds.filter((k) => k === 'depthwise')).toHaveLength(c.fused ? 0 : 2);
      const xData = random(2 * H * W * C, rng(7));
      using x = sc.tensor(xData, [2, H, W, C]);
      const got = (ours.predict(x) as sc.Tensor).data();
      const want = tf.tidy(() => (ref.predict(tf.tensor(xData, [2, H, W, C])) as tf.Tensor).dataSync());
      expectNear(got, want);
      ours.dispose();
      ref.dispose();
    });
  }
});
