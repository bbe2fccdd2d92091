import { defineConfig } from 'vitest/config';
import { hostHasRelaxedSimd } from './src/runtime/probes.js';

// Every wasm-facing test runs once per build: relaxed SIMD, simd128 and scalar.
const builds = ['relaxed', 'simd128', 'scalar'] as const;

// Node 20 validates relaxed SIMD only with V8's flag (Node 22 ships it), so the relaxed project passes the flag there.
const relaxedFlag = hostHasRelaxedSimd() ? [] : ['--experimental-wasm-relaxed-simd'];

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
