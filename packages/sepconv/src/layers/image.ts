// Layout and image layers the graph importers map onto existing kernels: Resize (ONNX Resize, TF
// ResizeBilinear / ResizeNearestNeighbor), Conv2DTranspose (TF Conv2DBackpropInput, ONNX
// ConvTranspose), DepthToSpace / SpaceToDepth, and PadND (TF Pad / MirrorPad, ONNX Pad on any
// per-sample axis, constant / reflect / symmetric / edge).
import { OptionError, ShapeError } from '../errors.js';
import { pair, type Pair } from '../ops/geometry.js';
import { resolveResize, type ResizeOptions, type ResolvedResize } from '../ops/resize.js';
import { checkPositiveOption, isDim, MAX_DIM } from '../tensor/limits.js';
import { kerasActivationName, stepActivation, type LayerActivation } from './activations.js';
import type { LowerContext, StepActivation } from './ir.js';
import { Layer, symShapeStr, type LayerArgs, type SymShape, type WeightDef } from './layer.js';

function image(label: string, s: SymShape): [number | null, number | null, number | null] {
  if (s.length !== 3) throw new ShapeError(label, 'an input of rank 4 [N, H, W, C]', `rank ${s.length + 1} [null, ${symShapeStr(s).slice(1)}`);
  return s as [number | null, number | null, number | null];
}

/** Options of a `Resize` layer: an output size, or scales (output = floor(input * scale), ONNX's rule). */
export interface ResizeLayerArgs extends LayerArgs {
  /** Output [height, width]. */
  size?: readonly [number, number];
  /** Output = floor(input * scale) per axis (used when `size` is absent). */
  scale?: readonly [number, number];
  /** The resize's modes (ONNX Resize attributes; defaults are ONNX's), or a resolved resize. */
  resize?: ResizeOptions | ResolvedResize;
}

/** Spatial resize of an NHWC map (bilinear or nearest, every ONNX coordinate mode). */
export class Resize extends Layer {
  readonly className = 'Resize';
  readonly size: [number, number] | undefined;
  readonly scale: [number, number] | undefined;
  readonly resize: ResolvedResize;
  constructor(args: ResizeLayerArgs) {
    super(args, 'resize');
    if (args.size !== undefined) this.size = pair(this.label, 'size', args.size as Pair, 1);
    else if (args.scale !== undefined) {
      const s = args.scale;
      if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= MAX_DIM)) {
        throw new OptionError(this.label, 'scale', `[scaleH, scaleW] of finite numbers in (0, ${MAX_DIM}]`, s);
      }
      this.scale = [s[0], s[1]];
    } else throw new OptionError(this.label, 'size', '[height, width] (or scale)', args.size);
    this.resize = resolveResize(this.label, (args.resize ?? {}) as ResizeOptions);
  }
  private out(h: number | null, w: number | null): [number | null, number | null] {
    if (this.size) return this.size;
    const f = (d: number | null, s: number): number | null => (d === null ? null : Math.floor(Math.fround(d * s)));
    return [f(h, this.scale![0]), f(w, this.scale![1])];
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    const [h, w, c] = image(this.label, s!);
    const [oh, ow] = this.out(h, w);
    if (oh === 0 || ow === 0) throw new ShapeError(this.label, 'an output of at least 1x1', `${oh}x${ow} for input ${symShapeStr(s!)}`);
    return [oh, ow, c];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const [h, w, c] = ctx.shape(x!) as [number, number, number];
    const [oh, ow] = this.out(h, w) as [number, number];
    if (oh < 1 || ow < 1) throw new ShapeError(this.label, 'an output of at least 1x1', `${oh}x${ow} for input [${h}, ${w}, ${c}]`);
    return ctx.emit({ kind: 'resize', layer: this.name, inputs: [x!], output: ctx.value([oh, ow, c]), macs: 0, resize: this.resize });
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, ...(this.size ? { size: this.size } : { scale: this.scale }), resize: { ...this.resize } };
  }
}

/** Options of `Conv2DTranspose`. */
export interface Conv2DTransposeArgs extends LayerArgs {
  filters: number;
  kernelSize: Pair;
  /** Default 1. */
  strides?: Pair;
  /** Default 1. */
  dilationRate?: Pair;
  /**
   * 'same' (output = input * stride), 'valid' (Keras: input * stride + max(k_eff - stride, 0)), or explicit
   * [top, bottom, left, right] cropped from the full output (ONNX ConvTranspose pads). Default 'valid'.
   */
  padding?: 'same' | 'valid' | readonly [number, number, number, number];
  /** Rows / columns added at the bottom / right (ONNX output_padding, Keras output_padding). Default [0, 0]. */
  outputPadding?: readonly [number, number];
  activation?: LayerActivation | null;
  /** Default true. */
  useBias?: boolean;
}

/** Transposed conv (group 1), kernel [KH, KW, filters, Cin] as Keras and TF Conv2DBackpropInput store it. */
export class Conv2DTranspose extends Layer {
  readonly className = 'Conv2DTranspose';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: 'same' | 'valid' | readonly [number, number, number, number];
  readonly outputPadding: [number, number];
  readonly activation: StepActivation;
  readonly useBias: boolean;
  constructor(args: Conv2DTransposeArgs) {
    super(args, 'conv2d_transpose');
    const op = this.label;
    this.filters = checkPositiveOption(op, 'filters', args.filters);
    this.kernelSize = pair(op, 'kernelSize', args.kernelSize, 1);
    this.strides = pair(op, 'strides', args.strides, 1);
    this.dilationRate = pair(op, 'dilationRate', args.dilationRate, 1);
    const p = args.padding ?? 'valid';
    if (!(p === 'same' || p === 'valid' || (Array.isArray(p) && p.length === 4 && p.every((v) => isDim(v))))) {
      throw new OptionError(op, 'padding', `'same' | 'valid' | [top, bottom, left, right] of integers from 0 to ${MAX_DIM}`, p);
    }
    this.padding = Array.isArray(p) ? (Object.freeze([...p]) as unknown as [number, number, number, number]) : p;
    const o = args.outputPadding ?? [0, 0];
    if (!Array.isArray(o) || o.length !== 2 || !o.every((v, i) => isDim(v) && v < Math.max(this.strides[i]!, this.dilationRate[i]!))) {
      throw new OptionError(op, 'outputPadding', 'two integers each below max(stride, dilation) of its axis', o);
    }
    this.outputPadding = [o[0], o[1]];
    this.activation = stepActivation(op, args.activation);
    this.useBias = args.useBias ?? true;
  }
  /** [before, after] pads and output size of one axis. */
  private axis(i: 0 | 1, size: number): { before: number; after: number; out: number } {
    const [k, s, d, op] = [this.kernelSize[i], this.strides[i], this.dilationRate[i], this.outputPadding[i]];
    const eff = (k - 1) * d + 1;
    const full = (size - 1) * s + eff;
    if (Array.isArray(this.padding)) {
      const [before, after] = [this.padding[i * 2]!, this.padding[i * 2 + 1]!];
      return { before, after, out: full - before - after + op };
    }
    const out = this.padding === 'same' ? size * s : size * s + Math.max(eff - s, 0);
    // The forward conv's pads (TF: the total, the extra at the end).
    const total = Math.max(full - out, 0);
    const before = Math.floor(total / 2);
    return { before, after: total - before, out: out + op };
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    const [h, w] = image(this.label, s!);
    const f = (i: 0 | 1, d: number | null): number | null => {
      if (d === null) return null;
      const out = this.axis(i, d).out;
      if (out < 1) throw new ShapeError(this.label, 'pads smaller than the full transposed output', `an output size of ${out} for input ${symShapeStr(s!)}`);
      return out;
    };
    return [f(0, h), f(1, w), this.filters];
  }
  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = s![2];
    if (c === null || c === undefined) throw new ShapeError(this.label, 'a known channel count (last dimension)', symShapeStr(s!));
    const defs: WeightDef[] = [{ name: 'kernel', shape: [...this.kernelSize, this.filters, c], init: 'glorotUniform' }];
    if (this.useBias) defs.push({ name: 'bias', shape: [this.filters], init: 'zeros' });
    return defs;
  }
  macs([s]: number[][]): number {
    return s![0]! * s![1]! * s![2]! * this.kernelSize[0] * this.kernelSize[1] * this.filters;
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const [h, w, c] = ctx.shape(x!) as [number, number, number];
    const [a, b] = [this.axis(0, h), this.axis(1, w)];
    const shape = [...this.kernelSize, this.filters, c];
    return ctx.emit({
      kind: 'convTranspose',
      layer: this.name,
      inputs: [x!],
      output: ctx.value([a.out, b.out, this.filters]),
      macs: h * w * c * this.kernelSize[0] * this.kernelSize[1] * this.filters,
      key: `${this.name}/kernel`,
      weights: () => ({ filter: this.weight('kernel'), filterShape: shape, bias: this.useBias ? this.weight('bias') : undefined }),
      kernel: this.kernelSize,
      strides: this.strides,
      dilations: this.dilationRate,
      pads: { top: a.before, bottom: a.after, left: b.before, right: b.after },
      activation: this.activation,
    });
  }
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      dilationRate: this.dilationRate,
      padding: this.padding,
      outputPadding: this.outputPadding,
      activation: kerasActivationName(this.activation),
      useBias: this.useBias,
    };
  }
}

/** Options of `DepthToSpace` / `SpaceToDepth`. */
export interface DepthSpaceArgs extends LayerArgs {
  blockSize: number;
  /** DepthToSpace only: 'DCR' (TF, ONNX default) or 'CRD' (PyTorch pixel_shuffle). */
  mode?: 'DCR' | 'CRD';
}

/** DepthToSpace ([H, W, C] -> [H*b, W*b, C/b^2]) or SpaceToDepth ([H, W, C] -> [H/b, W/b, C*b^2]). */
export class DepthSpace extends Layer {
  readonly className: string;
  readonly blockSize: number;
  readonly mode: 'DCR' | 'CRD';
  constructor(
    args: DepthSpaceArgs,
    readonly toSpace: boolean,
  ) {
    super(args, toSpace ? 'depth_to_space' : 'space_to_depth');
    this.className = toSpace ? 'DepthToSpace' : 'SpaceToDepth';
    const b = args.blockSize;
    if (!Number.isSafeInteger(b) || b < 1 || b > 2 ** 15) throw new OptionError(this.label, 'blockSize', 'an integer from 1 to 32768', b);
    this.blockSize = b;
    const m = args.mode ?? 'DCR';
    if (m !== 'DCR' && m !== 'CRD') throw new OptionError(this.label, 'mode', "'DCR' | 'CRD'", m);
    this.mode = m;
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    const [h, w, c] = image(this.label, s!);
    const b = this.blockSize;
    if (c === null) throw new ShapeError(this.label, 'a known channel count', symShapeStr(s!));
    if (this.toSpace) {
      if (c % (b * b) !== 0) throw new ShapeError(this.label, `channels divisible by blockSize^2 = ${b * b}`, `${c} channels`);
      return [h === null ? null : h * b, w === null ? null : w * b, c / (b * b)];
    }
    if ((h !== null && h % b !== 0) || (w !== null && w % b !== 0)) throw new ShapeError(this.label, `height and width divisible by blockSize ${b}`, symShapeStr(s!));
    return [h === null ? null : h / b, w === null ? null : w / b, c * b * b];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const [h, w, c] = ctx.shape(x!) as [number, number, number];
    const b = this.blockSize;
    if (!this.toSpace && (h % b !== 0 || w % b !== 0)) throw new ShapeError(this.label, `height and width divisible by blockSize ${b}`, `[${h}, ${w}, ${c}]`);
    const shape = this.toSpace ? [h * b, w * b, c / (b * b)] : [h / b, w / b, c * b * b];
    return ctx.emit({ kind: this.toSpace ? 'depthToSpace' : 'spaceToDepth', layer: this.name, inputs: [x!], output: ctx.value(shape), macs: 0, block: b, ...(this.toSpace ? { mode: this.mode } : {}) });
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, blockSize: this.blockSize, ...(this.toSpace ? { mode: this.mode } : {}) };
  }
}

/** Padding modes of `PadND`: TF's and ONNX's ('edge' repeats the border value). */
export type PadNDLayerMode = 'constant' | 'reflect' | 'symmetric' | 'edge';

/** Options of `PadND`. */
export interface PadNDArgs extends LayerArgs {
  /** One [before, after] per per-sample axis (batch excluded). */
  paddings: readonly (readonly [number, number])[];
  /** Default 'constant'. */
  mode?: PadNDLayerMode;
  /** Constant mode's fill. Default 0. */
  value?: number;
}

/** Most 'edge' steps one layer may chain (each pads every side by at most 1). */
const MAX_EDGE_STEPS = 256;

/** Padding of any per-sample axes. */
export class PadND extends Layer {
  readonly className = 'PadND';
  readonly paddings: [number, number][];
  readonly mode: PadNDLayerMode;
  readonly value: number;
  constructor(args: PadNDArgs) {
    super(args, 'pad_nd');
    const p = args.paddings;
    if (!Array.isArray(p) || p.length > 64 || !p.every((q) => Array.isArray(q) && q.length === 2 && q.every((v) => isDim(v)))) {
      throw new OptionError(this.label, 'paddings', `pairs [before, after] of integers from 0 to ${MAX_DIM}, one per per-sample axis`, p);
    }
    this.paddings = p.map((q) => [q[0], q[1]]);
    const m = args.mode ?? 'constant';
    if (!['constant', 'reflect', 'symmetric', 'edge'].includes(m)) throw new OptionError(this.label, 'mode', "'constant' | 'reflect' | 'symmetric' | 'edge'", m);
    this.mode = m;
    const v = args.value ?? 0;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new OptionError(this.label, 'value', 'a number', v);
    this.value = v;
    if (m === 'edge' && Math.max(0, ...this.paddings.flat()) > MAX_EDGE_STEPS) throw new OptionError(this.label, 'paddings', `'edge' pads of at most ${MAX_EDGE_STEPS}`, p);
  }
  private check(s: SymShape): void {
    if (s.length !== this.paddings.length) throw new ShapeError(this.label, `an input of ${this.paddings.length} per-sample axes (one per paddings pair)`, symShapeStr(s));
    s.forEach((n, i) => {
      if (n === null) return;
      const [b, a] = this.paddings[i]!;
      const limit = this.mode === 'reflect' ? n - 1 : this.mode === 'symmetric' ? n : this.mode === 'edge' && n === 0 ? 0 : Infinity;
      if (b > limit || a > limit) throw new ShapeError(this.label, `'${this.mode}' paddings of at most ${limit} on axis ${i + 1} (size ${n})`, `[${b}, ${a}]`);
    });
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    this.check(s!);
    return s!.map((n, i) => (n === null ? null : n + this.paddings[i]![0] + this.paddings[i]![1]));
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const shape = ctx.shape(x!);
    this.check(shape);
    if (this.mode !== 'edge' || this.paddings.every(([b, a]) => b === 0 && a === 0)) {
      const out = shape.map((n, i) => n + this.paddings[i]![0] + this.paddings[i]![1]);
      return ctx.emit({ kind: 'padND', layer: this.name, inputs: [x!], output: ctx.value(out), macs: 0, paddings: this.paddings.map((q) => [...q] as [number, number]), mode: this.mode === 'edge' ? 'constant' : this.mode, value: this.value });
    }
    // Edge: 'symmetric' pads of at most 1 per side repeat the border value; chained until every pad is met.
    let v = x!;
    const left = this.paddings.map((q) => [...q] as [number, number]);
    while (left.some(([b, a]) => b > 0 || a > 0)) {
      const step = left.map(([b, a]) => [Math.min(b, 1), Math.min(a, 1)] as [number, number]);
      const s = ctx.shape(v);
      v = ctx.emit({ kind: 'padND', layer: this.name, inputs: [v], output: ctx.value(s.map((n, i) => n + step[i]![0] + step[i]![1])), macs: 0, paddings: step, mode: 'symmetric', value: 0 });
      left.forEach((q, i) => ((q[0] -= step[i]![0]), (q[1] -= step[i]![1])));
    }
    return v;
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, paddings: this.paddings, mode: this.mode, value: this.value };
  }
}

/** Options of `ChannelGather`. */
export interface ChannelGatherArgs extends LayerArgs {
  /** Input channel of each output channel (a permutation, a selection; repeats allowed). */
  indices: readonly number[];
}

/**
 * Output channel j = input channel indices[j], over any per-sample rank (channels last): ONNX Split / Slice
 * of channels and the channel shuffle, TF GatherV2 / Split / SplitV on the last axis. A copy, no MACs.
 */
export class ChannelGather extends Layer {
  readonly className = 'ChannelGather';
  readonly indices: readonly number[];
  constructor(args: ChannelGatherArgs) {
    super(args, 'channel_gather');
    const idx = args.indices;
    if (!Array.isArray(idx) || idx.length < 1 || idx.length > MAX_DIM || !idx.every((i) => isDim(i))) {
      throw new OptionError(this.label, 'indices', `1 to ${MAX_DIM} integers from 0 to ${MAX_DIM}`, Array.isArray(idx) ? `${idx.length} values` : idx);
    }
    this.indices = [...idx];
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    if (s!.length < 1) throw new ShapeError(this.label, 'an input with a channel axis', symShapeStr(s!));
    const c = s![s!.length - 1];
    if (c === null || c === undefined) throw new ShapeError(this.label, 'a known channel count', symShapeStr(s!));
    const bad = this.indices.findIndex((i) => i >= c);
    if (bad >= 0) throw new ShapeError(this.label, `channel indices below ${c}`, `indices[${bad}] = ${this.indices[bad]}`);
    return [...s!.slice(0, -1), this.indices.length];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const s = ctx.shape(x!);
    const c = s[s.length - 1]!;
    const bad = this.indices.findIndex((i) => i >= c);
    if (bad >= 0) throw new ShapeError(this.label, `channel indices below ${c}`, `indices[${bad}] = ${this.indices[bad]}`);
    return ctx.emit({ kind: 'channelGather', layer: this.name, inputs: [x!], output: ctx.value([...s.slice(0, -1), this.indices.length]), macs: 0, indices: Uint32Array.from(this.indices) });
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, indices: [...this.indices] };
  }
}
