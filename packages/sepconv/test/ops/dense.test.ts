// dense through the wasm vs the float64 reference. Tolerance atol/rtol 1e-5 scaled by sqrt(in).
import { beforeAll, describe, expect, it } from 'vitest';
import { dense, DisposedTensorError, DTypeError, OptionError, ShapeError, tensor } from '../../src/entry/node.js';
import { gemmReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

describe(`dense through the ${TEST_BUILD} wasm`, () => {
  it('matches the reference for batches and feature counts around the tile', () => {
    let seed = 1;
    for (const b of [1, 2, 4, 5, 11])
      for (const [k, n] of [[1, 1], [7, 3], [16, 10], [33, 17], [1280, 9]] as const) {
        const next = rng(seed++);
        const a = randomArray(b * k, next);
        const w = randomArray(k * n, next);
        const bias = randomArray(n, next);
        using x = tensor(a, [b, k]);
        using wt = tensor(w, [k, n]);
        using y = dense(x, wt, { bias, activation: seed % 2 ? 'relu' : 'sigmoid' });
        expect(y.shape).toEqual([b, n]);
        expectClose(y.data(), gemmReference(a, b, k, w, n, bias, seed % 2 ? 'relu' : 'sigmoid'), { scale: Math.sqrt(k) });
      }
  });

  it('throws typed errors naming the problem, and stays usable afterwards', () => {
    using x = tensor(new Float32Array(2 * 4), [2, 4]);
    using w = tensor(new Float32Array(3 * 5), [3, 5]);
    expect(() => dense(x, w)).toThrow(ShapeError);
    expect(() => dense(x, w)).toThrow(/weights \[4, out\].*got weights \[3, 5\]/);
    using w4 = tensor(new Float32Array(4 * 5), [4, 5]);
    using x4 = tensor(new Float32Array(16), [1, 2, 2, 4]);
    expect(() => dense(x4, w4)).toThrow(/rank 2/);
    expect(() => dense(x, w4, { bias: new Float32Array(2) })).toThrow(/bias/);
    expect(() => dense(x, w4, { activation: 'softmax' as never })).toThrow(OptionError);
    expect(() => dense(x, [1, 2] as never)).toThrow(DTypeError);
    const gone = tensor(new Float32Array(8), [2, 4]);
    gone.dispose();
    expect(() => dense(gone, w4)).toThrow(DisposedTensorError);
    using ones = tensor(new Float32Array(8).fill(1), [2, 4]);
    using wone = tensor(new Float32Array(20).fill(0.5), [4, 5]);
    using y = dense(ones, wone, { bias: new Float32Array(5).fill(1) });
    expect(Array.from(y.data())).toEqual(new Array(10).fill(3));
  });
});
