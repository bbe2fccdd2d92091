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
  /**
   * Keep warming up (past `warmup` rounds, up to 200) until every fast contender has run this long:
   * V8 runs new wasm code in its baseline tier until the optimized code lands, ~0.5 s after first use here.
   */
  warmupMs?: number;
  runs: number;
  /** Called after every round (progress bar). */
  tick?: () => void;
  /** Called between rounds (e.g. a roof sample) — not timed against any contender. */
  between?: () => void;
}

const MAX_WARMUP_ROUNDS = 200;

export async function interleave(contenders: Contender[], o: RoundOptions): Promise<Map<string, { stats: Stats; samples: number[]; error?: string }>> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
  const spent = new Map<string, number>(contenders.map((c) => [c.id, 0]));
  const errors = new Map<string, string>();
  const warmSpent = new Map<string, number>(contenders.map((c) => [c.id, 0]));
  const stillWarming = (r: number): boolean =>
    r < o.warmup || (r < MAX_WARMUP_ROUNDS && contenders.some((c) => c.budgetMs === undefined && !errors.has(c.id) && warmSpent.get(c.id)! < (o.warmupMs ?? 0)));
  let warmRounds = Infinity;
  for (let r = 0; r < warmRounds + o.runs; r++) {
    if (warmRounds === Infinity && !stillWarming(r)) warmRounds = r;
    const warming = r < warmRounds;
    const n = contenders.length;
    for (let k = 0; k < n; k++) {
      const c = contenders[(k + r) % n]!;
      if (errors.has(c.id)) continue;
      const done = samples.get(c.id)!.length;
      if (c.budgetMs !== undefined && !warming && done >= (c.minRuns ?? 3) && spent.get(c.id)! > c.budgetMs) continue;
      if (c.budgetMs !== undefined && r > 0 && warming && (r >= o.warmup || spent.get(c.id)! > c.budgetMs / 4)) continue; // one warm-up is enough for slow ones
      try {
        const pre = c.before?.();
        if (pre && typeof (pre as Promise<unknown>).then === 'function') await pre;
        const t0 = performance.now();
        const ret = c.run();
        if (ret && typeof (ret as Promise<unknown>).then === 'function') await ret;
        const dt = performance.now() - t0;
        spent.set(c.id, spent.get(c.id)! + dt);
        if (warming) warmSpent.set(c.id, warmSpent.get(c.id)! + dt);
        else samples.get(c.id)!.push(dt);
      } catch (e) {
        errors.set(c.id, e instanceof Error ? e.message : String(e));
      }
    }
    o.between?.();
    if (!warming || r < o.warmup) o.tick?.();
  }
  return new Map(contenders.map((c) => [c.id, { stats: stats(samples.get(c.id)!), samples: samples.get(c.id)!, ...(errors.has(c.id) ? { error: errors.get(c.id) } : {}) }]));
}
