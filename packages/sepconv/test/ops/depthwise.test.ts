import { beforeAll, describe, expect, it } from 'vitest';
import { depthwiseConv2d, DisposedTensorError, OptionError, ShapeError, tensor, DTypeError } from '../../src/entry/node.js';
import type { ActivationName } from '../../src/ops/activation.js';
import { depthwiseGeometry } from '../../src/ops/depthwise.js';
import type { Padding } from '../../src/ops/geometry.js';
import { depthwiseReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

interface Case {
  h: number;
  w: number;
  c: number;
  m: number;
  k: [number, number];
  stride: number;
  dilation: number;
  padding: Padding;
  bias: boolean;
  activation: ActivationName;
}

function check(cs: Case, seed: number): void {
  const next = rng(seed);
  const xShape = [2, cs.h, cs.w, cs.c];
  const xData = randomArray(2 * cs.h * cs.w * cs.c, next);
  const fData = randomArray(cs.k[0] * cs.k[1] * cs.c * cs.m, next);
  const bias = cs.bias ? randomArray(cs.c * cs.m, next) : undefined;
  const opts = { strides: cs.stride, dilations: cs.dilation, padding: cs.padding };
  const g = depthwiseGeometry('test', xShape, cs.k, opts);
  using x = tensor(xData, xShape);
  using f = tensor(fData, [cs.k[0], cs.k[1], cs.c, cs.m]);
  using y = depthwiseConv2d(x, f, { ...opts, bias, activation: cs.activation });
  expect(y.shape).toEqual([2, g.outH, g.outW, cs.c * cs.m]);
  expectClose(y.data(), depthwiseReference(xData, xShape, fData, cs.m, g, bias, cs.activation), { scale: cs.k[0] * cs.k[1] });
}

const activations: ActivationName[] = ['linear', 'relu', 'relu6', 'hardSwish', 'sigmoid', 'swish'];

describe(`depthwiseConv2d through the ${TEST_BUILD} wasm`, () => {
  it('3x3 matches the float64 reference over channels, sizes, strides and paddings', () => {
    let seed = 1;
    for (const c of [1, 3, 4, 5, 7, 8, 9, 16, 19, 32])
      for (const [h, w] of [[1, 1], [5, 7], [8, 8], [11, 4]] as const)
        for (const stride of [1, 2])
          for (const padding of ['same', 'valid'] as const) {
            if (padding === 'valid' && (h < 3 || w < 3)) continue;
            seed++;
            check({ h, w, c, m: 1, k: [3, 3], stride, dilation: 1, padding, bias: seed % 2 === 0, activation: activations[seed % 6]! }, seed);
          }
  });

  it('handles other kernel sizes, dilation, multipliers and explicit padding', () => {
    let seed = 1000;
    for (const k of [[1, 1], [2, 3], [5, 5], [7, 7]] as [number, number][])
      for (const m of [1, 2, 3])
        for (const dilation of [1, 2]) {
          seed++;
          check({ h: 15, w: 14, c: 6, m, k, stride: dilation > 1 ? 1 : 1 + (seed % 3), dilation, padding: [1, 2, 0, 1], bias: true, activation: 'relu6' }, seed);
        }
  });

  it('3x3 / 5x5 / Kx1 / 1xK fast paths: widths 1..6, channels around the tiles, C % 512 == 0, stride 1 / 2', () => {
    let seed = 5000;
    for (const k of [[3, 3], [5, 5], [5, 1], [1, 5]] as [number, number][])
      for (const stride of [1, 2])
        for (const c of [4, 12, 13, 512])
          for (const w of c === 512 ? [1, 6] : [1, 2, 3, 4, 5, 6]) {
            seed++;
            const padding: Padding = seed % 3 === 0 ? 'valid' : seed % 3 === 1 ? 'same' : [2, 0, 0, 3];
            try {
              depthwiseGeometry('test', [2, 4, w, c], k, { strides: stride, padding });
            } catch {
              continue; // the kernel does not fit this input
            }
            check({ h: 4, w, c, m: 1, k, stride, dilation: 1, padding, bias: true, activation: activations[seed % 6]! }, seed);
          }
  });

  it('throws typed errors naming the problem, and stays usable afterwards', () => {
    using x = tensor(new Float32Array(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    using f = tensor(new Float32Array(3 * 3 * 3), [3, 3, 3, 1]);
    expect(() => depthwiseConv2d(x, f)).toThrow(ShapeError);
    expect(() => depthwiseConv2d(x, f)).toThrow(/filter \[KH, KW, 4, M\].*got filter \[3, 3, 3, 1\]/);
    using f4 = tensor(new Float32Array(3 * 3 * 4), [3, 3, 4, 1]);
    expect(() => depthwiseConv2d(x, f4, { strides: 0 })).toThrow(OptionError);
    expect(() => depthwiseConv2d(x, f4, { padding: 'full' as never })).toThrow(/padding/);
    expect(() => depthwiseConv2d(x, f4, { activation: 'gelu' as never })).toThrow(/activation/);
    expect(() => depthwiseConv2d(x, f4, { bias: new Float32Array(3) })).toThrow(/bias.*4 values.*3 values/);
    expect(() => depthwiseConv2d(new Float32Array(4) as never, f4)).toThrow(DTypeError);
    using small = tensor(new Float32Array(2 * 2 * 2 * 4), [2, 2, 2, 4]);
    expect(() => depthwiseConv2d(small, f4, { padding: 'valid' })).toThrow(ShapeError);
    const gone = tensor(new Float32Array(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    gone.dispose();
    expect(() => depthwiseConv2d(gone, f4)).toThrow(DisposedTensorError);
    expect(() => gone.data()).toThrow(DisposedTensorError);
    // still usable
    check({ h: 5, w: 5, c: 4, m: 1, k: [3, 3], stride: 1, dilation: 1, padding: 'same', bias: true, activation: 'relu' }, 7);
  });
});
