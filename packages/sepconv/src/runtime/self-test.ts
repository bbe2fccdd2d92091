import type { Runtime } from './state.js';

/**
 * A tiny known-answer test run at init: wasm SIMD has computed wrong answers in some shipped
 * webviews, so the SIMD build must reproduce a plain JS computation before it is trusted.
 * Two kernels, the two the networks spend their time in: a depthwise 3x3 and a GEMM (the
 * pointwise 1x1 conv / dense core). Returns a description of the first mismatch, or undefined
 * when all agree.
 */
export function selfTest(rt: Runtime): string | undefined {
  return depthwiseKnownAnswer(rt) ?? gemmKnownAnswer(rt);
}

const close = (got: number, want: number) => Math.abs(got - want) <= 1e-4 * (1 + Math.abs(want));

/** Frees the given wasm buffers; `[ptr, len]` pairs (0 pointers are skipped). */
function freeAll(rt: Runtime, bufs: readonly (readonly [number, number])[]): void {
  for (const [p, n] of bufs) if (p) rt.free(p, n);
}

function depthwiseKnownAnswer(rt: Runtime): string | undefined {
  const [h, w, c] = [5, 6, 11]; // 11 channels: one full 8-lane tile plus a tail
  const input = Float32Array.from({ length: h * w * c }, (_, i) => ((i * 7) % 13) / 4 - 1.5);
  const weights = Float32Array.from({ length: 9 * c }, (_, i) => ((i * 5) % 11) / 8 - 0.6);
  const bias = Float32Array.from({ length: c }, (_, i) => i / 10 - 0.5);
  const expected = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let acc = bias[ch]!;
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = y + ky - 1;
            const ix = x + kx - 1;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) acc += input[(iy * w + ix) * c + ch]! * weights[(ky * 3 + kx) * c + ch]!;
          }
        expected[(y * w + x) * c + ch] = Math.min(Math.max(acc, 0), 6);
      }
  const k = rt.kernels;
  const pIn = rt.upload(input);
  const pW = rt.upload(weights);
  const pB = rt.upload(bias);
  const pOut = rt.alloc(expected.length);
  let handle = 0;
  try {
    handle = k.depthwise_pack(pW, pB, 3, 3, c, 1);
    k.depthwise_conv2d(handle, pIn, input.length, pOut, expected.length, 1, h, w, 1, 1, 1, 1, 1, 1, 1, 1, 2);
    const got = rt.f32(pOut, expected.length);
    for (let i = 0; i < expected.length; i++) {
      if (!close(got[i]!, expected[i]!)) return `depthwise 3x3 output[${i}] = ${got[i]}, expected ${expected[i]}`;
    }
    return undefined;
  } catch (e) {
    return `depthwise 3x3 threw ${e}`;
  } finally {
    if (handle) k.depthwise_free(handle);
    freeAll(rt, [[pIn, input.length], [pW, weights.length], [pB, bias.length], [pOut, expected.length]]);
  }
}

/** The GEMM bindings (crates/wasm/src/gemm.rs), typed locally so this file does not depend on ops/gemm.ts. */
interface GemmKernels {
  gemm_pack?(weights: number, bias: number, k: number, n: number): number;
  gemm_free?(handle: number): void;
  gemm_run?(handle: number, input: number, inputLen: number, output: number, outputLen: number, rows: number, activation: number): void;
}

function gemmKnownAnswer(rt: Runtime): string | undefined {
  const g = rt.kernels as unknown as GemmKernels;
  if (!g.gemm_pack || !g.gemm_run || !g.gemm_free) return undefined; // a build without the GEMM kernels
  // 5 rows (an MR=4 tile plus a tail), K = 19, N = 13 (an NR=8 panel plus a tail), bias, relu6.
  const [m, kk, n] = [5, 19, 13];
  const a = Float32Array.from({ length: m * kk }, (_, i) => ((i * 5) % 17) / 8 - 1);
  const b = Float32Array.from({ length: kk * n }, (_, i) => ((i * 3) % 13) / 16 - 0.35);
  const bias = Float32Array.from({ length: n }, (_, i) => i / 8 - 0.75);
  const expected = new Float32Array(m * n);
  for (let r = 0; r < m; r++)
    for (let col = 0; col < n; col++) {
      let acc = bias[col]!;
      for (let i = 0; i < kk; i++) acc += a[r * kk + i]! * b[i * n + col]!;
      expected[r * n + col] = Math.min(Math.max(acc, 0), 6);
    }
  const pA = rt.upload(a);
  const pB = rt.upload(b);
  const pBias = rt.upload(bias);
  const pOut = rt.alloc(expected.length);
  let handle = 0;
  try {
    handle = g.gemm_pack(pB, pBias, kk, n);
    g.gemm_run(handle, pA, a.length, pOut, expected.length, m, 2);
    const got = rt.f32(pOut, expected.length);
    for (let i = 0; i < expected.length; i++) {
      if (!close(got[i]!, expected[i]!)) return `gemm ${m}x${kk}x${n} output[${i}] = ${got[i]}, expected ${expected[i]}`;
    }
    return undefined;
  } catch (e) {
    return `gemm ${m}x${kk}x${n} threw ${e}`;
  } finally {
    if (handle) g.gemm_free(handle);
    freeAll(rt, [[pA, a.length], [pB, b.length], [pBias, bias.length], [pOut, expected.length]]);
  }
}
