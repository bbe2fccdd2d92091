import type { Runtime } from './state.js';

/**
 * A tiny known-answer test run at init: wasm SIMD has computed wrong answers in some shipped
 * webviews, so the SIMD build must reproduce a plain JS computation before it is trusted.
 * Returns a description of the first mismatch, or undefined when all agree.
 */
export function selfTest(rt: Runtime): string | undefined {
  return depthwiseKnownAnswer(rt);
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
      if (!(Math.abs(got[i]! - expected[i]!) <= 1e-4 * (1 + Math.abs(expected[i]!)))) {
        return `depthwise 3x3 output[${i}] = ${got[i]}, expected ${expected[i]}`;
      }
    }
    return undefined;
  } catch (e) {
    return `depthwise 3x3 threw ${e}`;
  } finally {
    if (handle) k.depthwise_free(handle);
    for (const [p, n] of [[pIn, input.length], [pW, weights.length], [pB, bias.length], [pOut, expected.length]] as const) rt.free(p, n);
  }
}
