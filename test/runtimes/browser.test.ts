// Headless Chromium loading the packed package from a page served on 127.0.0.1: once bundled by
// esbuild (the `browser` condition, .wasm as `file` assets), once built by Vite with a plain
// `init()` (the .wasm found through new URL(…, import.meta.url), emitted as assets). Outputs
// are compared with Node's, on the relaxed-SIMD build (auto), the forced simd128 and the forced scalar build.
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from './support/browser.js';
import { expectDepthwiseCorrect, expectSameResults, type WorkloadResult } from './support/compare.js';
import { FIXTURES, packed, type Packed } from './support/package.js';
import { fixtureDir } from './support/project.js';
import { serveDir, type StaticServer } from './support/serve.js';
import { compute } from './fixtures/workload.mjs';

let pkg: Packed;
let browser: Browser;
let dirs: string[] = [];
const servers: StaticServer[] = [];
const node: Partial<Record<'auto' | 'scalar', WorkloadResult>> = {};

async function nodeResult(build: 'auto' | 'scalar'): Promise<WorkloadResult> {
  if (!node[build]) {
    const sepconv = await import(join(pkg.pkg, 'dist/node.js'));
    await sepconv.init(build === 'auto' ? {} : { build });
    node[build] = compute(sepconv) as WorkloadResult;
  }
  return node[build]!;
}

beforeAll(async () => {
  pkg = packed();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Opens `url` and runs the page's `runWorkload(mode)` for each mode. */
async function runInPage(url: string, modes: string[]): Promise<Record<string, WorkloadResult & { hostHasSimd?: boolean }>> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  try {
    await page.goto(url, { timeout: 90_000 });
    await page.waitForFunction(() => typeof (globalThis as { runWorkload?: unknown }).runWorkload === 'function', null, { timeout: 90_000 });
    const out: Record<string, WorkloadResult> = {};
    for (const mode of modes) {
      out[mode] = await page.evaluate((m) => (globalThis as unknown as { runWorkload(m: string): Promise<WorkloadResult> }).runWorkload(m), mode);
    }
    expect(errors, 'page errors').toEqual([]);
    return out;
  } finally {
    await page.close();
  }
}

/** The part of Vite's API used here (vite is not a direct dependency, so its types are not resolvable). */
interface ViteApi {
  build(config: Record<string, unknown>): Promise<unknown>;
  createServer(config: Record<string, unknown>): Promise<{ listen(): Promise<unknown>; close(): Promise<void>; resolvedUrls: { local: string[] } | null }>;
}

/** Vite comes with vitest (pnpm keeps it beside vitest, not hoisted). */
async function loadVite(): Promise<ViteApi> {
  const vitestDir = join(createRequire(import.meta.url).resolve('vitest/package.json'), '..');
  return (await import(pathToFileURL(createRequire(join(vitestDir, 'package.json')).resolve('vite')).href)) as ViteApi;
}

describe('headless Chromium', () => {
  it('esbuild bundle (browser condition, .wasm as file assets): SIMD, forced scalar and no-SIMD hosts match Node', async () => {
    const dir = fixtureDir(pkg, 'page', ['page.mjs', 'workload.mjs']);
    dirs.push(dir);
    const out = join(dir, 'out');
    const result = await build({
      entryPoints: [join(dir, 'page.mjs')],
      outfile: join(out, 'page.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      loader: { '.wasm': 'file' },
      assetNames: '[name]-[hash]',
      metafile: true,
      logLevel: 'silent',
    });
    copyFileSync(join(FIXTURES, 'page.html'), join(out, 'index.html'));
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('node_modules/sepconv/dist/browser.js'))).toBe(true);
    expect(inputs.some((p) => /dist\/node\.(c?js)$/.test(p))).toBe(false);
    const server = await serveDir(out);
    servers.push(server);

    const r = await runInPage(`${server.url}/`, ['auto', 'simd128', 'scalar', 'no-simd']);
    expect(r.auto!.hostHasSimd).toBe(true);
    expect(r.auto!.backend.build).toBe('relaxed');
    expect(r.auto!.backend.reason).toMatch(/this browser validates relaxed SIMD and the self-test passed/);
    expect(r.simd128!.backend).toEqual({ build: 'simd128', reason: "forced with init({ build: 'simd128' })" });
    expect(r.scalar!.backend).toEqual({ build: 'scalar', reason: "forced with init({ build: 'scalar' })" });
    expect(r['no-simd']!.backend).toEqual({ build: 'scalar', reason: 'this host does not validate wasm SIMD (simd128)' });
    expect(server.requests.filter((p) => p.endsWith('.wasm')).sort()).toEqual(
      expect.arrayContaining(['relaxed', 'simd128', 'scalar'].map((b) => expect.stringMatching(new RegExp(`^/sepconv-${b}-\\w+\\.wasm$`)))),
    );
    expectDepthwiseCorrect('Chromium relaxed SIMD', r.auto!);
    expectSameResults('Chromium relaxed SIMD', r.auto!, await nodeResult('auto'));
    // Node 20 runs simd128: the same binary gives the same bits in Chromium.
    expectSameResults('Chromium simd128', r.simd128!, await nodeResult('auto'), { rtol: 0, atol: 0 });
    expectSameResults('Chromium scalar', r.scalar!, await nodeResult('scalar'));
    expectSameResults('Chromium no-SIMD', r['no-simd']!, await nodeResult('scalar'));
  });

  it('Vite build with a plain init(): the .wasm assets are emitted, found and run', async () => {
    const vite = await loadVite();
    const dir = fixtureDir(pkg, 'vite', ['vite-main.mjs', 'vite-index.html', 'workload.mjs']);
    dirs.push(dir);
    copyFileSync(join(dir, 'vite-index.html'), join(dir, 'index.html'));
    await vite.build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      build: { outDir: join(dir, 'dist'), emptyOutDir: true, target: 'es2022' },
    });
    const assets = readdirSync(join(dir, 'dist/assets'));
    const wasm = assets.filter((f) => f.endsWith('.wasm')).sort();
    // The three builds, and the two threaded ones the browser entry fetches for init({ threads }).
    const build = (f: string) => /^sepconv-(relaxed-threads|simd128-threads|relaxed|simd128|scalar)-[^.]+\.wasm$/.exec(f)?.[1];
    expect(wasm.map(build).sort()).toEqual(['relaxed', 'relaxed-threads', 'scalar', 'simd128', 'simd128-threads']);
    const js = assets.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(dir, 'dist/assets', f), 'utf8')).join('\n');
    for (const w of wasm) expect(js).toContain(w);

    const server = await serveDir(join(dir, 'dist'));
    servers.push(server);
    const r = await runInPage(`${server.url}/`, ['auto', 'scalar']);
    expect(r.auto!.backend.build).toBe('relaxed');
    // auto fetches the relaxed build, forced scalar the scalar one: simd128 (and, without threads, the threaded builds) are never fetched.
    expect(server.requests).toEqual(expect.arrayContaining(wasm.filter((w) => !w.includes('simd128') && !w.includes('threads')).map((w) => `/${relative(join(dir, 'dist'), join(dir, 'dist/assets', w))}`)));
    expectSameResults('Vite SIMD', r.auto!, await nodeResult('auto'));
    expectSameResults('Vite scalar', r.scalar!, await nodeResult('scalar'));
  });

  it('Vite dev server, default config and with optimizeDeps.exclude: the .wasm is served and runs', async () => {
    const vite = await loadVite();
    const dir = fixtureDir(pkg, 'vite-dev', ['vite-main.mjs', 'vite-index.html', 'workload.mjs']);
    dirs.push(dir);
    copyFileSync(join(dir, 'vite-index.html'), join(dir, 'index.html'));
    for (const optimizeDeps of [{}, { exclude: ['sepconv'] }]) {
      const server = await vite.createServer({
        root: dir,
        configFile: false,
        logLevel: 'silent',
        cacheDir: join(dir, `.vite-${optimizeDeps.exclude ? 'exclude' : 'default'}`),
        server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
        optimizeDeps,
      });
      try {
        await server.listen();
        const r = await runInPage(server.resolvedUrls!.local[0]!, ['auto']);
        expect(r.auto!.backend.build, JSON.stringify(optimizeDeps)).toBe('relaxed');
        expectSameResults(`Vite dev ${JSON.stringify(optimizeDeps)}`, r.auto!, await nodeResult('auto'));
      } finally {
        await server.close();
      }
    }
  });
});
