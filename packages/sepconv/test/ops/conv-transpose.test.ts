// conv2dTranspose (GEMM + col2im) through the wasm vs the float64 reference, the 'convTranspose' model step,
// and its errors. Tolerance: atol 1e-5 + rtol 1e-5 scaled by sqrt(KH*KW*Cin).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  conv2dTranspose,
  conv2dTransposeGeometry,
  DisposedTensorError,
  OptionError,
  PackedConvTransposeWeights,
  runConv2dTranspose,
  ShapeError,
  tensor,
  zeros,
} from '../../src/entry/node.js';
import type { ActivationName } from '../../src/ops/activation.js';
import type { Padding } from '../../src/ops/geometry.js';
import { fuse, prepareRunner, WeightCache } from '../../src/layers/exec.js';
import type { Lowered } from '../../src/layers/ir.js';
import { convTransposeReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

const activations: ActivationName[] = ['linear', 'relu', 'relu6', 'hardSwish', 'sigmoid', 'swish'];

/** TF's output size for 'same' (in * s) and 'valid' ((in - 1) * s + span), plus `extra` rows ('valid' only). */
function outSize(input: number, k: number, s: number, d: number, padding: Padding, axis: 0 | 1, extra: number): number {
  if (padding === 'same') return input * s;
  if (padding === 'valid') return (input - 1) * s + (k - 1) * d + 1 + extra;
  const [b, e] = axis === 0 ? [padding[0], padding[1]] : [padding[2], padding[3]];
  return (input - 1) * s + (k - 1) * d + 1 - b - e + extra;
}

function check(n: number, h: number, w: number, cin: number, cout: number, k: [number, number], s: [number, number], d: [number, number], padding: Padding, extra: [number, number], bias: boolean, activation: ActivationName, seed: number): void {
  const next = rng(seed);
  const xShape = [n, h, w, cin];
  const oh = outSize(h, k[0], s[0], d[0], padding, 0, extra[0]);
  const ow = outSize(w, k[1], s[1], d[1], padding, 1, extra[1]);
  if (oh < 1 || ow < 1) return;
  const xData = randomArray(n * h * w * cin, next);
  const fData = randomArray(k[0] * k[1] * cout * cin, next);
  const b = bias ? randomArray(cout, next) : undefined;
  const opts = { strides: s, dilations: d, padding };
  const g = conv2dTransposeGeometry('test', xShape, [oh, ow], k, opts);
  using x = tensor(xData, xShape);
  using f = tensor(fData, [k[0], k[1], cout, cin]);
  using y = conv2dTranspose(x, f, [oh, ow, cout], { ...opts, bias: b, activation });
  expect(y.shape).toEqual([n, oh, ow, cout]);
  expectClose(y.data(), convTransposeReference(xData, xShape, fData, cout, g, b, activation), { scale: Math.max(1, Math.sqrt(k[0] * k[1] * cin)) });
}

describe(`conv2dTranspose through the ${TEST_BUILD} wasm`, () => {
  it('matches the reference over kernel sizes, strides and TF paddings', () => {
    let seed = 1;
    for (const k of [1, 2, 3, 4, 5])
      for (const st of [1, 2, 3])
        for (const padding of ['same', 'valid'] as Padding[])
          for (const [cin, cout] of [[3, 8], [8, 3], [5, 9], [16, 1]] as const) {
            seed++;
            check(1 + (seed % 2), 4 + (seed % 5), 3 + (seed % 6), cin, cout, [k, k], [st, st], [1, 1], padding, [0, 0], seed % 3 !== 0, activations[seed % 6]!, seed);
          }
  });

  it('matches the reference with explicit pads, ONNX output padding, dilations and rectangular kernels', () => {
    let seed = 300;
    for (const k of [[3, 3], [2, 5], [4, 1]] as [number, number][])
      for (const s of [[1, 1], [2, 2], [3, 2]] as [number, number][])
        for (const padding of [[1, 1, 1, 1], [0, 2, 1, 0], [2, 0, 0, 3]] as Padding[])
          for (const d of [[1, 1], [2, 1]] as [number, number][]) {
            seed++;
            const extra: [number, number] = [seed % Math.max(s[0], d[0]), (seed >> 1) % Math.max(s[1], d[1])];
            check(1, 5, 6, 6, 7, k, s, d, padding, extra, true, activations[seed % 6]!, seed);
          }
    // Many pixels and a wide KH*KW*Cout (several column blocks).
    check(2, 17, 15, 24, 40, [4, 4], [2, 2], [1, 1], 'same', [0, 0], true, 'relu6', 7);
  });

  it('runConv2dTranspose packs once and writes into a given output', () => {
    const next = rng(77);
    const xShape = [1, 6, 5, 4];
    const fData = randomArray(3 * 3 * 7 * 4, next);
    const packed = PackedConvTransposeWeights.pack(fData, [3, 3, 7, 4], undefined);
    const g = conv2dTransposeGeometry('test', xShape, [12, 10], [3, 3], { strides: 2, padding: 'same' });
    using out = zeros([1, 12, 10, 7]);
    for (let rep = 0; rep < 2; rep++) {
      const xData = randomArray(6 * 5 * 4, next);
      using x = tensor(xData, xShape);
      expect(runConv2dTranspose(x, packed, g, 'relu', 'test', out)).toBe(out);
      expectClose(out.data(), convTransposeReference(xData, xShape, fData, 7, g, undefined, 'relu'), { scale: 6 });
    }
    using x = tensor(new Float32Array(6 * 5 * 4), xShape);
    using wrong = zeros([1, 12, 10, 6]);
    expect(() => runConv2dTranspose(x, packed, g, 'linear', 'test', wrong)).toThrow(ShapeError);
    packed.dispose();
    expect(() => runConv2dTranspose(x, packed, g, 'linear')).toThrow(DisposedTensorError);
  });

  it('runs as a model step, with a following activation fused into it', () => {
    const next = rng(5);
    const filter = randomArray(4 * 4 * 6 * 3, next);
    const bias = randomArray(6, next);
    const low: Lowered = {
      shapes: [[5, 7, 3], [10, 14, 6], [10, 14, 6]],
      inputs: [0],
      outputs: [2],
      steps: [
        { kind: 'convTranspose', layer: 'up', key: 'up', inputs: [0], output: 1, macs: 0, weights: () => ({ filter, filterShape: [4, 4, 6, 3], bias }), kernel: [4, 4], strides: [2, 2], dilations: [1, 1], pads: { top: 1, bottom: 1, left: 1, right: 1 }, activation: 'linear' },
        { kind: 'activation', layer: 'act', inputs: [1], output: 2, macs: 0, activation: 'relu' },
      ],
    };
    fuse(low);
    expect(low.steps.map((s) => [s.kind, (s as { activation?: string }).activation])).toEqual([['convTranspose', 'relu']]);
    const cache = new WeightCache();
    const run = prepareRunner(low.steps[0]!, low.shapes, 2, cache);
    const xData = randomArray(2 * 5 * 7 * 3, next);
    using x = tensor(xData, [2, 5, 7, 3]);
    using y = zeros([2, 10, 14, 6]);
    run([x], y);
    const g = conv2dTransposeGeometry('test', [2, 5, 7, 3], [10, 14], [4, 4], { strides: 2, padding: [1, 1, 1, 1] });
    expectClose(y.data(), convTransposeReference(xData, [2, 5, 7, 3], filter, 6, g, bias, 'relu'), { scale: Math.sqrt(48) });
    expect(cache.bytes).toBe((filter.length + bias.length) * 4);
    cache.dispose();
  });

  it('throws typed errors naming the problem, and stays usable afterwards', () => {
    using x = tensor(new Float32Array(2 * 4 * 4 * 3), [2, 4, 4, 3]);
    using f = tensor(new Float32Array(3 * 3 * 5 * 3), [3, 3, 5, 3]);
    using fBad = tensor(new Float32Array(3 * 3 * 5 * 2), [3, 3, 5, 2]);
    expect(() => conv2dTranspose(x, fBad, [8, 8, 5], { strides: 2, padding: 'same' })).toThrow(/filter \[KH, KW, Cout, 3\].*got filter \[3, 3, 5, 2\]/);
    // TF's check: the forward conv of 9x8 with stride 2 'same' gives 5x4, not the input's 4x4.
    expect(() => conv2dTranspose(x, f, [9, 8, 5], { strides: 2, padding: 'same' })).toThrow(ShapeError);
    expect(() => conv2dTranspose(x, f, [9, 8, 5], { strides: 2, padding: 'same' })).toThrow(/output 9x8 for input \[2, 4, 4, 3\]/);
    expect(() => conv2dTranspose(x, f, [8, 8, 4], { strides: 2, padding: 'same' })).toThrow(/outputShape \[2, OH, OW, 5\]/);
    expect(() => conv2dTranspose(x, f, [3, 8, 8, 5], { strides: 2, padding: 'same' })).toThrow(ShapeError);
    expect(() => conv2dTranspose(x, f, [8, 8] as never, { strides: 2 })).toThrow(OptionError);
    expect(() => conv2dTranspose(x, f, [0, 8, 5], { strides: 2 })).toThrow(/output \[0, 8\]/);
    expect(() => conv2dTranspose(x, f, [8, 8, 5], { strides: 0 })).toThrow(/strides/);
    expect(() => conv2dTranspose(x, f, [8, 8, 5], { strides: 2, padding: 'full' as never })).toThrow(/padding/);
    expect(() => conv2dTranspose(x, f, [8, 8, 5], { strides: 2, padding: 'same', activation: 'gelu' as never })).toThrow(/activation/);
    expect(() => conv2dTranspose(x, f, [8, 8, 5], { strides: 2, padding: 'same', bias: new Float32Array(3) })).toThrow(/bias.*5 values.*3 values/);
    // Explicit pads: the output may exceed the forward size by up to stride - 1 (ONNX output_padding), no more.
    expect(() => conv2dTranspose(x, f, [10, 10, 5], { strides: 2, padding: [0, 0, 0, 0] })).not.toThrow();
    expect(() => conv2dTranspose(x, f, [11, 9, 5], { strides: 2, padding: [0, 0, 0, 0] })).toThrow(/output 11x9/);
    const gone = tensor(new Float32Array(2 * 4 * 4 * 3), [2, 4, 4, 3]);
    gone.dispose();
    expect(() => conv2dTranspose(gone, f, [8, 8, 5], { strides: 2, padding: 'same' })).toThrow(DisposedTensorError);
    check(1, 4, 4, 3, 5, [3, 3], [2, 2], [1, 1], 'same', [0, 0], true, 'relu', 9);
  });
});
