import { defineConfig, type Options } from 'tsup';

// The .wasm files ship beside dist/ (wasm/) and are never inlined. The workerd and edge-light
// entries import them as modules: in src through the package's "imports" map (#wasm/<build>), in
// dist as a relative '../wasm/sepconv-<build>.wasm' path, because wrangler's module rules match the
// import specifier (`**/*.wasm`, `**/*.wasm?module`) and resolve it relative to the importing file.
// A trailing `?module` (Vercel / Next.js edge convention) is kept.
const wasmImports: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'sepconv-wasm-imports',
  setup(build) {
    build.onResolve({ filter: /^#wasm\/(relaxed|simd128|scalar)(\?module)?$/ }, (args) => {
      const [, name, query] = /^#wasm\/(\w+)(\?module)?$/.exec(args.path)!;
      return { path: `../wasm/sepconv-${name}.wasm${query ?? ''}`, external: true };
    });
  },
};

const shared = {
  sourcemap: false,
  dts: true,
  clean: false,
  target: 'es2022',
  treeshake: true,
  external: [/\.wasm(\?module)?$/],
  esbuildPlugins: [wasmImports],
} satisfies Options;

export default defineConfig([
  {
    ...shared,
    // Node: ESM and CommonJS (import.meta.url shimmed in the .cjs).
    entry: { node: 'src/entry/node.ts' },
    format: ['esm', 'cjs'],
    platform: 'node',
    shims: true,
    clean: true,
  },
  {
    ...shared,
    // Web-standard hosts: no Node built-ins, no DOM beyond fetch/URL/Response (checked by test/runtimes).
    entry: {
      browser: 'src/entry/browser.ts',
      index: 'src/index.ts',
      workerd: 'src/entry/workerd.ts',
      'edge-light': 'src/entry/edge-light.ts',
    },
    format: ['esm'],
    platform: 'neutral',
  },
  {
    ...shared,
    // The thread pool's worker (Node worker_threads and module Web Workers load it by URL, next to
    // the entries): one self-contained file, node: built-ins only behind a dynamic import in Node.
    entry: { worker: 'src/entry/worker.ts' },
    format: ['esm'],
    platform: 'neutral',
    dts: false,
    external: [...shared.external, /^node:/],
  },
]);
