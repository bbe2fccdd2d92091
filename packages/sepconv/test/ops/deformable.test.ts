// The deformable depthwise op through this build's wasm against the float64 reference: channels around the
// vector and the 8-channel tile, multipliers, offset groups, K, strides with dilations, padding modes, masks,
// offsets fractional / integral / far off the image, the kernel activations.
import { beforeAll, describe, expect, it } from 'vitest';
import { deformableDepthwiseConv2d, ShapeError, tensor } from '../../src/entry/node.js';
import type { ActivationName } from '../../src/ops/activation.js';
import { conv2dGeometry, type Padding } from '../../src/ops/geometry.js';
import { deformableDepthwiseReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

const ACTS: ActivationName[] = ['linear', 'relu', 'relu6', 'hardSwish', 'sigmoid', 'swish'];

describe('deformableDepthwiseConv2d', () => {
  it('matches the float64 reference over swept shapes', () => {
    let seed = 0;
    const paddings: Padding[] = ['same', 'valid', [0, 2, 1, 0]];
    for (const [c, groups] of [[1, 1], [4, 2], [5, 1], [8, 4], [9, 3], [17, 1]] as const) {
      for (const m of [1, 3]) {
        for (const k of [[3, 3], [1, 2], [5, 5]] as [number, number][]) {
          seed++;
          const next = rng(seed);
          const [h, w] = [[6, 5], [9, 9], [3, 8]][seed % 3]!;
          const xShape = [1 + (seed % 2), h!, w!, c];
          const opts = { strides: 1 + (seed % 2), dilations: 1 + ((seed >> 1) % 2), padding: paddings[seed % 3]! };
          const g = conv2dGeometry('test', xShape, k, opts);
          const taps = k[0] * k[1];
          const pixels = xShape[0]! * g.outH * g.outW;
          const spread = [1.5, 4, 0][seed % 3]!;
          const xData = randomArray(xShape.reduce((a, b) => a * b, 1), next);
          const off = Float32Array.from(randomArray(pixels * groups * taps * 2, next), (v) => (seed % 4 === 0 ? Math.round(v * spread) : v * spread));
          const maskData = seed % 2 ? Float32Array.from(randomArray(pixels * groups * taps, next), (v) => 0.5 + 0.5 * v) : undefined;
          const fData = randomArray(taps * c * m, next);
          const bias = seed % 3 ? randomArray(c * m, next) : undefined;
          const activation = ACTS[seed % ACTS.length]!;
          using x = tensor(xData, xShape);
          using o = tensor(off, [xShape[0]!, g.outH, g.outW, groups * taps * 2]);
          using mk = maskData ? tensor(maskData, [xShape[0]!, g.outH, g.outW, groups * taps]) : undefined;
          using f = tensor(fData, [k[0], k[1], c, m]);
          using y = deformableDepthwiseConv2d(x, o, f, { ...opts, mask: mk, bias, activation });
          expect(y.shape).toEqual([xShape[0], g.outH, g.outW, c * m]);
          expectClose(y.data(), deformableDepthwiseReference(xData, xShape, off, maskData, groups, fData, m, g, bias, activation), { scale: 4 * taps });
        }
      }
    }
  });

  it('names the offsets shape it expects', () => {
    using x = tensor(new Float32Array(3 * 3 * 2), [1, 3, 3, 2]);
    using f = tensor(new Float32Array(9 * 2), [3, 3, 2, 1]);
    using o = tensor(new Float32Array(9 * 18), [1, 3, 3, 18]);
    expect(() => deformableDepthwiseConv2d(x, o, f)).toThrow(ShapeError);
    expect(() => deformableDepthwiseConv2d(x, o, f)).toThrow(/offsets \[1, 1, 1, 2 x G x 9\]/);
  });
});
