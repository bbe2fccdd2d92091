// Threads in Node (worker_threads): every op family and every zoo model gives bit-identical outputs at
// 1, 2 and 3 threads (and the same bits as the single-thread build), the split really runs on the
// workers, terminate() then init() again works, and 1,000 predictions alternating two input sizes
// neither deadlock nor grow memory. Longer soak: SEPCONV_THREADS_SOAK=<predictions>.
import { afterAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';

type Case = { name: string; run: () => Float32Array[] };

const random = (seed: number, n: number, scale = 1): Float32Array => {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => next() * scale);
};
const t = (seed: number, shape: number[], scale = 1): sc.Tensor => sc.tensor(random(seed, shape.reduce((a, b) => a * b, 1), scale), shape);

/** One case per op family, each big enough to be split (work above the pool's threshold). */
const OPS: Case[] = [
  { name: 'pointwise 1x1', run: () => [sc.pointwiseConv2d(t(1, [1, 28, 28, 64]), t(2, [1, 1, 64, 96], 0.2), { activation: 'relu6' }).data()] },
  { name: 'dense', run: () => [sc.dense(t(3, [37, 512]), t(4, [512, 300], 0.1), { bias: random(5, 300) }).data()] },
  {
    name: 'depthwise 3x3 same / 5x5 stride 2 / multiplier 2 / dilated',
    run: () => [
      sc.depthwiseConv2d(t(6, [1, 57, 43, 32]), t(7, [3, 3, 32, 1]), { padding: 'same', activation: 'relu' }).data(),
      sc.depthwiseConv2d(t(8, [2, 40, 33, 24]), t(9, [5, 5, 24, 1]), { strides: 2, padding: 'same' }).data(),
      sc.depthwiseConv2d(t(10, [1, 30, 30, 12]), t(11, [3, 3, 12, 2]), { padding: 'valid' }).data(),
      sc.depthwiseConv2d(t(12, [1, 30, 30, 16]), t(13, [3, 3, 16, 1]), { padding: 'same', dilations: 2 }).data(),
    ],
  },
  {
    name: 'conv2d 3x3 stride 2 / 7x7 / grouped',
    run: () => [
      sc.conv2d(t(14, [1, 65, 65, 3]), t(15, [3, 3, 3, 32], 0.3), { strides: 2, padding: 'same', activation: 'relu6' }).data(),
      sc.conv2d(t(16, [1, 40, 40, 8]), t(17, [7, 7, 8, 16], 0.1), { padding: 'valid' }).data(),
      sc.conv2d(t(18, [2, 30, 30, 16]), t(19, [3, 3, 8, 16], 0.2), { padding: 'same', groups: 2 }).data(),
    ],
  },
  {
    name: 'avg / max pool',
    run: () => [
      sc.avgPool(t(20, [1, 56, 56, 64]), { poolSize: 3, strides: 2, padding: 'same' }).data(),
      sc.maxPool(t(21, [2, 55, 55, 32]), { poolSize: 3, strides: 2, padding: 'valid' }).data(),
    ],
  },
  {
    name: 'add / mul / activation / squeeze-excite scale',
    run: () => [
      sc.runAdd(t(22, [1, 64, 64, 40]), t(23, [1, 64, 64, 40]), 'relu').data(),
      sc.mul(t(24, [1, 64, 64, 40]), t(25, [1, 64, 64, 40])).data(),
      sc.swish(t(26, [1, 64, 64, 40], 4)).data(),
      sc.sigmoid(t(27, [1, 64, 65, 39], 4)).data(),
      // The squeeze-excite scale (per image and channel), batch 1 and 2.
      sc.mul(t(28, [1, 64, 64, 40]), t(29, [1, 1, 1, 40])).data(),
      sc.mul(t(30, [2, 33, 31, 24]), t(31, [2, 1, 1, 24])).data(),
    ],
  },
];

/** Seeded weights for a zoo model (BN variances positive), the same for every thread count. */
function seed(m: sc.Model, s: number): void {
  const w = m.getWeights();
  let i = 0;
  for (const [name, v] of w) {
    const r = random(s + i++, v.length, 0.15);
    w.set(name, /variance/.test(name) ? r.map((x) => 0.5 + Math.abs(x)) : /gamma/.test(name) ? r.map((x) => 1 + x) : r);
  }
  m.setWeights(w);
}

const MODELS: { name: string; make: () => sc.Model; shape: number[] }[] = [
  { name: 'MobileNetV1 0.5-96', make: () => sc.mobilenetV1({ alpha: 0.5, resolution: 96, classes: 10 }), shape: [1, 96, 96, 3] },
  { name: 'MobileNetV2 0.35-96', make: () => sc.mobilenetV2({ alpha: 0.35, resolution: 96, classes: 10 }), shape: [1, 96, 96, 3] },
  { name: 'EfficientNet-B0 64', make: () => sc.efficientnet('b0', { resolution: 64, classes: 10 }), shape: [1, 64, 64, 3] },
  { name: 'Xception 71', make: () => sc.xception({ resolution: 71, classes: 10 }), shape: [1, 71, 71, 3] },
  { name: 'ResNet-50 64', make: () => sc.resnet50({ resolution: 64, classes: 10 }), shape: [1, 64, 64, 3] },
];

const modelCases: Case[] = MODELS.map((m, k) => ({
  name: m.name,
  run: () => {
    const model = m.make();
    seed(model, 100 * k);
    const x = t(1000 + k, m.shape, 1);
    const y = model.predict(x) as sc.Tensor;
    const out = y.data();
    model.dispose();
    return [out];
  },
}));

/** Runs every case on a fresh runtime with `opts`; returns the outputs and how many ops ran split. */
async function runAll(opts: Parameters<typeof sc.init>[0], cases: Case[]): Promise<{ outs: Float32Array[][]; info: sc.BackendInfo; split: number; perCase: number[] }> {
  const info = await sc.init(opts);
  const before = sc.threadStats().split;
  const perCase: number[] = [];
  const outs = cases.map((c) => {
    const s0 = sc.threadStats().split;
    const o = c.run();
    perCase.push(sc.threadStats().split - s0);
    return o;
  });
  return { outs, info, split: sc.threadStats().split - before, perCase };
}

function expectSameBits(got: Float32Array[][], want: Float32Array[][], cases: Case[], label: string): void {
  cases.forEach((c, i) =>
    want[i]!.forEach((w, j) => {
      const g = got[i]![j]!;
      expect(g.length, `${c.name} #${j} (${label})`).toBe(w.length);
      const a = new Uint32Array(g.buffer, g.byteOffset, g.length);
      const b = new Uint32Array(w.buffer, w.byteOffset, w.length);
      let diff = -1;
      for (let k = 0; k < a.length && diff < 0; k++) if (a[k] !== b[k]) diff = k;
      expect(diff, `${c.name} #${j} (${label}): first differing element (${g[diff]} vs ${w[diff]})`).toBe(-1);
    }),
  );
}

afterAll(() => sc.terminate());

describe('threads in Node: bit-identical for 1, 2 and 3 threads', () => {
  for (const [label, cases] of [['op families', OPS], ['zoo models', modelCases]] as const) {
    it(label, async () => {
      const build = (await sc.init()).build;
      const plain = await runAll({ build }, cases);
      if (label === 'op families') {
        // threads: 1 is the single-thread build (the zoo models skip this run: it is the same runtime as `plain`).
        const one = await runAll({ build, threads: 1 }, cases);
        expect(one.info).toMatchObject({ build, threads: 1 });
        expect(one.split).toBe(0);
        expectSameBits(one.outs, plain.outs, cases, '1 thread vs the single-thread build');
      }
      for (const n of [2, 3]) {
        const r = await runAll({ build, threads: n }, cases);
        expect(r.info, `threads ${n}`).toMatchObject({ build, threads: n, threadsReason: `init({ threads: ${n} })` });
        // The ops really ran split over the pool (each case has ops above the threshold).
        expect(r.split, `ops split at ${n} threads`).toBeGreaterThanOrEqual(cases.length);
        // Each op of an op-family case is one kernel call, each big enough: every one of them split.
        if (label === 'op families') cases.forEach((c, i) => expect(r.perCase[i], `${c.name}: ops split at ${n} threads`).toBe(r.outs[i]!.length));
        expectSameBits(r.outs, plain.outs, cases, `${n} threads vs 1`);
        // Outputs are real numbers (a split that skipped rows would leave the NaN-free zeros of a fresh buffer unnoticed otherwise).
        for (const o of r.outs.flat()) expect(o.some((v) => v !== 0) && o.every(Number.isFinite)).toBe(true);
      }
    });
  }
});

describe('threads in Node: options, lifecycle, soak', () => {
  it("'auto' takes the cores (at most 8); bad counts are OptionErrors", async () => {
    const info = await sc.init({ threads: 'auto' });
    const { availableParallelism } = await import('node:os');
    expect(info.threads).toBe(Math.min(8, availableParallelism()));
    await expect(sc.init({ threads: 0 })).rejects.toThrow(sc.OptionError);
    await expect(sc.init({ threads: 2.5 })).rejects.toThrow(sc.OptionError);
    await expect(sc.init({ threads: 'all' as never })).rejects.toThrow(/threads/);
  });

  it('the scalar build runs on one thread, with the reason and one warning', async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => void warnings.push(m);
    try {
      const info = await sc.init({ build: 'scalar', threads: 2 });
      await sc.init({ build: 'scalar', threads: 2 });
      expect(info.threads).toBe(1);
      expect(info.threadsReason).toMatch(/need wasm SIMD/);
      expect(warnings.length).toBe(1);
      expect(OPS[0]!.run()[0]!.length).toBe(28 * 28 * 96);
    } finally {
      console.warn = warn;
    }
  });

  it('a Node process whose pool is idle exits on its own (workers unref()ed)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { createRequire } = await import('node:module');
    const entry = createRequire(import.meta.url).resolve('sepconv');
    const script = `import * as sc from ${JSON.stringify(entry)};
const info = await sc.init({ threads: 3 });
const x = sc.tensor(new Float32Array(60 * 60 * 32).fill(1), [1, 60, 60, 32]);
sc.depthwiseConv2d(x, sc.tensor(new Float32Array(9 * 32).fill(0.5), [3, 3, 32, 1]), { padding: 'same' });
console.log(info.threads, sc.threadStats().split);`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('3 1');
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('terminate() while idle, then init() again: threads run again', async () => {
    await sc.init({ threads: 2 });
    const before = OPS[2]!.run();
    sc.terminate();
    expect(sc.backend()).toMatchObject({ threads: 1, threadsReason: expect.stringMatching(/terminate\(\)/) });
    const after = OPS[2]!.run(); // the same runtime, on one thread now
    expectSameBits([after], [before], [OPS[2]!], 'after terminate()');
    await sc.init({ threads: 2 });
    const s0 = sc.threadStats().split;
    expectSameBits([OPS[2]!.run()], [before], [OPS[2]!], 're-init');
    expect(sc.threadStats().split).toBeGreaterThan(s0);
  });

  it('workers poll between ops only while the threads fit the cores, and an idle pool burns no CPU', async () => {
    const { availableParallelism } = await import('node:os');
    for (const n of [2, 3]) {
      await sc.init({ threads: n });
      expect(sc.threadStats().spinMs, `threads ${n}`).toBe(n <= availableParallelism() ? 1 : 0);
    }
    await sc.init({ threads: 2 });
    expect(() => sc.configureThreads({ spinMs: -1 })).toThrow(sc.OptionError);
    expect(() => sc.configureThreads({ spinMs: 5000 })).toThrow(/spinMs/);
    // Polling for long: the workers would burn a core each for 300 ms unless they sleep once idle
    // (spinMs bounds it: after it they block in Atomics.wait).
    sc.configureThreads({ spinMs: 20 });
    const want = OPS[0]!.run();
    await new Promise((r) => setTimeout(r, 50)); // past the polling window
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    const cpu = process.cpuUsage(c0);
    const wall = performance.now() - w0;
    // Everything this process did in 300 ms idle: well under one core's worth.
    expect((cpu.user + cpu.system) / 1000, `CPU ms over ${wall.toFixed(0)} ms idle`).toBeLessThan(0.25 * wall);
    // And polling gives the same bits as sleeping.
    sc.configureThreads({ spinMs: 0 });
    expectSameBits([OPS[0]!.run()], [want], [OPS[0]!], 'spinMs 0');
    sc.configureThreads({ spinMs: 1 });
  });

  it.each([2, 3])('1,000 predictions alternating two input sizes at %i threads: no deadlock, memory flat after 10', async (threads) => {
    const total = Number(process.env.SEPCONV_THREADS_SOAK ?? 1000);
    await sc.init({ threads });
    // The zoo's config with the input opened to any size (as bench/soak.mjs does).
    const config = sc.mobilenetV2Config({ alpha: 0.35, resolution: 64, classes: 10 });
    const inputLayer = config.config.layers.find((l: { class_name: string }) => l.class_name === 'InputLayer');
    inputLayer.config.batch_input_shape = [null, null, null, 3];
    const model = sc.modelFromKerasConfig(config);
    seed(model, 7);
    const xs = [t(1, [1, 64, 64, 3]), t(2, [1, 48, 40, 3])];
    const want = xs.map((x) => (model.predict(x) as sc.Tensor).data());
    let at10: sc.MemoryStats | undefined;
    for (let i = 0; i < total; i++) {
      const y = model.predict(xs[i % 2]!) as sc.Tensor;
      if (i % 97 === 0) expectSameBits([[y.data()]], [[want[i % 2]!]], [{ name: `prediction ${i}`, run: () => [] }], 'soak');
      if (i === 9) at10 = model.memoryStats();
    }
    expect(model.memoryStats()).toEqual(at10);
    expect(sc.backend().threads).toBe(threads);
    model.dispose();
    xs.forEach((x) => x.dispose());
  });
});
