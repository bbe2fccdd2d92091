// `node bench/run.mjs ab A.wasm B.wasm case...`: two builds of our wasm (a kernel before and after a change)
// timed against each other in ONE interleaved loop, optionally with TF.js-wasm or a cache flush in the same
// rounds. The tile and loop-order comments in crates/kernels come from this kind of A/B.
import { readFileSync } from 'node:fs';
import { buildChain, chainMacs, maxAbsDiff, type Chain, type Impl } from './chains.js';
import { enableRelaxedSimd, Engines, type OurBuild } from './engines/index.js';
import { conv, dw, pw, spatial } from './kernels.js';
import { Roof } from './roof.js';
import * as sc from './sepconv.js';
import { interleave, type Contender } from './timing.js';

export const AB_HELP = `node bench/run.mjs ab A.wasm B.wasm case... [flags]

  Times build B against build A (both simd128, or both relaxed with --build relaxed) on each case, in one
  interleaved loop per case, and prints A and B medians, B/A, A's GFLOP/s and share of the roof (sampled
  around each case, as in the bench) and the largest |A - B| over the output.
  Cases (NHWC, batch 1, square images, 'same' padding, seeded weights):
    dw,H,C,S[,K]         K x K depthwise (default K 3), stride S
    pw,H,CIN,COUT        pointwise 1x1
    sp,H,C,K             K x 1 then 1 x K depthwise (the fused spatially separable kernel)
    cv,H,CIN,COUT,K,S    standard K x K conv, stride S
  --pairs N        timed rounds (default 40)
  --tf             TF.js-wasm runs the case in the same rounds (its cache footprint between ours; prints tf/A)
  --flush MIB      reads a MIB-MiB buffer before each of our runs (a cold cache)
  --act NAME       activation (default relu6)
  --build B        simd128 (default) or relaxed
  --warmup-ms T    warm-up per case until each build ran T ms (default 600: V8's optimized code lands late)
`;

/** The chain of one `ab` case, built by the kernel bench's own case builders. */
export function abChain(spec: string, act: string): Chain {
  const [kind, ...rest] = spec.split(',');
  const n = rest.map(Number);
  if (n.some((v) => !Number.isInteger(v) || v <= 0)) throw new Error(`ab: case "${spec}" needs positive integers after "${kind}"`);
  const need = (k: number) => {
    if (n.length < k) throw new Error(`ab: case "${spec}" needs ${k} numbers after "${kind}" (see --help)`);
  };
  switch (kind) {
    case 'dw':
      need(3);
      return dw('ab', n[0]!, n[1]!, n[2]!, n[3] ?? 3, act).chain;
    case 'pw':
      need(3);
      return pw('ab', n[0]!, n[1]!, n[2]!, act).chain;
    case 'sp':
      need(3);
      return spatial('ab', n[0]!, n[1]!, n[2]!, act).chain;
    case 'cv':
      need(5);
      return conv('ab', n[0]!, n[1]!, n[2]!, n[4]!, 'conv3x3', n[3]!, act).chain;
    default:
      throw new Error(`ab: unknown case kind "${kind}" in "${spec}" (dw, pw, sp, cv)`);
  }
}

function parseAb(argv: string[]) {
  const o = { files: [] as string[], cases: [] as string[], pairs: 40, warmupMs: 600, tf: false, flushMiB: 0, act: 'relu6', build: 'simd128' as 'simd128' | 'relaxed', help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`ab: ${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--pairs') o.pairs = Number(value());
    else if (a === '--tf') o.tf = true;
    else if (a === '--warmup-ms') o.warmupMs = Number(value());
    else if (a === '--flush') o.flushMiB = Number(value());
    else if (a === '--act') o.act = value();
    else if (a === '--build') {
      const b = value();
      if (b !== 'simd128' && b !== 'relaxed') throw new Error(`ab: --build is simd128 or relaxed, got ${b}`);
      o.build = b;
    } else if (a.startsWith('--')) throw new Error(`ab: unknown flag ${a} (see --help)`);
    else if (o.files.length < 2) o.files.push(a);
    else o.cases.push(a);
  }
  if (!Number.isInteger(o.pairs) || o.pairs < 1) throw new Error('ab: --pairs must be a positive integer');
  if (!(o.flushMiB >= 0)) throw new Error('ab: --flush must be a size in MiB');
  if (!(o.warmupMs >= 0)) throw new Error('ab: --warmup-ms must be a time in ms');
  return o;
}

export async function abMain(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parseAb>;
  try {
    o = parseAb(argv);
    if (o.help) {
      console.log(AB_HELP);
      return 0;
    }
    if (o.files.length < 2 || o.cases.length === 0) throw new Error('ab: give two .wasm files and at least one case (see --help)');
    for (const c of o.cases) abChain(c, o.act);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  if (o.build === 'relaxed') enableRelaxedSimd();
  const e = await Engines.load((id) => id === 'sepconv-simd128' || id === 'sepconv-scalar' || (o.tf && id === 'tfjs-wasm'));
  // A and B take the simd128 and scalar engines' places, so buildChain runs them as two of our builds.
  const slots: [OurBuild, string][] = [['simd128', o.files[0]!], ['scalar', o.files[1]!]];
  for (const [slot, file] of slots) e.rt.set(slot, sc.instantiate(await sc.toModule(readFileSync(file)), { build: o.build, reason: 'ab' }));
  const junk = new Float64Array((o.flushMiB * 1024 * 1024) / 8);
  let sink = 0;
  const flush = () => {
    for (let i = 0; i < junk.length; i += 8) sink += junk[i]!;
  };
  const roof = new Roof();
  for (const spec of o.cases) {
    const ch = abChain(spec, o.act);
    roof.sample();
    const a = (await buildChain(e, 'sepconv-simd128', ch, 7)) as Impl;
    const b = (await buildChain(e, 'sepconv-scalar', ch, 7)) as Impl;
    const cold = (x: Impl): Contender['before'] => () => {
      if (o.flushMiB) flush();
      return x.before?.();
    };
    const contenders: Contender[] = [
      { id: 'A', run: a.run, before: cold(a) },
      { id: 'B', run: b.run, before: cold(b) },
    ];
    let tf: Impl | undefined;
    if (o.tf) {
      const built = await buildChain(e, 'tfjs-wasm', ch, 7);
      if ('na' in built) throw new Error(`ab: TF.js-wasm: ${built.na}`);
      tf = built;
      contenders.push({ id: 'tf', run: tf.run, before: tf.before });
    }
    const diff = maxAbsDiff(await a.output(), await b.output());
    const t = await interleave(contenders, { warmup: 5, warmupMs: o.warmupMs, runs: o.pairs });
    const med = (id: string) => t.get(id)!.stats.median;
    const [ma, mb] = [med('A'), med('B')];
    roof.sample();
    const gflops = (2 * chainMacs(ch)) / (ma * 1e6);
    const share = (100 * gflops) / roof.result().gflops;
    // Tiny cases run at well under 1 GFLOP/s and 1% of the roof: keep two significant digits there rather than print 0.
    const roofPart = `  A ${gflops >= 1 ? gflops.toFixed(1) : gflops.toPrecision(2)} GFLOP/s ${share >= 10 ? share.toFixed(0) : share.toPrecision(2)}% of roof`;
    const tfPart = o.tf ? `  tf/A ${(med('tf') / ma).toFixed(2)}  tf/B ${(med('tf') / mb).toFixed(2)}` : '';
    console.log(`${spec.padEnd(20)} A ${ma.toFixed(3)} ms  B ${mb.toFixed(3)} ms  B/A ${(mb / ma).toFixed(3)}${roofPart}${tfPart}  max|A-B| ${diff.toExponential(1)}`);
    for (const x of [a, b, tf]) await x?.dispose();
  }
  const r = roof.result();
  console.log(`roof ${r.gflops.toFixed(1)} GFLOP/s (${r.variant}, best of the samples)`);
  if (sink === -1) console.log('');
  return 0;
}
