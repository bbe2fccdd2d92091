// TF.js model import: wrapper extraction, weight decoding (float32 / float16 / uint8 / uint16),
// sources and progress, validation errors, Keras config flattening, and the graph-model converter
// (BN, bias and activation folding checked against float64 references).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError, UnsupportedOpsError } from '../../src/errors.js';
import { loadModel, modelFromGraph } from '../../src/io/build.js';
import { convertGraphModel, type GraphNode } from '../../src/io/graph-model.js';
import { inferGraph, normalizeKerasConfig, type KerasModelConfig } from '../../src/io/keras-config.js';
import { readModel } from '../../src/io/read.js';
import { readModelFiles, type LoadProgress } from '../../src/io/sources.js';
import { decodeWeights, encodeWeights, floatToHalf, halfToFloat } from '../../src/io/weights.js';
import { decodeBase64, extractWrappedModule, isWrappedModule, parseJsLiteral } from '../../src/io/wrapper.js';
import { ArchBuilder } from '../../src/models/arch.js';
import { convGeometry } from '../../src/ops/geometry.js';
import { tensor } from '../../src/tensor/tensor.js';
import { initForTest, randomArray, rng } from '../helpers.js';
import { convReference, depthwiseReference } from '../reference.js';

const NSFW = new URL('../../../../node_modules/nsfwjs/dist/models/', import.meta.url);

describe('wrapped models (nsfwjs .min.js bundles)', () => {
  it('parses JS literals: unquoted keys, !0/!1, .5, trailing commas, escapes', () => {
    const { value } = parseJsLiteral(`{a:!0,b:!1,c:.5,d:-.2e-3,"e":[1,2,],f:'x\\'y\\u0041',g:null,h:{},i:[],j:1e3}`);
    expect(value).toEqual({ a: true, b: false, c: 0.5, d: -0.0002, e: [1, 2], f: "x'yA", g: null, h: {}, i: [], j: 1000 });
    expect(() => parseJsLiteral('{a:window.x}')).toThrow(ModelFormatError);
  });

  it('extracts the model.json object and the shard bytes of a browserify bundle', () => {
    const wrap = (lit: string) =>
      `!function(e){"object"==typeof exports&&"undefined"!=typeof module?module.exports=e():this.model=e()}(function(){return function e(a,n,i){return l}({1:[function(e,a,n){a.exports=${lit}},{}]},{},[1])(1)});`;
    const text = wrap('{modelTopology:{node:[]},weightsManifest:[{paths:["group1-shard1of1"],weights:[]}]}');
    expect(isWrappedModule(text)).toBe(true);
    expect(extractWrappedModule(text)).toEqual({ modelTopology: { node: [] }, weightsManifest: [{ paths: ['group1-shard1of1'], weights: [] }] });
    const b64 = Buffer.from([0, 1, 2, 250, 255, 128, 7]).toString('base64');
    expect([...decodeBase64(extractWrappedModule(wrap(`"${b64}"`)) as string)]).toEqual([0, 1, 2, 250, 255, 128, 7]);
    expect(() => extractWrappedModule('!function(){return 1}()')).toThrow(ModelFormatError);
  });

  it('decodes base64 of every length like Buffer does', () => {
    const next = rng(9);
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor((next() + 1) * 128) & 255);
      expect([...decodeBase64(Buffer.from(bytes).toString('base64'))]).toEqual([...bytes]);
    }
  });

  it("reads nsfwjs's real mobilenet_v2 model.min.js (a Keras 2.2.4 layers model, uint8 weights)", () => {
    const json = extractWrappedModule(readFileSync(new URL('mobilenet_v2/model.min.js', NSFW), 'utf8')) as any;
    expect(json.modelTopology.model_config.class_name).toBe('Model');
    expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1']);
    expect(json.weightsManifest[0].weights[0].quantization.dtype).toBe('uint8');
  });
});

describe('weights', () => {
  const next = rng(5);
  const w = [
    { name: 'a/kernel', shape: [2, 3], values: randomArray(6, next) },
    { name: 'a/bias', shape: [3], values: Float32Array.from([0, -1.5, 65504]) },
    { name: 'b/gamma', shape: [], values: Float32Array.from([0.25]) },
  ];
  const decode = (q?: 'uint8' | 'uint16' | 'float16') => {
    const { manifest, data } = encodeWeights(w, q);
    return decodeWeights([{ paths: ['x'], weights: manifest }], data);
  };

  it('float32 round-trips exactly', () => {
    const d = decode();
    for (const x of w) expect([...d.get(x.name)!.values]).toEqual([...x.values]);
    expect(d.get('b/gamma')!.shape).toEqual([]);
  });

  it('float16 shards widen exactly; values round to half precision', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 6.1e-5, 5.96e-8, -0]) expect(halfToFloat(floatToHalf(v))).toBe(Math.fround(v) === v && Math.abs(v) >= 6.1e-5 ? v : halfToFloat(floatToHalf(v)));
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    const d = decode('float16');
    for (const x of w) x.values.forEach((v, i) => expect(Math.abs(d.get(x.name)!.values[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11));
  });

  it('uint8 and uint16 shards dequantize as q * scale + min', () => {
    for (const [q, levels] of [
      ['uint8', 255],
      ['uint16', 65535],
    ] as const) {
      const d = decode(q);
      for (const x of w) {
        const range = Math.max(...x.values) - Math.min(...x.values);
        x.values.forEach((v, i) => expect(Math.abs(d.get(x.name)!.values[i]! - v)).toBeLessThanOrEqual(range / levels / 2 + 1e-6 * Math.abs(v)));
      }
    }
    // By hand: min -1, scale 0.5, bytes [0, 1, 4] -> [-1, -0.5, 1].
    const m = decodeWeights([{ paths: [], weights: [{ name: 'q', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } }] }], Uint8Array.from([0, 1, 4]));
    expect([...m.get('q')!.values]).toEqual([-1, -0.5, 1]);
  });

  it('a shard of the wrong size is a ModelFormatError naming both sizes', () => {
    const { manifest, data } = encodeWeights(w);
    expect(() => decodeWeights([{ paths: ['x'], weights: manifest }], data.subarray(0, data.length - 4))).toThrow(/hold 36 bytes, the manifest describes 40/);
  });
});

/** A small layers model (Keras JSON + float32 weights) built with the zoo's builder. */
function tinyLayersModel(): { json: any; weights: { name: string; shape: number[]; values: Float32Array }[] } {
  const b = new ArchBuilder('tiny');
  let x = b.input([6, 6, 2]);
  x = b.conv2d(x, 'c1', { filters: 3, kernel: 3, padding: 'same', useBias: false });
  x = b.bn(x, 'c1_bn');
  x = b.relu6(x, 'c1_relu');
  x = b.depthwise(x, 'dw', { kernel: 3, strides: 2, padding: 'same' });
  x = b.gap(x, 'gap');
  x = b.dense(x, 'fc', 4, 'softmax');
  const config = b.build(x);
  const info = inferGraph(normalizeKerasConfig(config));
  const next = rng(11);
  const weights = info.layers.flatMap((l) => l.weights).map((s) => ({ ...s, values: randomArray(s.shape.reduce((a, c) => a * c, 1), () => (s.name.endsWith('variance') ? 1 + next() / 2 : next())) }));
  return { json: { format: 'layers-model', modelTopology: { model_config: config }, weightsManifest: [{ paths: ['w.bin'], weights: [] }] }, weights };
}

describe('model sources and validation', () => {
  const { json, weights } = tinyLayersModel();
  const { manifest, data } = encodeWeights(weights);
  const modelJson = { ...json, weightsManifest: [{ paths: ['w.bin'], weights: manifest }] };

  it('reads from a file map, { modelJson, weights }, an IOHandler, a URL (custom fetch) and a file path', async () => {
    const fromMap = await readModel({ 'model.json': JSON.stringify(modelJson), 'w.bin': data });
    expect(fromMap.format).toBe('layers');
    expect(fromMap.info.params).toBe(weights.reduce((a, w) => a + w.values.length, 0));
    expect([...fromMap.weights.get('fc/kernel')!]).toEqual([...weights.find((w) => w.name === 'fc/kernel')!.values]);

    const fromObj = await readModel({ modelJson, weights: data.slice().buffer });
    expect(fromObj.weights.size).toBe(weights.length);

    const fromHandler = await readModel({ load: async () => ({ modelTopology: modelJson.modelTopology, weightSpecs: manifest, weightData: data.slice().buffer }) });
    expect(fromHandler.weights.size).toBe(weights.length);

    const fetched: string[] = [];
    const fakeFetch = async (url: string) => {
      fetched.push(url);
      const body = url.endsWith('model.json') ? JSON.stringify(modelJson) : data;
      return new Response(body as BodyInit);
    };
    const events: LoadProgress[] = [];
    const fromUrl = await readModel('https://example.test/models/tiny/model.json', { fetch: fakeFetch, onProgress: (p) => events.push(p) });
    expect(fromUrl.weights.size).toBe(weights.length);
    expect(fetched).toEqual(['https://example.test/models/tiny/model.json', 'https://example.test/models/tiny/w.bin']);
    expect(events.map((e) => e.phase)).toEqual(['model.json', 'model.json', 'weights', 'weights']);
    expect(events.at(-1)).toEqual({ phase: 'weights', loaded: 1, total: 1 });

    const fromFile = await readModel(new URL('mobilenet_v2_mid/model.min.js', NSFW).pathname);
    expect(fromFile.format).toBe('graph');
  });

  it('malformed files give a clear ModelFormatError', async () => {
    const bad = async (files: Record<string, string | Uint8Array>, re: RegExp) => {
      const e = await readModel(files).catch((x) => x);
      expect(e).toBeInstanceOf(ModelFormatError);
      expect(String(e.message)).toMatch(re);
    };
    await bad({ 'model.json': '{"modelTopology": ' }, /not valid JSON/);
    await bad({ 'model.json': '[]' }, /must be an object/);
    await bad({ 'model.json': '{"weightsManifest": []}' }, /no modelTopology/);
    await bad({ 'model.json': '{"modelTopology": {"foo": 1}}' }, /cannot tell the format/);
    await bad({ 'model.json': JSON.stringify({ ...modelJson, weightsManifest: [{ paths: ['w.bin'] }] }) }, /weightsManifest\[0\] must have 'paths' and 'weights'/);
    await bad({ 'model.json': JSON.stringify({ ...modelJson, weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'x', shape: [2], dtype: 'complex64' }] }] }), 'w.bin': data }, /dtype 'complex64'/);
    await bad({ 'model.json': JSON.stringify(modelJson) }, /no file 'w.bin'/);
    // A weight of the wrong shape, a missing one and an extra one: all named in one error.
    const wrong = manifest.map((m) => (m.name === 'fc/kernel' ? { ...m, shape: [4, 3] } : m)).filter((m) => m.name !== 'c1_bn/beta');
    const extra = { name: 'zz/kernel', shape: [1], dtype: 'float32' };
    const enc = encodeWeights(wrong.map((m) => ({ name: m.name, shape: m.shape, values: new Float32Array(m.shape.reduce((a, b) => a * b, 1)) })).concat([{ name: 'zz/kernel', shape: [1], values: new Float32Array(1) }]));
    const e = await readModel({ 'model.json': JSON.stringify({ ...modelJson, weightsManifest: [{ paths: ['w.bin'], weights: [...wrong, extra] }] }), 'w.bin': enc.data }).catch((x) => x);
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/missing weights:\n  c1_bn\/beta \[3\]/);
    expect(e.message).toMatch(/fc\/kernel: the model needs \[3,4\], the file has \[4,3\]/);
    expect(e.message).toMatch(/weights no layer uses:\n  zz\/kernel/);
  });

  it('a model with layers sepconv lacks fails with ONE error listing each by name and class', async () => {
    const cfg = structuredClone(modelJson);
    const layers = cfg.modelTopology.model_config.config.layers;
    layers[1].class_name = 'Conv3D';
    layers[5].class_name = 'LSTM';
    layers[6].config.activation = 'log_softmax';
    const e = await readModel({ 'model.json': JSON.stringify(cfg), 'w.bin': data }).catch((x) => x);
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/3 layer\(s\) sepconv does not support/);
    expect(e.message).toMatch(/ {2}c1 \(Conv3D\)/);
    expect(e.message).toMatch(/ {2}gap \(LSTM\)/);
    expect(e.message).toMatch(/ {2}fc \(Dense with activation 'log_softmax'\)/);
  });

  it('reads Keras 3 inbound-node syntax (keras_history) and batch_shape', () => {
    const t = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4, 4, 2], dtype: 'float32', keras_history: [name, 0, 0] } });
    const cfg: KerasModelConfig = {
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          { class_name: 'InputLayer', name: 'input_layer', config: { batch_shape: [null, 4, 4, 2], name: 'input_layer' }, inbound_nodes: [] },
          { class_name: 'Conv2D', name: 'c', config: { name: 'c', filters: 2, kernel_size: [1, 1], padding: 'same', use_bias: false, activation: 'relu' }, inbound_nodes: [{ args: [t('input_layer')], kwargs: {} }] },
          { class_name: 'Add', name: 'add', config: { name: 'add' }, inbound_nodes: [{ args: [[t('c'), t('input_layer')]], kwargs: {} }] },
        ],
        input_layers: [['input_layer', 0, 0]],
        output_layers: [['add', 0, 0]],
      },
    };
    const info = inferGraph(normalizeKerasConfig(cfg));
    expect(info.layers.map((l) => [l.name, l.inputs])).toEqual([
      ['input_layer', []],
      ['c', ['input_layer']],
      ['add', ['c', 'input_layer']],
    ]);
    expect(info.outputShape).toEqual([4, 4, 2]);
    expect(info.params).toBe(4);
  });

  it('flattens Sequential and nested Functional models; nested weights load by layer name', () => {
    const inner = tinyLayersModel().json.modelTopology.model_config as KerasModelConfig;
    const outer: KerasModelConfig = {
      class_name: 'Sequential',
      config: { name: 'seq', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 6, 2], name: 'in' } }, inner, { class_name: 'Dense', config: { name: 'head', units: 2, activation: 'linear' } }] },
    };
    const g = normalizeKerasConfig(outer);
    expect(g.layers.map((l) => l.name)).toEqual(['in', 'c1', 'c1_bn', 'c1_relu', 'dw', 'gap', 'fc', 'head']);
    expect(g.layers[1]!.inputs).toEqual(['in']);
    expect(g.outputs).toEqual(['head']);
    expect(inferGraph(g).outputShape).toEqual([2]);
  });
});

// A GraphDef by hand: conv -> FusedBatchNormV3 -> Relu6, fused depthwise with BiasAdd+Relu, Mean, MatMul + BiasAdd, Softmax.
function node(name: string, op: string, input: string[] = [], attr: Record<string, any> = {}): GraphNode {
  return { name, op, input, attr };
}
const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
const str = (s: string) => ({ s: Buffer.from(s).toString('base64') });

describe('graph models', () => {
  beforeAll(initForTest);
  const next = rng(21);
  const c = { w1: randomArray(3 * 3 * 2 * 4, next), scale: randomArray(4, next), offset: randomArray(4, next), mean: randomArray(4, next), variance: Float32Array.from([0.5, 1, 1.5, 2]), dw: randomArray(3 * 3 * 4, next), dwb: randomArray(4, next), fc: randomArray(4 * 3, next), fcb: randomArray(3, next) };
  const nodes: GraphNode[] = [
    node('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '-1' }, { size: '5' }, { size: '5' }, { size: '2' }] } } }),
    node('m/mul_y', 'Const'),
    node('m/in/Mul', 'Mul', ['x', 'm/mul_y']),
    node('m/conv/w', 'Const'),
    node('m/conv/Conv2D', 'Conv2D', ['m/in/Mul', 'm/conv/w'], { strides: ints(1, 1, 1, 1), padding: str('VALID'), data_format: str('NHWC') }),
    ...['scale', 'offset', 'mean', 'variance'].map((k) => node(`m/bn/${k}`, 'Const')),
    node('m/bn/FusedBatchNormV3', 'FusedBatchNormV3', ['m/conv/Conv2D', 'm/bn/scale', 'm/bn/offset', 'm/bn/mean', 'm/bn/variance'], { epsilon: { f: 0.001 } }),
    node('m/conv/Relu6', 'Relu6', ['m/bn/FusedBatchNormV3']),
    node('m/dw/w', 'Const'),
    node('m/dw/b', 'Const'),
    node('m/dw/Relu', 'FusedDepthwiseConv2dNative', ['m/conv/Relu6', 'm/dw/w', 'm/dw/b'], {
      strides: ints(1, 1, 1, 1),
      padding: str('SAME'),
      fused_ops: { list: { s: [Buffer.from('BiasAdd').toString('base64'), Buffer.from('Relu').toString('base64')] } },
    }),
    node('m/axes', 'Const'),
    node('m/Mean', 'Mean', ['m/dw/Relu', 'm/axes'], { keep_dims: { b: false } }),
    node('m/fc/w', 'Const'),
    node('m/fc/b', 'Const'),
    node('m/fc/MatMul', 'MatMul', ['m/Mean', 'm/fc/w']),
    node('m/fc/BiasAdd', 'BiasAdd', ['m/fc/MatMul', 'm/fc/b']),
    node('m/Softmax', 'Softmax', ['m/fc/BiasAdd']),
    node('Identity', 'Identity', ['m/Softmax']),
  ];
  const consts = new Map<string, { shape: number[]; values: Float32Array }>([
    ['m/mul_y', { shape: [], values: Float32Array.from([2]) }],
    ['m/conv/w', { shape: [3, 3, 2, 4], values: c.w1 }],
    ['m/bn/scale', { shape: [4], values: c.scale }],
    ['m/bn/offset', { shape: [4], values: c.offset }],
    ['m/bn/mean', { shape: [4], values: c.mean }],
    ['m/bn/variance', { shape: [4], values: c.variance }],
    ['m/dw/w', { shape: [3, 3, 4, 1], values: c.dw }],
    ['m/dw/b', { shape: [4], values: c.dwb }],
    ['m/axes', { shape: [2], values: Float32Array.from([1, 2]) }],
    ['m/fc/w', { shape: [4, 3], values: c.fc }],
    ['m/fc/b', { shape: [3], values: c.fcb }],
  ]);

  it('folds BN, bias and activations into the convs; output matches a float64 reference', () => {
    const { graph, weights } = convertGraphModel(nodes, consts);
    expect(graph.layers.map((l) => `${l.className}:${l.name}`)).toEqual([
      'InputLayer:x',
      'Rescaling:in_Mul',
      'Conv2D:conv_Conv2D',
      'DepthwiseConv2D:dw_Relu',
      'GlobalAveragePooling2D:Mean',
      'Dense:fc_MatMul',
      'Activation:Softmax',
    ]);
    expect(graph.layers[2]!.config.activation).toBe('relu6');
    expect(graph.layers[3]!.config.activation).toBe('relu');
    const m = modelFromGraph(graph);
    m.setWeights(weights);
    const xv = randomArray(5 * 5 * 2, next);
    const x = tensor(xv, [1, 5, 5, 2]);
    const got = (m.predict(x) as any).data() as Float32Array;
    // Reference, unfused and in float64.
    const x2 = xv.map((v) => v * 2);
    const g1 = convGeometry('t', 5, 5, [3, 3], [1, 1], [1, 1], 'valid');
    const conv = convReference(x2, [1, 5, 5, 2], c.w1, 4, 1, g1, undefined, 'linear');
    const bn = Float32Array.from(conv, (v, i) => {
      const ch = i % 4;
      return Math.min(6, Math.max(0, ((v - c.mean[ch]!) / Math.sqrt(c.variance[ch]! + 0.001)) * c.scale[ch]! + c.offset[ch]!));
    });
    const g2 = convGeometry('t', 3, 3, [3, 3], [1, 1], [1, 1], 'same');
    const dw = depthwiseReference(bn, [1, 3, 3, 4], c.dw, 1, g2, c.dwb, 'relu');
    const mean = [0, 1, 2, 3].map((ch) => [...dw].filter((_, i) => i % 4 === ch).reduce((a, b) => a + b, 0) / 9);
    const logits = [0, 1, 2].map((j) => c.fcb[j]! + mean.reduce((a, v, i) => a + v * c.fc[i * 3 + j]!, 0));
    const mx = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - mx));
    const want = e.map((v) => v / e.reduce((a, b) => a + b, 0));
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(w))));
    x.dispose();
    m.dispose();
  });

  it('a placeholder with open sizes ([-1, -1, -1, C]) converts once and runs at any size, as the graph converted at that size', () => {
    const open = nodes.map((n) => (n.op === 'Placeholder' ? node('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '2' }] } } }) : n));
    const { graph, weights } = convertGraphModel(open, consts);
    expect(graph.layers[0]!.config.batch_input_shape).toEqual([null, null, null, 2]);
    const m = modelFromGraph(graph);
    m.setWeights(weights);
    for (const shape of [[1, 5, 5, 2], [2, 9, 6, 2], [1, 3, 4, 2]]) {
      const fixed = convertGraphModel(nodes, consts, { inputShape: shape.slice(1) });
      const ref = modelFromGraph(fixed.graph);
      ref.setWeights(fixed.weights);
      const x = tensor(randomArray(shape.reduce((a, b) => a * b, 1), next), shape);
      const got = (m.predict(x) as any).data() as Float32Array;
      const want = (ref.predict(x) as any).data() as Float32Array;
      expect(got.length).toBe(shape[0]! * 3);
      expect([...got]).toEqual([...want]);
      x.dispose();
      ref.dispose();
    }
    m.dispose();
    // A Shape of an open tensor, and an open channel count, need inputShape: the message names the node.
    const shaped = [...open.slice(0, 1), node('s', 'Shape', ['x']), node('r', 'Reshape', ['x', 's'])];
    expect(() => convertGraphModel(shaped, consts)).toThrow(/node 's' \(Shape\): the shape of a tensor with open sizes \[null,null,2\].*pass inputShape/);
    const noChannels = [node('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '-1' }, { size: '5' }, { size: '5' }, { size: '-1' }] } } }), ...nodes.slice(1)];
    expect(() => convertGraphModel(noChannels, consts)).toThrow(/unknown channels/);
  });

  it('Tanh, Elu, Selu, Softplus, Softsign after a conv (alone and as fused ops) fold into it and match their definitions', () => {
    const defs: Record<string, [string, (v: number) => number]> = {
      Tanh: ['tanh', Math.tanh],
      Elu: ['elu', (v) => (v > 0 ? v : Math.exp(v) - 1)],
      Selu: ['selu', (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1))],
      Softplus: ['softplus', (v) => Math.log(1 + Math.exp(v))],
      Softsign: ['softsign', (v) => v / (1 + Math.abs(v))],
    };
    const xs = [-3, -0.7, 0.4, 2.5];
    for (const [op, [name, f]] of Object.entries(defs)) {
      for (const fused of [false, true]) {
        const conv = fused
          ? node('conv', '_FusedConv2D', ['x', 'w', 'b'], { strides: ints(1, 1, 1, 1), padding: str('SAME'), fused_ops: { list: { s: ['BiasAdd', op].map((o) => Buffer.from(o).toString('base64')) } } })
          : node('conv', 'Conv2D', ['x', 'w'], { strides: ints(1, 1, 1, 1), padding: str('SAME') });
        const g: GraphNode[] = [
          node('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '1' }, { size: '2' }, { size: '2' }, { size: '1' }] } } }),
          node('w', 'Const'),
          ...(fused ? [node('b', 'Const'), conv] : [conv, node('act', op, ['conv'])]),
        ];
        const k = new Map<string, { shape: number[]; values: Float32Array }>([
          ['w', { shape: [1, 1, 1, 1], values: Float32Array.from([1.5]) }],
          ['b', { shape: [1], values: Float32Array.from([fused ? 0.25 : 0]) }],
        ]);
        const { graph, weights } = convertGraphModel(g, k);
        expect(graph.layers.map((l) => l.className), op).toEqual(['InputLayer', 'Conv2D']);
        expect(graph.layers[1]!.config.activation).toBe(name);
        const m = modelFromGraph(graph);
        m.setWeights(weights);
        const x = tensor(xs, [1, 2, 2, 1]);
        const got = (m.predict(x) as any).data() as Float32Array;
        xs.forEach((v, i) => expect(Math.abs(got[i]! - f(1.5 * v + (fused ? 0.25 : 0))), `${op} fused=${fused} at ${v}`).toBeLessThanOrEqual(1e-6));
        x.dispose();
        m.dispose();
      }
    }
  });

  it('LeakyRelu and Prelu (standalone and fused into the conv) and ConcatV2 on the channel axis', () => {
    const xs = [-3, -0.7, 0.4, 2.5];
    const shape4 = { shape: { shape: { dim: [{ size: '1' }, { size: '2' }, { size: '2' }, { size: '1' }] } } };
    const fusedOps = (...ops: string[]) => ({ list: { s: ops.map((o) => Buffer.from(o).toString('base64')) } });
    const conv = (name: string, input: string, w: string, extra: string[], fused: string[], attr: Record<string, unknown> = {}) =>
      fused.length
        ? node(name, '_FusedConv2D', [input, w, ...extra], { strides: ints(1, 1, 1, 1), padding: str('SAME'), fused_ops: fusedOps(...fused), ...attr })
        : node(name, 'Conv2D', [input, w], { strides: ints(1, 1, 1, 1), padding: str('SAME') });
    const g: GraphNode[] = [
      node('x', 'Placeholder', [], shape4),
      node('w1', 'Const'),
      node('w2', 'Const'),
      node('b', 'Const'),
      node('alpha', 'Const'),
      // Branch 1: fused BiasAdd + LeakyRelu (alpha 0.1). Branch 2: conv, then a standalone Prelu per channel.
      conv('c1', 'x', 'w1', ['b'], ['BiasAdd', 'LeakyRelu'], { leakyrelu_alpha: { f: 0.1 } }),
      conv('c2', 'x', 'w2', [], []),
      node('p2', 'Prelu', ['c2', 'alpha']),
      // Branch 3: conv with fused BiasAdd + Prelu; branch 4: a standalone LeakyRelu of the input (TF's default alpha 0.2).
      conv('c3', 'x', 'w2', ['b', 'alpha'], ['BiasAdd', 'Prelu']),
      node('l4', 'LeakyRelu', ['x']),
      node('axis', 'Const'),
      node('cat', 'ConcatV2', ['c1', 'p2', 'c3', 'l4', 'axis']),
    ];
    const k = new Map<string, { shape: number[]; values: Float32Array }>([
      ['w1', { shape: [1, 1, 1, 1], values: Float32Array.from([1.5]) }],
      ['w2', { shape: [1, 1, 1, 1], values: Float32Array.from([-2]) }],
      ['b', { shape: [1], values: Float32Array.from([0.25]) }],
      ['alpha', { shape: [1], values: Float32Array.from([0.3]) }],
      ['axis', { shape: [], values: Float32Array.from([-1]) }],
    ]);
    const { graph, weights } = convertGraphModel(g, k);
    expect(graph.layers.map((l) => l.className)).toEqual(['InputLayer', 'Conv2D', 'LeakyReLU', 'Conv2D', 'PReLU', 'Conv2D', 'PReLU', 'LeakyReLU', 'Concatenate']);
    const m = modelFromGraph(graph);
    m.setWeights(weights);
    const x = tensor(xs, [1, 2, 2, 1]);
    const y = m.predict(x) as any;
    expect(y.shape).toEqual([1, 2, 2, 4]);
    const got = y.data() as Float32Array;
    const leaky = (v: number, a: number) => (v >= 0 ? v : a * v);
    xs.forEach((v, i) => {
      const want = [leaky(1.5 * v + 0.25, 0.1), leaky(-2 * v, 0.3), leaky(-2 * v + 0.25, 0.3), leaky(v, 0.2)];
      want.forEach((wv, j) => expect(Math.abs(got[4 * i + j]! - wv), `pixel ${i} channel ${j}`).toBeLessThanOrEqual(1e-6));
    });
    x.dispose();
    m.dispose();
  });

  it('hard-swish written out (Keras and PyTorch forms) becomes one hard_swish, folded into the conv', () => {
    const xs = [-3.5, -1.2, 0.4, 2.5];
    const shape4 = { shape: { shape: { dim: [{ size: '1' }, { size: '2' }, { size: '2' }, { size: '1' }] } } };
    const hs = (u: number) => (u * Math.min(Math.max(u + 3, 0), 6)) / 6;
    const hsig = (u: number) => Math.min(Math.max(u + 3, 0), 6) / 6;
    const conv = (name: string, w: string, input = 'x') => node(name, 'Conv2D', [input, w], { strides: ints(1, 1, 1, 1), padding: str('SAME') });
    const k = new Map<string, { shape: number[]; values: Float32Array }>([
      ['w', { shape: [1, 1, 1, 1], values: Float32Array.from([1.5]) }],
      ['w2', { shape: [1, 1, 1, 1], values: Float32Array.from([-0.8]) }],
      ['three', { shape: [], values: Float32Array.from([3]) }],
      ['sixth', { shape: [], values: Float32Array.from([1 / 6]) }],
      ['six', { shape: [], values: Float32Array.from([6]) }],
    ]);
    const consts = ['w', 'w2', 'three', 'sixth', 'six'].map((c) => node(c, 'Const'));
    const cases: { name: string; g: GraphNode[]; layers: string[]; want: (v: number) => number }[] = [
      {
        name: 'Keras: x * (relu6(x + 3) * (1/6))',
        g: [node('x', 'Placeholder', [], shape4), ...consts, conv('c', 'w'), node('a', 'AddV2', ['c', 'three']), node('r', 'Relu6', ['a']), node('h', 'Mul', ['r', 'sixth']), node('y', 'Mul', ['c', 'h'])],
        layers: ['InputLayer', 'Conv2D'],
        want: (v) => hs(1.5 * v),
      },
      {
        name: 'PyTorch: (x * relu6(x + 3)) / 6',
        g: [node('x', 'Placeholder', [], shape4), ...consts, conv('c', 'w'), node('a', 'AddV2', ['three', 'c']), node('r', 'Relu6', ['a']), node('m', 'Mul', ['r', 'c']), node('y', 'RealDiv', ['m', 'six'])],
        layers: ['InputLayer', 'Conv2D'],
        want: (v) => hs(1.5 * v),
      },
      {
        name: 'on the input (no conv to fold into)',
        g: [node('x', 'Placeholder', [], shape4), ...consts, node('a', 'AddV2', ['x', 'three']), node('r', 'Relu6', ['a']), node('m', 'Mul', ['x', 'r']), node('y', 'Mul', ['sixth', 'm'])],
        layers: ['InputLayer', 'Activation'],
        want: hs,
      },
      {
        name: 'a squeeze-excite gate x * hard_sigmoid(z) stays a product',
        g: [node('x', 'Placeholder', [], shape4), ...consts, conv('c', 'w'), conv('z', 'w2'), node('a', 'AddV2', ['z', 'three']), node('r', 'Relu6', ['a']), node('h', 'Mul', ['r', 'sixth']), node('y', 'Mul', ['c', 'h'])],
        // z's + 3 and relu6 fold into z's conv (its sole reader); the gate stays a Multiply.
        layers: ['InputLayer', 'Conv2D', 'Conv2D', 'Rescaling', 'Multiply'],
        want: (v) => 1.5 * v * hsig(-0.8 * v),
      },
      {
        // Regression: the conv absorbed a constant-first add whatever else read the conv.
        name: 'AddV2(3, x) with x read elsewhere stays out of x\'s conv',
        g: [node('x', 'Placeholder', [], shape4), ...consts, conv('c', 'w'), node('a', 'AddV2', ['three', 'c']), node('y', 'AddV2', ['a', 'c'])],
        layers: ['InputLayer', 'Conv2D', 'Rescaling', 'Add'],
        want: (v) => 3 * v + 3,
      },
      {
        name: 'x + 3 also read elsewhere: not folded',
        g: [node('x', 'Placeholder', [], shape4), ...consts, conv('c', 'w'), node('a', 'AddV2', ['c', 'three']), node('r', 'Relu6', ['a']), node('h', 'Mul', ['r', 'sixth']), node('m', 'Mul', ['c', 'h']), node('y', 'AddV2', ['m', 'a'])],
        layers: ['InputLayer', 'Conv2D', 'Rescaling', 'Activation', 'Rescaling', 'Multiply', 'Add'],
        want: (v) => hs(1.5 * v) + 1.5 * v + 3,
      },
    ];
    for (const cs of cases) {
      const { graph, weights } = convertGraphModel(cs.g, k);
      expect(graph.layers.map((l) => l.className), cs.name).toEqual(cs.layers);
      if (cs.layers.length === 2) expect(graph.layers[1]!.config.activation, cs.name).toBe('hard_swish');
      const m = modelFromGraph(graph);
      m.setWeights(weights);
      const x = tensor(xs, [1, 2, 2, 1]);
      const got = (m.predict(x) as any).data() as Float32Array;
      xs.forEach((v, i) => expect(Math.abs(got[i]! - cs.want(v)), `${cs.name} at ${v}`).toBeLessThanOrEqual(1e-6));
      x.dispose();
      m.dispose();
    }
  });

  it('ClipByValue(0, 6) is relu6 and ExpandDims a reshape', () => {
    const g: GraphNode[] = [
      node('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '1' }, { size: '2' }, { size: '2' }, { size: '1' }] } } }),
      node('w', 'Const'),
      node('conv', 'Conv2D', ['x', 'w'], { strides: ints(1, 1, 1, 1), padding: str('SAME') }),
      node('lo', 'Const'),
      node('hi', 'Const'),
      node('clip', 'ClipByValue', ['conv', 'lo', 'hi']),
      node('ax', 'Const'),
      node('expand', 'ExpandDims', ['clip', 'ax']),
    ];
    const k = new Map<string, { shape: number[]; values: Float32Array }>([
      ['w', { shape: [1, 1, 1, 1], values: Float32Array.from([-4]) }],
      ['lo', { shape: [], values: Float32Array.from([0]) }],
      ['hi', { shape: [], values: Float32Array.from([6]) }],
      ['ax', { shape: [], values: Float32Array.from([-1]) }],
    ]);
    const { graph, weights } = convertGraphModel(g, k);
    expect(graph.layers.map((l) => l.className)).toEqual(['InputLayer', 'Conv2D', 'Reshape']);
    expect(graph.layers[1]!.config.activation).toBe('relu6');
    const m = modelFromGraph(graph);
    m.setWeights(weights);
    const x = tensor([-3, -1, 0.5, 2], [1, 2, 2, 1]);
    const y = m.predict(x) as any;
    expect(y.shape).toEqual([1, 2, 2, 1, 1]);
    expect([...y.data()]).toEqual([6, 4, 0, 0]);
    x.dispose();
    m.dispose();
  });

  it("Keras Flatten's dynamic shape arithmetic (Shape, StridedSlice, Pack, Reshape) folds to a reshape", () => {
    const g: GraphNode[] = [
      node('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '-1' }, { size: '2' }, { size: '3' }, { size: '4' }] } } }),
      node('shape', 'Shape', ['x']),
      node('b', 'Const'),
      node('e', 'Const'),
      node('s', 'Const'),
      node('batch', 'StridedSlice', ['shape', 'b', 'e', 's'], { shrink_axis_mask: { i: '1' } }),
      node('m1', 'Const'),
      node('packed', 'Pack', ['batch', 'm1']),
      node('flat', 'Reshape', ['x', 'packed']),
    ];
    const k = new Map<string, { shape: number[]; values: Float32Array }>([
      ['b', { shape: [1], values: Float32Array.from([0]) }],
      ['e', { shape: [1], values: Float32Array.from([1]) }],
      ['s', { shape: [1], values: Float32Array.from([1]) }],
      ['m1', { shape: [], values: Float32Array.from([-1]) }],
    ]);
    const { graph } = convertGraphModel(g, k);
    expect(graph.layers.map((l) => `${l.className}:${JSON.stringify(l.config.target_shape ?? null)}`)).toEqual(['InputLayer:null', 'Reshape:[24]']);
  });

  it('a graph with ops sepconv lacks fails at load with ONE error listing every unsupported node', () => {
    const bad = nodes.map((n) =>
      n.name === 'm/conv/Relu6' ? { ...n, op: 'Lgamma' } : n.name === 'm/Mean' ? { ...n, op: 'CropAndResize' } : n,
    );
    const e = (() => {
      try {
        convertGraphModel(bad, consts);
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e!.message).toMatch(/2 node\(s\) with ops sepconv does not support/);
    expect(e!.message).toMatch(/m\/conv\/Relu6 \(Lgamma\)/);
    expect(e!.message).toMatch(/m\/Mean \(CropAndResize\)/);
  });

  it('several outputs, intermediate ones included: predict returns each (in the order asked) as its float64 reference, nothing folds past an output', () => {
    const outputs = ['m/conv/Conv2D', 'Identity', 'm/conv/Relu6:0'];
    const { graph, weights } = convertGraphModel(nodes, consts, { outputs });
    const m = modelFromGraph(graph);
    m.setWeights(weights);
    expect(m.outputNames).toEqual(['m/conv/Conv2D', 'Identity', 'm/conv/Relu6']);
    const single = convertGraphModel(nodes, consts);
    const one = modelFromGraph(single.graph);
    one.setWeights(single.weights);
    const xv = randomArray(5 * 5 * 2, next);
    const x = tensor(xv, [1, 5, 5, 2]);
    const got = (m.predict(x) as any[]).map((t) => t.data() as Float32Array);
    expect(got.map((g) => g.length)).toEqual([3 * 3 * 4, 3, 3 * 3 * 4]);
    const x2 = xv.map((v) => v * 2);
    const conv = convReference(x2, [1, 5, 5, 2], c.w1, 4, 1, convGeometry('t', 5, 5, [3, 3], [1, 1], [1, 1], 'valid'), undefined, 'linear');
    const bn = Array.from(conv, (v, i) => Math.min(6, Math.max(0, ((v - c.mean[i % 4]!) / Math.sqrt(c.variance[i % 4]! + 0.001)) * c.scale[i % 4]! + c.offset[i % 4]!)));
    conv.forEach((w, i) => expect(Math.abs(got[0]![i]! - w)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(w))));
    bn.forEach((w, i) => expect(Math.abs(got[2]![i]! - w)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(w))));
    // The signature's output is what the single-output model gives (which folds the BN into the conv: rounding differs).
    const alone = (one.predict(x) as any).data() as Float32Array;
    alone.forEach((w, i) => expect(Math.abs(got[1]![i]! - w)).toBeLessThanOrEqual(1e-6));
    x.dispose();
    m.dispose();
    one.dispose();
  });

  it('chosen outputs run only the subgraph they need; unknown or repeated outputs are ModelFormatErrors naming them', () => {
    const { graph } = convertGraphModel(nodes, consts, { outputs: ['m/conv/Relu6'] });
    expect(graph.layers.map((l) => l.className)).toEqual(['InputLayer', 'Rescaling', 'Conv2D']);
    expect(() => convertGraphModel(nodes, consts, { outputs: ['m/nope'] })).toThrow(/output 'm\/nope' is not a node of this graph/);
    expect(() => convertGraphModel(nodes, consts, { outputs: ['Identity', 'Identity:0'] })).toThrow(/outputs name a tensor twice/);
    expect(() => convertGraphModel(nodes, consts, { outputs: [] })).toThrow(ModelFormatError);
  });

  it('every unsupported node of every output is listed (with .unsupported) before outputs or other ops are checked', () => {
    // Two outputs, two unsupported ops on different branches, and a channel Pad this converter rejects later.
    const bad = [
      ...nodes.map((n) => (n.name === 'm/conv/Relu6' ? { ...n, op: 'Lgamma' } : n)),
      node('p/pads', 'Const'),
      node('p/Pad', 'Pad', ['m/in/Mul', 'p/pads']),
      node('p/Resize', 'CropAndResize', ['p/Pad', 'p/pads']),
    ];
    const pads = new Map([...consts, ['p/pads', { shape: [4, 2], values: Float32Array.from([0, 0, 0, 0, 0, 0, 0, 2]) }]]);
    const e = (() => {
      try {
        convertGraphModel(bad, pads);
      } catch (x) {
        return x as UnsupportedOpsError;
      }
    })();
    expect(e).toBeInstanceOf(UnsupportedOpsError);
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e!.unsupported).toEqual([
      { node: 'm/conv/Relu6', op: 'Lgamma' },
      { node: 'p/Resize', op: 'CropAndResize' },
    ]);
    expect(e!.message).toMatch(/2 op\(s\): Lgamma x1, CropAndResize x1/);
  });

  it('channel padding, AddN and clip(relu(x), 0, 6) as Minimum/Maximum: outputs match a float64 reference; one arena, stable over 1,000 predicts', () => {
    // x [4, 4, 3] -> Pad (1 row top, 2 channels before, 1 after) -> [5, 4, 6]; a = relu(x) clipped at 6 as
    // Relu -> Minimum 6 -> Maximum 0, padded the same way; y = AddN(pad(x), pad(a), pad(x)).
    const g: GraphNode[] = [
      node('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '-1' }, { size: '4' }, { size: '4' }, { size: '3' }] } } }),
      node('pads', 'Const'),
      node('six', 'Const'),
      node('zero', 'Const'),
      node('px', 'Pad', ['x', 'pads']),
      node('r', 'Relu', ['x']),
      node('mn', 'Minimum', ['r', 'six']),
      node('mx', 'Maximum', ['mn', 'zero']),
      node('pa', 'PadV2', ['mx', 'pads', 'zero']),
      node('sum', 'AddN', ['px', 'pa', 'px']),
    ];
    const pads = [0, 0, 1, 0, 0, 0, 2, 1];
    const k = new Map([
      ['pads', { shape: [4, 2], values: Float32Array.from(pads) }],
      ['six', { shape: [], values: Float32Array.from([6]) }],
      ['zero', { shape: [], values: Float32Array.from([0]) }],
    ]);
    const { graph, weights } = convertGraphModel(g, k, { outputs: ['sum', 'pa'] });
    const m = modelFromGraph(graph);
    m.setWeights(weights);
    const xv = randomArray(4 * 4 * 3, next).map((v) => v * 8);
    const x = tensor(xv, [1, 4, 4, 3]);
    const pad = (f: (v: number) => number) => {
      const out = new Float64Array(5 * 4 * 6);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let ch = 0; ch < 3; ch++) out[((i + 1) * 4 + j) * 6 + ch + 2] = f(xv[(i * 4 + j) * 3 + ch]!);
      return out;
    };
    const wantPa = pad((v) => Math.min(6, Math.max(0, v)));
    const wantPx = pad((v) => v);
    const wantSum = wantPx.map((v, i) => 2 * v + wantPa[i]!);
    const check = () => {
      const [sum, pa] = (m.predict(x) as any[]).map((t) => t.data() as Float32Array);
      expect(sum!.length).toBe(wantSum.length);
      wantSum.forEach((w, i) => expect(Math.abs(sum![i]! - w)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(w))));
      wantPa.forEach((w, i) => expect(pa![i]!).toBe(w));
    };
    check();
    // Clipped values above 6 and below 0 are present, so the clip is exercised.
    expect(xv.some((v) => v > 6) && xv.some((v) => v < 0)).toBe(true);
    for (let i = 0; i < 9; i++) m.predict(x);
    const after10 = m.memoryStats();
    for (let i = 0; i < 990; i++) m.predict(x);
    expect(m.memoryStats()).toEqual(after10);
    check();
    x.dispose();
    m.dispose();
  });

  it('malformed graphs: a missing input node, a constant without data', () => {
    expect(() => convertGraphModel([...nodes.slice(0, 4), node('y', 'Relu', ['nope']), node('Identity', 'Identity', ['y'])], consts, { outputs: ['Identity'] })).toThrow(/node 'nope' is referenced but not defined/);
    expect(() => convertGraphModel(nodes, new Map([...consts].filter(([k]) => k !== 'm/fc/w')))).toThrow(/m\/fc\/w' \(Const\): no value/);
  });

  it('loads the real nsfwjs models through every path to a runnable model', async () => {
    const events: LoadProgress[] = [];
    const m = await loadModel(new URL('mobilenet_v2_mid/model.min.js', NSFW).pathname, { onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.phase)).toContain('build');
    expect(m.countParams()).toBe(4_300_773);
    const raw = await readModelFiles(new URL('mobilenet_v2/model.min.js', NSFW).pathname);
    expect(raw.weightData.byteLength).toBe(2_619_461);
    m.dispose();
  });
});
