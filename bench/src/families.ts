// Op families of lowered model steps, shared by the profile (bench/src/profile.ts) and the threads
// bench's per-family split table (bench/src/threads.ts). Pure: no engine, no package import.

/** A lowered step as the profile sees it (Model.lower()'s steps; only the fields used here). */
export interface StepLike {
  kind: string;
  layer: string;
  macs: number;
  output: number;
  inputs: number[];
  kernel?: [number, number];
  strides?: [number, number];
  depthwise?: StepLike;
  expand?: StepLike;
}

/** Families whose time is "in conv kernels" (issue 25's share; the dense classifier is a GEMM too, but not a conv). */
export const CONV_FAMILIES = new Set(['pointwise 1x1', 'conv (standard)', 'dw 3x3 s1', 'dw 3x3 s2', 'dw 5x5 s1', 'dw 5x5 s2', 'dw other', 'pw→dw 3x3 s1 (fused)', 'pw→dw 3x3 s2 (fused)', 'pw→dw 5x5 s1 (fused)', 'pw→dw 5x5 s2 (fused)', 'pw→dw other (fused)', 'dw Kx1+1xK (spatial)', 'conv transpose']);

/** Squeeze-excite layers by the Keras / TF naming (`*_se_squeeze`, `se_reduce`, `SE/...`, `squeeze`, `excite`). */
const SE_NAME = /(^|[_/])se([_/]|$)|squeeze|excite/i;

/** The op family of one lowered step. */
export function stepFamily(s: StepLike): string {
  const dwName = (d: StepLike) => {
    const [kh, kw] = d.kernel ?? [0, 0];
    const sh = Math.max(...(d.strides ?? [1, 1]));
    if ((kh === 3 && kw === 3) || (kh === 5 && kw === 5)) return `${kh}x${kw} s${sh > 2 ? 2 : sh}`;
    return undefined;
  };
  if (SE_NAME.test(s.layer)) return 'squeeze-excite';
  switch (s.kind) {
    case 'pointwise':
      return 'pointwise 1x1';
    case 'conv':
      return 'conv (standard)';
    case 'dense':
      return 'dense';
    case 'depthwise': {
      const n = dwName(s);
      return n ? `dw ${n}` : 'dw other';
    }
    case 'expandDepthwise': {
      const n = s.depthwise ? dwName(s.depthwise) : undefined;
      return n ? `pw→dw ${n} (fused)` : 'pw→dw other (fused)';
    }
    case 'spatial':
      return 'dw Kx1+1xK (spatial)';
    case 'convTranspose':
      return 'conv transpose';
    case 'deformDepthwise':
      return 'deformable dw';
    case 'gap':
    case 'avgPool':
    case 'maxPool':
      return 'pools';
    case 'activation':
      return 'activations';
    case 'leaky':
      return 'PReLU / LeakyReLU';
    case 'add':
    case 'mul':
      return 'add / mul';
    case 'affine':
      return 'affine (standalone BN)';
    case 'resize':
      return 'resize';
    default:
      return 'other (pad, concat, reshape, ...)';
  }
}

/** Display order of the families. */
export const FAMILY_ORDER = [
  'pointwise 1x1',
  'conv (standard)',
  'dw 3x3 s1',
  'dw 3x3 s2',
  'dw 5x5 s1',
  'dw 5x5 s2',
  'dw other',
  'pw→dw 3x3 s1 (fused)',
  'pw→dw 3x3 s2 (fused)',
  'pw→dw 5x5 s1 (fused)',
  'pw→dw 5x5 s2 (fused)',
  'pw→dw other (fused)',
  'dw Kx1+1xK (spatial)',
  'conv transpose',
  'deformable dw',
  'squeeze-excite',
  'dense',
  'pools',
  'activations',
  'PReLU / LeakyReLU',
  'add / mul',
  'affine (standalone BN)',
  'resize',
  'other (pad, concat, reshape, ...)',
];

/**
 * The family of each layer of a lowered model: a layer with several steps counts under its heaviest
 * (by MACs; else its first non-alias) step. Also how many steps each layer has.
 */
export function layerFamilies(steps: StepLike[]): Map<string, { family: string; steps: number }> {
  const byLayer = new Map<string, StepLike[]>();
  for (const s of steps) {
    if (!byLayer.has(s.layer)) byLayer.set(s.layer, []);
    byLayer.get(s.layer)!.push(s);
  }
  const out = new Map<string, { family: string; steps: number }>();
  for (const [layer, ss] of byLayer) {
    const main = [...ss].sort((a, b) => b.macs - a.macs)[0]!;
    const pick = main.macs > 0 ? main : (ss.find((s) => s.kind !== 'alias') ?? ss[0]!);
    out.set(layer, { family: stepFamily(pick), steps: ss.length });
  }
  return out;
}

/** One Model.profile() report as the benches collect it: each layer's time appended to its list, the time between steps to `between`. */
export function recordProfile(p: { rows: { name: string; ms: number }[]; totalMs: number }, perLayer: Map<string, number[]>, between: number[]): void {
  let sum = 0;
  for (const r of p.rows) {
    if (!perLayer.has(r.name)) perLayer.set(r.name, []);
    perLayer.get(r.name)!.push(r.ms);
    sum += r.ms;
  }
  between.push(p.totalMs - sum);
}
