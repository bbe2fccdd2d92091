import { defineConfig } from 'vitest/config';

// Every wasm-facing test runs once per build: relaxed SIMD, simd128 and scalar.
const builds = ['relaxed', 'simd128', 'scalar'] as const;

// (module (func (result v128) i32.const 0 i8x16.splat (x3) f32x4.relaxed_madd)): Node 20 validates it
// only with V8's flag (Node 22 ships relaxed SIMD), so the relaxed project passes the flag there.
const relaxedProbe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11]);
const relaxedFlag = WebAssembly.validate(relaxedProbe) ? [] : ['--experimental-wasm-relaxed-simd'];

export default defineConfig({
  test: {
    projects: builds.map((build) => ({
      extends: true,
      test: {
        name: build,
        include: ['test/**/*.test.ts'],
        env: { SEPCONV_TEST_BUILD: build },
        testTimeout: 60_000,
        ...(build === 'relaxed' ? { execArgv: relaxedFlag } : {}),
      },
    })),
  },
});
