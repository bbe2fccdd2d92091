// Malformed model files the importers used to crash on or silently accept (issue 23 part 5): each
// is now a ModelFormatError naming the weight, layer or node, and layers listed out of order load
// as the same model.
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { convertGraphModel, type GraphNode } from '../../src/io/graph-model.js';
import { inferGraph, normalizeKerasConfig, type KerasModelConfig } from '../../src/io/keras-config.js';
import { decodeWeights, encodeWeights, type WeightEntry } from '../../src/io/weights.js';
import { readModel } from '../../src/io/read.js';
import { ArchBuilder } from '../../src/models/arch.js';
import { randomArray, rng } from '../helpers.js';

function expectFormatError(f: () => unknown, re: RegExp): void {
  let e: unknown;
  try {
    f();
  } catch (x) {
    e = x;
  }
  expect(e).toBeInstanceOf(ModelFormatError);
  expect((e as Error).message).toMatch(re);
}

/** A small functional model (conv, BN, residual add, GAP, dense) from the zoo's builder, with float32 weights. */
function smallModel(): { config: KerasModelConfig; weights: { name: string; shape: number[]; values: Float32Array }[] } {
  const b = new ArchBuilder('small');
  const x0 = b.input([6, 6, 3]);
  const c1 = b.conv2d(x0, 'c1', { filters: 3, kernel: 3, padding: 'same', useBias: false });
  const bn = b.bn(c1, 'c1_bn');
  const r = b.relu6(bn, 'c1_relu');
  const add = b.add([r, x0], 'res');
  const dw = b.depthwise(add, 'dw', { kernel: 3, strides: 2, padding: 'same' });
  const gap = b.gap(dw, 'gap');
  const config = b.build(b.dense(gap, 'fc', 4, 'softmax'));
  const next = rng(3);
  const info = inferGraph(normalizeKerasConfig(config));
  const weights = info.layers.flatMap((l) => l.weights).map((s) => ({ ...s, values: randomArray(s.shape.reduce((a, c) => a * c, 1), () => (s.name.endsWith('variance') ? 1 + next() / 2 : next())) }));
  return { config, weights };
}

describe('Keras configs: order, cycles, Keras 3 nodes', () => {
  it('layers listed out of topological order are sorted: the same graph, shapes and weights as in order', async () => {
    const { config, weights } = smallModel();
    const { manifest, data } = encodeWeights(weights);
    const load = (cfg: KerasModelConfig) => readModel({ modelJson: { format: 'layers-model', modelTopology: { model_config: cfg }, weightsManifest: [{ paths: [], weights: manifest }] }, weights: data });
    const inOrder = await load(config);
    for (const permute of [(l: any[]) => [...l].reverse(), (l: any[]) => [l[3], l[0], ...l.slice(4), l[2], l[1]]]) {
      const shuffled = structuredClone(config);
      shuffled.config.layers = permute(shuffled.config.layers);
      const got = await load(shuffled);
      // Every layer after its inputs; the same layers, shapes and weights.
      const pos = new Map(got.graph.layers.map((l, i) => [l.name, i]));
      for (const l of got.graph.layers) for (const i of l.inputs) expect(pos.get(i)!).toBeLessThan(pos.get(l.name)!);
      const byName = (p: typeof inOrder) => Object.fromEntries(p.info.layers.map((l) => [l.name, [l.inputs, l.outputShape, l.params]]));
      expect(byName(got)).toEqual(byName(inOrder));
      expect(got.info.outputShape).toEqual(inOrder.info.outputShape);
      for (const [k, v] of inOrder.weights) expect(got.weights.get(k)).toEqual(v);
    }
  });

  it('a cycle or a self-loop is a ModelFormatError naming a layer on it', () => {
    const { config } = smallModel();
    const cyc = structuredClone(config);
    // c1 reads from dw, which (through the chain) reads from c1.
    cyc.config.layers.find((l: any) => l.name === 'c1').inbound_nodes = [[['dw', 0, 0, {}]]];
    expectFormatError(() => normalizeKerasConfig(cyc), /model 'small': layer '(c1|c1_bn|c1_relu|res|dw)' is part of a cycle/);
    const self = structuredClone(config);
    self.config.layers.find((l: any) => l.name === 'gap').inbound_nodes = [[['gap', 0, 0, {}]]];
    expectFormatError(() => normalizeKerasConfig(self), /layer 'gap' is part of a cycle \(it feeds itself\)/);
  });

  it('a Keras 3 inbound node whose tensor has no keras_history names the layer', () => {
    const t = (cfg: any) => ({ class_name: '__keras_tensor__', config: cfg });
    const cfg = (tensor: any): KerasModelConfig => ({
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          { class_name: 'InputLayer', name: 'in', config: { batch_shape: [null, 4, 4, 2], name: 'in' }, inbound_nodes: [] },
          { class_name: 'ReLU', name: 'act', config: { name: 'act' }, inbound_nodes: [{ args: [tensor], kwargs: {} }] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['act', 0, 0]],
      },
    });
    expect(normalizeKerasConfig(cfg(t({ keras_history: ['in', 0, 0] }))).layers.map((l) => l.inputs)).toEqual([[], ['in']]);
    expectFormatError(() => normalizeKerasConfig(cfg(t({ shape: [null, 4, 4, 2] }))), /layer 'act': a Keras tensor in its inbound node has no keras_history/);
    expectFormatError(() => normalizeKerasConfig(cfg(t(null))), /layer 'act': a Keras tensor in its inbound node has no keras_history/);
  });
});

describe('graph attributes', () => {
  it('invalid base64 in an attr string is a ModelFormatError naming the node (was a DOMException)', () => {
    const nodes = (padding: unknown): GraphNode[] => [
      { name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [-1, 4, 4, 1].map((d) => ({ size: String(d) })) } } } },
      { name: 'pool', op: 'MaxPool', input: ['x'], attr: { ksize: { list: { i: ['1', '2', '2', '1'] } }, strides: { list: { i: ['1', '2', '2', '1'] } }, padding: { s: padding } } },
    ];
    expect(convertGraphModel(nodes(Buffer.from('VALID').toString('base64')), new Map()).graph.layers[1]!.config.padding).toBe('valid');
    for (const bad of ['not base64!', 'QUJD=A', 'A', 12]) {
      expectFormatError(() => convertGraphModel(nodes(bad), new Map()), /node 'pool' \(MaxPool\): attr 'padding' is not a base64 string/);
    }
  });
});

describe('weight manifests: dtypes and quantization', () => {
  const four = { name: 'layer/kernel', shape: [4] };
  const decode = (w: Record<string, unknown>, bytes: number) => () => decodeWeights([{ paths: ['x'], weights: [{ ...four, ...w } as WeightEntry] }], new Uint8Array(bytes));

  it('valid quantizations still decode (uint8 with scale and min, float16 without)', () => {
    const values = Float32Array.from([0, 0.5, -1, 2]);
    for (const q of ['uint8', 'float16'] as const) {
      const { manifest, data } = encodeWeights([{ ...four, values }], q);
      const got = decodeWeights([{ paths: ['x'], weights: manifest }], data).get('layer/kernel')!.values;
      for (let i = 0; i < 4; i++) expect(Math.abs(got[i]! - values[i]!)).toBeLessThanOrEqual(3 / 255);
    }
  });

  it('quantization dtypes that are not uint8/uint16/float16 are rejected, naming the weight', () => {
    expectFormatError(decode({ dtype: 'float32', quantization: { dtype: 'bool' } }, 4), /weight 'layer\/kernel' has quantization dtype 'bool'/);
    expectFormatError(decode({ dtype: 'float32', quantization: { dtype: 'int32', scale: 1, min: 0 } }, 16), /weight 'layer\/kernel' has quantization dtype 'int32'/);
    expectFormatError(decode({ dtype: 'float32', quantization: { dtype: 'float32' } }, 16), /weight 'layer\/kernel' has quantization dtype 'float32'/);
  });

  it('uint8 / uint16 quantization without a finite scale and min is rejected', () => {
    expectFormatError(decode({ dtype: 'float32', quantization: { dtype: 'uint8' } }, 4), /weight 'layer\/kernel': uint8 quantization needs a finite scale and min/);
    expectFormatError(decode({ dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.1 } }, 8), /weight 'layer\/kernel': uint16 quantization needs a finite scale and min/);
    expectFormatError(decode({ dtype: 'float32', quantization: { dtype: 'uint8', scale: '1', min: 0 } }, 4), /uint8 quantization needs a finite scale and min/);
  });

  it('dtypes named like Object.prototype members are unknown dtypes, not NaN-byte messages', () => {
    for (const dt of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expectFormatError(decode({ dtype: dt }, 16), new RegExp(`weight 'layer/kernel' has dtype '${dt}' \\(supported: float32, int32, bool`));
      expectFormatError(decode({ dtype: 'float32', quantization: { dtype: dt } }, 16), new RegExp(`quantization dtype '${dt}'`));
    }
  });
});
