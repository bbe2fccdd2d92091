#!/usr/bin/env node
// `pnpm demo:web`: serves demo/web with Vite's dev server. Vite comes with vitest (pnpm keeps it
// beside vitest, not hoisted), so it is loaded from there. The model, the sample photos and
// TF.js's wasm binaries are served straight from node_modules under /models, /samples and /tfjs-wasm.
//
//   node demo/web/serve.mjs [--port 5173] [--host 127.0.0.1]
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { homedir } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const nm = (p) => join(root, 'node_modules', p);
const sepconvPackage = JSON.parse(readFileSync(join(root, 'packages/sepconv/package.json'), 'utf8'));

/** URL prefix -> directory in node_modules. */
export const MOUNTS = {
  '/models/nsfw/': nm('nsfwjs/dist/models/mobilenet_v2'),
  '/samples/': nm('@vladmandic/face-api/demo'),
  '/tfjs-wasm/': nm('@tensorflow/tfjs-backend-wasm/dist'),
  // The real-model corpus (BlazeFace), where scripts/fixtures-npm.sh caches it; optional (the page's ?model=blazeface).
  '/models/human/': join(process.env.SEPCONV_CACHE ?? join(homedir(), '.cache/sepconv'), 'human-3.3.6/models'),
};
const OPTIONAL = new Set(['/models/human/']);
const TYPES = { '.js': 'text/javascript', '.jpg': 'image/jpeg', '.png': 'image/png', '.wasm': 'application/wasm', '.json': 'application/json' };

function mounts() {
  return {
    name: 'sepconv-demo-mounts',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]);
        const prefix = Object.keys(MOUNTS).find((p) => path.startsWith(p));
        if (!prefix) return next();
        const file = normalize(join(MOUNTS[prefix], path.slice(prefix.length)));
        if (!file.startsWith(MOUNTS[prefix]) || !existsSync(file) || !statSync(file).isFile()) {
          res.statusCode = 404;
          return res.end(`not found: ${path}`);
        }
        res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
        createReadStream(file).pipe(res);
      });
    },
  };
}

async function loadVite() {
  const vitestDir = dirname(createRequire(import.meta.url).resolve('vitest/package.json'));
  return import(pathToFileURL(createRequire(join(vitestDir, 'package.json')).resolve('vite')).href);
}

/** Starts the dev server; resolves to { url, close() }. Port 0 picks a free port. */
export async function startDemoServer({ host = '127.0.0.1', port = 5173, logLevel = 'info' } = {}) {
  for (const [prefix, dir] of Object.entries(MOUNTS)) {
    if (!OPTIONAL.has(prefix) && !existsSync(dir)) throw new Error(`${dir} is missing: run pnpm install (scripts/setup.sh does)`);
  }
  const vite = await loadVite();
  const server = await vite.createServer({
    root: here,
    configFile: false,
    logLevel,
    cacheDir: join(root, 'node_modules/.vite-demo-web'),
    plugins: [mounts()],
    server: { host, port, strictPort: port !== 0, hmr: false },
    // Every dependency is listed up front and nothing is discovered while the page runs: a dependency
    // found late (sepconv's own lazily imported onnx-proto, say) makes Vite re-bundle and answer the
    // requests already in flight with "504 Outdated Optimize Dep", a race a loaded machine loses.
    optimizeDeps: {
      entries: ['index.html', 'worker.js'],
      noDiscovery: true,
      include: [
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-backend-wasm',
        '@tensorflow/tfjs-layers',
        '@tensorflow/tfjs-converter',
        ...Object.keys(sepconvPackage.dependencies ?? {}).map((d) => `sepconv > ${d}`),
      ],
      exclude: ['sepconv'],
    },
    worker: { format: 'es' },
  });
  await server.listen();
  return { url: server.resolvedUrls.local[0], close: () => server.close() };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '5173' }, host: { type: 'string', default: '127.0.0.1' } } });
  const { url } = await startDemoServer({ host: values.host, port: Number(values.port) });
  console.log(`sepconv web demo: ${url}  (Ctrl-C stops it)`);
}
