// Interleaved timing: every round runs each engine once (in a rotating order, so no engine always
// runs right after another), after warm-up rounds. Median and min over the timed rounds.

export interface Stats {
  runs: number;
  median: number;
  min: number;
  mean: number;
  /** Median absolute deviation, ms. */
  mad: number;
}

export function stats(xs: number[]): Stats {
  if (xs.length === 0) return { runs: 0, median: NaN, min: NaN, mean: NaN, mad: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const med = (v: number[]) => (v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2);
  const m = med(s);
  return { runs: xs.length, median: m, min: s[0]!, mean: xs.reduce((a, b) => a + b, 0) / xs.length, mad: med(s.map((x) => Math.abs(x - m)).sort((a, b) => a - b)) };
}

export interface Contender {
  id: string;
  /** One run; may be async (ORT). */
  run: () => unknown;
  /** Untimed, before each run: make this engine current (sepconv instance, TF.js backend). */
  before?: () => unknown;
  /** Slow contenders stop taking rounds once they spent `budgetMs` (but do at least `minRuns`). */
  budgetMs?: number;
  minRuns?: number;
}

export interface RoundOptions {
  warmup: number;
  runs: number;
  /** Called after every round (progress bar). */
  tick?: () => void;
  /** Called between rounds (e.g. a roof sample) — not timed against any contender. */
  between?: () => void;
}

export async function interleave(contenders: Contender[], o: RoundOptions): Promise<Map<string, { stats: Stats; samples: number[]; error?: string }>> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
  const spent = new Map<string, number>(contenders.map((c) => [c.id, 0]));
  const errors = new Map<string, string>();
  const total = o.warmup + o.runs;
  for (let r = 0; r < total; r++) {
    const n = contenders.length;
    for (let k = 0; k < n; k++) {
      const c = contenders[(k + r) % n]!;
      if (errors.has(c.id)) continue;
      const done = samples.get(c.id)!.length;
      if (c.budgetMs !== undefined && r >= o.warmup && done >= (c.minRuns ?? 3) && spent.get(c.id)! > c.budgetMs) continue;
      if (c.budgetMs !== undefined && r > 0 && r < o.warmup && spent.get(c.id)! > c.budgetMs / 4) continue; // one warm-up is enough for slow ones
      try {
        const pre = c.before?.();
        if (pre && typeof (pre as Promise<unknown>).then === 'function') await pre;
        const t0 = performance.now();
        const ret = c.run();
        if (ret && typeof (ret as Promise<unknown>).then === 'function') await ret;
        const dt = performance.now() - t0;
        spent.set(c.id, spent.get(c.id)! + dt);
        if (r >= o.warmup) samples.get(c.id)!.push(dt);
      } catch (e) {
        errors.set(c.id, e instanceof Error ? e.message : String(e));
      }
    }
    o.between?.();
    o.tick?.();
  }
  return new Map(contenders.map((c) => [c.id, { stats: stats(samples.get(c.id)!), samples: samples.get(c.id)!, ...(errors.has(c.id) ? { error: errors.get(c.id) } : {}) }]));
}
