// A pool worker that fails to start, or dies after starting: a typed WorkerError, and the runtime goes
// on, correctly, on one thread. Runs copies of the packed package whose dist/worker.js is broken.
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packed } from '../runtimes/support/package.js';

const copies: string[] = [];
afterAll(() => copies.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The packed package copied beside the original (its dependencies resolve the same), with `worker` as dist/worker.js. */
async function withWorker(name: string, worker: string) {
  const pkg = packed();
  const dir = join(pkg.project, 'node_modules', `sepconv-${name}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(pkg.pkg, dir, { recursive: true });
  copies.push(dir);
  writeFileSync(join(dir, 'dist', 'worker.js'), worker);
  return import(join(dir, 'dist', 'node.js'));
}

function workload(sc: any): number[] {
  const n = 40 * 40 * 32;
  const x = sc.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i)), [1, 40, 40, 32]);
  const f = sc.tensor(Float32Array.from({ length: 9 * 32 }, (_, i) => Math.cos(i)), [3, 3, 32, 1]);
  return Array.from(sc.depthwiseConv2d(x, f, { padding: 'same' }).data() as Float32Array);
}

describe('threads: worker failures', () => {
  it('a worker that fails to start: WorkerError from init(), the runtime usable on one thread', async () => {
    const sc = await withWorker('nostart', "throw new Error('broken worker for the test');\n");
    await expect(sc.init({ threads: 2 })).rejects.toThrow(sc.WorkerError);
    await expect(sc.init({ threads: 2 })).rejects.toThrow(/failed to start.*broken worker for the test/);
    expect(sc.backend()).toMatchObject({ threads: 1, threadsReason: expect.stringMatching(/pool failed to start/) });
    const got = workload(sc);
    await sc.init();
    expect(got).toEqual(workload(sc));
  });

  it('a worker that never takes its part (stalled, as if descheduled): the calling thread runs every part, same bits, no wait', async () => {
    const stalls = [
      "import { parentPort } from 'node:worker_threads';",
      "parentPort.once('message', () => { parentPort.postMessage({ ok: true }); setInterval(() => {}, 1000); });",
      '',
    ].join('\n');
    const sc = await withWorker('stalls', stalls);
    await sc.init();
    const want = workload(sc);
    await sc.init({ threads: 2 });
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) expect(workload(sc)).toEqual(want);
    const s = sc.threadStats();
    expect(s.split).toBe(3);
    expect(s.partsHere).toBe(s.parts);
    expect(s.parts).toBe(6);
    // No op waited for the stalled worker (the pool's dead-worker timeout is 10 s).
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(sc.backend().threads).toBe(2);
    sc.terminate();
  });

  it('a worker that dies after starting: the next op throws WorkerError, later ops run on one thread', async () => {
    const dies = [
      "import { parentPort } from 'node:worker_threads';",
      'parentPort.once(\'message\', () => { parentPort.postMessage({ ok: true }); setTimeout(() => process.exit(3), 20); });',
      '',
    ].join('\n');
    const sc = await withWorker('dies', dies);
    await sc.init();
    const want = workload(sc);
    await sc.init({ threads: 2 });
    expect(sc.backend().threads).toBe(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(() => workload(sc)).toThrow(sc.WorkerError);
    expect(sc.backend()).toMatchObject({ threads: 1, threadsReason: expect.stringMatching(/exited \(code 3\)/) });
    expect(workload(sc)).toEqual(want);
  });
});
