// Convolution-like layers: Conv2D, DepthwiseConv2D, PointwiseConv2D, SeparableConv2D,
// SpatiallySeparableConv2D, DepthwiseSeparableConv (the seed's block) and Dense.
import { OptionError, ShapeError } from '../errors.js';
import { convGeometry, pair, type Padding, type Pair } from '../ops/geometry.js';
import { checkPositiveOption, isDim, MAX_DIM } from '../tensor/limits.js';
import { kerasActivationName, stepActivation, type LayerActivation } from './activations.js';
import type { ConvWeights, LowerContext, StepActivation } from './ir.js';
import { Layer, symShapeStr, type LayerArgs, type SymShape, type WeightDef } from './layer.js';
import { bnAffine } from './norm.js';

/** Per-channel counts and kernel of a depthwise-separable layer, for the seed's cost comparison. */
export interface SeparableParts {
  kernel: [number, number];
  inChannels: number;
  outChannels: number;
  multiplier: number;
}

export function paddingOption(op: string, p: unknown, fallback: Padding): Padding {
  if (p === undefined) return fallback;
  if (p === 'same' || p === 'valid') return p;
  if (isDim(p)) return Object.freeze([p, p, p, p] as const);
  if (Array.isArray(p) && p.length === 2 && p.every((x) => isDim(x))) return Object.freeze([p[0], p[0], p[1], p[1]]) as Padding;
  if (Array.isArray(p) && p.length === 4 && p.every((x) => isDim(x))) return Object.freeze([p[0], p[1], p[2], p[3]]) as Padding;
  throw new OptionError(op, 'padding', `'same' | 'valid' | an integer from 0 to ${MAX_DIM} | [padH, padW] | [top, bottom, left, right] of them`, p);
}

function positiveInt(op: string, name: string, v: unknown, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  return checkPositiveOption(op, name, v);
}

/** Output [OH, OW] of a conv over a symbolic [H, W, ...] shape; throws ShapeError naming the layer when it does not fit. */
export function spatialOut(
  label: string,
  shape: SymShape,
  k: [number, number],
  s: [number, number],
  d: [number, number],
  padding: Padding,
): [number | null, number | null] {
  if (shape.length !== 3) throw new ShapeError(label, 'an input of rank 4 [N, H, W, C]', `rank ${shape.length + 1} [null, ${symShapeStr(shape).slice(1)}`);
  const [h, w] = shape;
  const g = convGeometry(label, h ?? 4096, w ?? 4096, k, s, d, padding);
  const oh = h === null ? null : g.outH;
  const ow = w === null ? null : g.outW;
  if (oh === 0 || ow === 0) {
    throw new ShapeError(label, `an input at least as large as the ${k[0]}x${k[1]} kernel (dilation ${d.join('x')}, padding ${JSON.stringify(padding)})`, `input [null, ${symShapeStr(shape).slice(1)}`);
  }
  return [oh, ow];
}

function channels(label: string, shape: SymShape): number {
  const c = shape[shape.length - 1];
  if (c === null || c === undefined) throw new ShapeError(label, 'a known channel count (last dimension)', symShapeStr(shape));
  return c;
}

/** Emits a conv-like step over value `x` (rank-3 per-sample shape). */
export function emitConv(
  ctx: LowerContext,
  layer: Layer,
  kind: 'conv' | 'depthwise',
  x: number,
  o: { key: string; kernel: [number, number]; strides: [number, number]; dilations: [number, number]; padding: Padding; outChannels: number; groups?: number; activation: StepActivation; weights: () => ConvWeights; macsPerPixel: number },
): number {
  const [h, w] = ctx.shape(x) as [number, number, number];
  const g = convGeometry(layer.label, h, w, o.kernel, o.strides, o.dilations, o.padding);
  if (g.outH < 1 || g.outW < 1) {
    throw new ShapeError(layer.label, `an input at least as large as the ${o.kernel[0]}x${o.kernel[1]} kernel`, `input [N, ${ctx.shape(x).join(', ')}]`);
  }
  const out = ctx.value([g.outH, g.outW, o.outChannels]);
  const isPointwise = kind === 'conv' && o.kernel[0] === 1 && o.kernel[1] === 1 && o.strides[0] === 1 && o.strides[1] === 1 && (o.groups ?? 1) === 1 && g.pads.top + g.pads.bottom + g.pads.left + g.pads.right === 0;
  return ctx.emit({
    kind: isPointwise ? 'pointwise' : kind,
    layer: layer.name,
    inputs: [x],
    output: out,
    macs: g.outH * g.outW * o.macsPerPixel,
    key: o.key,
    weights: isPointwise
      ? () => {
          const wts = o.weights();
          return { ...wts, filterShape: wts.filterShape.slice(-2) };
        }
      : o.weights,
    kernel: o.kernel,
    strides: o.strides,
    dilations: o.dilations,
    pads: g.pads,
    groups: o.groups ?? 1,
    activation: o.activation,
  });
}

/** Emits a 1x1 conv (GEMM over pixels) over value `x` of per-sample shape [..., Cin]. */
export function emitPointwise(ctx: LowerContext, layer: Layer, x: number, o: { key: string; outChannels: number; activation: StepActivation; weights: () => ConvWeights }): number {
  const shape = ctx.shape(x);
  const cin = shape[shape.length - 1]!;
  const out = ctx.value([...shape.slice(0, -1), o.outChannels]);
  const pixels = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return ctx.emit({ kind: 'pointwise', layer: layer.name, inputs: [x], output: out, macs: pixels * cin * o.outChannels, key: o.key, weights: o.weights, activation: o.activation });
}

// ---------------------------------------------------------------------------------------------

/** The window options Conv2D, DepthwiseConv2D and SeparableConv2D share (Keras defaults). */
export interface WindowedConvArgs extends LayerArgs {
  kernelSize: Pair;
  /** Default 1. */
  strides?: Pair;
  /** Default 'valid' (Keras). */
  padding?: Padding;
  /** Default 1. */
  dilationRate?: Pair;
  activation?: LayerActivation | null;
  /** Default true. */
  useBias?: boolean;
}

/**
 * A layer sliding a kernel window over H x W: parses the shared window options once. Subclasses name
 * themselves with a `className` getter, so errors raised while parsing already carry the right label.
 */
export abstract class WindowedConv extends Layer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: StepActivation;
  readonly useBias: boolean;

  protected constructor(args: WindowedConvArgs, prefix: string) {
    super(args, prefix);
    const op = this.label;
    this.kernelSize = pair(op, 'kernelSize', args.kernelSize, 1);
    this.strides = pair(op, 'strides', args.strides, 1);
    this.dilationRate = pair(op, 'dilationRate', args.dilationRate, 1);
    this.padding = paddingOption(op, args.padding, 'valid');
    this.activation = stepActivation(op, args.activation);
    this.useBias = args.useBias ?? true;
  }

  /** Output [OH, OW] for a per-sample input shape; ShapeError naming the layer when it does not fit. */
  protected outputSize(s: SymShape): [number | null, number | null] {
    return spatialOut(this.label, s, this.kernelSize, this.strides, this.dilationRate, this.padding);
  }
}

export interface Conv2DArgs extends WindowedConvArgs {
  filters: number;
  /** Default 1. */
  groups?: number;
}

export class Conv2D extends WindowedConv {
  get className(): string {
    return 'Conv2D';
  }
  readonly filters: number;
  readonly groups: number;

  constructor(args: Conv2DArgs, prefix = 'conv2d') {
    super(args, prefix);
    const op = this.label;
    this.filters = positiveInt(op, 'filters', args.filters);
    this.groups = positiveInt(op, 'groups', args.groups, 1);
    if (this.filters % this.groups !== 0) throw new OptionError(op, 'groups', `a divisor of filters (${this.filters})`, this.groups);
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    const [oh, ow] = this.outputSize(s!);
    const c = channels(this.label, s!);
    if (c % this.groups !== 0) throw new ShapeError(this.label, `input channels divisible by groups (${this.groups})`, `${c} channels`);
    return [oh, ow, this.filters];
  }

  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = channels(this.label, s!);
    const defs: WeightDef[] = [{ name: 'kernel', shape: [...this.kernelSize, c / this.groups, this.filters], init: 'glorotUniform' }];
    if (this.useBias) defs.push({ name: 'bias', shape: [this.filters], init: 'zeros' });
    return defs;
  }

  macs([s]: number[][], [oh, ow]: number[]): number {
    return oh! * ow! * this.kernelSize[0] * this.kernelSize[1] * (s![2]! / this.groups) * this.filters;
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    const cin = ctx.shape(x!)[2]!;
    const shape = [...this.kernelSize, cin / this.groups, this.filters];
    return emitConv(ctx, this, 'conv', x!, {
      key: `${this.name}/kernel`,
      kernel: this.kernelSize,
      strides: this.strides,
      dilations: this.dilationRate,
      padding: this.padding,
      outChannels: this.filters,
      groups: this.groups,
      activation: this.activation,
      weights: () => ({ filter: this.weight('kernel'), filterShape: shape, bias: this.useBias ? this.weight('bias') : undefined }),
      macsPerPixel: this.kernelSize[0] * this.kernelSize[1] * (cin / this.groups) * this.filters,
    });
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      groups: this.groups,
      activation: kerasActivationName(this.activation),
      useBias: this.useBias,
    };
  }
}

export interface PointwiseConv2DArgs extends LayerArgs {
  filters: number;
  activation?: LayerActivation | null;
  useBias?: boolean;
}

/** A 1x1, stride-1 Conv2D (its weights keep the Keras `[1, 1, Cin, Cout]` kernel shape). */
export class PointwiseConv2D extends Conv2D {
  override get className(): string {
    return 'PointwiseConv2D';
  }
  constructor(args: PointwiseConv2DArgs) {
    super({ ...args, kernelSize: 1, strides: 1, padding: 'valid' }, 'pointwise_conv2d');
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, filters: this.filters, activation: kerasActivationName(this.activation), useBias: this.useBias };
  }
}

export interface DepthwiseConv2DArgs extends WindowedConvArgs {
  /** Default 1. */
  depthMultiplier?: number;
}

export class DepthwiseConv2D extends WindowedConv {
  get className(): string {
    return 'DepthwiseConv2D';
  }
  readonly depthMultiplier: number;

  constructor(args: DepthwiseConv2DArgs) {
    super(args, 'depthwise_conv2d');
    const op = this.label;
    this.depthMultiplier = positiveInt(op, 'depthMultiplier', args.depthMultiplier, 1);
    if ((this.strides[0] > 1 || this.strides[1] > 1) && (this.dilationRate[0] > 1 || this.dilationRate[1] > 1)) {
      throw new OptionError(op, 'strides', '1 when dilationRate > 1 (TensorFlow rule)', args.strides);
    }
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    const [oh, ow] = this.outputSize(s!);
    return [oh, ow, channels(this.label, s!) * this.depthMultiplier];
  }

  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = channels(this.label, s!);
    const defs: WeightDef[] = [{ name: 'depthwise_kernel', shape: [...this.kernelSize, c, this.depthMultiplier], init: 'glorotUniform' }];
    if (this.useBias) defs.push({ name: 'bias', shape: [c * this.depthMultiplier], init: 'zeros' });
    return defs;
  }

  macs([s]: number[][], [oh, ow]: number[]): number {
    return oh! * ow! * this.kernelSize[0] * this.kernelSize[1] * s![2]! * this.depthMultiplier;
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    const c = ctx.shape(x!)[2]!;
    const shape = [...this.kernelSize, c, this.depthMultiplier];
    return emitConv(ctx, this, 'depthwise', x!, {
      key: `${this.name}/depthwise_kernel`,
      kernel: this.kernelSize,
      strides: this.strides,
      dilations: this.dilationRate,
      padding: this.padding,
      outChannels: c * this.depthMultiplier,
      activation: this.activation,
      weights: () => ({ filter: this.weight('depthwise_kernel'), filterShape: shape, bias: this.useBias ? this.weight('bias') : undefined }),
      macsPerPixel: this.kernelSize[0] * this.kernelSize[1] * c * this.depthMultiplier,
    });
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      kernelSize: this.kernelSize,
      depthMultiplier: this.depthMultiplier,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: kerasActivationName(this.activation),
      useBias: this.useBias,
    };
  }
}

export interface SeparableConv2DArgs extends WindowedConvArgs {
  filters: number;
  depthMultiplier?: number;
}

/** Keras SeparableConv2D: depthwise (no bias) then pointwise with bias and activation. */
export class SeparableConv2D extends WindowedConv {
  get className(): string {
    return 'SeparableConv2D';
  }
  readonly filters: number;
  readonly depthMultiplier: number;

  constructor(args: SeparableConv2DArgs) {
    super(args, 'separable_conv2d');
    const op = this.label;
    this.filters = positiveInt(op, 'filters', args.filters);
    this.depthMultiplier = positiveInt(op, 'depthMultiplier', args.depthMultiplier, 1);
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    const [oh, ow] = this.outputSize(s!);
    channels(this.label, s!);
    return [oh, ow, this.filters];
  }

  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = channels(this.label, s!);
    const defs: WeightDef[] = [
      { name: 'depthwise_kernel', shape: [...this.kernelSize, c, this.depthMultiplier], init: 'glorotUniform' },
      { name: 'pointwise_kernel', shape: [1, 1, c * this.depthMultiplier, this.filters], init: 'glorotUniform' },
    ];
    if (this.useBias) defs.push({ name: 'bias', shape: [this.filters], init: 'zeros' });
    return defs;
  }

  separableParts(inShape: number[]): SeparableParts {
    return { kernel: this.kernelSize, inChannels: inShape[2]!, outChannels: this.filters, multiplier: this.depthMultiplier };
  }

  macs([s]: number[][], [oh, ow]: number[]): number {
    const cm = s![2]! * this.depthMultiplier;
    return oh! * ow! * (this.kernelSize[0] * this.kernelSize[1] * cm + cm * this.filters);
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    const c = ctx.shape(x!)[2]!;
    const cm = c * this.depthMultiplier;
    const dw = emitConv(ctx, this, 'depthwise', x!, {
      key: `${this.name}/depthwise_kernel`,
      kernel: this.kernelSize,
      strides: this.strides,
      dilations: this.dilationRate,
      padding: this.padding,
      outChannels: cm,
      activation: 'linear',
      weights: () => ({ filter: this.weight('depthwise_kernel'), filterShape: [...this.kernelSize, c, this.depthMultiplier] }),
      macsPerPixel: this.kernelSize[0] * this.kernelSize[1] * cm,
    });
    return emitPointwise(ctx, this, dw, {
      key: `${this.name}/pointwise_kernel`,
      outChannels: this.filters,
      activation: this.activation,
      weights: () => ({ filter: this.weight('pointwise_kernel'), filterShape: [cm, this.filters], bias: this.useBias ? this.weight('bias') : undefined }),
    });
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      depthMultiplier: this.depthMultiplier,
      activation: kerasActivationName(this.activation),
      useBias: this.useBias,
    };
  }
}

export interface SpatiallySeparableConv2DArgs extends LayerArgs {
  /** K: the layer runs a Kx1 then a 1xK convolution (rank-1 factorization of a KxK kernel). */
  kernelSize: number;
  /**
   * Omitted: the per-channel (depthwise) form, weights `vertical_kernel` [K,1,C,1] and `horizontal_kernel` [1,K,C,1].
   * Given: the across-channel (Inception) form, `vertical_kernel` [K,1,Cin,filters] then `horizontal_kernel` [1,K,filters,filters].
   */
  filters?: number;
  strides?: Pair;
  padding?: 'same' | 'valid';
  activation?: LayerActivation | null;
  useBias?: boolean;
}

export class SpatiallySeparableConv2D extends Layer {
  readonly className = 'SpatiallySeparableConv2D';
  readonly kernelSize: number;
  readonly filters: number | undefined;
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';
  readonly activation: StepActivation;
  readonly useBias: boolean;

  constructor(args: SpatiallySeparableConv2DArgs) {
    super(args, 'spatially_separable_conv2d');
    const op = this.label;
    this.kernelSize = positiveInt(op, 'kernelSize', args.kernelSize);
    this.filters = args.filters === undefined ? undefined : positiveInt(op, 'filters', args.filters);
    this.strides = pair(op, 'strides', args.strides, 1);
    const p = paddingOption(op, args.padding, 'valid');
    if (p !== 'same' && p !== 'valid') throw new OptionError(op, 'padding', "'same' | 'valid'", args.padding);
    this.padding = p;
    this.activation = stepActivation(op, args.activation);
    this.useBias = args.useBias ?? true;
  }

  private outC(c: number): number {
    return this.filters ?? c;
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    const k = this.kernelSize;
    const [oh, ow] = spatialOut(this.label, s!, [k, k], this.strides, [1, 1], this.padding);
    return [oh, ow, this.outC(channels(this.label, s!))];
  }

  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = channels(this.label, s!);
    const k = this.kernelSize;
    const f = this.filters;
    const defs: WeightDef[] =
      f === undefined
        ? [
            { name: 'vertical_kernel', shape: [k, 1, c, 1], init: 'glorotUniform' },
            { name: 'horizontal_kernel', shape: [1, k, c, 1], init: 'glorotUniform' },
          ]
        : [
            { name: 'vertical_kernel', shape: [k, 1, c, f], init: 'glorotUniform' },
            { name: 'horizontal_kernel', shape: [1, k, f, f], init: 'glorotUniform' },
          ];
    if (this.useBias) defs.push({ name: 'bias', shape: [this.outC(c)], init: 'zeros' });
    return defs;
  }

  macs([s]: number[][], [oh, ow]: number[]): number {
    const k = this.kernelSize;
    const c = s![2]!;
    const oh1 = convGeometry(this.label, s![0]!, s![1]!, [k, 1], [this.strides[0], 1], [1, 1], this.padding).outH;
    const w = s![1]!;
    if (this.filters === undefined) return oh1 * w * k * c + oh! * ow! * k * c;
    return oh1 * w * k * c * this.filters + oh! * ow! * k * this.filters * this.filters;
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    const k = this.kernelSize;
    const [h, w, c] = ctx.shape(x!) as [number, number, number];
    const f = this.filters;
    if (f === undefined) {
      // One fused step over the geometry of the equivalent KxK depthwise conv.
      const g = convGeometry(this.label, h, w, [k, k], this.strides, [1, 1], this.padding);
      if (g.outH < 1 || g.outW < 1) throw new ShapeError(this.label, `an input at least as large as the ${k}x${k} kernel`, `input [N, ${h}, ${w}, ${c}]`);
      return ctx.emit({
        kind: 'spatial',
        layer: this.name,
        inputs: [x!],
        output: ctx.value([g.outH, g.outW, c]),
        macs: this.macs([[h, w, c]], [g.outH, g.outW]),
        key: this.name,
        weights: () => ({ vertical: this.weight('vertical_kernel'), horizontal: this.weight('horizontal_kernel'), bias: this.useBias ? this.weight('bias') : undefined }),
        kernel: [k, k],
        strides: this.strides,
        pads: g.pads,
        channels: c,
        activation: this.activation,
      });
    }
    const v = emitConv(ctx, this, 'conv', x!, {
      key: `${this.name}/vertical_kernel`,
      kernel: [k, 1],
      strides: [this.strides[0], 1],
      dilations: [1, 1],
      padding: this.padding,
      outChannels: f,
      activation: 'linear',
      weights: () => ({ filter: this.weight('vertical_kernel'), filterShape: [k, 1, c, f] }),
      macsPerPixel: k * c * f,
    });
    return emitConv(ctx, this, 'conv', v, {
      key: `${this.name}/horizontal_kernel`,
      kernel: [1, k],
      strides: [1, this.strides[1]],
      dilations: [1, 1],
      padding: this.padding,
      outChannels: f,
      activation: this.activation,
      weights: () => ({ filter: this.weight('horizontal_kernel'), filterShape: [1, k, f, f], bias: this.useBias ? this.weight('bias') : undefined }),
      macsPerPixel: k * f * f,
    });
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      kernelSize: this.kernelSize,
      filters: this.filters,
      strides: this.strides,
      padding: this.padding,
      activation: kerasActivationName(this.activation),
      useBias: this.useBias,
    };
  }
}

export interface DepthwiseSeparableConvArgs extends LayerArgs {
  filters: number;
  /** Default 3. */
  kernelSize?: Pair;
  /** Default 1. */
  strides?: Pair;
  /** PyTorch-style symmetric padding (default 1), or 'same' / 'valid' / [top, bottom, left, right]. */
  padding?: number | Padding | readonly [number, number];
  /** BatchNorm epsilon, default 1e-5 (PyTorch). */
  epsilon?: number;
  /** Default 'relu6' (the seed's block). */
  activation?: LayerActivation | null;
}

/**
 * The seed's block, `depthwise(KxK, groups=C, no bias) -> BN -> ReLU6 -> pointwise(1x1, no bias) -> BN -> ReLU6`,
 * with the PyTorch module's defaults. Weights: `depthwise_kernel` [K,K,C,1], `bn1/{gamma,beta,moving_mean,moving_variance}`,
 * `pointwise_kernel` [1,1,C,filters], `bn2/...`. Both BNs fold into the convs when the model is built.
 */
export class DepthwiseSeparableConv extends Layer {
  readonly className = 'DepthwiseSeparableConv';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly epsilon: number;
  readonly activation: StepActivation;

  constructor(args: DepthwiseSeparableConvArgs) {
    super(args, 'depthwise_separable_conv');
    const op = this.label;
    this.filters = positiveInt(op, 'filters', args.filters);
    this.kernelSize = pair(op, 'kernelSize', args.kernelSize, 3);
    this.strides = pair(op, 'strides', args.strides, 1);
    this.padding = paddingOption(op, args.padding, [1, 1, 1, 1]);
    this.epsilon = args.epsilon ?? 1e-5;
    if (!(this.epsilon > 0)) throw new OptionError(op, 'epsilon', 'a positive number', args.epsilon);
    this.activation = stepActivation(op, args.activation === undefined ? 'relu6' : args.activation);
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    const [oh, ow] = spatialOut(this.label, s!, this.kernelSize, this.strides, [1, 1], this.padding);
    channels(this.label, s!);
    return [oh, ow, this.filters];
  }

  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = channels(this.label, s!);
    const bn = (p: string, n: number): WeightDef[] => [
      { name: `${p}/gamma`, shape: [n], init: 'ones' },
      { name: `${p}/beta`, shape: [n], init: 'zeros' },
      { name: `${p}/moving_mean`, shape: [n], init: 'zeros' },
      { name: `${p}/moving_variance`, shape: [n], init: 'ones' },
    ];
    return [
      { name: 'depthwise_kernel', shape: [...this.kernelSize, c, 1], init: 'glorotUniform' },
      ...bn('bn1', c),
      { name: 'pointwise_kernel', shape: [1, 1, c, this.filters], init: 'glorotUniform' },
      ...bn('bn2', this.filters),
    ];
  }

  separableParts(inShape: number[]): SeparableParts {
    return { kernel: this.kernelSize, inChannels: inShape[2]!, outChannels: this.filters, multiplier: 1 };
  }

  macs([s]: number[][], [oh, ow]: number[]): number {
    const c = s![2]!;
    return oh! * ow! * (this.kernelSize[0] * this.kernelSize[1] * c + c * this.filters);
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    const c = ctx.shape(x!)[2]!;
    const dw = emitConv(ctx, this, 'depthwise', x!, {
      key: `${this.name}/depthwise_kernel`,
      kernel: this.kernelSize,
      strides: this.strides,
      dilations: [1, 1],
      padding: this.padding,
      outChannels: c,
      activation: 'linear',
      weights: () => ({ filter: this.weight('depthwise_kernel'), filterShape: [...this.kernelSize, c, 1] }),
      macsPerPixel: this.kernelSize[0] * this.kernelSize[1] * c,
    });
    const a1 = bnAffine(ctx, this, dw, 'bn1/', this.epsilon, this.activation, `${this.name}/bn1`);
    const pw = emitPointwise(ctx, this, a1, {
      key: `${this.name}/pointwise_kernel`,
      outChannels: this.filters,
      activation: 'linear',
      weights: () => ({ filter: this.weight('pointwise_kernel'), filterShape: [c, this.filters] }),
    });
    return bnAffine(ctx, this, pw, 'bn2/', this.epsilon, this.activation, `${this.name}/bn2`);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      epsilon: this.epsilon,
      activation: kerasActivationName(this.activation),
    };
  }
}

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: LayerActivation | null;
  useBias?: boolean;
}

/** Keras Dense over the last axis; kernel [in, units]. */
export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: StepActivation;
  readonly useBias: boolean;

  constructor(args: DenseArgs) {
    super(args, 'dense');
    this.units = positiveInt(this.label, 'units', args.units);
    this.activation = stepActivation(this.label, args.activation);
    this.useBias = args.useBias ?? true;
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    if (s!.length < 1) throw new ShapeError(this.label, 'an input of rank >= 2 [N, ..., features]', 'rank 1');
    channels(this.label, s!);
    return [...s!.slice(0, -1), this.units];
  }

  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const defs: WeightDef[] = [{ name: 'kernel', shape: [channels(this.label, s!), this.units], init: 'glorotUniform' }];
    if (this.useBias) defs.push({ name: 'bias', shape: [this.units], init: 'zeros' });
    return defs;
  }

  macs([s]: number[][]): number {
    return s!.reduce((a, b) => a * b, 1) * this.units;
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    const shape = ctx.shape(x!);
    const cin = shape[shape.length - 1]!;
    const out = ctx.value([...shape.slice(0, -1), this.units]);
    return ctx.emit({
      kind: 'dense',
      layer: this.name,
      inputs: [x!],
      output: out,
      macs: shape.reduce((a, b) => a * b, 1) * this.units,
      key: `${this.name}/kernel`,
      weights: () => ({ filter: this.weight('kernel'), filterShape: [cin, this.units], bias: this.useBias ? this.weight('bias') : undefined }),
      activation: this.activation,
    });
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, units: this.units, activation: kerasActivationName(this.activation), useBias: this.useBias };
  }
}
