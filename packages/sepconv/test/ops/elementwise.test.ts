import { beforeAll, describe, expect, it } from 'vitest';
import {
  activation,
  add,
  batchNorm,
  DisposedTensorError,
  DTypeError,
  hardSwish,
  mul,
  OptionError,
  pad,
  relu,
  relu6,
  ShapeError,
  sigmoid,
  softmax,
  swish,
  tensor,
  zeros,
} from '../../src/entry/node.js';
import { applyActivation, type ActivationName } from '../../src/ops/activation.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  expect((await initForTest()).build).toBe(TEST_BUILD);
});

const scaled = (n: number, seed: number, s = 8) => randomArray(n, rng(seed)).map((v) => v * s);

// Tolerance: atol 1e-5 + rtol 1e-5 unless stated (sigmoid / swish: polynomial exp, ~2e-7 relative).
describe(`elementwise ops through the ${TEST_BUILD} wasm`, () => {
  it('activations match their definitions, in place and into out', () => {
    const names: ActivationName[] = ['linear', 'relu', 'relu6', 'hardSwish', 'sigmoid', 'swish'];
    for (const n of [1, 3, 4, 5, 17, 64]) {
      const d = scaled(n, n);
      using x = tensor(d, [n]);
      for (const name of names) {
        using y = activation(x, name);
        expectClose(y.data(), Array.from(d, (v) => applyActivation(name, v)));
      }
      for (const [f, name] of [[relu, 'relu'], [relu6, 'relu6'], [hardSwish, 'hardSwish'], [sigmoid, 'sigmoid'], [swish, 'swish']] as const) {
        using y = f(x);
        expectClose(y.data(), Array.from(d, (v) => applyActivation(name, v)));
      }
      using k = activation(x, 'hard_swish');
      expectClose(k.data(), Array.from(d, (v) => applyActivation('hardSwish', v)));
      // In place.
      using z = tensor(d, [n]);
      expect(swish(z, z)).toBe(z);
      expectClose(z.data(), Array.from(d, (v) => applyActivation('swish', v)));
    }
    // Sigmoid relative accuracy far into the tail.
    const tail = Float32Array.from({ length: 200 }, (_, i) => -20 + i * 0.2);
    using t = tensor(tail, [200]);
    using s = sigmoid(t);
    expectClose(s.data(), Array.from(tail, (v) => 1 / (1 + Math.exp(-v))), { atol: 0, rtol: 1e-6 });
  });

  it('add and mul (same shape, [N,1,1,C] / [1,1,1,C] / [C] broadcast)', () => {
    for (const c of [1, 3, 4, 9, 32]) {
      const shape = [2, 3, 5, c];
      const n = 2 * 15 * c;
      const a = scaled(n, c);
      const b = scaled(n, c + 1);
      using ta = tensor(a, shape);
      using tb = tensor(b, shape);
      using s = add(ta, tb);
      expectClose(s.data(), Array.from(a, (v, i) => v + b[i]!));
      using p = mul(ta, tb);
      expectClose(p.data(), Array.from(a, (v, i) => v * b[i]!));
      const se = scaled(2 * c, c + 2, 1);
      using sn = tensor(se, [2, 1, 1, c]);
      using q = mul(ta, sn);
      expectClose(q.data(), Array.from(a, (v, i) => v * se[Math.floor(i / (15 * c)) * c + (i % c)]!));
      using s1 = tensor(se.subarray(0, c), [c]);
      using out = zeros(shape);
      expect(mul(ta, s1, out)).toBe(out);
      expectClose(out.data(), Array.from(a, (v, i) => v * se[i % c]!));
      using s4 = tensor(se.subarray(0, c), [1, 1, 1, c]);
      using r = mul(ta, s4);
      expectClose(r.data(), out.data());
    }
  });

  it('batchNorm (inference) with and without gamma / beta, fused activation', () => {
    for (const c of [1, 4, 6, 16]) {
      const shape = [2, 3, 3, c];
      const d = scaled(18 * c, c);
      const mean = scaled(c, 1, 1);
      const variance = randomArray(c, rng(2)).map((v) => Math.abs(v) + 0.1);
      const gamma = scaled(c, 3, 1);
      const beta = scaled(c, 4, 1);
      using x = tensor(d, shape);
      using y = batchNorm(x, { mean, variance, gamma, beta, epsilon: 1e-3, activation: 'relu6' });
      expectClose(
        y.data(),
        Array.from(d, (v, i) => applyActivation('relu6', ((v - mean[i % c]!) / Math.sqrt(variance[i % c]! + 1e-3)) * gamma[i % c]! + beta[i % c]!)),
        { scale: 4 },
      );
      using meanT = tensor(mean, [c]);
      using z = batchNorm(x, { mean: meanT, variance });
      expectClose(z.data(), Array.from(d, (v, i) => (v - mean[i % c]!) / Math.sqrt(variance[i % c]! + 1e-3)), { scale: 4 });
    }
  });

  it('softmax over the last axis', () => {
    for (const [rows, len] of [[1, 1], [3, 4], [2, 5], [4, 1000]] as const) {
      const d = scaled(rows * len, len);
      using x = tensor(d, [rows, len]);
      using y = softmax(x);
      const want = new Float64Array(rows * len);
      for (let r = 0; r < rows; r++) {
        const row = d.subarray(r * len, (r + 1) * len);
        const m = Math.max(...row);
        const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
        row.forEach((v, i) => (want[r * len + i] = Math.exp(v - m) / s));
      }
      expectClose(y.data(), want);
    }
  });

  it('pad (zero and constant) in every form', () => {
    const d = scaled(2 * 3 * 4 * 5, 1);
    using x = tensor(d, [2, 3, 4, 5]);
    for (const [p, pads] of [
      [1, [1, 1, 1, 1]],
      [[2, 0], [2, 2, 0, 0]],
      [[[0, 1], [2, 3]], [0, 1, 2, 3]],
    ] as const) {
      for (const value of [0, -2]) {
        using y = pad(x, p as never, value);
        const [t, b, l, r] = pads;
        const [oh, ow] = [3 + t + b, 4 + l + r];
        expect(y.shape).toEqual([2, oh, ow, 5]);
        const want = new Float64Array(2 * oh * ow * 5).fill(value);
        for (let n = 0; n < 2; n++)
          for (let yy = 0; yy < 3; yy++)
            for (let xx = 0; xx < 4; xx++)
              for (let c = 0; c < 5; c++) want[((n * oh + yy + t) * ow + xx + l) * 5 + c] = d[((n * 3 + yy) * 4 + xx) * 5 + c]!;
        expectClose(y.data(), want, { atol: 0, rtol: 0 });
      }
    }
  });

  it('throws typed errors and stays usable', () => {
    using a = tensor(new Float32Array(24), [1, 2, 3, 4]);
    using b = tensor(new Float32Array(24), [1, 3, 2, 4]);
    expect(() => add(a, b)).toThrow(ShapeError);
    using c3 = tensor(new Float32Array(3), [3]);
    expect(() => mul(a, c3)).toThrow(ShapeError);
    expect(() => mul(a, c3)).toThrow(/\[1, 2, 3, 4\] and \[3\]/);
    expect(() => add(a, new Float32Array(24) as never)).toThrow(DTypeError);
    expect(() => activation(a, 'gelu' as never)).toThrow(OptionError);
    expect(() => add(a, a, a)).toThrow(OptionError);
    using small = zeros([5]);
    expect(() => add(a, a, small)).toThrow(ShapeError);
    expect(() => softmax(a, { axis: 4 })).toThrow(OptionError);
    expect(() => pad(a, [[1, -1], [0, 0]])).toThrow(OptionError);
    expect(() => pad(c3, 1)).toThrow(ShapeError);
    expect(() => batchNorm(a, { mean: new Float32Array(3), variance: new Float32Array(4) })).toThrow(/mean.*4 values.*3 values/);
    expect(() => batchNorm(a, { mean: new Float32Array(4), variance: new Float32Array(4), epsilon: -1 })).toThrow(OptionError);
    const gone = tensor(new Float32Array(24), [1, 2, 3, 4]);
    gone.dispose();
    expect(() => relu(gone)).toThrow(DisposedTensorError);
    using ok = add(a, b.shape.length ? a : b);
    expect(ok.shape).toEqual([1, 2, 3, 4]);
  });
});
