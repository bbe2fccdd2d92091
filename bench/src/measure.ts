import type { BenchArgs } from './args.js';
import { buildChain, chainBytes, chainMacs, maxAbsDiff, type Built, type Chain, type Impl } from './chains.js';
import type { EngineId, Engines } from './engines/index.js';
import type { Roof } from './roof.js';
import { interleave, type Contender, type Stats } from './timing.js';

export interface EngineMeasure {
  median?: number;
  min?: number;
  runs?: number;
  /** 2 x MACs / median time. */
  gflops?: number;
  /** gflops / roof. */
  roofShare?: number;
  na?: string;
  error?: string;
}

export interface ChainResult {
  name: string;
  family: string;
  net: string;
  macs: number;
  bytes: number;
  engines: Partial<Record<EngineId, EngineMeasure>>;
  /** Largest |ours - reference| over the output, and the reference's largest |value|. */
  check?: { reference: EngineId; maxAbsDiff: number; maxAbs: number; ok: boolean };
}

export interface Ctx {
  args: BenchArgs;
  engines: Engines;
  roof: Roof;
  tick: (n?: number) => void;
  log: (s: string) => void;
}

export const SLOW: EngineId[] = ['sepconv-scalar', 'tfjs-cpu'];

/** An engine's timing as reported: median, min and runs, and the error if one stopped it. */
function measureOf(t: { stats: Stats; error?: string }): EngineMeasure {
  if (t.error && t.stats.runs === 0) return { error: t.error };
  return { median: t.stats.median, min: t.stats.min, runs: t.stats.runs, ...(t.error ? { error: t.error } : {}) };
}

export async function measureChain(ctx: Ctx, c: { name: string; family: string; net: string; chain: Chain; seed: number }, ids: EngineId[]): Promise<ChainResult> {
  const built = new Map<EngineId, Built>();
  for (const id of ids) built.set(id, await buildChain(ctx.engines, id, c.chain, c.seed));
  const res: ChainResult = { name: c.name, family: c.family, net: c.net, macs: chainMacs(c.chain), bytes: chainBytes(c.chain), engines: {} };
  // correctness first: ours against TF.js-wasm (else ORT-web)
  const ref = (['tfjs-wasm', 'ort-web', 'ort-node'] as EngineId[]).find((r) => built.get(r) && !('na' in built.get(r)!));
  const ours = built.get('sepconv-simd128');
  if (ref && ours && !('na' in ours)) {
    try {
      const a = await ours.output();
      const b = await (built.get(ref) as Impl).output();
      const d = maxAbsDiff(a, b);
      const maxAbs = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      res.check = { reference: ref, maxAbsDiff: d, maxAbs, ok: d <= 1e-3 * Math.max(1, maxAbs) };
    } catch (err) {
      res.check = { reference: ref, maxAbsDiff: NaN, maxAbs: NaN, ok: false };
    }
  }
  const contenders: Contender[] = [];
  for (const [id, b] of built) {
    if ('na' in b) {
      res.engines[id] = { na: b.na };
      continue;
    }
    contenders.push({ id, run: b.run, before: b.before, ...(SLOW.includes(id) ? { budgetMs: ctx.args.slowBudget * 1000 / 10, minRuns: Math.min(3, ctx.args.runs) } : {}) });
  }
  const timed = await interleave(contenders, { warmup: ctx.args.warmup, warmupMs: ctx.args.warmupMs, runs: ctx.args.runs, tick: () => ctx.tick() });
  ctx.roof.sample(3);
  const roof = ctx.roof.result().gflops;
  for (const [id, t] of timed) {
    const m = measureOf(t);
    if (m.median) {
      m.gflops = (2 * res.macs) / (m.median * 1e6);
      m.roofShare = m.gflops / roof;
    }
    res.engines[id as EngineId] = m;
  }
  for (const b of built.values()) if (!('na' in b)) await b.dispose();
  return res;
}

/** Cases measured against each other in one interleaved loop: per engine, per case, median and min. */
export interface PairedResult {
  cases: string[];
  engines: Partial<Record<EngineId, EngineMeasure[]>>;
}

/**
 * Times several cases in ONE interleaved loop (every round runs each case on each engine), so a
 * ratio between two of our kernels is not moved by the host drifting between two separate cases.
 */
export async function measurePaired(ctx: Ctx, cases: { name: string; chain: Chain; seed: number }[], ids: EngineId[]): Promise<PairedResult> {
  const res: PairedResult = { cases: cases.map((c) => c.name), engines: {} };
  const contenders: Contender[] = [];
  const builtAll: Built[] = [];
  for (const id of ids) {
    const builts: Built[] = [];
    for (const c of cases) builts.push(await buildChain(ctx.engines, id, c.chain, c.seed));
    builtAll.push(...builts);
    if (builts.some((b) => 'na' in b)) continue;
    builts.forEach((b, i) => contenders.push({ id: `${id}#${i}`, run: (b as Impl).run, before: (b as Impl).before }));
  }
  const timed = await interleave(contenders, { warmup: ctx.args.warmup, warmupMs: ctx.args.warmupMs, runs: ctx.args.runs, tick: () => ctx.tick() });
  for (const [key, t] of timed) {
    const [id, i] = key.split('#') as [EngineId, string];
    const list = (res.engines[id] ??= []);
    list[Number(i)] = measureOf(t);
  }
  for (const b of builtAll) if (!('na' in b)) await b.dispose();
  return res;
}
