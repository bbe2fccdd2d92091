import { init } from '../src/entry/node.js';
import type { BuildName } from '../src/runtime/state.js';

/** The build this vitest project runs (see vitest.config.ts). */
export const TEST_BUILD = (process.env.SEPCONV_TEST_BUILD ?? 'simd128') as BuildName;

export async function initForTest() {
  return init({ build: TEST_BUILD });
}

/** Seeded uniform [-1, 1) generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

export function randomArray(n: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, next);
}

/** The tolerance the kernel tests state: |got - ref| <= atol + rtol * |ref|, scaled by the reduction length. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, { rtol = 1e-5, atol = 1e-5, scale = 1 } = {}): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (!(Math.abs(g - w) <= (atol + rtol * Math.abs(w)) * scale)) {
      throw new Error(`element ${i}: got ${g}, reference ${w} (tolerance ${(atol + rtol * Math.abs(w)) * scale})`);
    }
  }
}
