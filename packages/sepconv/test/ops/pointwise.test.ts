// pointwiseConv2d through the wasm vs the float64 reference. Tolerance atol/rtol 1e-5 scaled by sqrt(Cin).
import { beforeAll, describe, expect, it } from 'vitest';
import { DisposedTensorError, DTypeError, OptionError, pointwiseConv2d, ShapeError, tensor } from '../../src/entry/node.js';
import type { ActivationName } from '../../src/ops/activation.js';
import { gemmReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

const activations: ActivationName[] = ['linear', 'relu', 'relu6', 'hardSwish', 'sigmoid', 'swish'];

function check(n: number, h: number, w: number, cin: number, cout: number, seed: number, rank2 = false): void {
  const next = rng(seed);
  const xData = randomArray(n * h * w * cin, next);
  const fData = randomArray(cin * cout, next);
  const bias = seed % 2 ? randomArray(cout, next) : undefined;
  const act = activations[seed % 6]!;
  using x = tensor(xData, [n, h, w, cin]);
  using f = tensor(fData, rank2 ? [cin, cout] : [1, 1, cin, cout]);
  using y = pointwiseConv2d(x, f, { bias, activation: act });
  expect(y.shape).toEqual([n, h, w, cout]);
  expectClose(y.data(), gemmReference(xData, n * h * w, cin, fData, cout, bias, act), { scale: Math.max(1, Math.sqrt(cin)) });
}

describe(`pointwiseConv2d through the ${TEST_BUILD} wasm`, () => {
  it('matches the reference over channels and pixel counts around the tile', () => {
    let seed = 10;
    for (const cin of [1, 3, 4, 8, 17, 32])
      for (const cout of [1, 4, 8, 9, 16, 24])
        for (const [h, w] of [[1, 1], [1, 3], [2, 3], [5, 5]] as const) check(1 + (seed % 2), h, w, cin, cout, seed++, seed % 5 === 0);
  });

  it('a MobileNet-like shape', () => {
    check(1, 14, 14, 64, 72, 3);
  });

  it('throws typed errors naming the problem, and stays usable afterwards', () => {
    using x = tensor(new Float32Array(2 * 3 * 3 * 4), [2, 3, 3, 4]);
    using f = tensor(new Float32Array(3 * 5), [1, 1, 3, 5]);
    expect(() => pointwiseConv2d(x, f)).toThrow(ShapeError);
    expect(() => pointwiseConv2d(x, f)).toThrow(/filter \[1, 1, 4, Cout\] or \[4, Cout\].*got filter \[1, 1, 3, 5\]/);
    using f3 = tensor(new Float32Array(9 * 4 * 5), [3, 3, 4, 5]);
    expect(() => pointwiseConv2d(x, f3)).toThrow(ShapeError);
    using f4 = tensor(new Float32Array(4 * 5), [4, 5]);
    expect(() => pointwiseConv2d(x, f4, { bias: new Float32Array(4) })).toThrow(/bias.*5 values.*4 values/);
    expect(() => pointwiseConv2d(x, f4, { activation: 'tanh' as never })).toThrow(OptionError);
    expect(() => pointwiseConv2d({} as never, f4)).toThrow(DTypeError);
    using flat = tensor(new Float32Array(4), [1, 4]);
    expect(() => pointwiseConv2d(flat, f4)).toThrow(/rank 4/);
    const gone = tensor(new Float32Array(4 * 5), [4, 5]);
    gone.dispose();
    expect(() => pointwiseConv2d(x, gone)).toThrow(DisposedTensorError);
    check(1, 3, 3, 4, 5, 1);
  });
});
