// Deformable depthwise conv against ONNX Runtime's DeformConv (onnxruntime-node, opset 19) on the same
// inputs, offsets, masks and weights: group = C (depthwise), channel multipliers 1-2, offset groups,
// K 2x3 / 3 / 5, strides, dilations, every padding mode, with and without a modulation mask and bias.
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';
import { attrInt, attrInts, depthwiseToOihw, onnxModel, ort, toNchw, toNhwc, valueInfo as vi, onnx } from '../engines/onnx.js';

interface Case {
  n: number;
  h: number;
  w: number;
  c: number;
  m: number;
  groups: number;
  k: [number, number];
  strides: [number, number];
  dilations: [number, number];
  padding: sc.DeformableDepthwiseConv2dOptions['padding'];
  mask: boolean;
  bias: boolean;
  spread: number;
}

async function compare(cs: Case, seed: number): Promise<number> {
  const next = rng(seed);
  const r = (len: number, scale = 1) => Float32Array.from({ length: len }, () => next() * scale);
  const { n, h, w, c, m, groups, k } = cs;
  const taps = k[0] * k[1];
  const g = sc.conv2dGeometry('test', [n, h, w, c], k, { strides: cs.strides, dilations: cs.dilations, padding: cs.padding });
  const x = r(n * h * w * c);
  const off = r(n * g.outH * g.outW * groups * taps * 2, cs.spread);
  const mask = cs.mask ? Float32Array.from(r(n * g.outH * g.outW * groups * taps), (v) => 0.5 + 0.5 * v) : undefined;
  const filter = r(k[0] * k[1] * c * m);
  const bias = cs.bias ? r(c * m) : undefined;

  const xt = sc.tensor(x, [n, h, w, c]);
  const ot = sc.tensor(off, [n, g.outH, g.outW, groups * taps * 2]);
  const mt = mask && sc.tensor(mask, [n, g.outH, g.outW, groups * taps]);
  const ft = sc.tensor(filter, [k[0], k[1], c, m]);
  const y = sc.deformableDepthwiseConv2d(xt, ot, ft, { strides: cs.strides, dilations: cs.dilations, padding: cs.padding, mask: mt, bias });
  const got = y.data().slice();

  // ONNX: W [C*M, 1, KH, KW] from TF [KH, KW, C, M]; offsets / mask NCHW; pads [top, left, bottom, right].
  const wOnnx = depthwiseToOihw(filter, [k[0], k[1], c, m]);
  const inputs = [vi('x', [n, c, h, w]), vi('w', [c * m, 1, k[0], k[1]]), vi('off', [n, groups * taps * 2, g.outH, g.outW])];
  const feeds: Record<string, unknown> = {
    x: new ort.Tensor('float32', toNchw(x, [n, h, w, c]), [n, c, h, w]),
    w: new ort.Tensor('float32', wOnnx, [c * m, 1, k[0], k[1]]),
    off: new ort.Tensor('float32', toNchw(off, [n, g.outH, g.outW, groups * taps * 2]), [n, groups * taps * 2, g.outH, g.outW]),
  };
  const names = ['x', 'w', 'off'];
  if (bias || mask) {
    inputs.push(vi('b', [c * m]));
    feeds.b = new ort.Tensor('float32', bias ?? new Float32Array(c * m), [c * m]);
    names.push('b');
  }
  if (mask) {
    inputs.push(vi('mask', [n, groups * taps, g.outH, g.outW]));
    feeds.mask = new ort.Tensor('float32', toNchw(mask, [n, g.outH, g.outW, groups * taps]), [n, groups * taps, g.outH, g.outW]);
    names.push('mask');
  }
  const node = onnx.NodeProto.create({
    opType: 'DeformConv',
    input: names,
    output: ['y'],
    attribute: [attrInt('group', c), attrInt('offset_group', groups), attrInts('kernel_shape', k), attrInts('strides', cs.strides), attrInts('dilations', cs.dilations), attrInts('pads', [g.pads.top, g.pads.left, g.pads.bottom, g.pads.right])],
  });
  const session = await ort.InferenceSession.create(onnxModel([node], inputs, [vi('y', [n, c * m, g.outH, g.outW])]));
  const res = await session.run(feeds);
  const want = toNhwc(res.y.data as Float32Array, [n, c * m, g.outH, g.outW]);
  await session.release();
  for (const t of [xt, ot, mt, ft, y]) t?.dispose();

  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  return worst;
}

beforeAll(async () => {
  await sc.init();
});

describe('deformableDepthwiseConv2d against ONNX Runtime DeformConv', () => {
  const cases: Case[] = [];
  const paddings: Case['padding'][] = ['same', 'valid', [1, 0, 2, 1]];
  let i = 0;
  for (const [c, groups] of [[3, 1], [8, 2], [13, 1], [12, 3], [16, 16]] as const) {
    for (const m of [1, 2]) {
      for (const k of [[3, 3], [2, 3], [5, 5]] as [number, number][]) {
        i++;
        const strides: [number, number] = i % 3 === 0 ? [2, 1] : i % 3 === 1 ? [1, 1] : [2, 2];
        const dilations: [number, number] = i % 4 === 0 ? [2, 1] : [1, 1];
        cases.push({ n: 1 + (i % 2), h: 6 + (i % 5), w: 5 + (i % 4), c, m, groups, k, strides, dilations, padding: paddings[i % 3], mask: i % 2 === 0, bias: i % 3 !== 1, spread: [1.5, 3, 0.5][i % 3]! });
      }
    }
  }
  it(`matches on ${cases.length} shapes (max |err| / (1 + |ref|) <= 1e-5)`, async () => {
    let worst = 0;
    for (const [j, cs] of cases.entries()) {
      const e = await compare(cs, 100 + j);
      expect(e, JSON.stringify(cs)).toBeLessThanOrEqual(1e-5);
      worst = Math.max(worst, e);
    }
    console.log(`deformable depthwise vs ORT DeformConv: ${cases.length} cases, worst ${worst.toExponential(2)}`);
  });

  it('rejects offsets and masks that do not fit, and the runtime stays usable', () => {
    const x = sc.tensor(new Float32Array(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    const f = sc.tensor(new Float32Array(9 * 4), [3, 3, 4, 1]);
    const badOff = sc.tensor(new Float32Array(2 * 5 * 5 * 17), [2, 5, 5, 17]);
    expect(() => sc.deformableDepthwiseConv2d(x, badOff, f, { padding: 'same' })).toThrow(sc.ShapeError);
    expect(() => sc.deformableDepthwiseConv2d(x, badOff, f, { padding: 'same' })).toThrow(/offsets \[2, 5, 5, 2 x G x 9\]/);
    const off = sc.tensor(new Float32Array(2 * 5 * 5 * 18), [2, 5, 5, 18]);
    const badMask = sc.tensor(new Float32Array(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    expect(() => sc.deformableDepthwiseConv2d(x, off, f, { padding: 'same', mask: badMask })).toThrow(/mask \[2, 5, 5, 9\]/);
    const threeGroups = sc.tensor(new Float32Array(2 * 5 * 5 * 54), [2, 5, 5, 54]);
    expect(() => sc.deformableDepthwiseConv2d(x, threeGroups, f, { padding: 'same' })).toThrow(/G offset groups dividing 4 channels/);
    off.dispose();
    expect(() => sc.deformableDepthwiseConv2d(x, off, f, { padding: 'same' })).toThrow(sc.DisposedTensorError);
    const ok = sc.tensor(new Float32Array(2 * 5 * 5 * 18), [2, 5, 5, 18]);
    const y = sc.deformableDepthwiseConv2d(x, ok, f, { padding: 'same' });
    expect(y.shape).toEqual([2, 5, 5, 4]);
    for (const t of [x, f, badOff, badMask, threeGroups, ok, y]) t.dispose();
  });
});
