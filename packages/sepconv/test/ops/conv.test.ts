// conv2d (direct, im2col and 1x1 paths) through the wasm vs the float64 reference.
// Tolerance: atol 1e-5 + rtol 1e-5 scaled by sqrt(KH*KW*Cin/groups).
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2d, conv2dGeometry, DisposedTensorError, OptionError, PackedConvWeights, runConv2d, ShapeError, tensor, zeros } from '../../src/entry/node.js';
import type { ActivationName } from '../../src/ops/activation.js';
import type { Padding } from '../../src/ops/geometry.js';
import { convReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  groups: number;
  k: [number, number];
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  bias: boolean;
  activation: ActivationName;
}

function check(cs: Case, seed: number): void {
  const next = rng(seed);
  const xShape = [cs.n, cs.h, cs.w, cs.cin];
  const cg = cs.cin / cs.groups;
  const xData = randomArray(cs.n * cs.h * cs.w * cs.cin, next);
  const fData = randomArray(cs.k[0] * cs.k[1] * cg * cs.cout, next);
  const bias = cs.bias ? randomArray(cs.cout, next) : undefined;
  const opts = { strides: cs.strides, dilations: cs.dilations, padding: cs.padding };
  const g = conv2dGeometry('test', xShape, cs.k, opts);
  using x = tensor(xData, xShape);
  using f = tensor(fData, [cs.k[0], cs.k[1], cg, cs.cout]);
  using y = conv2d(x, f, { ...opts, groups: cs.groups, bias, activation: cs.activation });
  expect(y.shape).toEqual([cs.n, g.outH, g.outW, cs.cout]);
  expectClose(y.data(), convReference(xData, xShape, fData, cs.cout, cs.groups, g, bias, cs.activation), {
    scale: Math.max(1, Math.sqrt(cs.k[0] * cs.k[1] * cg)),
  });
}

const activations: ActivationName[] = ['linear', 'relu', 'relu6', 'hardSwish', 'sigmoid', 'swish'];

describe(`conv2d through the ${TEST_BUILD} wasm`, () => {
  it('matches the reference over kernel sizes, strides, paddings and groups', () => {
    let seed = 1;
    for (const k of [1, 2, 3, 5, 7])
      for (const s of [1, 2, 3, 4])
        for (const padding of ['same', 'valid', [2, 0, 1, 3]] as Padding[])
          for (const [cin, cout, groups] of [[3, 8, 1], [4, 6, 2], [6, 6, 6], [5, 9, 1]] as const) {
            seed++;
            check({ n: 1 + (seed % 2), h: 9, w: 10, cin, cout, groups, k: [k, k], strides: [s, s], dilations: [1, 1], padding, bias: seed % 3 !== 0, activation: activations[seed % 6]! }, seed);
          }
  });

  it('handles dilations, rectangular kernels and the stem', () => {
    let seed = 500;
    for (const d of [2, 3, 4])
      for (const k of [[3, 3], [2, 5], [5, 1]] as [number, number][])
        for (const groups of [1, 2]) {
          seed++;
          check({ n: 1, h: 15, w: 13, cin: 4, cout: 10, groups, k, strides: [1, seed % 2 ? 2 : 1], dilations: [d, seed % 3 ? d : 1], padding: seed % 2 ? 'same' : [1, 2, 3, 0], bias: true, activation: 'relu6' }, seed);
        }
    // MobileNet stem: 3x3 / 2 over 3 channels.
    check({ n: 1, h: 32, w: 33, cin: 3, cout: 32, groups: 1, k: [3, 3], strides: [2, 2], dilations: [1, 1], padding: 'same', bias: true, activation: 'relu6' }, 9);
  });

  it('matches the reference when the weights come from memory (im2col blocks of 64 pixels)', () => {
    // 3x3 x 256 -> 512 packs to 4.7 MB, past LARGE_B_BYTES: 81 pixels = a 64-pixel block and a ragged one.
    check({ n: 1, h: 9, w: 9, cin: 256, cout: 512, groups: 1, k: [3, 3], strides: [1, 1], dilations: [1, 1], padding: 'same', bias: true, activation: 'relu6' }, 31);
  });

  it('runConv2d packs once and writes into a given output', () => {
    const next = rng(77);
    const xShape = [1, 8, 8, 5];
    const fData = randomArray(3 * 3 * 5 * 7, next);
    const packed = PackedConvWeights.pack(fData, [3, 3, 5, 7], undefined, 1);
    const g = conv2dGeometry('test', xShape, [3, 3], { padding: 'same' });
    using out = zeros([1, 8, 8, 7]);
    for (let rep = 0; rep < 2; rep++) {
      const xData = randomArray(8 * 8 * 5, next);
      using x = tensor(xData, xShape);
      expect(runConv2d(x, packed, g, 'relu', 'test', out)).toBe(out);
      expectClose(out.data(), convReference(xData, xShape, fData, 7, 1, g, undefined, 'relu'), { scale: Math.sqrt(45) });
    }
    using x = tensor(new Float32Array(8 * 8 * 5), xShape);
    using wrong = zeros([1, 8, 8, 6]);
    expect(() => runConv2d(x, packed, g, 'linear', 'test', wrong)).toThrow(ShapeError);
    packed.dispose();
    expect(() => runConv2d(x, packed, g, 'linear')).toThrow(DisposedTensorError);
  });

  it('throws typed errors naming the problem, and stays usable afterwards', () => {
    using x = tensor(new Float32Array(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    using f = tensor(new Float32Array(3 * 3 * 3 * 2), [3, 3, 3, 2]);
    expect(() => conv2d(x, f)).toThrow(ShapeError);
    expect(() => conv2d(x, f)).toThrow(/filter \[KH, KW, 4, Cout\].*got filter \[3, 3, 3, 2\]/);
    using f2 = tensor(new Float32Array(3 * 3 * 2 * 6), [3, 3, 2, 6]);
    expect(() => conv2d(x, f2, { groups: 2 })).not.toThrow();
    expect(() => conv2d(x, f2, { groups: 3 })).toThrow(OptionError);
    expect(() => conv2d(x, f2, { groups: 0 })).toThrow(/groups/);
    using f4 = tensor(new Float32Array(3 * 3 * 4 * 2), [3, 3, 4, 2]);
    expect(() => conv2d(x, f4, { strides: 0 })).toThrow(OptionError);
    expect(() => conv2d(x, f4, { dilations: [1, 1.5] })).toThrow(/dilations/);
    expect(() => conv2d(x, f4, { padding: 'full' as never })).toThrow(/padding/);
    expect(() => conv2d(x, f4, { activation: 'gelu' as never })).toThrow(/activation/);
    expect(() => conv2d(x, f4, { bias: new Float32Array(3) })).toThrow(/bias.*2 values.*3 values/);
    using small = tensor(new Float32Array(2 * 2 * 2 * 4), [2, 2, 2, 4]);
    expect(() => conv2d(small, f4, { padding: 'valid' })).toThrow(ShapeError);
    const gone = tensor(new Float32Array(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    gone.dispose();
    expect(() => conv2d(gone, f4)).toThrow(DisposedTensorError);
    check({ n: 1, h: 5, w: 5, cin: 4, cout: 2, groups: 1, k: [3, 3], strides: [1, 1], dilations: [1, 1], padding: 'same', bias: true, activation: 'relu' }, 7);
  });
});
