// The seed's deformable depthwise block as a layer (offset conv, then the deformable depthwise conv; DCN v1 and
// the modulated v2), in a model, against the same network in ONNX Runtime (Conv -> [Split, Sigmoid] -> DeformConv)
// on the same weights; an untrained layer (zero offset weights) is the plain depthwise conv.
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';
import { attrInt, attrInts, depthwiseToOihw, initializer as init, onnx, onnxModel, ort, toNchw as nchw, toOihw as oihw, valueInfo as vi } from '../engines/onnx.js';

interface Cfg {
  c: number;
  m: number;
  groups: number;
  k: number;
  strides: number;
  modulated: boolean;
  padding: 'same' | 'valid';
}

async function compare(cfg: Cfg, seed: number) {
  const [n, h, w] = [2, 11, 9];
  const inp = sc.input({ shape: [h, w, cfg.c] });
  const layer = sc.layers.deformableDepthwiseConv2d({ kernelSize: cfg.k, strides: cfg.strides, padding: cfg.padding, depthMultiplier: cfg.m, offsetGroups: cfg.groups, modulated: cfg.modulated, activation: 'relu6' });
  const model = sc.model({ inputs: inp, outputs: layer.apply(inp) });
  const next = rng(seed);
  const weights = new Map<string, Float32Array>();
  for (const s of model.weightSpecs()) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    // Offset weights large enough that samples land between pixels and off the image.
    const scale = s.name.includes('offset') ? 0.6 : 1;
    weights.set(s.name, Float32Array.from({ length: size }, () => next() * scale));
  }
  model.setWeights(weights);
  const x = Float32Array.from({ length: n * h * w * cfg.c }, () => next());
  const xt = sc.tensor(x, [n, h, w, cfg.c]);
  const y = model.predict(xt) as sc.Tensor;
  const got = y.data().slice();
  const [oh, ow] = [y.shape[1]!, y.shape[2]!];

  const name = layer.name;
  const taps = cfg.k * cfg.k;
  const p = cfg.groups * taps * (cfg.modulated ? 3 : 2);
  const g = sc.conv2dGeometry('t', [n, h, w, cfg.c], [cfg.k, cfg.k], { strides: cfg.strides, padding: cfg.padding });
  const pads = [g.pads.top, g.pads.left, g.pads.bottom, g.pads.right];
  const common = [attrInts('kernel_shape', [cfg.k, cfg.k]), attrInts('strides', [cfg.strides, cfg.strides]), attrInts('pads', pads)];
  const nodes = [onnx.NodeProto.create({ opType: 'Conv', input: ['x', 'ow', 'ob'], output: ['o'], attribute: common })];
  const inits = [init('ow', oihw(weights.get(`${name}/offset_kernel`)!, [cfg.k, cfg.k, cfg.c, p]), [p, cfg.c, cfg.k, cfg.k]), init('ob', weights.get(`${name}/offset_bias`)!, [p])];
  const dcIn = ['x', 'dw', 'o', 'db'];
  if (cfg.modulated) {
    const nOff = cfg.groups * taps * 2;
    inits.push(init('split', BigInt64Array.from([BigInt(nOff), BigInt(p - nOff)]), [2]));
    nodes.push(onnx.NodeProto.create({ opType: 'Split', input: ['o', 'split'], output: ['off', 'logits'], attribute: [attrInt('axis', 1)] }));
    nodes.push(onnx.NodeProto.create({ opType: 'Sigmoid', input: ['logits'], output: ['mask'] }));
    dcIn.splice(2, 2, 'off', 'db', 'mask');
  }
  const oc = cfg.c * cfg.m;
  const dwOnnx = depthwiseToOihw(weights.get(`${name}/depthwise_kernel`)!, [cfg.k, cfg.k, cfg.c, cfg.m]);
  inits.push(init('dw', dwOnnx, [oc, 1, cfg.k, cfg.k]), init('db', weights.get(`${name}/bias`)!, [oc]));
  nodes.push(onnx.NodeProto.create({ opType: 'DeformConv', input: dcIn, output: ['d'], attribute: [...common, attrInt('group', cfg.c), attrInt('offset_group', cfg.groups)] }));
  nodes.push(onnx.NodeProto.create({ opType: 'Clip', input: ['d', 'zero', 'six'], output: ['y'] }));
  inits.push(init('zero', Float32Array.from([0]), []), init('six', Float32Array.from([6]), []));
  const session = await ort.InferenceSession.create(onnxModel(nodes, [vi('x', [n, cfg.c, h, w])], [vi('y', [n, oc, oh, ow])], inits));
  const res = await session.run({ x: new ort.Tensor('float32', nchw(x, [n, h, w, cfg.c]), [n, cfg.c, h, w]) });
  await session.release();
  const want = res.y.data as Float32Array;
  let worst = 0;
  for (let b = 0; b < n; b++)
    for (let o = 0; o < oc; o++)
      for (let yy = 0; yy < oh; yy++)
        for (let xx = 0; xx < ow; xx++) {
          const r = want[((b * oc + o) * oh + yy) * ow + xx]!;
          const v = got[((b * oh + yy) * ow + xx) * oc + o]!;
          worst = Math.max(worst, Math.abs(v - r) / (1 + Math.abs(r)));
        }
  xt.dispose();
  model.dispose();
  return worst;
}

beforeAll(async () => {
  await sc.init();
});

describe('DeformableDepthwiseConv2D layer', () => {
  const cfgs: Cfg[] = [
    { c: 8, m: 1, groups: 1, k: 3, strides: 1, modulated: false, padding: 'same' },
    { c: 12, m: 2, groups: 3, k: 3, strides: 2, modulated: true, padding: 'same' },
    { c: 5, m: 1, groups: 1, k: 5, strides: 1, modulated: true, padding: 'valid' },
    { c: 16, m: 1, groups: 4, k: 3, strides: 1, modulated: false, padding: 'valid' },
  ];
  for (const [i, cfg] of cfgs.entries()) {
    it(`matches ONNX Runtime: ${JSON.stringify(cfg)}`, async () => {
      expect(await compare(cfg, 40 + i)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('untrained (zero offset weights) is the plain depthwise conv, and counts its MACs', () => {
    const inp = sc.input({ shape: [7, 6, 4] });
    const d = sc.layers.deformableDepthwiseConv2d({ kernelSize: 3, padding: 'same', modulated: true });
    const m = sc.model({ inputs: inp, outputs: d.apply(inp) });
    const next = rng(9);
    const x = sc.tensor(Float32Array.from({ length: 7 * 6 * 4 }, () => next()), [1, 7, 6, 4]);
    const dwk = m.getWeights().get(`${d.name}/depthwise_kernel`)!;
    const got = (m.predict(x) as sc.Tensor).data().slice();
    // A sigmoid mask of zero logits halves every tap.
    const plain = sc.depthwiseConv2d(x, sc.tensor(Float32Array.from(dwk, (v) => v * 0.5), [3, 3, 4, 1]), { padding: 'same' });
    const want = plain.data();
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-6);
    expect(m.summary().totalMacs).toBe(7 * 6 * 9 * 4 * (27 + 1));
    // Later predicts allocate nothing.
    for (let i = 0; i < 10; i++) m.predict(x);
    const heap = m.memoryStats().wasmHeapBytes;
    for (let i = 0; i < 1000; i++) m.predict(x);
    expect(m.memoryStats().wasmHeapBytes).toBe(heap);
    for (const t of [x, plain]) t.dispose();
    m.dispose();
  });

  it('rejects channels that offset groups do not divide, naming the layer', () => {
    const inp = sc.input({ shape: [5, 5, 6] });
    expect(() => sc.layers.deformableDepthwiseConv2d({ name: 'dcn', kernelSize: 3, offsetGroups: 4 }).apply(inp)).toThrow(/dcn.*divisible by offsetGroups \(4\)/);
  });
});
