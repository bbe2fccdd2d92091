import { defineConfig } from 'vitest/config';

// Cross-runtime and reference-engine tests. They import the built package ('sepconv', i.e. dist/),
// which scripts/test.sh rebuilds first when stale.
export default defineConfig({
  test: {
    include: ['**/*.test.{ts,mjs}'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Runtimes (Chromium, workerd) and engines are heavy: one file at a time keeps 2 cores responsive.
    fileParallelism: false,
  },
});
