#!/usr/bin/env node
// `pnpm bench` entry. Bundles the TypeScript bench (bench/src) together with the package's
// sources (so one process can hold the simd128 and scalar instances and switch between them)
// with esbuild, then runs it. Flags: see bench/src/args.ts or `node bench/run.mjs --help`.
import { build } from 'esbuild';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// `node bench/run.mjs soak [flags]` is bench/soak.mjs (N predictions at alternating sizes; not a test).
if (process.argv[2] === 'soak') {
  process.argv.splice(2, 1);
  await import('./soak.mjs');
  process.exit(process.exitCode ?? 0);
}

// The targets are stated for Node 20 (the system node; the Node 22 of the runtime tests lives
// under tools/node22 so it never shadows it).
if (!process.version.startsWith('v20.')) console.warn(`bench: running on Node ${process.version}; the targets are stated for Node 20`);
const root = resolve(here, '..');
const pkgSrc = join(root, 'packages/sepconv/src');

for (const f of ['packages/sepconv/wasm/sepconv-simd128.wasm', 'packages/sepconv/wasm/sepconv-scalar.wasm', 'packages/sepconv/src/runtime/generated/bindings.js']) {
  if (!existsSync(join(root, f))) {
    console.error(`bench: ${f} is missing; run \`pnpm build\` (bash scripts/build.sh) first`);
    process.exit(2);
  }
}

// Ops, layers and models land one by one: an import of a package source file that does not exist
// (yet) resolves to an empty module, and the bench reports that op or model as "not available".
const optionalSources = {
  name: 'optional-package-sources',
  setup(b) {
    b.onResolve({ filter: /^(\.\.\/)+(packages\/sepconv\/src|test\/engines)\/|^@sepconv-src\// }, (args) => {
      const rel = args.path.startsWith('@sepconv-src/') ? args.path.slice('@sepconv-src/'.length) : null;
      const abs = rel !== null ? join(pkgSrc, rel) : resolve(args.resolveDir, args.path);
      const candidates = [abs, abs.replace(/\.js$/, '.ts'), `${abs}.ts`, join(abs, 'index.ts')];
      const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (found) return { path: found };
      return { path: abs, namespace: 'missing-source' };
    });
    b.onResolve({ filter: /^sepconv$/ }, () => ({ path: join(here, 'src/sepconv.ts') }));
    b.onLoad({ filter: /.*/, namespace: 'missing-source' }, () => ({ contents: 'module.exports = { __missing: true };', loader: 'js' }));
  },
};

const cache = join(here, '.cache');
mkdirSync(cache, { recursive: true });
const outfile = join(cache, `bench-${process.pid}.mjs`);
// `node bench/run.mjs ab A.wasm B.wasm case...` runs the A/B tool (bench/src/ab.ts) instead of the bench;
// `profile` the per-op-family model profile (bench/src/profile.ts); `real-models` the real-models table
// (bench/src/real-models.ts); `chromium-threads` sepconv vs TF.js-wasm vs ORT-web at 2 threads in headless
// Chromium (bench/src/chromium-threads.ts). `--threads` is the 1-vs-2-threads bench (bench/src/threads.ts): it runs
// the built package (dist/ and its worker.js, which the thread pool loads), not the bundled sources.
const tools = { ab: ['src/ab.ts', 'abMain'], profile: ['src/profile.ts', 'profileMain'], 'real-models': ['src/real-models.ts', 'realModelsMain'], 'chromium-threads': ['src/chromium-threads.ts', 'chromiumThreadsMain'] };
const threads = process.argv.includes('--threads');
const tool = threads ? ['src/threads.ts', 'threadsMain'] : tools[process.argv[2]];
await build({
  entryPoints: [join(here, tool ? tool[0] : 'src/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  plugins: threads ? [] : [optionalSources],
  logLevel: 'error',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  define: { __BENCH_ROOT__: JSON.stringify(root) },
});
const { rmSync } = await import('node:fs');
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    rmSync(outfile, { force: true });
    process.exit(130);
  });
}
try {
  const mod = await import(pathToFileURL(outfile).href);
  process.exitCode = threads ? await mod.threadsMain(process.argv.slice(2)) : tool ? await mod[tool[1]](process.argv.slice(3)) : await mod.main(process.argv.slice(2));
} finally {
  rmSync(outfile, { force: true });
}
