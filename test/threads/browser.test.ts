// Threads in headless Chromium: the packed package bundled for the browser by esbuild, dist/worker.js
// and the .wasm files beside the bundle as an app would ship them. Served with COOP / COEP the page is
// crossOriginIsolated: init({ threads: 2 }) runs module Web Workers and ops split over them, with the
// same bits as one thread. Served without: one thread, the reason in backend(), one warning, no error.
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from '../runtimes/support/browser.js';
import { packed, scratch, type Packed } from '../runtimes/support/package.js';
import { serveDir, type StaticServer } from '../runtimes/support/serve.js';

let pkg: Packed;
let browser: Browser;
let dir: string;
const servers: StaticServer[] = [];

const PAGE = `
import * as sc from 'sepconv';
const rand = (seed, n) => { let s = seed; return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5); };
const t = (seed, shape) => sc.tensor(rand(seed, shape.reduce((a, b) => a * b, 1)), shape);
async function run(threads) {
  const warnings = [];
  const warn = console.warn;
  console.warn = (m) => warnings.push(String(m));
  try {
    const info = await sc.init({ threads });
    const outs = [
      sc.depthwiseConv2d(t(1, [1, 57, 43, 32]), t(2, [3, 3, 32, 1]), { padding: 'same', activation: 'relu' }),
      sc.pointwiseConv2d(t(3, [1, 28, 28, 64]), t(4, [1, 1, 64, 96])),
      sc.conv2d(t(5, [1, 65, 65, 3]), t(6, [3, 3, 3, 32]), { strides: 2, padding: 'same' }),
      sc.maxPool(t(7, [1, 56, 56, 64]), { poolSize: 3, strides: 2, padding: 'same' }),
    ].map((y) => Array.from(new Uint32Array(y.data().buffer)));
    const m = sc.mobilenetV2({ alpha: 0.35, resolution: 64, classes: 10 });
    const w = m.getWeights();
    let i = 0;
    for (const [k, v] of w) w.set(k, /variance/.test(k) ? rand(50 + i++, v.length).map((x) => 0.6 + x) : rand(50 + i++, v.length).map((x) => x * 0.3));
    m.setWeights(w);
    outs.push(Array.from(new Uint32Array(m.predict(t(8, [1, 64, 64, 3])).data().buffer)));
    m.dispose();
    return { info, outs, stats: sc.threadStats(), isolated: globalThis.crossOriginIsolated === true, warnings };
  } finally {
    console.warn = warn;
  }
}
globalThis.runThreads = run;
`;

beforeAll(async () => {
  pkg = packed();
  browser = await launchChromium();
  dir = scratch('threads-page');
  mkdirSync(join(dir, 'dist'), { recursive: true });
  mkdirSync(join(dir, 'wasm'), { recursive: true });
  writeFileSync(join(dir, 'page.mjs'), PAGE);
  await build({
    entryPoints: [join(dir, 'page.mjs')],
    outfile: join(dir, 'dist', 'page.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    nodePaths: [join(pkg.project, 'node_modules')],
    logLevel: 'silent',
  });
  // What an app ships: the bundle, the worker next to it, the .wasm files one level up (../wasm/).
  copyFileSync(join(pkg.pkg, 'dist', 'worker.js'), join(dir, 'dist', 'worker.js'));
  for (const f of readdirSync(join(pkg.pkg, 'wasm'))) copyFileSync(join(pkg.pkg, 'wasm', f), join(dir, 'wasm', f));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./dist/page.js"></script>');
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Result = { info: { build: string; threads: number; threadsReason: string }; outs: number[][]; stats: { split: number }; isolated: boolean; warnings: string[] };

async function runPage(headers: Record<string, string>, threads: number[]): Promise<{ results: Result[]; requests: string[] }> {
  const server = await serveDir(dir, headers);
  servers.push(server);
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(`${server.url}/`, { timeout: 90_000 });
    await page.waitForFunction(() => typeof (globalThis as { runThreads?: unknown }).runThreads === 'function', null, { timeout: 90_000 });
    const results: Result[] = [];
    for (const n of threads) results.push(await page.evaluate((k) => (globalThis as unknown as { runThreads(n: number): Promise<Result> }).runThreads(k), n));
    expect(errors, 'page errors').toEqual([]);
    return { results, requests: server.requests };
  } finally {
    await page.close();
  }
}

describe('threads in headless Chromium', () => {
  it('cross-origin isolated (COOP/COEP): 2 and 3 threads run on module workers, bit-identical to 1', async () => {
    const { results, requests } = await runPage({ 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }, [1, 2, 3]);
    const [one, ...more] = results;
    expect(one!.isolated).toBe(true);
    expect(one!.info.threads).toBe(1);
    for (const [i, r] of more.entries()) {
      expect(r.info, `threads ${i + 2}`).toMatchObject({ threads: i + 2 });
      expect(r.stats.split, 'ops split over the workers').toBeGreaterThanOrEqual(5);
      expect(r.warnings).toEqual([]);
      r.outs.forEach((o, j) => expect(o, `output ${j} at ${i + 2} threads`).toEqual(one!.outs[j]));
    }
    expect(requests).toContain('/dist/worker.js');
    expect(requests.some((p) => /sepconv-(relaxed|simd128)-threads\.wasm$/.test(p))).toBe(true);
  });

  it('not isolated: one thread, the reason in backend(), one warning, the same result', async () => {
    const { results, requests } = await runPage({}, [2, 1]);
    const [two, one] = results;
    expect(two!.isolated).toBe(false);
    expect(two!.info.threads).toBe(1);
    expect(two!.info.threadsReason).toMatch(/cross-origin isolation: this page is not crossOriginIsolated/);
    expect(two!.warnings.length).toBe(1);
    expect(two!.outs).toEqual(one!.outs);
    expect(requests).not.toContain('/dist/worker.js');
  });
});
