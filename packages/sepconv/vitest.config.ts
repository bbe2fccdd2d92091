import { defineConfig } from 'vitest/config';

// Every wasm-facing test runs twice: once on the simd128 build, once on the scalar build.
const builds = ['simd128', 'scalar'] as const;

export default defineConfig({
  test: {
    projects: builds.map((build) => ({
      extends: true,
      test: {
        name: build,
        include: ['test/**/*.test.ts'],
        env: { SEPCONV_TEST_BUILD: build },
        testTimeout: 60_000,
      },
    })),
  },
});
