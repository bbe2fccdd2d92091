// Planning cost of deep graphs (issue 29.3): a functional chain of N layers (per group of three: tanh Activation,
// Add of it and the value two layers back, sigmoid Activation) on an [8] input, built with model(), then its
// first predict (lower, fuse, shape inference, arena plan, pack, run) and a second one (run only).
// Wall times of one build per size on one sepconv build; sizes grow 4x, so the ratios show the order.
import type { Ctx } from './measure.js';
import * as sc from './sepconv.js';

export interface PlanningRow {
  /** Layers in the chain (InputLayer not counted). */
  nodes: number;
  engine: string;
  /** Layer objects, apply() and model(). */
  buildMs?: number;
  /** The first predict: planning and one run. */
  firstPredictMs?: number;
  /** A second predict at the same shape: the run alone. */
  secondPredictMs?: number;
  /** Build + first predict: what a loaded model costs before its first answer. */
  totalMs?: number;
  /** Process CPU time of build + first predict (what the wall time would be on an idle core). */
  totalCpuMs?: number;
  /** Steps after fusion. */
  steps?: number;
  error?: string;
}

export function planningSizes(quick: boolean): number[] {
  return quick ? [999, 3000] : [999, 3999, 15_999, 30_000];
}

/** Builds the chain (n rounded down to whole groups of three). */
function chain(n: number): any {
  const { input, layers, model } = sc as any;
  const inp = input({ shape: [8] });
  let prev = inp;
  let x = inp;
  for (let i = 0; i < Math.floor(n / 3); i++) {
    const t = layers.activation({ activation: 'tanh' }).apply(x);
    const s = layers.add({}).apply([t, prev]);
    prev = t;
    x = layers.activation({ activation: 'sigmoid' }).apply(s);
  }
  return model({ inputs: inp, outputs: x });
}

export async function runPlanning(ctx: Ctx): Promise<PlanningRow[]> {
  const build = (['simd128', 'relaxed', 'scalar'] as const).find((b) => ctx.engines.has(`sepconv-${b}`));
  if (!build) return [{ nodes: 0, engine: 'sepconv', error: 'no sepconv build loaded' }];
  const engine = `sepconv-${build}`;
  const rows: PlanningRow[] = [];
  for (const n of planningSizes(ctx.args.quick)) {
    ctx.log(`planning: ${n}-layer chain`);
    ctx.engines.useSepconv(build);
    const row: PlanningRow = { nodes: 3 * Math.floor(n / 3), engine };
    let m: any;
    const x = (sc as any).tensor(new Float32Array(16).map((_, i) => Math.sin(i)), [2, 8]);
    const cpu = (): number => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    };
    try {
      const c0 = cpu();
      const t0 = performance.now();
      m = chain(n);
      const t1 = performance.now();
      m.predict(x);
      const t2 = performance.now();
      const c2 = cpu();
      m.predict(x);
      const t3 = performance.now();
      Object.assign(row, { buildMs: t1 - t0, firstPredictMs: t2 - t1, secondPredictMs: t3 - t2, totalMs: t2 - t0, totalCpuMs: c2 - c0, steps: m.describePlan().length });
      console.error(
        `bench: planning ${row.nodes} layers (${row.steps} steps): build ${row.buildMs!.toFixed(1)} ms, first predict ${row.firstPredictMs!.toFixed(1)} ms, second ${row.secondPredictMs!.toFixed(2)} ms, build + first ${row.totalMs!.toFixed(1)} ms wall, ${row.totalCpuMs!.toFixed(1)} ms CPU`,
      );
    } catch (e) {
      row.error = e instanceof Error ? `${e.constructor.name}: ${e.message.split('\n')[0]}` : String(e);
      console.error(`bench: planning ${row.nodes} layers: ${row.error}`);
    } finally {
      m?.dispose();
      x.dispose();
    }
    rows.push(row);
    ctx.tick();
  }
  return rows;
}
