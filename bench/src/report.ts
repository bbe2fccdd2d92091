// JSON + Markdown + SVG charts; bench/RESULTS.md for full runs.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { currentKeptSections } from './results-sections.js';
import { join, relative } from 'node:path';
import type { BenchArgs } from './args.js';
import { latencySpec, renderSvg, rooflineSpec, seedSpec } from './charts.js';
import { ALL_ENGINES, ROOT, type EngineId, type LoadInfo } from './engines/index.js';
import type { ChainResult, PairedResult } from './measure.js';
import type { ModelResult } from './models.js';
import { onnxCorpusMarkdown, type OnnxCorpusResult } from './onnx-corpus.js';
import type { MemoryRoofResult, RoofResult } from './roof.js';
import type { SeedRow } from './seed.js';

export interface BenchResults {
  date: string;
  command: string;
  quick: boolean;
  host: Record<string, unknown>;
  engines: Record<string, LoadInfo | undefined>;
  roof: RoofResult;
  /** Streaming copy rate (read + write), the roofline's slope; absent in results from before it was measured. */
  memoryRoof?: MemoryRoofResult;
  kernels: ChainResult[];
  /** Our 5x5 depthwise and our 5x1 + 1x5 (and TF.js-wasm's two), timed in one interleaved loop. */
  spatialPair?: PairedResult;
  /** The 5x1 + 1x5 two-layer model through predict(), unfused (two depthwise steps) and fused (one spatial step), in one loop. */
  spatialModelPair?: PairedResult;
  seed: SeedRow[];
  models: ModelResult[];
  /** The real-model ONNX corpus (issue 26); absent in results from before it was measured. */
  onnx?: OnnxCorpusResult[];
  coldStart?: any;
  size?: any;
  seconds?: number;
  errors?: string[];
  /** The TF.js converter's pins (scripts/python-fixtures.sh version). */
  converter?: string;
}

const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(d));
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(0)}%`);
const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(2)}x`);
const mib = (b: number | undefined) => (b === undefined ? '–' : `${(b / 2 ** 20).toFixed(1)}`);
// 'TF.js wasm' is TF.js's fastest path (graph models from tensorflowjs_converter, tf.fused.* kernels);
// 'TF.js wasm layers' the same backend through tfjs-layers, what loadLayersModel users get.
const SHORT: Record<string, string> = { 'sepconv-simd128': 'ours simd128', 'sepconv-relaxed': 'ours relaxed', 'sepconv-scalar': 'ours scalar', 'tfjs-wasm': 'TF.js wasm (graph, fused)', 'tfjs-wasm-layers': 'TF.js wasm layers (loadLayersModel)', 'tfjs-cpu': 'TF.js cpu (graph)', 'ort-web': 'ORT web', 'ort-node': 'ORT node (native)' };

function cell(m: { median?: number; min?: number; na?: string; error?: string } | undefined): string {
  if (!m) return '–';
  if (m.median !== undefined) return f(m.median);
  if (m.na) return 'n/a';
  if (m.error) return 'error';
  return '–';
}

/** Speed-up of ours over another engine: their median / our median (> 1: ours faster). */
function over(a: { median?: number } | undefined, b: { median?: number } | undefined): number | undefined {
  return a?.median && b?.median ? b.median / a.median : undefined;
}

/** The same from the fastest run of each (less sensitive to a loaded machine). */
function overMin(a: { min?: number } | undefined, b: { min?: number } | undefined): number | undefined {
  return a?.min && b?.min ? b.min / a.min : undefined;
}

/** Per kernel family, each engine's share of the roofline bound min(roof, memory roof x intensity) (medians over the shapes). */
function attainableSentence(r: BenchResults): string | undefined {
  const bw = r.memoryRoof?.gbps;
  if (!bw || !Number.isFinite(r.roof.gflops)) return undefined;
  const fams: [string, string][] = [['dw3x3', 'depthwise 3x3'], ['pw', 'pointwise'], ['conv3x3', 'standard 3x3']];
  const med = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const parts = fams.flatMap(([fam, label]) => {
    const ks = r.kernels.filter((k) => k.family === fam && !k.net.startsWith('quick'));
    if (!ks.length) return [];
    const bounds = ks.map((k) => Math.min(r.roof.gflops, (bw * 2 * k.macs) / k.bytes));
    const share = (id: EngineId) => ks.map((k, i) => (k.engines[id]?.gflops ?? NaN) / bounds[i]!).filter(Number.isFinite);
    const o = share('sepconv-simd128');
    const t = share('tfjs-wasm');
    const memBound = ks.filter((_, i) => bounds[i]! < r.roof.gflops).length;
    return [`${label}: bound ${f(Math.min(...bounds), 1)}–${f(Math.max(...bounds), 1)} GFLOP/s (${memBound} of ${ks.length} shapes memory-bound), ours ${pct(med(o))} of it, TF.js-wasm ${pct(med(t))}`];
  });
  return parts.length ? `Against the roofline (min of the roof and ${f(bw, 1)} GB/s x intensity; medians over the shapes): ${parts.join('; ')}.` : undefined;
}

function targetLine(ok: boolean | undefined, text: string): string {
  return `- ${ok === undefined ? '⬜ not measured' : ok ? '✅ met' : '❌ missed'}: ${text}`;
}

/** Per kernel family, the relaxed build's speed-up over the simd128 build (medians over the shapes). */
function relaxedSentence(ks: readonly ChainResult[]): string | undefined {
  const fams = [...new Set(ks.map((k) => k.family))];
  const parts = fams.flatMap((fam) => {
    const v = ks.filter((k) => k.family === fam).map((k) => over(k.engines['sepconv-relaxed'], k.engines['sepconv-simd128'])).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    return v.length ? [`${fam} ${ratio(v[Math.floor(v.length / 2)])} (${ratio(v[0])}–${ratio(v[v.length - 1])})`] : [];
  });
  return parts.length ? `Ours relaxed (the relaxed-SIMD build, one fused multiply-add per f32x4 multiply-add; what Node 22+, Chrome 114+ and workerd run) speed-up over our simd128 (its median time / relaxed median time), median per family (range): ${parts.join(', ')}.` : undefined;
}

export function kernelMarkdown(r: BenchResults): string {
  const L: string[] = [];
  const roof = r.roof.gflops;
  L.push(`| kernel | nets | MFLOP | ours simd128 ms | GFLOP/s | % roof | ours relaxed ms | relaxed vs simd128 | ours scalar ms | TF.js-wasm tf.fused ms | GFLOP/s | ORT-web ms | ORT-node ms | ours vs TF.js-wasm | (min) | ours vs ORT-web | (min) | relaxed vs TF.js-wasm | relaxed vs ORT-web | check |`);
  L.push(`|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|`);
  for (const k of r.kernels) {
    const o = k.engines['sepconv-simd128'];
    const t = k.engines['tfjs-wasm'];
    const check = k.check ? (k.check.ok ? `ok (${k.check.maxAbsDiff.toExponential(1)})` : `**off ${k.check.maxAbsDiff.toExponential(1)}**`) : '–';
    L.push(`| ${k.family} ${k.name.replace(/^(dw\S+|pw|conv3x3|stem conv3x3|dw\S+\+\S+|deform3x3) /, '')} | ${k.net} | ${f((2 * k.macs) / 1e6, 1)} | ${cell(o)} | ${f(o?.gflops, 1)} | ${pct(o?.roofShare)} | ${cell(k.engines['sepconv-relaxed'])} | ${ratio(over(k.engines['sepconv-relaxed'], o))} | ${cell(k.engines['sepconv-scalar'])} | ${cell(t)} | ${f(t?.gflops, 1)} | ${cell(k.engines['ort-web'])} | ${cell(k.engines['ort-node'])} | ${ratio(over(o, t))} | ${ratio(overMin(o, t))} | ${ratio(over(o, k.engines['ort-web']))} | ${ratio(overMin(o, k.engines['ort-web']))} | ${ratio(over(k.engines['sepconv-relaxed'], t))} | ${ratio(over(k.engines['sepconv-relaxed'], k.engines['ort-web']))} | ${check} |`);
  }
  const na = r.kernels.filter((k) => k.engines['sepconv-simd128']?.na).map((k) => `${k.name}: ${k.engines['sepconv-simd128']!.na}`);
  if (na.length) L.push('', `Not available in sepconv yet: ${[...new Set(na.map((s) => s.replace(/^.*?: /, '')))].join('; ')} (${na.length} cases).`);
  L.push('', `Ratios are TF.js (or ORT) median time / ours (> 1 means sepconv is faster); "(min)" is the same ratio from each engine's fastest run, which a loaded machine disturbs less. % roof is against the ${f(roof, 1)} GFLOP/s measured in this run.`);
  const relaxed = relaxedSentence(r.kernels);
  if (relaxed) L.push('', relaxed);
  // targets
  const fam = (name: string) => r.kernels.filter((k) => k.family === name && !k.net.startsWith('quick') && !k.net.startsWith('resnet') && !k.net.startsWith('spatial'));
  const all = (ks: ChainResult[], pred: (k: ChainResult) => boolean | undefined) => {
    const vals = ks.map(pred);
    if (!ks.length || vals.some((v) => v === undefined)) return undefined;
    return vals.every(Boolean);
  };
  const vsT = (k: ChainResult) => over(k.engines['sepconv-simd128'], k.engines['tfjs-wasm']);
  const minMax = (ks: ChainResult[], thr = 1.5) => {
    const v = ks.map(vsT).filter((x): x is number => x !== undefined);
    const m = ks.map((k) => overMin(k.engines['sepconv-simd128'], k.engines['tfjs-wasm'])).filter((x): x is number => x !== undefined);
    const miss = ks.filter((k) => (vsT(k) ?? Infinity) < thr).length;
    return v.length ? `measured on medians ${Math.min(...v).toFixed(2)}x – ${Math.max(...v).toFixed(2)}x, ${miss} of ${v.length} shapes under ${thr}x; on min times ${Math.min(...m).toFixed(2)}x – ${Math.max(...m).toFixed(2)}x` : 'not measured';
  };
  const pw = fam('pw');
  const bigPw = pw.filter((k) => k.macs >= 40e6);
  const dw = fam('dw3x3');
  const conv = r.kernels.filter((k) => k.family === 'conv3x3' || k.family === 'stem');
  const sp = r.kernels.find((k) => k.family === 'dw5x1+1x5' && k.name.includes('56x56x128'));
  const d5 = r.kernels.find((k) => k.family === 'dw5x5' && k.name.includes('56x56x128'));
  const separateRatio = over(sp?.engines['sepconv-simd128'], d5?.engines['sepconv-simd128']);
  // The target's ratio from the paired loop when there is one (both kernels timed in the same rounds).
  const pairOurs = r.spatialPair?.engines['sepconv-simd128'];
  const pairRatio = pairOurs ? over(pairOurs[1], pairOurs[0]) : undefined;
  const spRatio = pairRatio ?? separateRatio;
  const shares = bigPw.map((k) => k.engines['sepconv-simd128']?.roofShare).filter((x): x is number => x !== undefined);
  L.push('', '**Targets (issue 3), ratios from this run:**');
  L.push(targetLine(all(pw, (k) => (vsT(k) === undefined ? undefined : vsT(k)! >= 1.5)), `pointwise ≥ 1.5x faster than TF.js-wasm on every MobileNet shape (${minMax(pw)})`));
  L.push(targetLine(shares.length ? shares.every((s) => s >= 0.75) : undefined, `the larger pointwise shapes (≥ 40 M MACs, ${bigPw.length} shapes) at ≥ 75% of roof (${shares.length ? `${pct(Math.min(...shares))} – ${pct(Math.max(...shares))}` : 'not measured'})`));
  L.push(targetLine(all(dw, (k) => (vsT(k) === undefined ? undefined : vsT(k)! >= 1.5)), `depthwise 3x3 ≥ 1.5x faster than TF.js-wasm on every MobileNet shape (${minMax(dw)})`));
  L.push(targetLine(all(conv, (k) => (vsT(k) === undefined ? undefined : vsT(k)! >= 1)), `standard 3x3 conv (ResNet-50 shapes and the stem) at least as fast as TF.js-wasm (${minMax(conv, 1)})`));
  const spHow = pairRatio !== undefined ? `measured ${ratio(pairRatio)} with the two timed in one interleaved loop (min times ${ratio(overMin(pairOurs![1], pairOurs![0]))}); from the two separate rows above ${ratio(separateRatio)}` : `measured ${ratio(separateRatio)}`;
  L.push(targetLine(spRatio === undefined ? undefined : spRatio >= 2, `5x1 then 1x5 ≥ 2x faster than our 5x5 depthwise on 56x56x128 (theory 2.5x; ${spHow})`));
  if (r.spatialPair) {
    const cell = (m?: { median?: number; min?: number }) => (m?.median !== undefined ? `${f(m.median)} (min ${f(m.min)})` : 'n/a');
    L.push('', `The spatial pair, timed in one loop (every round runs both cases on both engines, so host drift between the two separate rows above does not move the ratio):`, '');
    L.push(`| engine | ${r.spatialPair.cases.join(' ms | ')} ms | speed-up (first / second) |`, '|---|--:|--:|--:|');
    for (const [e, ms] of Object.entries(r.spatialPair.engines)) L.push(`| ${SHORT[e] ?? e} | ${cell(ms?.[0])} | ${cell(ms?.[1])} | ${ratio(over(ms?.[1], ms?.[0]))} |`);
  }
  if (r.spatialModelPair) {
    const cell = (m?: { median?: number; min?: number }) => (m?.median !== undefined ? `${f(m.median)} (min ${f(m.min)})` : 'n/a');
    L.push('', `A 5x1 DepthwiseConv2D then a 1x5 one as a model, through predict(): the planner's pair rule off (two depthwise steps) and on (one spatial step), timed in one loop:`, '');
    L.push(`| engine | ${r.spatialModelPair.cases.join(' ms | ')} ms | speed-up (first / second) |`, '|---|--:|--:|--:|');
    for (const [e, ms] of Object.entries(r.spatialModelPair.engines)) L.push(`| ${SHORT[e] ?? e} | ${cell(ms?.[0])} | ${cell(ms?.[1])} | ${ratio(over(ms?.[1], ms?.[0]))} |`);
  }
  return L.join('\n');
}

export function seedMarkdown(r: BenchResults): string {
  const L: string[] = [];
  L.push('| layer | standard | separable | MMAC std | MMAC sep | 1/C_out + 1/K² | theory speed-up | ours std ms | ours sep ms | ours speed-up | TF.js std ms | TF.js sep ms | TF.js speed-up |');
  L.push('|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of r.seed) {
    const o = s.engines['sepconv-simd128'];
    const t = s.engines['tfjs-wasm'];
    L.push(`| ${s.name} | ${s.standard} | ${s.separable} | ${f(s.macsStandard / 1e6, 1)} | ${f(s.macsSeparable / 1e6, 1)} | ${s.formula.toFixed(4)} | ${ratio(s.theory)} | ${cell(o?.standard)} | ${cell(o?.separable)} | ${ratio(o?.speedup)} | ${cell(t?.standard)} | ${cell(t?.separable)} | ${ratio(t?.speedup)} |`);
  }
  const sep = r.seed.filter((s) => s.kind === 'depthwise-separable');
  const eff = (id: 'sepconv-simd128' | 'tfjs-wasm') => {
    const v = sep.map((s) => (s.engines[id]?.speedup ? s.engines[id]!.speedup! / s.theory : undefined)).filter((x): x is number => x !== undefined);
    return v.length ? `${pct(Math.min(...v))} – ${pct(Math.max(...v))}` : 'not measured';
  };
  const medGf = (fam: string, id: EngineId) => {
    const v = r.kernels.filter((k) => k.family === fam && !k.net.startsWith('quick')).map((k) => k.engines[id]?.gflops).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : undefined;
  };
  const why = (['sepconv-simd128', 'tfjs-wasm'] as EngineId[])
    .map((id) => ({ id, dw: medGf('dw3x3', id), pw: medGf('pw', id), conv: medGf('conv3x3', id) }))
    .filter((x) => x.dw !== undefined && (x.pw !== undefined || x.conv !== undefined))
    .map((x) => `${SHORT[x.id]}: depthwise 3x3 ${f(x.dw, 1)} GFLOP/s, pointwise ${f(x.pw, 1)}, standard 3x3 ${f(x.conv, 1)} (medians over the kernel shapes above)`);
  L.push('', `Theory is the MAC ratio (standard / separable) = 1 / (1/C_out + 1/K²) for depthwise separation and K/2 for spatial separation. ` +
    `Share of the theoretical speed-up actually obtained, depthwise-separable rows: ours ${eff('sepconv-simd128')}, TF.js-wasm ${eff('tfjs-wasm')}.` +
    (why.length ? ` Why measured and theoretical speed-ups differ (the seed's section 7): a MAC does not cost the same in every kernel. ${why.join('; ')}. ` +
      `The depthwise conv does only K² MACs per value it loads, so it runs far below the roof, while the standard and pointwise convs are GEMMs that reuse each loaded value many times: the separable pair removes most of the MACs but keeps the slowest ones, so its speed-up stays below the MAC ratio unless the standard conv itself runs slowly on that shape (the rows above 100%).` : ''));
  const bound = attainableSentence(r);
  if (bound) L.push('', bound);
  const ex = r.seed.find((s) => s.name.startsWith("seed's example"));
  if (ex) L.push('', `The seed's example (224x224x128 -> 256, 3x3) is ${(ex.macsStandard / 1e9).toFixed(2)} G MACs for the standard conv (3x3x128x256 = 294,912 weights per output pixel x 50,176 pixels), not the "about 188 million" the seed writes; the separable pair is ${(ex.macsSeparable / 1e6).toFixed(0)} M MACs.`);
  return L.join('\n');
}

export function modelMarkdown(r: BenchResults): string {
  const L: string[] = [];
  const engines = ALL_ENGINES;
  L.push(`| model | GMAC | params | ${engines.map((e) => `${SHORT[e]} ms`).join(' | ')} | ours vs TF.js-wasm fastest path (min) | ours vs TF.js-wasm layers (min) | ours vs ORT-web (min) | relaxed vs TF.js-wasm fastest path | relaxed vs ORT-web | ours GFLOP/s | ours % roof |`);
  L.push(`|---|--:|--:|${engines.map(() => '--:').join('|')}|--:|--:|--:|--:|--:|--:|--:|`);
  for (const m of r.models) {
    if (m.na) {
      L.push(`| ${m.label} | – | – | ${engines.map(() => 'n/a').join(' | ')} | – | – | – | – | – | – | – |`);
      continue;
    }
    const o = m.engines['sepconv-simd128'];
    const rx = m.engines['sepconv-relaxed'];
    const vs = (a: typeof o, id: EngineId) => `${ratio(over(a, m.engines[id]))} (${ratio(overMin(a, m.engines[id]))})`;
    L.push(`| ${m.label} | ${f((m.macs ?? 0) / 1e9)} | ${f((m.params ?? 0) / 1e6, 1)} M | ${engines.map((e) => { const x = m.engines[e]; return x?.median !== undefined ? `${f(x.median)} (min ${f(x.min)}, n=${x.runs})` : cell(x); }).join(' | ')} | ${vs(o, 'tfjs-wasm')} | ${vs(o, 'tfjs-wasm-layers')} | ${vs(o, 'ort-web')} | ${vs(rx, 'tfjs-wasm')} | ${vs(rx, 'ort-web')} | ${f(o?.gflops, 1)} | ${pct(o?.roofShare)} |`);
  }
  L.push('', 'Each cell: median ms (min, number of timed runs). Slow engines (ours scalar, TF.js cpu) stop after their time budget, so they may have fewer runs. ' +
    'Ratios are their median / ours (> 1: sepconv faster); "fastest path" is TF.js running the graph model tensorflowjs_converter makes (BatchNorm folded, bias + activation fused), what TF.js users who care about speed run; "layers" is tfjs-layers on the same backend (Conv2D, BatchNormalization and the activation as separate kernels), what loadLayersModel users get.');
  const graphs = r.models.filter((m) => m.tfGraph);
  if (graphs.length) {
    const opList = (ops: Record<string, number>) => Object.entries(ops).filter(([k]) => !['Const', 'Identity', 'Placeholder', 'NoOp'].includes(k)).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    L.push('', 'TF.js graph models (the fastest-path columns): ' + graphs.map((m) => `${m.id}: ${m.tfGraph!.na ? `none — ${m.tfGraph!.na}` : `${m.tfGraph!.source}${m.tfGraph!.ops ? `; ops ${opList(m.tfGraph!.ops)}` : ''}`}`).join('; ') + '.');
  }
  const relaxedModels = r.models.filter((m) => !m.na).map((m) => ({ m, x: over(m.engines['sepconv-relaxed'], m.engines['sepconv-simd128']), t: over(m.engines['sepconv-relaxed'], m.engines['tfjs-wasm']) })).filter((v) => v.x !== undefined);
  if (relaxedModels.length)
    L.push('', `Ours relaxed (the relaxed-SIMD build: fused multiply-add, what Node 22+, Chrome 114+ and workerd run; the targets are on simd128): speed-up over our simd128 ${relaxedModels.map((v) => `${v.m.id} ${ratio(v.x)}`).join(', ')}; over TF.js-wasm's fastest path ${relaxedModels.map((v) => `${v.m.id} ${ratio(v.t)}`).join(', ')}.`);
  L.push('', '| model | engine | achieved GFLOP/s | % roof | wasm heap MiB | setup ms (weights in) | first run ms (includes packing / planning) |');
  L.push('|---|---|--:|--:|--:|--:|--:|');
  for (const m of r.models) {
    for (const e of engines) {
      const x = m.engines[e];
      if (!x || x.na) continue;
      L.push(`| ${m.label} | ${SHORT[e]} | ${f(x.gflops, 1)} | ${pct(x.roofShare)} | ${mib(x.heapBytes)} | ${f(x.setupMs, 0)} | ${f(x.firstRunMs, 0)} |`);
    }
  }
  L.push('', 'Wasm heap: the engine\'s wasm memory after the model ran in this shared process; memories only grow and models run first, smallest first, so it is close to that model\'s peak (an upper bound; Xception runs after ResNet-50). The per-model peak in a fresh process is in the cold-start table for MobileNetV2. TF.js cpu and ORT node keep tensors outside wasm (–).');
  const na = r.models.flatMap((m) => engines.filter((e) => m.engines[e]?.na).map((e) => `${m.id}/${SHORT[e]}: ${m.engines[e]!.na}`));
  if (na.length) L.push('', 'Not available: ' + [...new Set(na)].join('; ') + '.');
  const checks = r.models.flatMap((m) => (m.check ?? []).map((c: any) => `${m.id} ${SHORT[c.against]}: ${Number(c.logitDiff ?? c.maxAbsDiff).toExponential(1)}${c.top1 === false ? ' (top-1 differs)' : ''}${c.ok ? '' : ' **(off)**'}`));
  if (checks.length) L.push('', `Same weights, same outputs, against ${SHORT[r.models.find((m) => m.check?.length)?.check?.[0]?.reference ?? 'tfjs-wasm']}: largest difference of the log-probabilities (centered; i.e. of the logits up to a constant) relative to their range: ${checks.join('; ')}.`);
  // targets
  const vs = (id: string, e: EngineId) => {
    const m = r.models.find((x) => x.id === id);
    const o = m?.engines['sepconv-simd128'];
    const t = m?.engines[e];
    return o?.median && t?.median ? o.median / t.median : undefined;
  };
  const tgt = (id: string, label: string, max: number) => {
    const v = vs(id, 'tfjs-wasm');
    return targetLine(v === undefined ? undefined : v <= max, `${label} latency ≤ ${max}x TF.js-wasm's (measured ${ratio(v)})`);
  };
  L.push('', '**Targets (issue 6), ratios from this run (ours / theirs, lower is better; TF.js-wasm is its fastest path, the graph model):**');
  L.push(tgt('mobilenet_v1', 'MobileNetV1', 0.65), tgt('mobilenet_v2', 'MobileNetV2', 0.7), tgt('efficientnet_b0', 'EfficientNet-B0', 0.75), tgt('xception', 'Xception', 0.75), tgt('resnet50', 'ResNet-50', 0.85));
  const five = ['mobilenet_v1', 'mobilenet_v2', 'efficientnet_b0', 'xception', 'resnet50'];
  const ortV = five.map((id) => vs(id, 'ort-web'));
  L.push(targetLine(ortV.some((v) => v === undefined) ? undefined : ortV.every((v) => v! <= 0.6), `≤ 0.6x ORT-web's on all five models (measured ${five.map((id, i) => `${id} ${ratio(ortV[i])}`).join(', ')})`));
  const v1 = r.models.find((m) => m.id === 'mobilenet_v1')?.engines['sepconv-simd128']?.roofShare;
  L.push(targetLine(v1 === undefined ? undefined : v1 >= 0.62, `MobileNetV1 at ≥ 62% of the measured roof (measured ${pct(v1)})`));
  L.push('', '**Targets (issue 24), against TF.js\'s fastest path, for the simd128 build and for the relaxed build as users get it (Node 22+, Chrome 114+, workerd); speed-ups from this run (their median / ours):**');
  const four = ['mobilenet_v1', 'mobilenet_v2', 'efficientnet_b0', 'xception'];
  const speed = (id: string, ours: EngineId, them: EngineId) => {
    const m = r.models.find((x) => x.id === id);
    return over(m?.engines[ours], m?.engines[them]);
  };
  for (const build of ['sepconv-simd128', 'sepconv-relaxed'] as EngineId[]) {
    const tv = four.map((id) => speed(id, build, 'tfjs-wasm'));
    const ov = four.map((id) => speed(id, build, 'ort-web'));
    const all = (v: (number | undefined)[], min: number) => (v.some((x) => x === undefined) ? undefined : v.every((x) => x! >= min));
    const list = (v: (number | undefined)[]) => four.map((id, i) => `${id} ${ratio(v[i])}`).join(', ');
    L.push(targetLine(all(tv, 2), `${SHORT[build]}: ≥ 2x faster than TF.js-wasm's fused graph-model path on all four (measured ${list(tv)})`));
    L.push(targetLine(all(ov, 2.5), `${SHORT[build]}: ≥ 2.5x faster than ORT-web on all four (measured ${list(ov)})`));
    const b0 = r.models.find((m) => m.id === 'efficientnet_b0')?.engines[build]?.roofShare;
    L.push(targetLine(b0 === undefined ? undefined : b0 >= 0.6, `${SHORT[build]}: EfficientNet-B0 at ≥ 60% of the roof (measured ${pct(b0)}; the roof is the mul+add kernel's, relaxed's FMA can exceed it)`));
  }
  // MobileNetV2 vs ResNet-50
  const mv2 = r.models.find((m) => m.id === 'mobilenet_v2');
  const res = r.models.find((m) => m.id === 'resnet50');
  if (mv2?.macs && res?.macs) {
    L.push('', '**MobileNetV2 vs ResNet-50** (the seed: "3.4x faster on a phone", ARM Cortex-A75):', '');
    L.push('| engine | MobileNetV2 ms | ResNet-50 ms | measured speed ratio | MAC ratio |', '|---|--:|--:|--:|--:|');
    const macR = res.macs / mv2.macs;
    const verdict: string[] = [];
    for (const e of engines) {
      const a = mv2.engines[e]?.median;
      const b = res.engines[e]?.median;
      if (!a || !b) continue;
      L.push(`| ${SHORT[e]} | ${f(a)} | ${f(b)} | ${ratio(b / a)} | ${ratio(macR)} |`);
      verdict.push(`${SHORT[e]} ${ratio(b / a)}`);
    }
    if (verdict.length) {
      const vals = engines.map((e) => (mv2.engines[e]?.median && res.engines[e]?.median ? res.engines[e]!.median! / mv2.engines[e]!.median! : undefined)).filter((x): x is number => x !== undefined);
      const lo = Math.min(...vals);
      const hi = Math.max(...vals);
      const below = vals.filter((v) => v < macR).length;
      L.push('', `MobileNetV2 does ${ratio(macR)} fewer MACs than ResNet-50; measured here it is ${ratio(lo)} – ${ratio(hi)} faster depending on the engine (${verdict.join(', ')}). ` +
        `The seed's "3.4x faster" ${lo <= 3.4 && 3.4 <= hi ? 'falls inside that range' : `does not agree: every engine here measures ${lo > 3.4 ? 'a larger' : 'a smaller'} ratio`}` +
        ` (the seed's figure is for an ARM Cortex-A75 phone with an unnamed framework; ours is single-thread wasm on x86). ` +
        `The speed ratio is below the MAC ratio for ${below} of ${vals.length} engines. Below means the engine runs MobileNetV2 (depthwise layers, thin tensors) at fewer GFLOP/s than ResNet-50 (large standard-conv GEMMs); above means the reverse, i.e. that engine's standard conv path is comparatively weak. Achieved GFLOP/s, MobileNetV2 / ResNet-50: ${engines.filter((e) => mv2.engines[e]?.gflops && res.engines[e]?.gflops).map((e) => `${SHORT[e]} ${f(mv2.engines[e]!.gflops, 1)} / ${f(res.engines[e]!.gflops, 1)}`).join(', ')}.`);
    }
  }
  return L.join('\n');
}

function coldMarkdown(r: BenchResults): string {
  const c = r.coldStart;
  if (!c?.rows?.length) return c?.na ? `Not available: ${c.na}` : 'Not run.';
  const L = ['| engine | import ms | module compile + instantiate ms | model build + weights ms | first inference ms (incl. packing) | second inference ms | import to first result ms | peak wasm heap MiB |', '|---|--:|--:|--:|--:|--:|--:|--:|'];
  for (const row of c.rows) {
    if (row.na) L.push(`| ${SHORT[row.engine] ?? row.engine} | n/a: ${row.na} | | | | | | |`);
    else L.push(`| ${row.engine === 'tfjs-wasm' ? 'TF.js wasm (tfjs-layers model)' : SHORT[row.engine] ?? row.engine} | ${f(row.importMs, 0)} | ${f(row.compileMs, 0)} | ${f(row.buildMs, 0)} | ${f(row.firstRunMs, 0)} | ${f(row.secondRunMs, 0)} | **${f(row.totalMs, 0)}** | ${mib(row.heapBytes)} |`);
  }
  if (c.note) L.push('', c.note);
  const st = c.rows.find((x: any) => x.memoryStats)?.memoryStats;
  if (st) L.push('', `Peak wasm heap is the size of the engine's wasm memories after two inferences in that fresh process (memories only grow). sepconv's own account: activation arena ${mib(st.arenaBytes)} MiB (one buffer shared by liveness; ${mib(st.unsharedActivationBytes)} MiB with one buffer per activation), packed weights ${mib(st.packedWeightBytes)} MiB.`);
  return L.join('\n');
}

function sizeMarkdown(r: BenchResults): string {
  const s = r.size;
  if (!s?.rows?.length) return s?.na ? `Not available: ${s.na}` : 'Not run.';
  const L = ['| what a user ships | JS raw | JS gzip | wasm raw | wasm gzip | total raw | total gzip |', '|---|--:|--:|--:|--:|--:|--:|'];
  const kb = (b: number | undefined) => (b === undefined ? '–' : `${(b / 1024).toFixed(0)} KiB`);
  for (const row of s.rows) L.push(`| ${row.label} | ${kb(row.jsRaw)} | ${kb(row.jsGzip)} | ${kb(row.wasmRaw)} | ${kb(row.wasmGzip)} | ${kb(row.totalRaw)} | **${kb(row.totalGzip)}** |`);
  if (s.note) L.push('', s.note);
  return L.join('\n');
}

export function markdown(r: BenchResults, charts: Record<string, string>): string {
  const L: string[] = [];
  const load = (r.host.loadavg as number[] | undefined)?.map((x) => x.toFixed(2)).join(' ');
  L.push(`Run ${r.date} — \`${r.command}\` — ${r.seconds ? `${r.seconds.toFixed(0)} s` : ''}`);
  const cpuExtra = [r.host.cpuId, r.host.caches ? `caches of cpu0: ${r.host.caches}` : undefined].filter(Boolean).join('; ');
  L.push('', `Host: ${r.host.cpu}${cpuExtra ? ` (${cpuExtra})` : ''}, ${r.host.cores} cores, ${r.host.platform}, Node ${r.host.node} (V8 ${r.host.v8}); load average at start ${load}. ` +
    `Everything runs single-threaded in one Node process, engines interleaved round-robin (rotating order) after warm-up; median and min of the timed runs.`);
  L.push('', `**Roof:** ${f(r.roof.gflops, 1)} GFLOP/s, the best of a hand-assembled wasm f32x4 mul+add kernel (${r.roof.variant}; variants ${r.roof.variants.map((v) => `${v.variant}: ${f(v.gflops, 1)}`).join(', ')}), sampled throughout the run.`);
  if (r.memoryRoof) L.push('', `**Memory roof:** ${f(r.memoryRoof.gbps, 1)} GB/s (bytes read + bytes written), the best of a hand-assembled wasm v128 copy between two ${r.memoryRoof.bufferMiB} MiB buffers, sampled at the start and the end. A kernel that streams its input and output from memory can reach at most min(roof, memory roof x intensity).`);
  L.push('', 'Threads are off for every engine (one thread each, set as below). Each engine\'s settings:', '');
  L.push('| engine | status | version | SIMD | threads | graph optimisation / model path | load ms |', '|---|---|---|---|---|---|--:|');
  for (const [id, i] of Object.entries(r.engines)) {
    const st = i?.settings;
    L.push(`| ${SHORT[id] ?? id} | ${i?.ok ? 'ok' : `not available: ${i?.error ?? '?'}`} | ${i?.version ?? ''} | ${st?.simd ?? ''} | ${st?.threads ?? ''} | ${st?.graph ?? ''} | ${f(i?.loadMs, 0)} |`);
  }
  if (r.converter) L.push('', `TF.js graph models: converted by \`tensorflowjs_converter --input_format=tfjs_layers_model --output_format=tfjs_graph_model\` (${r.converter}; scripts/python-fixtures.sh) from the exact tfjs-layers model of the TF.js wasm layers column, saved as a layers model; cached in ~/.cache/sepconv/graph-models.`);
  if (r.kernels.length) {
    L.push('', '## Kernels (issue 3)', '', 'Each kernel with bias + ReLU6 fused (MobileNetV2 projections: linear), NHWC batch 1, one thread everywhere; TF.js via its fastest kernel path, `tf.fused.conv2d` / `tf.fused.depthwiseConv2d` with bias and activation, on the wasm backend (XNNPACK), ORT via a one-node ONNX model (NCHW; its time includes copying the input in and the output out, which TF.js and sepconv do not pay).', '');
    L.push(kernelMarkdown(r));
    L.push('', 'The dw5x1+1x5 row: sepconv runs its spatially separable kernel (ops/spatial.ts `runSpatial`, one pass over the image) when the package has it, else two depthwise calls; TF.js and ORT run two depthwise convs. ORT-web 1.30 always runs its SIMD build (the `env.wasm.simd` flag no longer exists); `env.wasm.numThreads = 1`, proxy off. ORT-node runs with `intraOpNumThreads = interOpNumThreads = 1`.');
    if (charts.roofline) L.push('', `![roofline](${charts.roofline})`);
  }
  if (r.seed.length) {
    L.push('', "## The seed's table, measured", '');
    L.push(seedMarkdown(r));
    if (charts.seed) L.push('', `![theory vs measured](${charts.seed})`);
  }
  if (r.models.length) {
    L.push('', '## Whole models (issue 6)', '');
    L.push(modelMarkdown(r));
    if (charts.latency) L.push('', `![latency](${charts.latency})`);
  }
  if (r.onnx?.length) L.push('', '## Real models (ONNX) (issue 26)', '', onnxCorpusMarkdown(r.onnx));
  if (r.coldStart) L.push('', '## Cold start (MobileNetV2, fresh process per engine)', '', coldMarkdown(r));
  if (r.errors?.length) L.push('', '## Errors', '', ...r.errors.map((e) => '- `' + e.split('\n')[0] + '`'));
  if (r.size) L.push('', '## Shipped bytes for MobileNetV2 inference (weights excluded)', '', sizeMarkdown(r));
  return L.join('\n') + '\n';
}

/**
 * Every share of roof against the run's roof (the best sample of the whole run), not the best seen
 * when that case ran: the models run first, against a roof of only the first samples.
 */
function againstFinalRoof(r: BenchResults): void {
  for (const row of [...r.kernels, ...r.models])
    for (const m of Object.values(row.engines)) if (m?.gflops !== undefined) m.roofShare = m.gflops / r.roof.gflops;
}

export async function writeReport(r: BenchResults, args: BenchArgs): Promise<string[]> {
  againstFinalRoof(r);
  const stamp = r.date.replace(/:\d\d\.\d+Z$/, 'Z').replace(/:/g, '');
  const dir = args.outDir;
  const files: string[] = [];
  const json = join(dir, `${stamp}.json`);
  writeFileSync(json, JSON.stringify(r, null, 1));
  files.push(json);
  const charts: Record<string, string> = {};
  const svg = async (name: string, spec: any) => {
    try {
      const file = `${stamp}-${name}.svg`;
      writeFileSync(join(dir, file), await renderSvg(spec));
      charts[name] = file;
      files.push(join(dir, file));
    } catch (err) {
      console.error(`bench: chart ${name} failed: ${err instanceof Error ? err.message : err}`);
    }
  };
  const lat = r.models.flatMap((m) => Object.entries(m.engines).filter(([, x]) => x?.median).map(([e, x]) => ({ model: m.id, engine: SHORT[e] ?? e, ms: x!.median! })));
  if (lat.length) await svg('latency', latencySpec(lat));
  const seedRows = r.seed.flatMap((s) => [
    { layer: s.name.replace('mobilenet_v1 ', ''), series: 'theory (MACs)', speedup: s.theory },
    ...(['sepconv-simd128', 'tfjs-wasm'] as const).filter((e) => s.engines[e]?.speedup).map((e) => ({ layer: s.name.replace('mobilenet_v1 ', ''), series: `measured ${SHORT[e]}`, speedup: s.engines[e]!.speedup! })),
  ]);
  if (seedRows.length) await svg('seed', seedSpec(seedRows));
  const pts = r.kernels.flatMap((k) => Object.entries(k.engines).filter(([, m]) => m?.gflops).map(([e, m]) => ({ kernel: k.name, engine: SHORT[e] ?? e, family: k.family, intensity: (2 * k.macs) / k.bytes, gflops: m!.gflops! })));
  if (pts.length && Number.isFinite(r.roof.gflops)) await svg('roofline', rooflineSpec(pts, r.roof.gflops, r.memoryRoof?.gbps));
  const md = markdown(r, charts);
  const mdFile = join(dir, `${stamp}.md`);
  writeFileSync(mdFile, md);
  files.push(mdFile);
  if (args.writeResults) {
    const rel = relative(join(ROOT, 'bench'), dir);
    const withDir = markdown(r, Object.fromEntries(Object.entries(charts).map(([k, v]) => [k, `${rel}/${v}`])));
    const head = '# sepconv benchmark results\n\nMade by `pnpm bench` (`node bench/run.mjs`; flags: `node bench/run.mjs --help`). ' +
      'The JSON with every sample-derived number, the same report and the charts are in `bench/results/`. ' +
      'Numbers are single-thread, from one run on the machine named below; on a shared or loaded machine they are noisy, so read ratios from the same run, not absolute times.\n\n' +
      `Exact command: \`${r.command}\`\n\n` +
      '## Method\n\n' +
      '- One Node 20 process holds every engine: sepconv simd128, relaxed and scalar (three wasm instances of the package, switched with its internal `setRuntime`; Node 20 runs the relaxed-SIMD build under the V8 flag `--experimental-wasm-relaxed-simd`, set by the bench at start; the targets are on simd128), TF.js 4.22 wasm backend (XNNPACK, `setThreadsCount(1)`, SIMD build) on its fastest path (whole models: the graph model `tensorflowjs_converter` makes, loaded with `loadGraphModel`; kernels: `tf.fused.*` with bias and activation) and through tfjs-layers (what `loadLayersModel` users get), TF.js cpu backend (graph model), onnxruntime-web 1.30 (wasm, 1 thread) and onnxruntime-node 1.30 (native CPU, 1 thread; the ceiling, not a competitor).\n' +
      '- Each case is built once per engine, then timed in rounds: every round runs each engine once, in a rotating order; warm-up rounds first (at least 3, and until each fast engine ran 300 ms on the case, so V8 has swapped in its optimized code for every engine\'s wasm), then the timed ones (median and min reported). Slow engines (sepconv scalar, TF.js cpu) stop after a time budget and skip the largest models (see `--help`).\n' +
      '- Same weights everywhere: seeded weights for every `<layer>/<weight>` of the zoo\'s Keras configs; sepconv builds the model with `modelFromKerasConfig`, TF.js with tfjs-layers from the same config (test/engines/tfjs-layers.ts), and that exact tfjs-layers model, saved as a layers model and converted by the pinned `tensorflowjs_converter` (scripts/python-fixtures.sh, cached in ~/.cache/sepconv), is TF.js\'s graph model; ORT from an NCHW ONNX graph that bench/src/onnx/keras.ts builds from the same config and weights. Every engine\'s output is compared with TF.js-wasm\'s before timing (the `check` columns).\n' +
      '- The roof is the best rate of a hand-assembled wasm kernel (bench/src/roof.ts) doing independent `f32x4.mul` + `f32x4.add` chains, sampled at the start, between cases and at the end. GFLOP/s = 2 x MACs / median time; MACs counted as in the package (conv and dense only).\n' +
      '- Cold start runs each engine in a fresh process (bench/coldstart-child.mjs), median of 3. Shipped bytes bundle a tiny classify() app per engine with esbuild (minified, tree-shaken) plus the .wasm it fetches.\n\n';
    // Sections other tools wrote (run.mjs profile / real-models --results-md) stay, after this run's.
    const kept = currentKeptSections();
    writeFileSync(join(ROOT, 'bench/RESULTS.md'), head + withDir + (kept ? `\n\n${kept}\n` : ''));
    files.push(join(ROOT, 'bench/RESULTS.md'));
  }
  return files;
}

export { copyFileSync, readFileSync };
