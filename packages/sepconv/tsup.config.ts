import { defineConfig } from 'tsup';

const shared = {
  sourcemap: false,
  dts: true,
  clean: false,
  target: 'es2022',
  treeshake: true,
  // The .wasm files ship beside dist/ and are loaded at run time, never bundled.
  external: [/\.wasm$/, /^#wasm\//],
} as const;

export default defineConfig([
  {
    ...shared,
    entry: { node: 'src/entry/node.ts' },
    format: ['esm', 'cjs'],
    platform: 'node',
    shims: true,
    clean: true,
  },
  {
    ...shared,
    entry: { browser: 'src/entry/browser.ts', index: 'src/index.ts', workerd: 'src/entry/workerd.ts' },
    format: ['esm'],
    platform: 'neutral',
  },
]);
