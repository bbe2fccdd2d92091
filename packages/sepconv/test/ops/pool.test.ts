import { beforeAll, describe, expect, it } from 'vitest';
import { avgPool, DisposedTensorError, DTypeError, globalAvgPool, maxPool, OptionError, ShapeError, tensor, zeros } from '../../src/entry/node.js';
import type { Padding } from '../../src/ops/geometry.js';
import { poolGeometry } from '../../src/ops/pool.js';
import { poolReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  expect((await initForTest()).build).toBe(TEST_BUILD);
});

// Tolerance: atol 1e-5 + rtol 1e-5 (f32 sums of at most 9 taps vs float64).
describe(`pooling through the ${TEST_BUILD} wasm`, () => {
  it('avgPool / maxPool match the float64 reference (TF semantics) over sizes, windows, strides and paddings', () => {
    let seed = 1;
    for (const c of [1, 3, 4, 5, 8, 13])
      for (const [h, w] of [[1, 1], [5, 7], [8, 8]] as const)
        for (const poolSize of [1, 2, 3] as const)
          for (const strides of [undefined, 1, 2, 3] as const)
            for (const padding of ['same', 'valid', [1, 0, 0, 1]] as Padding[]) {
              const xShape = [2, h, w, c];
              let g;
              try {
                g = poolGeometry('test', xShape, { poolSize, strides, padding });
              } catch {
                continue;
              }
              const data = randomArray(2 * h * w * c, rng(seed++));
              using x = tensor(data, xShape);
              using a = avgPool(x, { poolSize, strides, padding });
              using m = maxPool(x, { poolSize, strides, padding });
              expect(a.shape).toEqual([2, g.outH, g.outW, c]);
              expectClose(a.data(), poolReference(data, xShape, g, false));
              expectClose(m.data(), poolReference(data, xShape, g, true));
            }
  });

  it('globalAvgPool averages H x W per channel, keepDims and into a preallocated out', () => {
    for (const c of [1, 4, 7, 16, 35]) {
      const data = randomArray(3 * 5 * 6 * c, rng(c));
      using x = tensor(data, [3, 5, 6, c]);
      using y = globalAvgPool(x);
      expect(y.shape).toEqual([3, c]);
      const want = new Float64Array(3 * c);
      for (let i = 0; i < data.length; i++) want[Math.floor(i / (30 * c)) * c + (i % c)]! += data[i]! / 30;
      expectClose(y.data(), want, { scale: 30 });
      using out = zeros([3, 1, 1, c]);
      const r = globalAvgPool(x, { keepDims: true }, out);
      expect(r).toBe(out);
      expectClose(out.data(), want, { scale: 30 });
    }
  });

  it('throws typed errors and stays usable', () => {
    using x = tensor(randomArray(2 * 4 * 4 * 3, rng(1)), [2, 4, 4, 3]);
    expect(() => avgPool(x, { poolSize: 0 })).toThrow(OptionError);
    expect(() => maxPool(x, { poolSize: 5 })).toThrow(ShapeError);
    expect(() => maxPool(x, { poolSize: 2, padding: [2, 0, 0, 0] })).toThrow(OptionError);
    expect(() => avgPool(x, { padding: 'full' as never })).toThrow(/padding/);
    using wrong = zeros([2, 3, 3, 3]);
    expect(() => avgPool(x, {}, wrong)).toThrow(ShapeError);
    expect(() => avgPool(x, { poolSize: 1 }, x)).toThrow(OptionError);
    expect(() => globalAvgPool(new Float32Array(4) as never)).toThrow(DTypeError);
    using r3 = tensor(new Float32Array(4), [1, 2, 2]);
    expect(() => globalAvgPool(r3)).toThrow(ShapeError);
    const gone = tensor(new Float32Array(48), [1, 4, 4, 3]);
    gone.dispose();
    expect(() => maxPool(gone)).toThrow(DisposedTensorError);
    using y = maxPool(x);
    expect(y.shape).toEqual([2, 2, 2, 3]);
  });
});
