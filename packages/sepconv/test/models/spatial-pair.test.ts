// A Kx1 depthwise followed by a 1xK depthwise (or 1xK then Kx1) runs as one spatially separable step
// (`fuse` in layers/exec.ts) when the composition is exactly that kernel: built through the public layers
// API and through the TF.js graph-model importer, compared with TF.js CPU and with the unfused execution
// (`fusionRules.spatialPairs = false`), and checked in the plan and the profile. Cases that must stay
// unfused (a relu between them, multipliers, a stride on the first, a shared or exported intermediate)
// are checked to stay two depthwise steps and still match.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { input, layers, model, tensor, type Model, type SymbolicTensor, type Tensor } from '../../src/entry/node.js';
import { modelFromGraph } from '../../src/io/build.js';
import { convertGraphModel, type GraphNode } from '../../src/io/graph-model.js';
import { fusionRules } from '../../src/layers/exec.js';
import { initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
  await tf.setBackend('cpu');
});
afterEach(() => {
  fusionRules.spatialPairs = true;
});

interface Case {
  name: string;
  /** 'vh': Kx1 then 1xK; 'hv': 1xK then Kx1. */
  order?: 'vh' | 'hv';
  padding: 'same' | 'valid';
  /** Strides of the second layer, and of the first. */
  strides?: number;
  strides1?: number;
  m1?: number;
  m2?: number;
  /** Bias on the first layer: none, zeros, or random. */
  bias1?: 'none' | 'zeros' | 'random';
  bnBetween?: boolean;
  reluBetween?: boolean;
  bnAfter?: boolean;
  /** The BN after folds into the spatial step (not when the step corrects its borders: it stays an affine step). */
  bnAfterFolded?: boolean;
  /** The intermediate is also a model output / also read by a second layer. */
  midOutput?: boolean;
  midShared?: boolean;
  channels?: number;
  fused: boolean;
}

const K = 5;
const H = 11;
const W = 14;

const CASES: Case[] = [
  { name: '5x1 -> 1x5 same, stride 1, bias + relu on the second', padding: 'same', fused: true },
  { name: '5x1 -> 1x5 same, stride 2 on the second', padding: 'same', strides: 2, fused: true },
  { name: '5x1 -> 1x5 valid, stride 1, random bias on the first (folded through the taps)', padding: 'valid', bias1: 'random', fused: true },
  { name: '5x1 -> 1x5 valid, stride 2 on the second, BN between', padding: 'valid', strides: 2, bias1: 'random', bnBetween: true, fused: true },
  { name: '5x1 -> 1x5 same, zero bias on the first, BN after the second', padding: 'same', bias1: 'zeros', bnAfter: true, fused: true },
  { name: '1x5 -> 5x1 same, stride 1', order: 'hv', padding: 'same', fused: true },
  { name: '1x5 -> 5x1 same, stride 2 on the second', order: 'hv', padding: 'same', strides: 2, fused: true },
  { name: '1x5 -> 5x1 valid, stride 2, BN between', order: 'hv', padding: 'valid', strides: 2, bnBetween: true, fused: true },
  { name: '5x1 -> 1x5 same, 6 channels (the two-pass path of the spatial kernel)', padding: 'same', channels: 6, fused: true },
  { name: 'random bias on the first under same padding (its border columns corrected)', padding: 'same', bias1: 'random', fused: true },
  { name: 'BN between under same padding, stride 2 on the second', padding: 'same', strides: 2, bias1: 'random', bnBetween: true, fused: true },
  { name: '1x5 -> 5x1 same, random bias on the first (its border rows corrected), stride 2', order: 'hv', padding: 'same', strides: 2, bias1: 'random', fused: true },
  { name: 'random bias on the first under same padding, 6 channels', padding: 'same', bias1: 'random', channels: 6, fused: true },
  { name: 'random bias on the first under same padding, BN after the second', padding: 'same', bias1: 'random', bnAfter: true, bnAfterFolded: false, fused: true },
  { name: 'multiplier 2 on the first: not fused', padding: 'same', m1: 2, fused: false },
  { name: 'multiplier 2 on the second: not fused', padding: 'valid', m2: 2, fused: false },
  { name: 'a relu between: not fused', padding: 'valid', reluBetween: true, fused: false },
  { name: 'stride 2 on the first (the second would read every other column: a dilated 1x5): not fused', padding: 'same', strides1: 2, fused: false },
  { name: 'the intermediate is a model output: not fused', padding: 'same', midOutput: true, fused: false },
  { name: 'the intermediate has two readers: not fused', padding: 'same', midShared: true, fused: false },
];

const kernels = (c: Case): [[number, number], [number, number]] => ((c.order ?? 'vh') === 'vh' ? [[K, 1], [1, K]] : [[1, K], [K, 1]]);

function ours(c: Case): Model {
  const [k1, k2] = kernels(c);
  const inp = input({ shape: [H, W, c.channels ?? 8] });
  const mid0 = layers.depthwiseConv2d({ kernelSize: k1, padding: c.padding, strides: c.strides1 ?? 1, depthMultiplier: c.m1 ?? 1, useBias: (c.bias1 ?? 'none') !== 'none', name: 'dw1' }).apply(inp);
  let mid = mid0;
  if (c.bnBetween) mid = layers.batchNormalization({ name: 'bn1' }).apply(mid);
  if (c.reluBetween) mid = layers.activation({ activation: 'relu', name: 'relu1' }).apply(mid);
  let y = layers.depthwiseConv2d({ kernelSize: k2, padding: c.padding, strides: c.strides ?? 1, depthMultiplier: c.m2 ?? 1, name: 'dw2' }).apply(mid);
  if (c.bnAfter) y = layers.batchNormalization({ name: 'bn2' }).apply(y);
  y = layers.activation({ activation: 'relu', name: 'relu2' }).apply(y);
  const outputs: SymbolicTensor[] = [y];
  if (c.midOutput) outputs.push(mid0);
  if (c.midShared) outputs.push(layers.activation({ activation: 'sigmoid', name: 'side' }).apply(mid0));
  return model({ inputs: inp, outputs: outputs.length === 1 ? y : outputs });
}

function theirs(c: Case): tfl.LayersModel {
  const [k1, k2] = kernels(c);
  const inp = tfl.input({ shape: [H, W, c.channels ?? 8] });
  const mid0 = tfl.layers.depthwiseConv2d({ kernelSize: k1, padding: c.padding, strides: c.strides1 ?? 1, depthMultiplier: c.m1 ?? 1, useBias: (c.bias1 ?? 'none') !== 'none', name: 'dw1' }).apply(inp) as tfl.SymbolicTensor;
  let mid = mid0;
  if (c.bnBetween) mid = tfl.layers.batchNormalization({ name: 'bn1' }).apply(mid) as tfl.SymbolicTensor;
  if (c.reluBetween) mid = tfl.layers.activation({ activation: 'relu', name: 'relu1' }).apply(mid) as tfl.SymbolicTensor;
  let y = tfl.layers.depthwiseConv2d({ kernelSize: k2, padding: c.padding, strides: c.strides ?? 1, depthMultiplier: c.m2 ?? 1, name: 'dw2' }).apply(mid) as tfl.SymbolicTensor;
  if (c.bnAfter) y = tfl.layers.batchNormalization({ name: 'bn2' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.activation({ activation: 'relu', name: 'relu2' }).apply(y) as tfl.SymbolicTensor;
  const outputs = [y];
  if (c.midOutput) outputs.push(mid0);
  if (c.midShared) outputs.push(tfl.layers.activation({ activation: 'sigmoid', name: 'side' }).apply(mid0) as tfl.SymbolicTensor);
  return tfl.model({ inputs: inp, outputs: outputs.length === 1 ? y : outputs });
}

/** Random weights for the TF.js model (variances positive, first bias per the case), as a map by sepconv name. */
function randomWeights(c: Case, t: tfl.LayersModel, seed: number): Map<string, Float32Array> {
  const next = rng(seed);
  const m = new Map<string, Float32Array>();
  for (const l of t.layers) {
    if (!l.weights.length) continue;
    const vals = l.weights.map((lw) => {
      const leaf = lw.name.split('/').pop()!.replace(/_\d+$/, '');
      const n = lw.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      let v = randomArray(n, next);
      if (leaf === 'moving_variance') v = v.map((x) => Math.abs(x) + 0.3);
      if (l.name === 'dw1' && leaf === 'bias' && c.bias1 === 'zeros') v = new Float32Array(n);
      m.set(`${l.name}/${leaf}`, v);
      return tf.tensor(v, lw.shape as number[]);
    });
    l.setWeights(vals);
    vals.forEach((v) => v.dispose());
  }
  return m;
}

function outputsOf(m: Model, x: Tensor): Float32Array[] {
  const y = m.predict(x);
  return (Array.isArray(y) ? y : [y as Tensor]).map((t) => t.data().slice());
}

function expectNear(got: Float32Array, want: ArrayLike<number>, rel: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  expect(worst, what).toBeLessThanOrEqual(rel);
}

describe(`Kx1 -> 1xK depthwise pairs fuse into the spatial kernel (${TEST_BUILD})`, () => {
  for (const c of CASES) {
    it(c.name, () => {
      const t = theirs(c);
      const w = randomWeights(c, t, 3 + CASES.indexOf(c));
      const shape = [2, H, W, c.channels ?? 8];
      const xData = randomArray(shape.reduce((a, b) => a * b, 1), rng(99));
      using x = tensor(xData, shape);
      const ref = tf.tidy(() => {
        const y = t.predict(tf.tensor(xData, shape));
        return (Array.isArray(y) ? y : [y]).map((v) => v.dataSync().slice());
      });

      const fused = ours(c);
      fused.setWeights(w);
      const plan = fused.describePlan().map((s) => `${s.kind}:${s.layer}`);
      if (c.fused) {
        expect(plan).toContain('spatial:dw1');
        expect(plan.some((s) => s.startsWith('depthwise'))).toBe(false);
      } else {
        expect(plan).toContain('depthwise:dw1');
        expect(plan.some((s) => s.startsWith('depthwise:dw2'))).toBe(true);
        expect(plan.some((s) => s.startsWith('spatial'))).toBe(false);
      }
      const got = outputsOf(fused, x);
      ref.forEach((r, i) => expectNear(got[i]!, r, 2e-5, `output ${i} vs TF.js CPU`));

      // The same model with the rule off: two depthwise steps, the same numbers.
      fusionRules.spatialPairs = false;
      const plain = ours(c);
      plain.setWeights(w);
      expect(plain.describePlan().some((s) => s.kind === 'spatial')).toBe(false);
      const unfused = outputsOf(plain, x);
      fusionRules.spatialPairs = true;
      unfused.forEach((u, i) => expectNear(got[i]!, u, 1e-6, `output ${i} vs unfused`));

      if (c.fused) {
        // profile(): one row for the pair, on the first layer, with the second (and a BN) named as fused.
        const rows = fused.profile(x, { runs: 1 }).rows;
        const row = rows.find((r) => r.name === 'dw1')!;
        expect(row.fused).toContain('dw2');
        if (c.bnBetween) expect(row.fused).toContain('bn1');
        if (c.bnAfter && c.bnAfterFolded !== false) expect(row.fused).toContain('bn2');
        expect(rows.some((r) => r.name === 'dw2')).toBe(false);
      }
      fused.dispose();
      plain.dispose();
      t.dispose();
    });
  }
});

// The same pair as a TF.js graph model (what tensorflowjs_converter writes: DepthwiseConv2dNative, then
// FusedDepthwiseConv2dNative with BiasAdd + Relu, or a FusedBatchNormV3 between), imported by the graph-model importer.
function node(name: string, op: string, input: string[] = [], attr: Record<string, any> = {}): GraphNode {
  return { name, op, input, attr };
}
const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
const str = (s: string) => ({ s: Buffer.from(s).toString('base64') });

describe(`graph models: DepthwiseConv2dNative pairs fuse the same way (${TEST_BUILD})`, () => {
  const C = 8;
  for (const g of [
    { padding: 'SAME', strides: 1, bn: false, fused: true },
    { padding: 'SAME', strides: 2, bn: false, fused: true },
    { padding: 'VALID', strides: 2, bn: true, fused: true },
    { padding: 'SAME', strides: 1, bn: true, fused: true },
  ]) {
    it(`5x1 -> 1x5 ${g.padding}, stride ${g.strides}${g.bn ? ', FusedBatchNormV3 between' : ''}: ${g.fused ? 'one spatial step' : 'two depthwise steps'}, matches TF.js CPU`, () => {
      const next = rng(5 + g.strides);
      const w = { v: randomArray(K * C, next), h: randomArray(K * C, next), b: randomArray(C, next), scale: randomArray(C, next), offset: randomArray(C, next), mean: randomArray(C, next), variance: randomArray(C, next).map((v) => Math.abs(v) + 0.3) };
      const bnNodes = ['scale', 'offset', 'mean', 'variance'].map((k) => node(`m/bn/${k}`, 'Const'));
      const nodes: GraphNode[] = [
        node('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '-1' }, { size: String(H) }, { size: String(W) }, { size: String(C) }] } } }),
        node('m/v/w', 'Const'),
        node('m/v/depthwise', 'DepthwiseConv2dNative', ['x', 'm/v/w'], { strides: ints(1, 1, 1, 1), padding: str(g.padding), data_format: str('NHWC') }),
        ...(g.bn ? [...bnNodes, node('m/bn/FusedBatchNormV3', 'FusedBatchNormV3', ['m/v/depthwise', 'm/bn/scale', 'm/bn/offset', 'm/bn/mean', 'm/bn/variance'], { epsilon: { f: 0.001 } })] : []),
        node('m/h/w', 'Const'),
        node('m/h/b', 'Const'),
        node('m/h/Relu', 'FusedDepthwiseConv2dNative', [g.bn ? 'm/bn/FusedBatchNormV3' : 'm/v/depthwise', 'm/h/w', 'm/h/b'], {
          strides: ints(1, g.strides, g.strides, 1),
          padding: str(g.padding),
          fused_ops: { list: { s: [Buffer.from('BiasAdd').toString('base64'), Buffer.from('Relu').toString('base64')] } },
        }),
        node('Identity', 'Identity', ['m/h/Relu']),
      ];
      const consts = new Map<string, { shape: number[]; values: Float32Array }>([
        ['m/v/w', { shape: [K, 1, C, 1], values: w.v }],
        ['m/h/w', { shape: [1, K, C, 1], values: w.h }],
        ['m/h/b', { shape: [C], values: w.b }],
        ['m/bn/scale', { shape: [C], values: w.scale }],
        ['m/bn/offset', { shape: [C], values: w.offset }],
        ['m/bn/mean', { shape: [C], values: w.mean }],
        ['m/bn/variance', { shape: [C], values: w.variance }],
      ]);
      const build = (): Model => {
        const { graph, weights } = convertGraphModel(nodes, consts);
        const m = modelFromGraph(graph);
        m.setWeights(weights);
        return m;
      };
      const m = build();
      const kinds = m.describePlan().map((s) => s.kind);
      expect(kinds.includes('spatial')).toBe(g.fused);
      expect(kinds.includes('depthwise')).toBe(!g.fused);
      const shape = [2, H, W, C];
      const xData = randomArray(shape.reduce((a, b) => a * b, 1), next);
      using x = tensor(xData, shape);
      const got = (m.predict(x) as Tensor).data().slice();
      // TF.js CPU runs the graph's ops.
      const pad = g.padding.toLowerCase() as 'same' | 'valid';
      const ref = tf.tidy(() => {
        let y = tf.depthwiseConv2d(tf.tensor4d(xData, shape as [number, number, number, number]), tf.tensor4d(w.v, [K, 1, C, 1]), 1, pad);
        if (g.bn) y = tf.batchNorm(y, tf.tensor1d(w.mean), tf.tensor1d(w.variance), tf.tensor1d(w.offset), tf.tensor1d(w.scale), 0.001);
        return tf.fused.depthwiseConv2d({ x: y as tf.Tensor4D, filter: tf.tensor4d(w.h, [1, K, C, 1]), strides: g.strides, pad, bias: tf.tensor1d(w.b), activation: 'relu' }).dataSync().slice();
      });
      expectNear(got, ref, 2e-5, 'vs TF.js CPU');
      fusionRules.spatialPairs = false;
      const plain = build();
      expect(plain.describePlan().some((s) => s.kind === 'spatial')).toBe(false);
      expectNear(got, (plain.predict(x) as Tensor).data(), 1e-6, 'vs unfused');
      fusionRules.spatialPairs = true;
      m.dispose();
      plain.dispose();
    });
  }
});
