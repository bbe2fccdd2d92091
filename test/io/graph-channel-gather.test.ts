// TF graph models whose GatherV2 / Split / SplitV read the channel axis of a layer tensor: imported as
// ChannelGather layers (the wasm channel gather), bit for bit equal to TF.js CPU (tfjs-converter) on the
// same file and input; the forms a channel gather cannot express (another axis, rank-2 indices) stay host ops.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as sc from 'sepconv';
import { initTfjsCpu, tf } from '../engines/tfjs-layers.js';
import { rng } from '../engines/rng.js';

const i = (v: number) => ({ i: String(v) });
const I32 = { type: 'DT_INT32' };
const F32 = { type: 'DT_FLOAT' };

interface Case {
  name: string;
  /** Input [1, H, W, C]. */
  shape: number[];
  /** The op node (named 'op', reading 'x' and the constants) and the constants it reads. */
  op: string;
  inputs: string[];
  consts: Record<string, { shape: number[]; values: number[] }>;
  attr?: Record<string, unknown>;
  outputs: number;
  /** ChannelGather layers the import must have. */
  gathers: number;
}

function build(c: Case) {
  const nodes: any[] = [{ name: 'x', op: 'Placeholder', attr: { dtype: F32, shape: { shape: { dim: c.shape.map((d) => ({ size: String(d) })) } } } }];
  const specs: { name: string; shape: number[]; dtype: string }[] = [];
  const parts: Int32Array[] = [];
  for (const [name, k] of Object.entries(c.consts)) {
    nodes.push({ name, op: 'Const', attr: { dtype: I32, value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: k.shape.map((d) => ({ size: String(d) })) } } } } });
    specs.push({ name, shape: k.shape, dtype: 'int32' });
    parts.push(Int32Array.from(k.values));
  }
  nodes.push({ name: 'op', op: c.op, input: c.inputs, attr: { T: F32, ...(c.attr ?? {}) } });
  const bytes = new Uint8Array(parts.reduce((t, p) => t + p.byteLength, 0));
  let at = 0;
  for (const p of parts) bytes.set(new Uint8Array(p.buffer), at), (at += p.byteLength);
  const modelTopology = { node: nodes, library: {}, versions: {} };
  const outputs = Array.from({ length: c.outputs }, (_, k) => (k ? `op:${k}` : 'op'));
  return {
    outputs,
    modelJson: { format: 'graph-model', modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: specs }] },
    artifacts: { format: 'graph-model', modelTopology, weightSpecs: specs, weightData: bytes.slice().buffer },
    weights: bytes.slice().buffer,
  };
}

const shuffle = (c: number, g: number) => Array.from({ length: c }, (_, j) => (j % g) * (c / g) + Math.floor(j / g));
const axis = (a: number) => ({ shape: [], values: [a] });
const cases: Case[] = [
  { name: 'GatherV2 axis -1, a 2-group shuffle of 12 channels', shape: [1, 3, 4, 12], op: 'GatherV2', inputs: ['x', 'idx', 'axis'], consts: { idx: { shape: [12], values: shuffle(12, 2) }, axis: axis(-1) }, attr: { batch_dims: i(0), Tindices: I32 }, outputs: 1, gathers: 1 },
  { name: 'GatherV2 axis 3, a selection with repeats', shape: [1, 2, 5, 7], op: 'GatherV2', inputs: ['x', 'idx', 'axis'], consts: { idx: { shape: [9], values: [6, 0, 0, 3, 4, 5, 6, 1, 2] }, axis: axis(3) }, attr: { batch_dims: i(0), Tindices: I32 }, outputs: 1, gathers: 1 },
  { name: 'Split axis -1 in 2 (chunk)', shape: [1, 3, 3, 10], op: 'Split', inputs: ['axis', 'x'], consts: { axis: axis(-1) }, attr: { num_split: i(2) }, outputs: 2, gathers: 2 },
  { name: 'SplitV sizes [3, -1, 4] axis 3', shape: [1, 2, 3, 11], op: 'SplitV', inputs: ['x', 'sizes', 'axis'], consts: { sizes: { shape: [3], values: [3, -1, 4] }, axis: axis(3) }, attr: { num_split: i(3), Tlen: I32 }, outputs: 3, gathers: 3 },
  // Not channel gathers: host ops, still equal to TF.js.
  { name: 'GatherV2 axis 2 (host)', shape: [1, 2, 5, 3], op: 'GatherV2', inputs: ['x', 'idx', 'axis'], consts: { idx: { shape: [3], values: [4, 0, 2] }, axis: axis(2) }, attr: { batch_dims: i(0), Tindices: I32 }, outputs: 1, gathers: 0 },
  { name: 'GatherV2 rank-2 indices on channels (host)', shape: [1, 2, 2, 4], op: 'GatherV2', inputs: ['x', 'idx', 'axis'], consts: { idx: { shape: [2, 2], values: [3, 0, 1, 1] }, axis: axis(-1) }, attr: { batch_dims: i(0), Tindices: I32 }, outputs: 1, gathers: 0 },
  { name: 'Split axis 1 (host)', shape: [1, 4, 3, 2], op: 'Split', inputs: ['axis', 'x'], consts: { axis: axis(1) }, attr: { num_split: i(2) }, outputs: 2, gathers: 0 },
];

beforeAll(async () => {
  await sc.init();
  await initTfjsCpu();
});

describe('graph-model GatherV2 / Split / SplitV of channels vs TF.js CPU', () => {
  for (const [k, c] of cases.entries()) {
    it(c.name, async () => {
      const g = build(c);
      const ours = await sc.loadModel({ modelJson: g.modelJson, weights: g.weights }, { outputs: g.outputs });
      expect(ours.summary().rows.filter((r) => r.className === 'ChannelGather').length).toBe(c.gathers);
      const ref = await tfconv.loadGraphModel(tf.io.fromMemory(g.artifacts as any));
      const next = rng(300 + k);
      const xv = Float32Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, next);
      const want = tf.tidy(() => {
        const r = ref.execute(tf.tensor(xv, c.shape), g.outputs);
        return (Array.isArray(r) ? r : [r]).map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
      });
      ref.dispose();
      using x = sc.tensor(xv, c.shape);
      const out = ours.predict(x);
      const got = Array.isArray(out) ? out : [out];
      expect(got.length).toBe(want.length);
      for (const [j, w] of want.entries()) {
        expect([...got[j]!.shape], `output ${j}`).toEqual(w.shape);
        expect(got[j]!.data(), `output ${j}`).toEqual(w.data);
      }
      ours.dispose();
    });
  }

  it('an index out of range is refused naming the node', async () => {
    const c = { ...cases[0]!, consts: { idx: { shape: [2], values: [0, 12] }, axis: axis(-1) } };
    const g = build(c);
    const e = await sc.loadModel({ modelJson: g.modelJson, weights: g.weights }).catch((err) => err);
    expect(e).toBeInstanceOf(sc.ModelFormatError);
    expect(String(e.message)).toMatch(/'op'.*from 0 to 11|from 0 to 11/);
  });
});
