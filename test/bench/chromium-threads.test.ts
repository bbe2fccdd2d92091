// `node bench/run.mjs chromium-threads --quick` (issue 27's Chromium thread comparison) on tiny MobileNets:
// one cross-origin-isolated Chromium page with sepconv, TF.js-wasm and ORT-web at 2 threads, the output check
// before timing, every contender timed. Asserts no speed (a bench shows speed), only that the tool works:
// threads really on in every engine, the threaded wasm files loaded, outputs agreeing, finite times.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
let out: string;
let report: any;
let md: string;
let stdout: string;
let code: number;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'sepconv-chromium-threads-test-'));
  // --no-convert: no Python here; TF.js runs the cached graph model, else the layers model (the table says which).
  // Exit 1 when the check fails or an engine is not threaded; the report is written either way.
  try {
    stdout = execFileSync(process.execPath, [join(ROOT, 'bench/run.mjs'), 'chromium-threads', '--quick', '--no-convert', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 150_000,
    });
    code = 0;
  } catch (err: any) {
    stdout = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    code = err.status ?? -1;
  }
  report = JSON.parse(readFileSync(join(out, 'chromium-threads.json'), 'utf8'));
  md = readFileSync(join(out, 'chromium-threads.md'), 'utf8');
}, 180_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('bench chromium-threads --quick', () => {
  it('runs every engine at 2 threads on a cross-origin-isolated page, from the threaded wasm builds', () => {
    expect(report.problems).toEqual([]);
    expect(code, stdout).toBe(0);
    expect(report.info.crossOriginIsolated).toBe(true);
    expect(report.info.engines.sepconv.backend.threads).toBe(2);
    expect(report.info.engines.tfjs.threadsCount).toBe(2);
    expect(report.info.engines.ort.numThreads).toBe(2);
    // the second page: TF.js and ORT at 1 thread
    expect(report.info1.engines.tfjs.threadsCount).toBe(1);
    expect(report.info1.engines.ort.numThreads).toBe(1);
    expect(report.requests).toContain('/sepconv/dist/worker.js');
    expect(report.requests.some((p: string) => /\/sepconv\/wasm\/sepconv-(relaxed|simd128)-threads\.wasm$/.test(p))).toBe(true);
    expect(report.requests).toContain('/tfjs/tfjs-backend-wasm-threaded-simd.wasm');
    expect(report.requests).toContain('/ort/ort-wasm-simd-threaded.wasm');
    expect(report.chromium).toMatch(/Chrome\/\d+/);
  });

  it('checks every pair of engines on the same weights before timing: max |diff| of the probabilities and the relative logit diff < 1e-4', () => {
    expect(report.results.map((r: any) => r.id)).toEqual(['mobilenet_v1_q', 'mobilenet_v2_q']);
    for (const r of report.results) {
      expect(r.checks.map((c: any) => `${c.a}-${c.b}`)).toEqual(['sepconv-tfjs', 'sepconv-ort', 'tfjs-ort', 'sepconv-tfjs-1t', 'sepconv-ort-1t']);
      for (const c of r.checks) {
        expect(c.maxAbsDiff, `${r.id} ${c.a} vs ${c.b}`).toBeLessThan(1e-4);
        expect(c.logitDiff, `${r.id} ${c.a} vs ${c.b}`).toBeLessThan(1e-4);
        expect(c.top1, `${r.id} ${c.a} vs ${c.b}`).toBe(true);
      }
      expect(r.checkOk).toBe(true);
    }
  });

  it('times all three engines at 2 threads and at 1 thread and prints their table with the ratios', () => {
    for (const r of report.results) {
      for (const id of ['sepconv', 'sepconv-1t', 'tfjs', 'ort', 'tfjs-1t', 'ort-1t']) {
        expect(r.ms[id].runs, `${r.id} ${id}`).toBe(3);
        expect(Number.isFinite(r.ms[id].median) && r.ms[id].median > 0, `${r.id} ${id}: ${r.ms[id].median}`).toBe(true);
      }
    }
    const header = md.split('\n').find((l) => l.startsWith('| model |'))!;
    for (const col of ['sepconv 2 threads ms', 'TF.js-wasm 2 threads ms', 'ORT-web 2 threads ms', 'TF.js / ours', 'ORT / ours', 'TF.js-wasm 1 thread ms', 'ORT-web 1 thread ms']) expect(header).toContain(col);
    for (const r of report.results) {
      const row = md.split('\n').find((l) => l.startsWith(`| ${r.label} |`))!;
      const cells = row.split('|').map((c) => c.trim());
      // the ratio cells are the medians' quotients
      expect(cells[5]).toBe(`${(r.ms.tfjs.median / r.ms.sepconv.median).toFixed(2)}x`);
      expect(cells[6]).toBe(`${(r.ms.ort.median / r.ms.sepconv.median).toFixed(2)}x`);
    }
    expect(md).toContain('## Idle CPU of the Chromium processes');
    expect(stdout).toContain('QUICK');
  });
});
