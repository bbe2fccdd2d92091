// Packed GEMM cores (runPointwise / runDense) through the wasm, vs the float64 reference.
// Tolerance: atol 1e-5 + rtol 1e-5, scaled by sqrt(K).
import { beforeAll, describe, expect, it } from 'vitest';
import { DisposedTensorError, PackedGemmWeights, runDense, runPointwise, ShapeError, tensor, zeros, KernelError, OptionError } from '../../src/entry/node.js';
import type { ActivationName } from '../../src/ops/activation.js';
import { gemmReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

const activations: ActivationName[] = ['linear', 'relu', 'relu6', 'hardSwish', 'sigmoid', 'swish'];

describe(`packed GEMM through the ${TEST_BUILD} wasm`, () => {
  it('runDense matches the reference for sizes around the 4x8 tile and the 8-step k trip', () => {
    let seed = 1;
    for (const m of [1, 3, 4, 5, 9, 13])
      for (const n of [1, 7, 8, 9, 17, 24])
        for (const k of [1, 2, 3, 5, 7, 8, 9, 16, 17, 33]) {
          seed++;
          const next = rng(seed);
          const a = randomArray(m * k, next);
          const b = randomArray(k * n, next);
          const bias = seed % 3 ? randomArray(n, next) : undefined;
          const act = activations[seed % 6]!;
          const w = PackedGemmWeights.pack(b, k, n, bias);
          using x = tensor(a, [m, k]);
          using y = runDense(x, w, act);
          w.dispose();
          expect(y.shape).toEqual([m, n]);
          expectClose(y.data(), gemmReference(a, m, k, b, n, bias, act), { scale: Math.max(1, Math.sqrt(k)) });
        }
  });

  it('runDense matches the reference for long K (1025-2048, as in ResNet and Xception)', () => {
    let seed = 100;
    for (const [m, k, n] of [[5, 1025, 9], [9, 2048, 17], [3, 1600, 8]] as const) {
      seed++;
      const next = rng(seed);
      const a = randomArray(m * k, next);
      const b = randomArray(k * n, next);
      const bias = randomArray(n, next);
      const act = activations[seed % 6]!;
      const w = PackedGemmWeights.pack(b, k, n, bias);
      using x = tensor(a, [m, k]);
      using y = runDense(x, w, act);
      w.dispose();
      expectClose(y.data(), gemmReference(a, m, k, b, n, bias, act), { scale: Math.sqrt(k) });
    }
  });

  it('runPointwise writes into a preallocated output and packs once for many calls', () => {
    const next = rng(5);
    const [n, h, wd, k, c] = [2, 5, 7, 19, 21];
    const b = randomArray(k * c, next);
    const bias = randomArray(c, next);
    const w = PackedGemmWeights.pack(b, k, c, bias);
    using out = zeros([n, h, wd, c]);
    for (let rep = 0; rep < 3; rep++) {
      const a = randomArray(n * h * wd * k, next);
      using x = tensor(a, [n, h, wd, k]);
      const y = runPointwise(x, w, 'relu6', 'test', out);
      expect(y).toBe(out);
      expectClose(out.data(), gemmReference(a, n * h * wd, k, b, c, bias, 'relu6'), { scale: Math.sqrt(k) });
    }
    using wrong = zeros([1, 2, 3]);
    using x = tensor(new Float32Array(n * h * wd * k), [n, h, wd, k]);
    expect(() => runPointwise(x, w, 'linear', 'test', wrong)).toThrow(ShapeError);
    using xbad = tensor(new Float32Array(n * h * wd * 3), [n, h, wd, 3]);
    expect(() => runPointwise(xbad, w, 'linear')).toThrow(/x \[N, H, W, 19\]/);
    expect(() => runPointwise(x, w, 'gelu' as never)).toThrow(OptionError);
    w.dispose();
    expect(() => runPointwise(x, w, 'linear')).toThrow(DisposedTensorError);
    expect(() => PackedGemmWeights.pack(new Float32Array(5), 2, 3)).toThrow(ShapeError);
    expect(() => PackedGemmWeights.pack(new Float32Array(6), 2, 3, new Float32Array(2))).toThrow(/bias/);
  });

  it('a kernel-side refusal is a KernelError and the instance stays usable', () => {
    const w = PackedGemmWeights.pack(new Float32Array(6).fill(1), 2, 3);
    using x = tensor([1, 2], [1, 2]);
    // Bypass the TS checks to reach the wasm check: a wrong row count.
    expect(() => w.rt.call('test', (k) => k.gemm_run(w.handle, x.ptr(), 2, x.ptr(), 2, 5, 0))).toThrow(KernelError);
    using y = runDense(x, w, 'linear');
    expect(Array.from(y.data())).toEqual([3, 3, 3]);
    w.dispose();
  });
});
