// The seed's table, measured: standard conv vs its depthwise-separable pair on every separable
// layer of MobileNetV1 and on the seed's own example (224x224x128 -> 256, 3x3), and 5x5 depthwise
// vs 5x1 + 1x5. Theory (MAC ratio) next to measured time ratios for sepconv and TF.js-wasm.
import { keep, type BenchArgs } from './args.js';
import { buildChain, chainMacs, convSpec, type Built, type Chain } from './chains.js';
import type { EngineId } from './engines/index.js';
import type { Ctx, EngineMeasure } from './measure.js';
import { hashSeed } from './rng.js';
import { mobilenetV1Layers } from './shapes.js';
import { interleave, type Contender } from './timing.js';

export interface SeedRow {
  name: string;
  kind: 'depthwise-separable' | 'spatial';
  /** Human description of the two sides. */
  standard: string;
  separable: string;
  macsStandard: number;
  macsSeparable: number;
  /** Theoretical speed-up: macsStandard / macsSeparable = 1 / (1/C_out + 1/K^2), or K/2 for spatial. */
  theory: number;
  /** The seed's formula value, 1/C_out + 1/K^2 (or 2/K for spatial). */
  formula: number;
  engines: Partial<Record<EngineId, { standard: EngineMeasure; separable: EngineMeasure; speedup?: number }>>;
}

interface SeedCase {
  name: string;
  kind: SeedRow['kind'];
  standard: Chain;
  separable: Chain;
  stdDesc: string;
  sepDesc: string;
  formula: number;
}

export const SEED_ENGINES: EngineId[] = ['sepconv-simd128', 'tfjs-wasm'];

function sepCase(name: string, h: number, c: number, s: number, cout: number, k = 3): SeedCase {
  const input = [1, h, h, c];
  const seed = hashSeed(name);
  const std = convSpec(input, { k: [k, k], cout, stride: s }, seed);
  const dw = convSpec(input, { k: [k, k], depthwise: true, stride: s }, seed + 2);
  const oh = Math.ceil(h / s);
  const pw = convSpec([1, oh, oh, c], { k: [1, 1], cout }, seed + 4);
  return {
    name,
    kind: 'depthwise-separable',
    standard: { input, convs: [std] },
    separable: { input, convs: [dw, pw] },
    stdDesc: `conv ${k}x${k} s${s} ${h}x${h}x${c}->${cout}`,
    sepDesc: `dw ${k}x${k} s${s} + pw ->${cout}`,
    formula: 1 / cout + 1 / (k * k),
  };
}

function spatialCase(name: string, h: number, c: number, k = 5): SeedCase {
  const input = [1, h, h, c];
  const seed = hashSeed(name);
  return {
    name,
    kind: 'spatial',
    standard: { input, convs: [convSpec(input, { k: [k, k], depthwise: true }, seed)] },
    separable: { input, convs: [convSpec(input, { k: [k, 1], depthwise: true, activation: 'linear', noBias: true }, seed + 2), convSpec(input, { k: [1, k], depthwise: true }, seed + 4)], spatial: true },
    stdDesc: `dw ${k}x${k} ${h}x${h}x${c}`,
    sepDesc: `${k}x1 then 1x${k} depthwise`,
    formula: 2 / k,
  };
}

export function seedCases(quick: boolean): SeedCase[] {
  if (quick) return [sepCase('quick 16x16x16->32', 16, 16, 1, 32), spatialCase('quick spatial 16x16x16', 16, 16)];
  return [
    ...mobilenetV1Layers().map((l) => sepCase(`mobilenet_v1 ${l.name}`, l.h, l.c, l.stride, l.cout)),
    sepCase("seed's example 224x224x128->256", 224, 128, 1, 256),
    spatialCase('spatial 5x5 56x56x128', 56, 128),
  ];
}

export function selectedSeedRows(args: BenchArgs): SeedCase[] {
  return seedCases(args.quick).filter((c) => keep(args, c.name, 'seed'));
}

export async function runSeed(ctx: Ctx, cases: SeedCase[]): Promise<SeedRow[]> {
  const ids = SEED_ENGINES.filter((id) => !ctx.args.engines || ctx.args.engines.has(id));
  const rows: SeedRow[] = [];
  for (const c of cases) {
    ctx.log(`seed ${c.name}`);
    const macsStandard = chainMacs(c.standard);
    const macsSeparable = chainMacs(c.separable);
    const row: SeedRow = { name: c.name, kind: c.kind, standard: c.stdDesc, separable: c.sepDesc, macsStandard, macsSeparable, theory: macsStandard / macsSeparable, formula: c.formula, engines: {} };
    const built: [string, EngineId, 'standard' | 'separable', Built][] = [];
    for (const id of ids) {
      built.push([`${id}/standard`, id, 'standard', await buildChain(ctx.engines, id, c.standard, hashSeed(c.name))]);
      built.push([`${id}/separable`, id, 'separable', await buildChain(ctx.engines, id, c.separable, hashSeed(c.name))]);
    }
    const contenders: Contender[] = built.filter(([, , , b]) => !('na' in b)).map(([key, , , b]) => ({ id: key, run: (b as any).run, before: (b as any).before }));
    const timed = await interleave(contenders, { warmup: ctx.args.warmup, warmupMs: ctx.args.warmupMs, runs: ctx.args.runs, tick: () => ctx.tick() });
    for (const id of ids) {
      const side = (which: 'standard' | 'separable'): EngineMeasure => {
        const b = built.find(([, i, w]) => i === id && w === which)![3];
        if ('na' in b) return { na: b.na };
        const t = timed.get(`${id}/${which}`)!;
        if (t.stats.runs === 0) return { error: t.error ?? 'no runs' };
        return { median: t.stats.median, min: t.stats.min, runs: t.stats.runs, gflops: (2 * (which === 'standard' ? macsStandard : macsSeparable)) / (t.stats.median * 1e6) };
      };
      const standard = side('standard');
      const separable = side('separable');
      row.engines[id] = { standard, separable, ...(standard.median && separable.median ? { speedup: standard.median / separable.median } : {}) };
    }
    for (const [, , , b] of built) if (!('na' in b)) await b.dispose();
    rows.push(row);
  }
  return rows;
}
