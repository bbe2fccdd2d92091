// The general elementwise ops (binary with numpy broadcasting, unary), reductions over any axes and softmax /
// log-softmax on any axis, on each wasm build, against TF.js CPU (@tensorflow/tfjs-core + backend-cpu) on the
// same inputs: swept shapes (odd sizes, every broadcast pattern of every axis, both operand orders), every
// axis set, NaN / ±Infinity at seeded positions; and the typed errors.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  binary,
  binaryInto,
  logSoftmax,
  OptionError,
  reduce,
  reduceInto,
  ShapeError,
  softmax,
  softmaxInto,
  tensor,
  unary,
  unaryInto,
  zeros,
  add,
  mul,
  type BinaryOpName,
  type ReduceOpName,
  type Tensor,
  type UnaryOpName,
} from '../../src/entry/node.js';
import { initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  expect((await initForTest()).build).toBe(TEST_BUILD);
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** Uniform in [-scale, scale), about one value in `every` replaced by NaN / ±Infinity (0: none). */
function values(n: number, seed: number, scale = 3, every = 0): Float32Array {
  const next = rng(seed);
  const v = randomArray(n, next).map((x) => x * scale);
  if (every > 0) for (let i = 0; i < n; i++) if (Math.abs(next()) < 1 / every) v[i] = [NaN, Infinity, -Infinity][i % 3]!;
  return v;
}

/** NaN where TF.js gives NaN, the same infinity, else |got - want| <= atol + rtol |want|. */
function expectSame(what: string, got: ArrayLike<number>, want: ArrayLike<number>, atol = 1e-6, rtol = 2e-6): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok) throw new Error(`${what}: element ${i}: got ${g}, TF.js ${w}`);
  }
}

function ours(data: Float32Array, shape: number[]): Tensor {
  return tensor(data, shape);
}

/** Every broadcast partner of `shape`: each axis kept or 1, leading axes dropped. */
function patterns(shape: number[]): number[][] {
  const seen = new Map<string, number[]>();
  for (let mask = 0; mask < 1 << shape.length; mask++) {
    const s = shape.map((d, i) => ((mask >> i) & 1 ? 1 : d));
    for (let drop = 0; drop <= s.length; drop++) if (s.slice(0, drop).every((d) => d === 1)) seen.set(s.slice(drop).join(','), s.slice(drop));
  }
  return [...seen.values()];
}

const TF_BINARY: Record<BinaryOpName, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  div: tf.div,
  maximum: tf.maximum,
  minimum: tf.minimum,
  squaredDifference: tf.squaredDifference,
  pow: tf.pow,
};

const TF_UNARY: Record<UnaryOpName, (x: tf.Tensor) => tf.Tensor> = {
  sqrt: tf.sqrt,
  rsqrt: tf.rsqrt,
  square: tf.square,
  abs: tf.abs,
  neg: tf.neg,
  exp: tf.exp,
  log: tf.log,
  tanh: tf.tanh,
  sigmoid: tf.sigmoid,
  relu: tf.relu,
  relu6: tf.relu6,
  leakyRelu: (x) => tf.leakyRelu(x, 0.1),
  elu: tf.elu,
  floor: tf.floor,
  ceil: tf.ceil,
  round: tf.round,
  sign: tf.sign,
  reciprocal: tf.reciprocal,
  erf: tf.erf,
  hardSigmoid: (x) => tf.clipByValue(tf.add(tf.mul(x, 0.3), 0.4), 0, 1),
  hardSwish: (x) => tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6),
};

const TF_REDUCE: Record<ReduceOpName, (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor> = {
  sum: tf.sum,
  mean: tf.mean,
  max: tf.max,
  min: tf.min,
  prod: tf.prod,
};

describe(`general elementwise ops, reductions and softmax through the ${TEST_BUILD} wasm vs TF.js CPU`, () => {
  it('binary ops broadcast every axis pattern as TF.js', () => {
    let seed = 1;
    for (const shape of [[5], [2, 3], [3, 1, 5], [2, 3, 4, 5], [1, 7, 2, 3], [2, 1, 3, 2, 1, 3], [2, 9, 6]]) {
      for (const other of patterns(shape)) {
        for (const [sa, sb] of [[shape, other], [other, shape]] as const) {
          const da = values(sa.reduce((p, d) => p * d, 1), seed++);
          const db = values(sb.reduce((p, d) => p * d, 1), seed++);
          using a = ours(da, sa);
          using b = ours(db, sb);
          for (const op of Object.keys(TF_BINARY) as BinaryOpName[]) {
            const pa = op === 'pow' ? da.map((v) => Math.abs(v) + 0.1) : da;
            using a2 = op === 'pow' ? ours(pa, sa) : undefined;
            using y = binary(op, a2 ?? a, b);
            const want = tf.tidy(() => TF_BINARY[op](tf.tensor(pa, sa), tf.tensor(db, sb)));
            expect(y.shape, `${op} ${sa} ${sb}`).toEqual(want.shape);
            expectSame(`${op} [${sa}] [${sb}]`, y.data(), want.dataSync());
            want.dispose();
          }
        }
      }
    }
  });

  it('binary ops: NaN / ±Infinity, per-channel and NCHW broadcasts, add / mul broadcast, into views', () => {
    const cases: [number[], number[]][] = [
      [[2, 5, 7, 3], [3]],
      [[2, 5, 7, 13], [2, 1, 1, 13]],
      [[2, 3, 5, 6], [1, 3, 1, 1]],
      [[4, 37], [37]],
      [[1], [3, 1, 4]],
    ];
    let seed = 100;
    for (const [sa, sb] of cases) {
      const da = values(sa.reduce((p, d) => p * d, 1), seed++, 3, 7);
      const db = values(sb.reduce((p, d) => p * d, 1), seed++, 3, 7);
      using a = ours(da, sa);
      using b = ours(db, sb);
      for (const op of Object.keys(TF_BINARY) as BinaryOpName[]) {
        using y = binary(op, a, b);
        const want = tf.tidy(() => TF_BINARY[op](tf.tensor(da, sa), tf.tensor(db, sb)));
        expectSame(`${op} specials [${sa}] [${sb}]`, y.data(), want.dataSync());
        want.dispose();
      }
      using s = add(a, b);
      using m = mul(a, b);
      expectSame('add broadcast', s.data(), tf.tidy(() => tf.add(tf.tensor(da, sa), tf.tensor(db, sb)).dataSync()));
      expectSame('mul broadcast', m.data(), tf.tidy(() => tf.mul(tf.tensor(da, sa), tf.tensor(db, sb)).dataSync()));
      using out = zeros(s.shape as number[]);
      expect(binaryInto('sub', a, b, out)).toBe(out);
      expectSame('sub into', out.data(), tf.tidy(() => tf.sub(tf.tensor(da, sa), tf.tensor(db, sb)).dataSync()));
    }
  });

  it('unary ops as TF.js, with NaN / ±Infinity, in place and into views', () => {
    for (const n of [1, 3, 4, 5, 17, 64, 203]) {
      const d = values(n, n, 6, n > 16 ? 9 : 0);
      using x = ours(d, [n]);
      for (const op of Object.keys(TF_UNARY) as UnaryOpName[]) {
        const options = op === 'leakyRelu' ? { alpha: 0.1 } : op === 'hardSigmoid' ? { alpha: 0.3, beta: 0.4 } : {};
        using y = unary(op, x, options);
        const want = tf.tidy(() => TF_UNARY[op](tf.tensor(d, [n])).dataSync());
        // TF.js's erf is Abramowitz-Stegun 7.1.26 (1.5e-7 absolute), the others float64 rounded.
        expectSame(`${op} n ${n}`, y.data(), want, op === 'erf' ? 4e-7 : 1e-6);
        using z = ours(d, [n]);
        expect(unaryInto(op, z, z, options)).toBe(z);
        expect(Array.from(z.data()), `${op} in place`).toEqual(Array.from(y.data()));
      }
    }
  });

  it('reductions over every axis set, keepDims, as TF.js', () => {
    let seed = 200;
    for (const shape of [[7], [2, 3], [5, 1, 6], [2, 3, 4, 5], [3, 1, 2, 7, 1, 2], [4, 37], [3, 130, 5]]) {
      const r = shape.length;
      for (let mask = 1; mask < 1 << r; mask++) {
        const axes = shape.map((_, i) => i).filter((i) => (mask >> i) & 1);
        const d = values(shape.reduce((p, q) => p * q, 1), seed++, 2, seed % 3 === 0 ? 50 : 0);
        using x = ours(d, shape);
        for (const op of Object.keys(TF_REDUCE) as ReduceOpName[]) {
          const dd = op === 'prod' ? d.map((v) => 1 + v * 0.05) : d;
          using xx = op === 'prod' ? ours(dd, shape) : undefined;
          const count = axes.reduce((p, a) => p * shape[a]!, 1);
          for (const keepDims of [false, true]) {
            // Negative axes name the same axes.
            const given = keepDims ? axes.map((a) => a - r) : axes;
            using y = reduce(op, xx ?? x, { axes: given, keepDims });
            const want = tf.tidy(() => TF_REDUCE[op](tf.tensor(dd, shape), axes, keepDims));
            expect(y.shape, `${op} ${shape} ${axes}`).toEqual(want.shape);
            const tol = 2e-6 * Math.sqrt(count) * 4;
            expectSame(`${op} [${shape}] axes [${axes}]`, y.data(), want.dataSync(), tol, tol);
            want.dispose();
          }
        }
      }
    }
    // Default: all axes; into a view.
    const d = values(60, 9);
    using x = ours(d, [3, 4, 5]);
    using all = reduce('sum', x);
    expect(all.shape).toEqual([]);
    expectSame('sum all', all.data(), [tf.tidy(() => tf.sum(tf.tensor(d, [3, 4, 5])).dataSync()[0]!)], 1e-5, 1e-5);
    using out = zeros([3, 1, 5]);
    expect(reduceInto('mean', x, [1], out)).toBe(out);
    expectSame('mean into', out.data(), tf.tidy(() => tf.mean(tf.tensor(d, [3, 4, 5]), 1).dataSync()));
  });

  it('softmax and log-softmax on every axis as TF.js (its definition: x - max, exp, sum, over the axis)', () => {
    let seed = 300;
    for (const shape of [[7], [2, 3], [3, 5, 4], [2, 3, 4, 5], [1, 2, 1, 3, 2, 5], [4, 300], [3, 9, 7]]) {
      const d = values(shape.reduce((p, q) => p * q, 1), seed++, 8, seed % 2 ? 40 : 0);
      using x = ours(d, shape);
      for (let axis = -shape.length; axis < shape.length; axis++) {
        const want = tf.tidy(() => {
          const t = tf.tensor(d, shape);
          const shifted = tf.sub(t, tf.max(t, axis, true));
          const e = tf.exp(shifted);
          return [tf.div(e, tf.sum(e, axis, true)).dataSync(), tf.sub(shifted, tf.log(tf.sum(e, axis, true))).dataSync()];
        });
        using s = softmax(x, { axis });
        using l = logSoftmax(x, { axis });
        expectSame(`softmax [${shape}] axis ${axis}`, s.data(), want[0]!, 2e-6, 2e-6);
        expectSame(`logSoftmax [${shape}] axis ${axis}`, l.data(), want[1]!, 2e-6, 2e-6);
        using o = zeros(shape);
        expect(softmaxInto(x, axis, o, true)).toBe(o);
        expect(Array.from(o.data())).toEqual(Array.from(l.data()));
      }
    }
  });

  it('typed errors: incompatible broadcasts, bad axes and options', () => {
    using a = tensor(new Float32Array(24), [2, 3, 4]);
    using b = tensor(new Float32Array(3), [3]);
    using r7 = zeros([1, 1, 1, 1, 1, 1, 2]);
    using empty = zeros([2, 0]);
    expect(() => binary('sub', a, b)).toThrow(ShapeError);
    expect(() => binary('sub', a, r7)).toThrow(ShapeError);
    expect(() => binary('nope' as BinaryOpName, a, a)).toThrow(OptionError);
    expect(() => binary('div', a, a, a)).toThrow(OptionError);
    using small = zeros([5]);
    expect(() => binary('div', a, a, small)).toThrow(ShapeError);
    expect(() => unary('gelu' as UnaryOpName, a)).toThrow(OptionError);
    expect(() => unary('leakyRelu', a, { alpha: NaN })).toThrow(OptionError);
    for (const axes of [3, -4, [0, 0], [0, -3], 1.5, 'x', [NaN]]) expect(() => reduce('sum', a, { axes: axes as never })).toThrow(OptionError);
    expect(() => reduce('sum', a, { keepDims: 1 as never })).toThrow(OptionError);
    expect(() => reduce('max', empty, { axes: [1] })).toThrow(ShapeError);
    using z = reduce('sum', empty, { axes: [1] });
    expect(Array.from(z.data())).toEqual([0, 0]);
    using mz = reduce('mean', empty, { axes: [1] });
    expect(Array.from(mz.data()).every(Number.isNaN)).toBe(true);
    using mk = reduce('max', empty, { axes: [0] });
    expect(mk.shape).toEqual([0]);
    expect(() => reduce('sum', r7)).toThrow(ShapeError);
    for (const axis of [3, -4, 0.5, NaN]) expect(() => softmax(a, { axis })).toThrow(OptionError);
    expect(() => logSoftmax(empty, { axis: 1 })).toThrow(OptionError);
    // Still usable.
    using c = tensor(new Float32Array(4).fill(1), [4]);
    using y = binary('add', a, c);
    expect(y.shape).toEqual([2, 3, 4]);
    expect(Array.from(y.data()).every((v) => v === 1)).toBe(true);
  });
});
