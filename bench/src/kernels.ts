// Issue 3's kernel bench: each kernel on the MobileNetV1/V2 layer shapes (plus ResNet-50's 3x3
// convs and the 5x5 spatial-separation case) against TF.js-wasm and ORT-web.
import { keep } from './args.js';
import { convSpec, outShape, type Chain } from './chains.js';
import type { EngineId } from './engines/index.js';
import { measureChain, measurePaired, type ChainResult, type Ctx, type PairedResult } from './measure.js';
import { hashSeed, randn } from './rng.js';
import { mobilenetV1Layers, mobilenetV2Blocks } from './shapes.js';

export const KERNEL_ENGINES: EngineId[] = ['sepconv-simd128', 'sepconv-relaxed', 'sepconv-scalar', 'tfjs-wasm', 'ort-web', 'ort-node'];

export interface KernelCase {
  name: string;
  family: 'dw3x3' | 'pw' | 'conv3x3' | 'stem' | 'dw5x5' | 'dw5x1+1x5' | 'dw5x1+1x5 model' | 'deform3x3' | 'convT' | 'resize' | 'general';
  net: string;
  chain: Chain;
}

const sq = (h: number, c: number) => [1, h, h, c];

// The case builders (also used by `ab`, bench/src/ab.ts): seeded weights, 'same' padding, batch 1.
export function dw(net: string, h: number, c: number, s: number, k = 3, activation = 'relu6'): KernelCase {
  return { name: `dw${k}x${k} s${s} ${h}x${h}x${c}`, family: k === 3 ? 'dw3x3' : 'dw5x5', net, chain: { input: sq(h, c), convs: [convSpec(sq(h, c), { k: [k, k], depthwise: true, stride: s, activation }, hashSeed(`dw${h}${c}${s}${k}`))] } };
}
export function pw(net: string, h: number, c: number, cout: number, activation = 'relu6'): KernelCase {
  return { name: `pw ${h}x${h}x${c}->${cout}`, family: 'pw', net, chain: { input: sq(h, c), convs: [convSpec(sq(h, c), { k: [1, 1], cout, activation }, hashSeed(`pw${h}${c}${cout}`))] } };
}
export function conv(net: string, h: number, c: number, cout: number, s: number, family: 'conv3x3' | 'stem', k = 3, activation = 'relu6'): KernelCase {
  return { name: `${family === 'stem' ? 'stem ' : ''}conv${k}x${k} s${s} ${h}x${h}x${c}->${cout}`, family, net, chain: { input: sq(h, c), convs: [convSpec(sq(h, c), { k: [k, k], cout, stride: s, activation }, hashSeed(`conv${h}${c}${cout}${s}${k === 3 ? '' : k}`))] } };
}
export function spatial(net: string, h: number, c: number, k = 5, activation = 'relu6'): KernelCase {
  const a = convSpec(sq(h, c), { k: [k, 1], depthwise: true, activation: 'linear', noBias: true }, hashSeed(`v${h}${c}${k}`));
  const b = convSpec(sq(h, c), { k: [1, k], depthwise: true, activation }, hashSeed(`h${h}${c}${k}`));
  return { name: `dw${k}x1+1x${k} ${h}x${h}x${c}`, family: 'dw5x1+1x5', net, chain: { input: sq(h, c), convs: [a, b], spatial: true } };
}

/** The same pair as a two-DepthwiseConv2D model run by `predict()`: fused by the planner into one spatial step, or not. */
export function spatialModel(net: string, h: number, c: number, mode: 'fused' | 'unfused', k = 5, activation = 'relu6'): KernelCase {
  const base = spatial(net, h, c, k, activation);
  return { name: `dw${k}x1+1x${k} ${mode} ${h}x${h}x${c}`, family: 'dw5x1+1x5 model', net, chain: { ...base.chain, model: mode } };
}

/** A 3x3 deformable depthwise conv with seeded offsets (about a pixel), modulated (DCN v2) when `mask`. */
export function deformable(net: string, h: number, c: number, s: number, mask: boolean, activation = 'relu6'): KernelCase {
  const spec = convSpec(sq(h, c), { k: [3, 3], depthwise: true, stride: s, activation }, hashSeed(`df${h}${c}${s}`));
  const [, oh, ow] = outShape(sq(h, c), spec) as [number, number, number];
  const offsets = randn(oh * ow * 18, hashSeed(`dfo${h}${c}${s}`), 1.5);
  const m = mask ? Float32Array.from(randn(oh * ow * 9, hashSeed(`dfm${h}${c}${s}`), 1), (v) => 1 / (1 + Math.exp(-v))) : undefined;
  return { name: `deform3x3${mask ? ' v2' : ''} s${s} ${h}x${h}x${c}`, family: 'deform3x3', net, chain: { input: sq(h, c), convs: [spec], deform: { offsetGroups: 1, offsets, mask: m } } };
}

/** A KxK stride-s transposed conv (decoder upsampling, 'same': output h*s), filter [K, K, Cout, Cin], bias + relu. */
export function convT(net: string, h: number, c: number, cout: number, s: number, k: number): KernelCase {
  const spec = convSpec(sq(h, c), { k: [k, k], cout, stride: s, activation: 'relu' }, hashSeed(`convT${h}${c}${cout}${s}${k}`));
  spec.filterShape = [k, k, cout, c];
  return { name: `convT${k}x${k} s${s} ${h}x${h}x${c}->${cout}`, family: 'convT', net, chain: { input: sq(h, c), convs: [spec], transpose: { output: sq(h * s, cout) } } };
}

/** A TF bilinear resize (halfPixelCenters) of h x h x c to oh x oh. */
export function resizeCase(net: string, h: number, c: number, oh: number): KernelCase {
  return { name: `resize bilinear ${h}x${h}x${c}->${oh}x${oh}`, family: 'resize', net, chain: { input: sq(h, c), convs: [], resize: { output: sq(oh, c) } } };
}

/** One general op (issue 25 item 3) on `input`: binary with a broadcast `b`, unary, reduce over `axes`, softmax over `axis`. */
export function generalCase(name: string, input: number[], general: NonNullable<Chain['general']>): KernelCase {
  return { name, family: 'general', net: 'general', chain: { input, convs: [], general } };
}

/** The general-op rows: broadcasts (per-channel, NCHW bias, scalar, same shape), transcendentals, reductions, softmax. */
export function generalCases(quick: boolean): KernelCase[] {
  if (quick) return [generalCase('sub 8x8x16 - [16]', [1, 8, 8, 16], { kind: 'binary', op: 'sub', b: [16] }), generalCase('mean 8x8x16 axes 1,2', [1, 8, 8, 16], { kind: 'reduce', op: 'mean', axes: [1, 2] })];
  return [
    generalCase('sub 56x56x144 - [144]', [1, 56, 56, 144], { kind: 'binary', op: 'sub', b: [144] }),
    generalCase('div 28x28x192 / same', [1, 28, 28, 192], { kind: 'binary', op: 'div', b: [1, 28, 28, 192] }),
    generalCase('add NCHW 1x144x56x56 + [1,144,1,1]', [1, 144, 56, 56], { kind: 'binary', op: 'add', b: [1, 144, 1, 1] }),
    generalCase('maximum 56x56x24 scalar', [1, 56, 56, 24], { kind: 'binary', op: 'maximum', b: [1] }),
    generalCase('mul 56x56x3 * [3]', [1, 56, 56, 3], { kind: 'binary', op: 'mul', b: [3] }),
    generalCase('exp 56x56x144', [1, 56, 56, 144], { kind: 'unary', op: 'exp' }),
    generalCase('tanh 56x56x144', [1, 56, 56, 144], { kind: 'unary', op: 'tanh' }),
    generalCase('erf 28x28x192', [1, 28, 28, 192], { kind: 'unary', op: 'erf' }),
    generalCase('mean 56x56x144 axes 1,2', [1, 56, 56, 144], { kind: 'reduce', op: 'mean', axes: [1, 2] }),
    generalCase('sum 197x768 axes 1', [1, 197, 768], { kind: 'reduce', op: 'sum', axes: [2] }),
    generalCase('max 8x49x512 axes 1', [8, 49, 512], { kind: 'reduce', op: 'max', axes: [1] }),
    generalCase('softmax 8x197x197 last', [8, 197, 197], { kind: 'softmax', op: 'softmax', axis: -1 }),
    generalCase('softmax NCHW 1x21x65x65 axis 1', [1, 21, 65, 65], { kind: 'softmax', op: 'softmax', axis: 1 }),
    generalCase('logSoftmax 16x1000 last', [16, 1000], { kind: 'softmax', op: 'logSoftmax', axis: -1 }),
  ];
}

export function kernelCases(quick: boolean): KernelCase[] {
  if (quick) {
    return [...generalCases(true), convT('quick', 8, 16, 8, 2, 3), resizeCase('quick', 8, 16, 16), dw('quick', 16, 32, 1), dw('quick', 16, 32, 2), pw('quick', 8, 32, 64), conv('quick', 8, 16, 16, 1, 'conv3x3'), conv('quick', 32, 3, 8, 2, 'stem'), dw('quick', 16, 16, 1, 5), spatial('quick', 16, 16), spatialModel('quick', 16, 16, 'fused'), spatialModel('quick', 16, 16, 'unfused'), deformable('quick', 12, 16, 1, true)];
  }
  const out: KernelCase[] = [conv('mobilenet_v1+v2', 224, 3, 32, 2, 'stem')];
  for (const l of mobilenetV1Layers()) {
    out.push(dw('mobilenet_v1', l.h, l.c, l.stride));
    out.push(pw('mobilenet_v1', Math.ceil(l.h / l.stride), l.c, l.cout));
  }
  for (const b of mobilenetV2Blocks()) {
    const e = b.cin * b.expand;
    if (b.expand !== 1) out.push(pw('mobilenet_v2', b.h, b.cin, e));
    out.push(dw('mobilenet_v2', b.h, e, b.stride));
    out.push(pw('mobilenet_v2', Math.ceil(b.h / b.stride), e, b.cout, 'linear'));
  }
  out.push(pw('mobilenet_v2', 7, 320, 1280));
  for (const [h, c] of [[56, 64], [28, 128], [14, 256], [7, 512]] as const) out.push(conv('resnet50', h, c, c, 1, 'conv3x3'));
  out.push(dw('spatial', 56, 128, 1, 5), spatial('spatial', 56, 128), spatialModel('spatial', 56, 128, 'fused'), spatialModel('spatial', 56, 128, 'unfused'));
  // The seed's deformable depthwise conv on MobileNet shapes (TF.js has none: ORT-web's DeformConv is the reference).
  out.push(deformable('deformable', 56, 128, 1, false), deformable('deformable', 28, 256, 1, true), deformable('deformable', 14, 512, 1, false));
  // Decoder upsampling (segmentation / FPN heads): 2x2/s2 and 3x3/s2 and 4x4/s2 transposed convs.
  out.push(convT('decoder', 14, 256, 128, 2, 2), convT('decoder', 28, 128, 64, 2, 3), convT('decoder', 56, 64, 32, 2, 4));
  // Decoder / FPN upsampling by 2 and DeepLab's x4 / x8 bilinear to the output size.
  out.push(resizeCase('decoder', 28, 128, 56), resizeCase('decoder', 65, 256, 129), resizeCase('decoder', 64, 21, 513));
  out.push(...generalCases(false));
  // one row per shape: the first network listed keeps it
  const seen = new Map<string, KernelCase>();
  for (const c of out) {
    const prev = seen.get(c.name);
    if (prev) {
      if (!prev.net.includes(c.net)) prev.net += `+${c.net}`;
    } else seen.set(c.name, c);
  }
  return [...seen.values()];
}

export function selectedKernelCases(ctx: Ctx): KernelCase[] {
  return kernelCases(ctx.args.quick).filter((c) => keep(ctx.args, c.name, c.family, c.net, 'kernels'));
}

export async function runKernels(ctx: Ctx, cases: KernelCase[], ids: EngineId[]): Promise<ChainResult[]> {
  const out: ChainResult[] = [];
  for (const c of cases) {
    ctx.log(`kernel ${c.name}`);
    out.push(await measureChain(ctx, { ...c, seed: hashSeed(c.name) }, ids));
  }
  return out;
}

/** The spatial-separation target's pair (our 5x5 depthwise, our 5x1 + 1x5), timed in one loop with TF.js-wasm's two. */
export const SPATIAL_PAIR_ENGINES: EngineId[] = ['sepconv-simd128', 'tfjs-wasm'];

/** The selected 5x5 depthwise case and 5x1 + 1x5 case, when both are. */
export function spatialPairCases(cases: KernelCase[]): [KernelCase, KernelCase] | undefined {
  const d5 = cases.find((c) => c.family === 'dw5x5');
  const sp = cases.find((c) => c.family === 'dw5x1+1x5');
  return d5 && sp ? [d5, sp] : undefined;
}

export async function runSpatialPair(ctx: Ctx, cases: KernelCase[], ids: EngineId[]): Promise<PairedResult | undefined> {
  const pair = spatialPairCases(cases);
  if (!pair || !ids.includes('sepconv-simd128')) return undefined;
  ctx.log(`kernel pair ${pair[0].name} / ${pair[1].name}`);
  return measurePaired(ctx, pair.map((c) => ({ name: c.name, chain: c.chain, seed: hashSeed(c.name) })), ids);
}

/** The 5x1 + 1x5 model's two plans (unfused: two depthwise steps; fused: one spatial step), timed in one loop on simd128. */
export function spatialModelPairCases(cases: KernelCase[]): [KernelCase, KernelCase] | undefined {
  const un = cases.find((c) => c.chain.model === 'unfused');
  const fu = cases.find((c) => c.chain.model === 'fused' && un && c.net === un.net);
  return un && fu ? [un, fu] : undefined;
}

export async function runSpatialModelPair(ctx: Ctx, cases: KernelCase[], ids: EngineId[]): Promise<PairedResult | undefined> {
  const pair = spatialModelPairCases(cases);
  if (!pair || !ids.includes('sepconv-simd128')) return undefined;
  ctx.log(`kernel pair ${pair[0].name} / ${pair[1].name}`);
  return measurePaired(ctx, pair.map((c) => ({ name: c.name, chain: c.chain, seed: hashSeed(c.name) })), ['sepconv-simd128']);
}
