// What the host's wasm engine validates. No imports, so vitest.config.ts can use it before any build.

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

// (module (func (result v128) i32.const 0 i8x16.splat (twice more) f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11]);

function validates(probe: Uint8Array<ArrayBuffer>): boolean {
  try {
    return WebAssembly.validate(probe);
  } catch {
    return false;
  }
}

/** True when this host's wasm engine validates SIMD (simd128), probed with `WebAssembly.validate`. */
export function hostHasSimd(): boolean {
  return validates(SIMD_PROBE);
}

/** Whether the host validates relaxed SIMD (Chrome / Edge 114+, Node 22+, workerd; tested on Chromium 156). */
export function hostHasRelaxedSimd(): boolean {
  return validates(RELAXED_PROBE);
}
