// From lowered steps to runnable closures: fusion (ZeroPadding into the conv's pads, BatchNormalization
// folded into the preceding conv, activations into its epilogue), packed-weight cache, and one runner per step.
import { ShapeError } from '../errors.js';
import { PackedConvWeights, runConv2d } from '../ops/conv.js';
import { conv2dTransposeGeometry, PackedConvTransposeWeights, runConv2dTranspose } from '../ops/conv-transpose.js';
import { runDeformableDepthwise } from '../ops/deformable.js';
import { PackedDepthwiseWeights, runDepthwise } from '../ops/depthwise.js';
import { PackedGemmWeights, runDense } from '../ops/gemm.js';
import type { ActivationName } from '../ops/activation.js';
import { activation as activationOp } from '../ops/activations.js';
import { mul as mulOp, runAdd } from '../ops/elementwise.js';
import { pad as padOp, padND } from '../ops/pad.js';
import { runResize } from '../ops/resize.js';
import { depthToSpace, spaceToDepth } from '../ops/depth-space.js';
import { concatChannels, runChannelGather } from '../ops/channel-gather.js';
import { globalAvgPool, runPool } from '../ops/pool.js';
import { softmax as softmaxOp } from '../ops/softmax.js';
import { PackedSpatialWeights, runSpatial } from '../ops/spatial.js';
import { expandDepthwiseFits, expandDepthwiseRing, runExpandDepthwise } from '../ops/expand-depthwise.js';
import { convGeometry, type ConvGeometry } from '../ops/geometry.js';
import { checkCurrent, runtime } from '../runtime/state.js';
import { rawView, type Tensor } from '../tensor/tensor.js';
import { isKernelActivation } from './activations.js';
import { activationJS, binaryJS, leakyJS, poolJS } from './fallback.js';
import type { AffineStep, ConvStep, ConvWeights, ExpandDepthwiseStep, Lowered, SpatialStep, Step, StepActivation } from './ir.js';

const CONV_KINDS = new Set(['conv', 'depthwise', 'pointwise', 'dense']);
const isConv = (s: Step): s is ConvStep => CONV_KINDS.has(s.kind);

/**
 * Fuses in place: ZeroPadding2D -> conv/depthwise becomes explicit pads; conv -> BN (affine) folds into
 * the conv's weights (or a spatial step's); affine -> affine composes; conv/affine -> activation goes into the epilogue;
 * a Kx1 depthwise -> 1xK depthwise (either order) becomes one spatially separable step (`spatialPair`). Only when the
 * intermediate value has exactly one consumer and is not a model output.
 */
export function fuse(low: Lowered): void {
  const outputs = new Set(low.outputs);
  // Use counts over every step of `low.steps` (absorbed and dropped ones included, as their inputs stay
  // listed until the end), kept up to date as a pad fusion rewires a conv's input: linear, not a recount per step.
  const u = useCounts(low);
  const soleUse = (v: number): boolean => !outputs.has(v) && u[v] === 1;
  const producer = producers(low);

  // `src` takes over step `s`: its activation and its output value.
  const absorb = (src: Step & { activation?: StepActivation }, s: Step & { activation: StepActivation }): void => {
    src.activation = s.activation;
    src.output = s.output;
    producer[s.output] = src;
  };
  const keep: Step[] = [];
  // Steps in `keep` and not fused away since (a pad absorbed into its conv is marked, not spliced out).
  const kept = new Set<Step>();
  const push = (s: Step): void => {
    keep.push(s);
    kept.add(s);
  };
  for (const s of low.steps) {
    if (s.kind === 'pad') {
      push(s);
      continue;
    }
    const src = producer[s.inputs[0]!];
    if ((s.kind === 'conv' || s.kind === 'depthwise') && src?.kind === 'pad' && soleUse(src.output) && kept.has(src)) {
      s.pads = { top: s.pads!.top + src.pads.top, bottom: s.pads!.bottom + src.pads.bottom, left: s.pads!.left + src.pads.left, right: s.pads!.right + src.pads.right };
      const from = src.inputs[0]!;
      u[s.inputs[0]!]!--;
      u[from]!++;
      s.inputs[0] = from;
      kept.delete(src);
    } else if (s.kind === 'affine' && src && isConv(src) && src.activation === 'linear' && soleUse(src.output) && kept.has(src)) {
      (src.post ??= []).push({ scale: s.scale, shift: s.shift, layer: s.layer });
      src.key += `+${s.key}`;
      absorb(src, s);
      continue;
    } else if (s.kind === 'affine' && src?.kind === 'affine' && src.activation === 'linear' && soleUse(src.output) && kept.has(src)) {
      // affine after affine (Rescaling -> Normalization): one map, x * (s1 s2) + (t1 s2 + t2)
      const [s1, t1, s2, t2] = [src.scale, src.shift, s.scale, s.shift];
      src.scale = () => {
        const b = s2();
        return s1().map((v, i) => v * b[i]!);
      };
      src.shift = () => {
        const b = s2();
        const c = t2();
        return t1().map((v, i) => v * b[i]! + c[i]!);
      };
      src.key += `+${s.key}`;
      absorb(src, s);
      continue;
    } else if (s.kind === 'affine' && src?.kind === 'spatial' && !src.edge && src.activation === 'linear' && soleUse(src.output) && kept.has(src)) {
      // BN after a spatially separable conv: scale its horizontal taps and its bias (y = (v*h*x + b) s + t).
      const [w, sc, sh] = [src.weights, s.scale, s.shift];
      const c = src.channels;
      src.weights = () => {
        const { vertical, horizontal, bias } = w();
        const scale = sc();
        const shift = sh();
        return { vertical, horizontal: horizontal.map((v, i) => v * scale[i % c]!), bias: Float32Array.from(shift, (t, o) => (bias ? bias[o]! : 0) * scale[o]! + t) };
      };
      (src.fused ??= []).push(s.layer);
      src.key += `+${s.key}`;
      absorb(src, s);
      continue;
    } else if (
      s.kind === 'activation' &&
      src &&
      (isConv(src) || src.kind === 'affine' || src.kind === 'spatial' || src.kind === 'convTranspose' || (src.kind === 'add' && s.activation !== 'softmax')) &&
      (src.activation ?? 'linear') === 'linear' &&
      soleUse(src.output) &&
      kept.has(src)
    ) {
      absorb(src, s);
      continue;
    }
    // A Kx1 depthwise whose output only this 1xK depthwise reads (or 1xK then Kx1): one spatial step.
    const first = producer[s.inputs[0]!];
    if (fusionRules.spatialPairs && s.kind === 'depthwise' && first?.kind === 'depthwise' && first.activation === 'linear' && soleUse(first.output) && kept.has(first)) {
      const pair = spatialPair(first, s, low.shapes);
      if (pair) {
        kept.delete(first);
        producer[pair.output] = pair;
        push(pair);
        continue;
      }
    }
    push(s);
  }
  replaceSteps(low, keep.filter((s) => kept.has(s)));
}

/** Fusion rules that can be switched off (the bench's fused-vs-unfused comparison; tests of the unfused path). */
export const fusionRules = { spatialPairs: true };

/**
 * `a` (Kh x 1 or 1 x Kw depthwise, multiplier 1, linear) then `b` (the other orientation, multiplier 1) as
 * one spatially separable step, when the composition is exactly that kernel's K_h x K_w geometry:
 * - along each axis, the step with the size-1 kernel has no pads there; if it runs first, its stride there is 1
 *   (else the other would read a dilated grid); if it runs second, its stride multiplies the first's;
 * - dilation 1 along each kernel's axis;
 * - `a`'s bias (BN folded) moves through `b`'s taps into `b`'s bias; where `b` is padded along its kernel axis,
 *   the border outputs get back what the taps over padding added (`edge`, subtracted before the activation).
 * Otherwise undefined (the two steps run as they are).
 */
function spatialPair(a: ConvStep, b: ConvStep, shapes: number[][]): SpatialStep | undefined {
  const x = shapes[a.inputs[0]!]!;
  const mid = shapes[a.output]!;
  const out = shapes[b.output]!;
  if (x.length !== 3 || mid[2] !== x[2] || out[2] !== x[2]) return undefined;
  const vFirst = a.kernel![1] === 1 && b.kernel![0] === 1;
  if (!vFirst && !(a.kernel![0] === 1 && b.kernel![1] === 1)) return undefined;
  const [vs, hs] = vFirst ? [a, b] : [b, a];
  const rows = pairAxis(vs, hs, 0, vFirst, x[0]!, out[0]!);
  const cols = pairAxis(hs, vs, 1, !vFirst, x[1]!, out[1]!);
  if (!rows || !cols) return undefined;
  const aBias = foldedWeights(a).bias;
  if (aBias && !aBias.every((v) => Number.isFinite(v))) return undefined;
  const c = x[2]!;
  // Where b is padded along its kernel axis, its taps that read padding must not carry a's bias.
  const ax = vFirst ? 1 : 0;
  const along = vFirst ? cols : rows;
  const positions: number[] = [];
  const missing: number[][] = [];
  if (aBias?.some((v) => v !== 0)) {
    for (let p = 0; p < out[ax]!; p++) {
      const taps: number[] = [];
      for (let t = 0; t < b.kernel![ax]; t++) {
        const i = p * along.stride - along.pads[0] + t;
        if (i < 0 || i >= x[ax]!) taps.push(t);
      }
      if (taps.length) {
        positions.push(p);
        missing.push(taps);
      }
    }
  }
  return {
    kind: 'spatial',
    layer: a.layer,
    fused: [...stepLayers(a), ...stepLayers(b)].filter((l) => l !== a.layer),
    inputs: [a.inputs[0]!],
    output: b.output,
    macs: a.macs + b.macs,
    key: `pair:${a.key}+${b.key}`,
    weights: () => {
      const fa = foldedWeights(a);
      const fb = foldedWeights(b);
      // Both filters are [K, C] ([Kh, 1, C, 1] or [1, Kw, C, 1]); a's bias through b's taps: b(y + beta) = b(y) + beta * sum(b).
      const bias = Float32Array.from({ length: c }, (_, o) => {
        let t = 0;
        for (let i = o; i < fb.filter.length; i += c) t += fb.filter[i]!;
        return (fb.bias ? fb.bias[o]! : 0) + (fa.bias ? fa.bias[o]! * t : 0);
      });
      const [v, h] = vFirst ? [fa, fb] : [fb, fa];
      return { vertical: v.filter, horizontal: h.filter, bias };
    },
    kernel: [vs.kernel![0], hs.kernel![1]],
    strides: [rows.stride, cols.stride],
    pads: { top: rows.pads[0], bottom: rows.pads[1], left: cols.pads[0], right: cols.pads[1] },
    channels: c,
    activation: b.activation,
    ...(positions.length
      ? {
          edge: {
            axis: ax as 0 | 1,
            positions,
            correction: () => {
              const beta = foldedWeights(a).bias!;
              const taps = foldedWeights(b).filter;
              const corr = new Float32Array(positions.length * c);
              missing.forEach((ts, i) => {
                for (let o = 0; o < c; o++) {
                  let t = 0;
                  for (const k of ts) t += taps[k * c + o]!;
                  corr[i * c + o] = beta[o]! * t;
                }
              });
              return corr;
            },
          },
        }
      : {}),
  };
}

/**
 * One axis of a pair: `k` has the kernel along it, `o` a size-1 kernel; `kFirst` when `k` runs first. The
 * stride and pads of the one K-tap conv over `n` input positions that gives `o`'s `m` outputs, or undefined.
 */
function pairAxis(k: ConvStep, o: ConvStep, axis: 0 | 1, kFirst: boolean, n: number, m: number): { stride: number; pads: [number, number] } | undefined {
  const padsOf = (s: ConvStep): [number, number] => (axis === 0 ? [s.pads!.top, s.pads!.bottom] : [s.pads!.left, s.pads!.right]);
  const kp = padsOf(k);
  const op = padsOf(o);
  const taps = k.kernel![axis];
  if (k.dilations![axis] !== 1 || op[0] !== 0 || op[1] !== 0) return undefined;
  if (!kFirst && o.strides![axis] !== 1) return undefined;
  const stride = kFirst ? k.strides![axis] * o.strides![axis] : k.strides![axis];
  // `o` second keeps every o.stride-th of k's outputs: the last one kept reads input up to stride * (m - 1) + taps - 1 - before.
  const after = kFirst ? Math.max(0, stride * (m - 1) + taps - n - kp[0]) : kp[1];
  if (after > kp[1] || Math.floor((n + kp[0] + after - taps) / stride) + 1 !== m) return undefined;
  return { stride, pads: [kp[0], after] };
}

/** Replaces `low.steps` in place (no spread: a spread of 100k+ steps overflows the argument stack). */
function replaceSteps(low: Lowered, steps: Step[]): void {
  low.steps.length = 0;
  for (const s of steps) low.steps.push(s);
}

/** How many steps read each value (indexed by value id). */
function useCounts(low: Lowered): Int32Array {
  const m = new Int32Array(low.shapes.length);
  for (const s of low.steps) for (const i of s.inputs) m[i]!++;
  return m;
}

/** The step that writes each value (indexed by value id; model inputs have none). */
function producers(low: Lowered): (Step | undefined)[] {
  const p = new Array<Step | undefined>(low.shapes.length).fill(undefined);
  for (const s of low.steps) p[s.output] = s;
  return p;
}

/**
 * Fuses pointwise expand -> depthwise pairs (the inverted residual's first half) whose expanded tensor
 * is at least `FUSE_EXPAND_BYTES` per sample, has no other reader, and fits the fused kernel.
 */
export function fuseExpandDepthwise(low: Lowered): void {
  const uses = useCounts(low);
  const producer = producers(low);
  const outputs = new Set(low.outputs);
  const drop = new Set<Step>();
  low.steps.forEach((s, i) => {
    const pw = producer[s.inputs[0]!];
    if (s.kind !== 'depthwise' || pw?.kind !== 'pointwise' || uses[pw.output] !== 1 || outputs.has(pw.output)) return;
    if (!isKernelActivation(pw.activation) || !isKernelActivation(s.activation)) return;
    const mid = low.shapes[pw.output]!;
    const inShape = low.shapes[pw.inputs[0]!]!;
    if (mid.length !== 3 || inShape.length !== 3 || 4 * mid[0]! * mid[1]! * mid[2]! < FUSE_EXPAND_BYTES) return;
    const g = geometryOf(s, [1, ...mid]);
    const channels = mid[2]!;
    if (!expandDepthwiseFits(g, channels, low.shapes[s.output]![2]! / channels)) return;
    const fused: ExpandDepthwiseStep = {
      kind: 'expandDepthwise',
      layer: pw.layer,
      inputs: [pw.inputs[0]!],
      output: s.output,
      macs: pw.macs + s.macs,
      expand: pw,
      depthwise: s,
      scratch: expandDepthwiseRing(g, channels),
    };
    low.steps[i] = fused;
    drop.add(pw);
  });
  replaceSteps(low, low.steps.filter((s) => !drop.has(s)));
}

/**
 * Expanded tensors from this size on are fused. Interleaved A/B, fused vs the two kernels (TF.js-wasm run
 * between pairs): 112x112x96 s2 x0.61, 56x56x144 x0.80, 28x28x192 s2 x0.83 (602 KB); 14x14x384 (301 KB)
 * x1.03 and 7x7x960 x1.03 warm, where the tensor stays in L2 anyway and the per-row GEMMs are short.
 */
const FUSE_EXPAND_BYTES = 512 * 1024;

/** The layers a step's work belongs to (a conv with a folded BN counts for both in profiles, reported on the conv). */
export function stepLayers(s: Step): string[] {
  if (s.kind === 'expandDepthwise') return [...stepLayers(s.expand), ...stepLayers(s.depthwise)];
  if (s.kind === 'spatial') return [s.layer, ...(s.fused ?? [])];
  return isConv(s) && s.post ? [s.layer, ...s.post.map((p) => p.layer)] : [s.layer];
}

export interface CachedWeights {
  bytes: number;
  dispose(): void;
}

/** Packed weights by key, packed once and reused by every plan; freed with the model. */
export class WeightCache {
  readonly map = new Map<string, CachedWeights & { value: unknown }>();

  get<T extends CachedWeights>(key: string, make: () => T): T {
    let v = this.map.get(key);
    if (!v) {
      const made = make();
      v = Object.assign(made, { value: made });
      this.map.set(key, v);
    }
    return v.value as T;
  }

  get bytes(): number {
    let b = 0;
    for (const v of this.map.values()) b += v.bytes;
    return b;
  }

  dispose(): void {
    for (const v of this.map.values()) v.dispose();
    this.map.clear();
  }
}

/** Weights with folded BN scale/shift applied: W'[.., o] = W[.., o] * s[o], b' = b * s + t. */
export function foldedWeights(s: ConvStep): ConvWeights {
  const w = s.weights();
  if (!s.post?.length) return w;
  const shape = w.filterShape;
  const cout = s.kind === 'depthwise' ? shape[2]! * shape[3]! : shape[shape.length - 1]!;
  const filter = w.filter.slice();
  const bias = w.bias ? w.bias.slice() : new Float32Array(cout);
  for (const p of s.post) {
    const sc = p.scale();
    const sh = p.shift();
    for (let i = 0; i < filter.length; i++) filter[i] = filter[i]! * sc[i % cout]!;
    for (let o = 0; o < cout; o++) bias[o] = bias[o]! * sc[o]! + sh[o]!;
  }
  return { filter, filterShape: shape, bias };
}

class WasmWeights<T extends { dispose(): void }> implements CachedWeights {
  constructor(
    readonly packed: T,
    readonly bytes: number,
  ) {}
  dispose(): void {
    this.packed.dispose();
  }
}

declare module '../runtime/state.js' {
  interface KernelExports {
    prelu_run(input: number, output: number, len: number, slope: number, slopeLen: number, threshold: number, maxValue: number): void;
  }
}

/** A LeakyReLU / PReLU / ReLU slope copied into wasm memory once per model. */
class WasmSlope implements CachedWeights {
  readonly rt = runtime();
  readonly len: number;
  readonly bytes: number;
  #ptr: number;
  constructor(slope: Float32Array) {
    this.len = slope.length;
    this.bytes = slope.length * 4;
    this.#ptr = this.rt.upload(slope);
  }
  /** The slope's address; DisposedTensorError once its runtime was replaced. */
  get ptr(): number {
    checkCurrent(this.rt, 'PReLU slope');
    return this.#ptr;
  }
  dispose(): void {
    if (this.#ptr) this.rt.free(this.#ptr, this.len);
    this.#ptr = 0;
  }
}

/** y = x >= threshold ? min(x, maxValue) : slope[i % slope.len] * (x - threshold) in wasm; `out` may be `x`. */
function runPrelu(x: Tensor, out: Tensor, w: WasmSlope, threshold: number, maxValue: number, op: string): void {
  if (out.size !== x.size) throw new ShapeError(op, `an output of ${x.size} values`, `${out.size}`);
  const [xp, yp, sp] = [x.ptr(op), out.ptr(op), w.ptr];
  w.rt.call(op, (k) => k.prelu_run(xp, yp, x.size, sp, w.len, threshold, maxValue));
}

function packDepthwise(filter: Float32Array, shape: number[], bias: Float32Array | undefined, op: string): WasmWeights<PackedDepthwiseWeights> {
  return new WasmWeights(PackedDepthwiseWeights.pack(filter, shape, bias, op), (filter.length + (bias?.length ?? 0)) * 4);
}

/** Shapes (batch included) of the views a step's runner reads and writes. */
export function ioShapes(s: Step, shapes: number[][], n: number): { ins: number[][]; out: number[] } {
  const nat = (v: number): number[] => [n, ...shapes[v]!];
  const flat4 = (v: number): number[] => {
    const sh = shapes[v]!;
    return [n, sh.slice(0, -1).reduce((a, b) => a * b, 1), 1, sh[sh.length - 1]!];
  };
  if (s.kind === 'affine' || (s.kind === 'activation' && s.activation !== 'softmax')) return { ins: [flat4(s.inputs[0]!)], out: flat4(s.output) };
  if (s.kind === 'pointwise' || s.kind === 'dense') {
    // One GEMM over every pixel / row: [rows, K] x [K, N].
    const rows = (v: number): number[] => {
      const sh = shapes[v]!;
      return [n * sh.slice(0, -1).reduce((a, b) => a * b, 1), sh[sh.length - 1]!];
    };
    return { ins: [rows(s.inputs[0]!)], out: rows(s.output) };
  }
  return { ins: s.inputs.map(nat), out: nat(s.output) };
}

function geometryOf(s: ConvStep, inShape: number[]): ConvGeometry {
  const p = s.pads!;
  return convGeometry(s.layer, inShape[1]!, inShape[2]!, s.kernel!, s.strides!, s.dilations!, [p.top, p.bottom, p.left, p.right]);
}

export type Runner = (ins: Tensor[], out: Tensor) => void;

/** Runs a kernel with its activation fused, or linear and then the activation in JS (softmax, and those the kernels lack). */
function withActivation(a: StepActivation, run: (act: ActivationName) => void, out: () => Float32Array, c: number): void {
  if (isKernelActivation(a)) return run(a);
  run('linear');
  const y = out();
  activationJS(y, y, c, a);
}

/** A conv step's depthwise weights, BN folded, packed once per model (the key is shared by every plan). */
function packedDepthwise(s: ConvStep, cache: WeightCache): WasmWeights<PackedDepthwiseWeights> {
  return cache.get(s.key, () => {
    const f = foldedWeights(s);
    return packDepthwise(f.filter, f.filterShape, f.bias, s.layer);
  });
}

/** A pointwise / dense step's `[k, n]` weights, BN folded, packed once per model. */
function packedGemm(s: ConvStep, k: number, n: number, cache: WeightCache): WasmWeights<PackedGemmWeights> {
  return cache.get(`wasm:${s.key}`, () => {
    const f = foldedWeights(s);
    return new WasmWeights(PackedGemmWeights.pack(f.filter, k, n, f.bias, s.layer), (f.filter.length + (f.bias?.length ?? 0)) * 4);
  });
}

/** Builds the runner of one step (packing its weights through the cache); `scratch` is the step's planned scratch. */
export function prepareRunner(s: Step, shapes: number[][], n: number, cache: WeightCache, scratch?: Tensor): Runner {
  const io = ioShapes(s, shapes, n);
  const inS = io.ins[0]!;
  const outS = io.out;
  const lastIn = inS[inS.length - 1]!;
  const lastOut = outS[outS.length - 1]!;
  switch (s.kind) {
    case 'expandDepthwise': {
      const { expand, depthwise } = s;
      const mid = [n, ...shapes[expand.output]!];
      const pw = packedGemm(expand, lastIn, mid[3]!, cache);
      const dw = packedDepthwise(depthwise, cache);
      const g = geometryOf(depthwise, mid);
      if (!scratch || scratch.size < s.scratch) throw new ShapeError(s.layer, `a ring of ${s.scratch} floats`, `${scratch?.size ?? 0}`);
      const [pa, da] = [expand.activation as ActivationName, depthwise.activation as ActivationName];
      return (ins, out) => runExpandDepthwise(ins[0]!, pw.packed, pa, dw.packed, g, da, s.layer, out, scratch);
    }
    case 'depthwise': {
      const w = packedDepthwise(s, cache);
      const g = geometryOf(s, inS);
      if (g.outH !== outS[1] || g.outW !== outS[2]) throw new ShapeError(s.layer, `output [${outS.join(', ')}]`, `[${g.outH}, ${g.outW}]`);
      const a = s.activation;
      return (ins, out) => withActivation(a, (act) => runDepthwise(ins[0]!, w.packed, g, act, s.layer, out), () => rawView(out, s.layer), lastOut);
    }
    case 'deformDepthwise': {
      const g = convGeometry(s.layer, inS[1]!, inS[2]!, s.kernel, s.strides, s.dilations, [s.pads.top, s.pads.bottom, s.pads.left, s.pads.right]);
      const w = cache.get(`deform:${s.key}`, () => {
        const f = s.weights();
        return packDepthwise(f.filter, f.filterShape, f.bias, s.layer);
      });
      const [a, groups] = [s.activation, s.offsetGroups];
      return (ins, out) =>
        withActivation(a, (act) => runDeformableDepthwise(ins[0]!, ins[1]!, ins[2], w.packed, g, groups, act, s.layer, out), () => rawView(out, s.layer), lastOut);
    }
    case 'spatial': {
      const [kh, kw] = s.kernel;
      const c = s.channels;
      const g = convGeometry(s.layer, inS[1]!, inS[2]!, s.kernel, s.strides, [1, 1], [s.pads.top, s.pads.bottom, s.pads.left, s.pads.right]);
      const a = s.activation;
      const w = cache.get(`spatial:${s.key}`, () => {
        const { vertical, horizontal, bias } = s.weights();
        return new WasmWeights(PackedSpatialWeights.pack(vertical, horizontal, kh, kw, c, 1, bias, s.layer), (vertical.length + horizontal.length + (bias?.length ?? 0)) * 4);
      });
      if (s.edge) {
        const { axis, positions } = s.edge;
        const corr = s.edge.correction();
        const [nb, oh, ow] = [outS[0]!, outS[1]!, outS[2]!];
        const across = axis === 0 ? ow : oh;
        return (ins, out) => {
          runSpatial(ins[0]!, w.packed, g, 'linear', s.layer, out);
          const y = rawView(out, s.layer);
          for (let b = 0; b < nb; b++)
            positions.forEach((p, i) => {
              for (let q = 0; q < across; q++) {
                const base = (axis === 0 ? (b * oh + p) * ow + q : (b * oh + q) * ow + p) * c;
                for (let ch = 0; ch < c; ch++) y[base + ch] = y[base + ch]! - corr[i * c + ch]!;
              }
            });
          if (a === 'linear') return;
          if (isKernelActivation(a)) activationOp(out, a, out);
          else activationJS(y, y, lastOut, a);
        };
      }
      return (ins, out) => withActivation(a, (act) => runSpatial(ins[0]!, w.packed, g, act, s.layer, out), () => rawView(out, s.layer), lastOut);
    }
    case 'conv': {
      const g = geometryOf(s, inS);
      const groups = s.groups ?? 1;
      const w = cache.get(`wasm:${s.key}`, () => {
        const f = foldedWeights(s);
        return new WasmWeights(PackedConvWeights.pack(f.filter, f.filterShape, f.bias, groups, s.layer), (f.filter.length + (f.bias?.length ?? 0)) * 4);
      });
      const a = s.activation;
      return (ins, out) => withActivation(a, (act) => runConv2d(ins[0]!, w.packed, g, act, s.layer, out), () => rawView(out, s.layer), lastOut);
    }
    case 'convTranspose': {
      const p = s.pads;
      const g = conv2dTransposeGeometry(s.layer, inS, [outS[1]!, outS[2]!], s.kernel, { strides: s.strides, dilations: s.dilations, padding: [p.top, p.bottom, p.left, p.right] });
      const w = cache.get(`convT:${s.key}`, () => {
        const f = s.weights();
        return new WasmWeights(PackedConvTransposeWeights.pack(f.filter, f.filterShape, f.bias, s.layer), (f.filter.length + (f.bias?.length ?? 0)) * 4);
      });
      const a = s.activation;
      return (ins, out) => withActivation(a, (act) => runConv2dTranspose(ins[0]!, w.packed, g, act, s.layer, out), () => rawView(out, s.layer), lastOut);
    }
    case 'padND': {
      const paddings: [number, number][] = [[0, 0], ...s.paddings];
      const { mode, value } = s;
      return (ins, out) => padND(ins[0]!, paddings, mode, value, out, s.layer);
    }
    case 'depthToSpace': {
      const [b, mode] = [s.block, s.mode ?? 'DCR'];
      return (ins, out) => depthToSpace(ins[0]!, b, mode, out);
    }
    case 'spaceToDepth': {
      const b = s.block;
      return (ins, out) => spaceToDepth(ins[0]!, b, out);
    }
    case 'channelGather': {
      const idx = s.indices;
      return (ins, out) => runChannelGather(ins[0]!, idx, s.layer, out);
    }
    case 'resize': {
      const r = s.resize;
      const size: [number, number] = [outS[1]!, outS[2]!];
      return (ins, out) => runResize(ins[0]!, size, r, s.layer, out);
    }
    case 'pointwise':
    case 'dense': {
      const w = packedGemm(s, lastIn, lastOut, cache);
      const a = s.activation;
      return (ins, out) => withActivation(a, (act) => runDense(ins[0]!, w.packed, act, s.layer, out), () => rawView(out, s.layer), lastOut);
    }
    case 'affine': {
      const a = s as AffineStep;
      const w = cache.get(`affine:${a.key}`, () => packDepthwise(a.scale(), [1, 1, lastIn, 1], a.shift(), s.layer));
      const g = convGeometry(s.layer, inS[1]!, inS[2]!, [1, 1], [1, 1], [1, 1], 'valid');
      return (ins, out) => withActivation(a.activation, (act) => runDepthwise(ins[0]!, w.packed, g, act, s.layer, out), () => rawView(out, s.layer), lastOut);
    }
    case 'activation': {
      const act = s.activation;
      if (act === 'softmax') return (ins, out) => softmaxOp(ins[0]!, {}, out);
      if (!isKernelActivation(act)) return (ins, out) => activationJS(rawView(ins[0]!, s.layer), rawView(out, s.layer), lastOut, act);
      return (ins, out) => activationOp(ins[0]!, act, out);
    }
    case 'add':
    case 'mul': {
      const kind = s.kind;
      const a = s.activation ?? 'linear';
      const sameShape = io.ins[0]!.length === io.ins[1]!.length && io.ins[0]!.every((d, i) => d === io.ins[1]![i]);
      if (kind === 'add' && sameShape && isKernelActivation(a)) return (ins, out) => runAdd(ins[0]!, ins[1]!, a, s.layer, out);
      const rank4Gate = inS.length === 4 && io.ins[1]!.length === 4 && io.ins[1]![1] === 1 && io.ins[1]![2] === 1;
      if (kind === 'mul' && (sameShape || rank4Gate)) return (ins, out) => mulOp(ins[0]!, ins[1]!, out);
      return (ins, out) => {
        const y = rawView(out, s.layer);
        binaryJS(kind, rawView(ins[0]!, s.layer), rawView(ins[1]!, s.layer), y, n, lastOut);
        if (a !== 'linear') activationJS(y, y, lastOut, a);
      };
    }
    case 'leaky': {
      const slope = s.slope();
      const { threshold, maxValue } = s;
      const size = inS.reduce((a, b) => a * b, 1);
      // The kernel takes whole repeats of the slope (one value, one per channel, one per sample element).
      if (slope.length === 0 || size % slope.length !== 0) return (ins, out) => leakyJS(rawView(ins[0]!, s.layer), rawView(out, s.layer), slope, threshold, maxValue);
      const w = cache.get(`prelu:${s.layer}:${slope.length}`, () => new WasmSlope(slope));
      return (ins, out) => runPrelu(ins[0]!, out, w, threshold, maxValue, s.layer);
    }
    case 'concat':
      // Along the channel axis: one wasm copy per input (an identity channel gather at its offset).
      return (ins, out) => concatChannels(ins, out, s.layer);
    case 'gap': {
      return (ins, out) => globalAvgPool(ins[0]!, {}, out);
    }
    case 'avgPool':
    case 'maxPool': {
      const g = convGeometry(s.layer, inS[1]!, inS[2]!, s.kernel, s.strides, [1, 1], [s.pads.top, s.pads.bottom, s.pads.left, s.pads.right]);
      const mode = s.kind === 'avgPool' ? 'avg' : 'max';
      // The wasm pool refuses pads as wide as the window ('same' never makes those).
      const padsOk = g.pads.top < g.kernelH && g.pads.bottom < g.kernelH && g.pads.left < g.kernelW && g.pads.right < g.kernelW;
      if (padsOk) return (ins, out) => runPool(ins[0]!, g, mode === 'avg' ? 0 : 1, s.layer, out);
      return (ins, out) => poolJS(mode, rawView(ins[0]!, s.layer), n, lastIn, g, rawView(out, s.layer));
    }
    case 'pad': {
      const p = s.pads;
      return (ins, out) => padOp(ins[0]!, [[p.top, p.bottom], [p.left, p.right]], 0, out);
    }
    case 'alias':
      // Shares its input's memory; only runs (a copy) when the input lives outside the arena.
      return (ins, out) => rawView(out, s.layer).set(rawView(ins[0]!, s.layer));
    case 'host': {
      // Post-processing in TypeScript over the arena views (one array of views reused per call).
      const views: Float32Array[] = [];
      return (ins, out) => {
        for (let i = 0; i < ins.length; i++) views[i] = rawView(ins[i]!, s.layer);
        s.run(views, rawView(out, s.layer));
      };
    }
  }
}
