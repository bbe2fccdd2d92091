import { beforeAll, describe, expect, it } from 'vitest';
import { conv2d, DTypeError, factorizeKernel, OptionError, ShapeError, spatiallySeparableConv2d, tensor, type ActivationName } from '../../src/entry/node.js';
import { depthwiseGeometry } from '../../src/ops/depthwise.js';
import type { Padding } from '../../src/ops/geometry.js';
import { depthwiseReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  expect((await initForTest()).build).toBe(TEST_BUILD);
});

/** The full [K_h, K_w, C, 1] depthwise filter of a sum of per-channel pairs. */
function fullFilter(vs: Float32Array[], hs: Float32Array[], kh: number, kw: number, c: number): Float32Array {
  const f = new Float32Array(kh * kw * c);
  vs.forEach((v, r) => {
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let ch = 0; ch < c; ch++) f[(ky * kw + kx) * c + ch]! += v[ky * c + ch]! * hs[r]![kx * c + ch]!;
  });
  return f;
}

// Tolerance: atol 1e-5 + rtol 1e-5 scaled by K_h * K_w * rank (two f32 passes vs a float64 conv).
describe(`spatially separable conv through the ${TEST_BUILD} wasm`, () => {
  it('depthwise form (one pair and rank-r sums) equals the depthwise conv with the outer-product kernel', () => {
    let seed = 1;
    for (const [kh, kw] of [[3, 3], [5, 5], [7, 7], [3, 5], [1, 3]] as const)
      for (const rank of [1, 2])
        for (const strides of [1, 2, [1, 2], [2, 1], 3] as const)
          for (const padding of ['same', 'valid', [1, 2, 0, 3]] as Padding[]) {
            // Channels across the fused kernel's 16-channel blocks, widths around its 4-pixel blocks and borders.
            const c = [4, 5, 12, 20, 36][seed % 5]!;
            const [h, w] = ([[9, 10], [5, 23], [12, 3], [1, 1], [7, 2], [3, 8]] as const)[seed % 6]!;
            const next = rng(seed++);
            const xd = randomArray(2 * h * w * c, next);
            const vs = Array.from({ length: rank }, () => randomArray(kh * c, next));
            const hs = Array.from({ length: rank }, () => randomArray(kw * c, next));
            const bias = randomArray(c, next);
            const act: ActivationName = (['linear', 'relu6', 'swish'] as const)[seed % 3]!;
            using x = tensor(xd, [2, h, w, c]);
            const pairs = vs.map((v, r) => ({ vertical: tensor(v, [kh, 1, c, 1]), horizontal: tensor(hs[r]!, [1, kw, c, 1]) }));
            try {
              const [padH, padW] = padding === 'same' ? [kh, kw] : padding === 'valid' ? [h, w] : [h + padding[0] + padding[1], w + padding[2] + padding[3]];
              if (padH < kh || padW < kw) {
                expect(() => spatiallySeparableConv2d(x, rank === 1 ? pairs[0]! : pairs, { strides, padding, bias })).toThrow(ShapeError);
                continue;
              }
              using y = spatiallySeparableConv2d(x, rank === 1 ? pairs[0]! : pairs, { strides, padding, bias, activation: act });
              const g = depthwiseGeometry('test', [2, h, w, c], [kh, kw], { strides, padding });
              expect(y.shape).toEqual([2, g.outH, g.outW, c]);
              const want = depthwiseReference(xd, [2, h, w, c], fullFilter(vs, hs, kh, kw, c), 1, g, bias, act);
              expectClose(y.data(), want, { scale: kh * kw * rank });
            } finally {
              pairs.forEach((p) => (p.vertical.dispose(), p.horizontal.dispose()));
            }
          }
  });

  it('standard form (K x 1 conv then 1 x K conv across channels) equals conv2d with the composed kernel', () => {
    const [cin, cmid, cout, k] = [3, 4, 5, 3];
    const next = rng(77);
    const xd = randomArray(1 * 8 * 7 * cin, next);
    const v = randomArray(k * cin * cmid, next);
    const hz = randomArray(k * cmid * cout, next);
    // Composed [k, k, cin, cout] kernel: sum over mid channels.
    const full = new Float32Array(k * k * cin * cout);
    for (let ky = 0; ky < k; ky++)
      for (let kx = 0; kx < k; kx++)
        for (let i = 0; i < cin; i++)
          for (let o = 0; o < cout; o++) {
            let s = 0;
            for (let m = 0; m < cmid; m++) s += v[(ky * cin + i) * cmid + m]! * hz[(kx * cmid + m) * cout + o]!;
            full[((ky * k + kx) * cin + i) * cout + o] = s;
          }
    using x = tensor(xd, [1, 8, 7, cin]);
    using vt = tensor(v, [k, 1, cin, cmid]);
    using ht = tensor(hz, [1, k, cmid, cout]);
    using ft = tensor(full, [k, k, cin, cout]);
    for (const padding of ['same', 'valid'] as const)
      for (const strides of [1, 2] as const) {
        using y = spatiallySeparableConv2d(x, { vertical: vt, horizontal: ht }, { form: 'standard', padding, strides, activation: 'relu' });
        using want = conv2d(x, ft, { padding, strides, activation: 'relu' });
        expect(y.shape).toEqual(want.shape);
        expectClose(y.data(), want.data(), { scale: 2 * k * k * cmid });
      }
  });

  it('factorizeKernel: rank-1 kernels are separable with their factors; full-rank errors fall with r', () => {
    const next = rng(5);
    for (const k of [1, 2, 3, 5, 7]) {
      const col = randomArray(k, next);
      const row = randomArray(k, next);
      const kern = Float32Array.from({ length: k * k }, (_, i) => col[Math.floor(i / k)]! * row[i % k]!);
      const f = factorizeKernel(kern, k);
      expect(f.separable).toBe(true);
      expect(f.rank).toBe(1);
      expect(f.relativeError).toBeLessThan(1e-5);
      const { vertical, horizontal } = f.factors[0]!;
      expectClose(Array.from(kern, (_, i) => vertical[Math.floor(i / k)]! * horizontal[i % k]!), kern, { atol: 1e-5, rtol: 1e-4 });
      if (k < 2) continue;
      const full = randomArray(k * k, next);
      let last = Infinity;
      for (let r = 1; r <= k; r++) {
        const g = factorizeKernel(full, k, { rank: r });
        expect(g.rank).toBe(r);
        expect(g.factors).toHaveLength(r);
        if (r === 1) {
          expect(g.separable).toBe(false);
          expect(g.relativeError).toBeGreaterThan(1e-3);
        }
        expect(g.relativeError).toBeLessThan(last + 1e-12);
        last = g.relativeError;
      }
      expect(last).toBeLessThan(1e-5);
      expect(factorizeKernel(full, [k, k]).rank).toBe(k);
    }
  });

  it('throws typed errors and stays usable', () => {
    using x = tensor(randomArray(1 * 6 * 6 * 4, rng(1)), [1, 6, 6, 4]);
    using v = tensor(randomArray(12, rng(2)), [3, 1, 4, 1]);
    using h = tensor(randomArray(12, rng(3)), [1, 3, 4, 1]);
    using h5 = tensor(randomArray(15, rng(3)), [1, 3, 5, 1]);
    expect(() => spatiallySeparableConv2d(x, { vertical: v, horizontal: h5 })).toThrow(ShapeError);
    expect(() => spatiallySeparableConv2d(x, [] as never)).toThrow(OptionError);
    expect(() => spatiallySeparableConv2d(x, { vertical: v, horizontal: h }, { form: 'diagonal' as never })).toThrow(OptionError);
    expect(() => spatiallySeparableConv2d(x, { vertical: v, horizontal: h }, { bias: new Float32Array(3) })).toThrow(/bias/);
    expect(() => spatiallySeparableConv2d(x, { vertical: new Float32Array(3) as never, horizontal: h })).toThrow(DTypeError);
    expect(() => factorizeKernel(new Float32Array(8), 3)).toThrow(ShapeError);
    expect(() => factorizeKernel(new Float32Array(9), 3, { rank: 4 })).toThrow(OptionError);
    expect(() => factorizeKernel([1, 2] as never, 1)).toThrow(OptionError);
    using y = spatiallySeparableConv2d(x, { vertical: v, horizontal: h }, { padding: 'same' });
    expect(y.shape).toEqual([1, 6, 6, 4]);
  });
});
