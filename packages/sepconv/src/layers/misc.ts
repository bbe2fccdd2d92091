// Weightless and small layers: InputLayer, Activation, ReLU, ZeroPadding2D, pooling, Add, Multiply,
// Dropout, Flatten, Reshape, and SqueezeExcite.
import { OptionError, ShapeError } from '../errors.js';
import { convGeometry, pair, type Pads, type Pair } from '../ops/geometry.js';
import { checkPositiveOption, isDim, MAX_DIM } from '../tensor/limits.js';
import { kerasActivationName, stepActivation, type LayerActivation } from './activations.js';
import { emitPointwise, spatialOut } from './conv.js';
import type { LowerContext, StepActivation } from './ir.js';
import { Layer, symShapeStr, type LayerArgs, type SymShape, type WeightDef } from './layer.js';

function sameShape(a: SymShape, b: SymShape): boolean {
  return a.length === b.length && a.every((d, i) => d === null || b[i] === null || d === b[i]);
}

export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  readonly shape: SymShape;
  constructor(args: { shape: SymShape; name?: string }) {
    super({ name: args.name }, 'input');
    this.shape = [...args.shape];
  }
  computeOutputShape(): SymShape {
    return [...this.shape];
  }
  lower(): number {
    throw new ShapeError(this.label, 'no lowering for an input', 'a call');
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, batchInputShape: [null, ...this.shape] };
  }
}

export interface ActivationArgs extends LayerArgs {
  activation: LayerActivation;
}

export class Activation extends Layer {
  readonly className: string = 'Activation';
  readonly activation: StepActivation;
  constructor(args: ActivationArgs, prefix = 'activation', act?: StepActivation) {
    super(args, prefix);
    this.activation = act ?? stepActivation(this.label, args.activation);
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    return [...s!];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    if (this.activation === 'linear') return emitAlias(ctx, this, x!, ctx.shape(x!));
    return ctx.emit({ kind: 'activation', layer: this.name, inputs: [x!], output: ctx.value(ctx.shape(x!)), macs: 0, activation: this.activation });
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, activation: kerasActivationName(this.activation) };
  }
}

export interface ReLUArgs extends LayerArgs {
  /** Upper clip; undefined/null: none. */
  maxValue?: number | null;
  /** Slope below the threshold. Default 0. */
  negativeSlope?: number;
  /** Default 0. */
  threshold?: number;
}

/**
 * Keras ReLU: min(x, maxValue) for x >= threshold, negativeSlope * (x - threshold) below. relu and
 * relu6 run in the kernels (fused into the op before them); other settings run as a JS pass.
 */
export class ReLU extends Activation {
  override readonly className: string = 'ReLU';
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  /** True when the kernels run it (relu / relu6). */
  readonly isKernelReLU: boolean;
  constructor(args: ReLUArgs = {}) {
    const mv = args.maxValue ?? null;
    const label = `${args.name ?? 're_lu'} (ReLU)`;
    const finite = (k: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError(label, k, 'a finite number', v);
      return v;
    };
    if (mv !== null && !(finite('maxValue', mv) >= 0)) throw new OptionError(label, 'maxValue', 'null or a number >= 0', mv);
    const slope = finite('negativeSlope', args.negativeSlope ?? 0);
    const threshold = finite('threshold', args.threshold ?? 0);
    const plain = slope === 0 && threshold === 0 && (mv === null || mv === 6);
    super({ ...args, activation: 'relu' }, 're_lu', plain && mv === 6 ? 'relu6' : 'relu');
    this.maxValue = mv;
    this.negativeSlope = slope;
    this.threshold = threshold;
    this.isKernelReLU = plain;
  }
  override lower(ctx: LowerContext, inputs: number[]): number {
    if (this.isKernelReLU) return super.lower(ctx, inputs);
    const slope = Float32Array.of(this.negativeSlope);
    return emitLeaky(ctx, this, inputs[0]!, () => slope, this.threshold, this.maxValue ?? Infinity);
  }
  override getConfig(): Record<string, unknown> {
    return { name: this.name, maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}

function emitLeaky(ctx: LowerContext, layer: Layer, x: number, slope: () => Float32Array, threshold: number, maxValue: number): number {
  return ctx.emit({ kind: 'leaky', layer: layer.name, inputs: [x], output: ctx.value(ctx.shape(x)), macs: 0, slope, threshold, maxValue });
}

export interface LeakyReLUArgs extends LayerArgs {
  /** Slope for x < 0. Default 0.3 (Keras, tfjs-layers). */
  alpha?: number;
}

/** x for x >= 0, alpha * x below. */
export class LeakyReLU extends Layer {
  readonly className = 'LeakyReLU';
  readonly alpha: number;
  constructor(args: LeakyReLUArgs = {}) {
    super(args, 'leaky_re_lu');
    const a = args.alpha ?? 0.3;
    if (typeof a !== 'number' || !Number.isFinite(a)) throw new OptionError(this.label, 'alpha', 'a finite number', a);
    this.alpha = a;
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    return [...s!];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const slope = Float32Array.of(this.alpha);
    return emitLeaky(ctx, this, x!, () => slope, 0, Infinity);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, alpha: this.alpha };
  }
}

export interface PReLUArgs extends LayerArgs {
  /** Axes (1-based, batch is 0) that share one alpha, e.g. [1, 2]: one alpha per channel. Default none. */
  sharedAxes?: number | readonly number[] | null;
}

/** x for x >= 0, alpha * x below, with a learned alpha (weight `alpha`: the input shape, shared axes 1). */
export class PReLU extends Layer {
  readonly className = 'PReLU';
  readonly sharedAxes: number[];
  constructor(args: PReLUArgs = {}) {
    super(args, 'p_re_lu');
    const sa = args.sharedAxes ?? [];
    const list = typeof sa === 'number' ? [sa] : [...sa];
    if (!list.every((a) => Number.isInteger(a) && a >= 1)) throw new OptionError(this.label, 'sharedAxes', 'axes >= 1 (0 is the batch)', sa);
    this.sharedAxes = list;
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    return [...s!];
  }
  alphaShape(s: SymShape): number[] {
    for (const a of this.sharedAxes) if (a > s.length) throw new ShapeError(this.label, `an input with axis ${a} (sharedAxes)`, symShapeStr(s));
    return s.map((d, i) => (this.sharedAxes.includes(i + 1) ? 1 : (d as number)));
  }
  protected weightDefs([s]: SymShape[]): WeightDef[] {
    return [{ name: 'alpha', shape: this.alphaShape(s!), init: 'zeros' }];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const shape = ctx.shape(x!);
    const as = this.alphaShape(shape);
    const size = shape.reduce((a, b) => a * b, 1);
    // Per channel (the usual sharedAxes [1, 2]: alpha [1, 1, C]) stays [C]; any other sharing is broadcast to the sample.
    const perChannel = as.slice(0, -1).every((d) => d === 1);
    return emitLeaky(ctx, this, x!, () => {
      const a = this.weight('alpha');
      if (perChannel) return a;
      const full = new Float32Array(size);
      const strides = as.map((_, i) => as.slice(i + 1).reduce((p, q) => p * q, 1));
      const dims = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
      for (let e = 0; e < size; e++) {
        let k = 0;
        for (let i = 0; i < shape.length; i++) {
          const idx = Math.floor(e / dims[i]!) % shape[i]!;
          k += (as[i] === 1 ? 0 : idx) * strides[i]!;
        }
        full[e] = a[k]!;
      }
      return full;
    }, 0, Infinity);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, sharedAxes: this.sharedAxes.length ? this.sharedAxes : null };
  }
}

export interface ConcatenateArgs extends LayerArgs {
  /** Only the channel axis: -1 (default) or the last axis. */
  axis?: number;
}

/** Concatenation along the channel axis; every other dimension must agree. */
export class Concatenate extends Layer {
  readonly className = 'Concatenate';
  readonly axis: number;
  constructor(args: ConcatenateArgs = {}) {
    super(args, 'concatenate');
    const axis = args.axis ?? -1;
    if (!Number.isInteger(axis)) throw new OptionError(this.label, 'axis', 'an integer', axis);
    this.axis = axis;
  }
  override get arity(): 'many' {
    return 'many';
  }
  computeOutputShape(shapes: SymShape[]): SymShape {
    const rank = shapes[0]!.length;
    if (this.axis !== -1 && this.axis !== rank) throw new OptionError(this.label, 'axis', `-1 or ${rank} (the channel axis)`, this.axis);
    if (shapes.length < 2) throw new ShapeError(this.label, 'at least 2 inputs', `${shapes.length}`);
    for (const s of shapes) {
      if (s.length !== rank || !s.slice(0, -1).every((d, i) => d === null || shapes[0]![i] === null || d === shapes[0]![i])) {
        throw new ShapeError(this.label, `inputs that agree in every axis but the last`, shapes.map(symShapeStr).join(' and '));
      }
    }
    const last = shapes.map((s) => s[rank - 1]);
    return [...shapes[0]!.slice(0, -1).map((d, i) => d ?? shapes.find((s) => s[i] !== null)?.[i] ?? null), last.some((d) => d === null) ? null : last.reduce((a: number, b) => a + b!, 0)];
  }
  lower(ctx: LowerContext, inputs: number[]): number {
    const shapes = inputs.map((v) => ctx.shape(v));
    const out = [...shapes[0]!.slice(0, -1), shapes.reduce((a, s) => a + s[s.length - 1]!, 0)];
    return ctx.emit({ kind: 'concat', layer: this.name, inputs: [...inputs], output: ctx.value(out), macs: 0 });
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, axis: this.axis };
  }
}

function emitAlias(ctx: LowerContext, layer: Layer, x: number, shape: number[]): number {
  return ctx.emit({ kind: 'alias', layer: layer.name, inputs: [x], output: ctx.value(shape), macs: 0 });
}

function rank3(label: string, s: SymShape): void {
  if (s.length !== 3) throw new ShapeError(label, 'an input of rank 4 [N, H, W, C]', `rank ${s.length + 1} [null, ${symShapeStr(s).slice(1)}`);
}

export interface ZeroPadding2DArgs extends LayerArgs {
  /** n, [padH, padW] or [[top, bottom], [left, right]]. Default 1. */
  padding?: number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];
}

export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  readonly pads: Pads;
  constructor(args: ZeroPadding2DArgs = {}) {
    super(args, 'zero_padding2d');
    const p = args.padding ?? 1;
    const ok = (v: unknown): v is number => isDim(v);
    if (ok(p)) this.pads = { top: p, bottom: p, left: p, right: p };
    else if (Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1])) this.pads = { top: p[0], bottom: p[0], left: p[1], right: p[1] };
    else if (Array.isArray(p) && p.length === 2 && Array.isArray(p[0]) && Array.isArray(p[1]) && [...p[0], ...p[1]].every(ok) && p[0].length === 2 && p[1].length === 2) {
      this.pads = { top: p[0][0], bottom: p[0][1], left: p[1][0], right: p[1][1] };
    } else throw new OptionError(this.label, 'padding', `n, [padH, padW] or [[top, bottom], [left, right]] of integers from 0 to ${MAX_DIM} (2**31 - 1)`, p);
    Object.freeze(this.pads);
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    rank3(this.label, s!);
    const p = this.pads;
    return [s![0] === null ? null : s![0]! + p.top + p.bottom, s![1] === null ? null : s![1]! + p.left + p.right, s![2]!];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const [h, w, c] = ctx.shape(x!) as [number, number, number];
    const p = this.pads;
    return ctx.emit({ kind: 'pad', layer: this.name, inputs: [x!], output: ctx.value([h + p.top + p.bottom, w + p.left + p.right, c]), macs: 0, pads: { ...p } });
  }
  getConfig(): Record<string, unknown> {
    const p = this.pads;
    return { name: this.name, padding: [[p.top, p.bottom], [p.left, p.right]] };
  }
}

export interface GlobalAveragePooling2DArgs extends LayerArgs {
  /** Keep [N, 1, 1, C] instead of [N, C]. Default false. */
  keepDims?: boolean;
}

export class GlobalAveragePooling2D extends Layer {
  readonly className = 'GlobalAveragePooling2D';
  readonly keepDims: boolean;
  constructor(args: GlobalAveragePooling2DArgs = {}) {
    super(args, 'global_average_pooling2d');
    this.keepDims = args.keepDims ?? false;
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    rank3(this.label, s!);
    return this.keepDims ? [1, 1, s![2]!] : [s![2]!];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const c = ctx.shape(x!)[2]!;
    return ctx.emit({ kind: 'gap', layer: this.name, inputs: [x!], output: ctx.value(this.keepDims ? [1, 1, c] : [c]), macs: 0 });
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, keepDims: this.keepDims };
  }
}

export interface Pooling2DArgs extends LayerArgs {
  /** Default 2. */
  poolSize?: Pair;
  /** Default poolSize. */
  strides?: Pair;
  /** Default 'valid'. */
  padding?: 'same' | 'valid';
}

export class Pooling2D extends Layer {
  readonly className: string;
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';
  constructor(
    args: Pooling2DArgs,
    readonly mode: 'avg' | 'max',
  ) {
    super(args, mode === 'avg' ? 'average_pooling2d' : 'max_pooling2d');
    this.className = mode === 'avg' ? 'AveragePooling2D' : 'MaxPooling2D';
    this.poolSize = pair(this.label, 'poolSize', args.poolSize, 2);
    this.strides = pair(this.label, 'strides', args.strides ?? this.poolSize, 1);
    if (args.padding !== undefined && args.padding !== 'same' && args.padding !== 'valid') throw new OptionError(this.label, 'padding', "'same' | 'valid'", args.padding);
    this.padding = args.padding ?? 'valid';
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    const [oh, ow] = spatialOut(this.label, s!, this.poolSize, this.strides, [1, 1], this.padding);
    return [oh, ow, s![2]!];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const [h, w, c] = ctx.shape(x!) as [number, number, number];
    const g = convGeometry(this.label, h, w, this.poolSize, this.strides, [1, 1], this.padding);
    if (g.outH < 1 || g.outW < 1) throw new ShapeError(this.label, `an input at least ${this.poolSize.join('x')}`, `[N, ${h}, ${w}, ${c}]`);
    return ctx.emit({
      kind: this.mode === 'avg' ? 'avgPool' : 'maxPool',
      layer: this.name,
      inputs: [x!],
      output: ctx.value([g.outH, g.outW, c]),
      macs: 0,
      kernel: this.poolSize,
      strides: this.strides,
      pads: g.pads,
    });
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/** Broadcast of two per-sample shapes for add/multiply: equal, or one is [1, 1, C] / [C] against [H, W, C]. */
function mergeShape(label: string, a: SymShape, b: SymShape): SymShape {
  if (sameShape(a, b)) return a.map((d, i) => d ?? b[i]!);
  const isChannelVector = (s: SymShape, other: SymShape): boolean =>
    s[s.length - 1] === other[other.length - 1] && s.slice(0, -1).every((d) => d === 1) && s.length <= other.length;
  if (isChannelVector(b, a)) return [...a];
  if (isChannelVector(a, b)) return [...b];
  throw new ShapeError(label, `inputs of equal shapes (or one of [1, 1, C] to broadcast)`, `${symShapeStr(a)} and ${symShapeStr(b)}`);
}

export class Merge extends Layer {
  readonly className: string;
  constructor(
    args: LayerArgs,
    readonly mode: 'add' | 'mul',
  ) {
    super(args, mode === 'add' ? 'add' : 'multiply');
    this.className = mode === 'add' ? 'Add' : 'Multiply';
  }
  override get arity(): 'many' {
    return 'many';
  }
  computeOutputShape(shapes: SymShape[]): SymShape {
    return shapes.slice(1).reduce((acc, s) => mergeShape(this.label, acc, s), shapes[0]!);
  }
  /**
   * Add: 0. Multiply: 0 for equal shapes; when one input is a per-channel [1, 1, C] gate (squeeze-excite's
   * rescale, a 1x1 depthwise conv with input-dependent weights) one MAC per output element, as EfficientNet counts.
   */
  override macs(inputShapes: number[][], out: number[]): number {
    if (this.mode !== 'mul') return 0;
    const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
    return inputShapes.some((s) => size(s) < size(out)) ? size(out) : 0;
  }
  lower(ctx: LowerContext, inputs: number[]): number {
    let acc = inputs[0]!;
    for (const next of inputs.slice(1)) {
      let [a, b] = [acc, next];
      const sa = ctx.shape(a).reduce((x, y) => x * y, 1);
      const sb = ctx.shape(b).reduce((x, y) => x * y, 1);
      if (sb > sa) [a, b] = [b, a];
      const broadcast = this.mode === 'mul' && Math.min(sa, sb) < Math.max(sa, sb);
      acc = ctx.emit({ kind: this.mode, layer: this.name, inputs: [a, b], output: ctx.value(ctx.shape(a)), macs: broadcast ? Math.max(sa, sb) : 0 });
    }
    return acc;
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

export interface DropoutArgs extends LayerArgs {
  rate?: number;
}

/** Inference no-op (its output aliases its input). */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  constructor(args: DropoutArgs = {}) {
    super(args, 'dropout');
    this.rate = args.rate ?? 0.5;
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    return [...s!];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    return emitAlias(ctx, this, x!, ctx.shape(x!));
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, rate: this.rate };
  }
}

export class Flatten extends Layer {
  readonly className = 'Flatten';
  constructor(args: LayerArgs = {}) {
    super(args, 'flatten');
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    return [s!.some((d) => d === null) ? null : s!.reduce((a: number, b) => a * b!, 1)];
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    return emitAlias(ctx, this, x!, [ctx.shape(x!).reduce((a, b) => a * b, 1)]);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

export interface ReshapeArgs extends LayerArgs {
  /** Per-sample target shape; one entry may be -1. */
  targetShape: readonly number[];
}

export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: number[];
  constructor(args: ReshapeArgs) {
    super(args, 'reshape');
    const t = args.targetShape;
    if (!Array.isArray(t) || !t.every((d) => isDim(d, 1) || d === -1) || t.filter((d) => d === -1).length > 1) {
      throw new OptionError(this.label, 'targetShape', `integers from 1 to ${MAX_DIM} (2**31 - 1) with at most one -1`, t);
    }
    this.targetShape = Object.freeze([...t]) as number[];
  }
  private resolve(size: number | null): SymShape {
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (size === null) return this.targetShape.map((d) => (d === -1 ? null : d));
    const free = size / known;
    const ok = this.targetShape.includes(-1) ? Number.isInteger(free) : known === size;
    if (!ok) throw new ShapeError(this.label, `a target shape ${symShapeStr(this.targetShape)} holding the input's ${size} values`, `${size} values`);
    return this.targetShape.map((d) => (d === -1 ? free : d));
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    return this.resolve(s!.some((d) => d === null) ? null : s!.reduce((a: number, b) => a * b!, 1));
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    return emitAlias(ctx, this, x!, this.resolve(ctx.shape(x!).reduce((a, b) => a * b, 1)) as number[]);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, targetShape: this.targetShape };
  }
}

export interface SqueezeExciteArgs extends LayerArgs {
  /** Squeeze channels as a fraction of the input channels (EfficientNet: 0.25 of the block input). */
  ratio?: number;
  /** Squeeze channels, exactly (overrides ratio). */
  filters?: number;
  /** Activation after the reduce conv. Default 'relu' ('swish' in EfficientNet). */
  activation?: LayerActivation;
  /** Gate activation. Default 'sigmoid'. */
  gateActivation?: LayerActivation;
}

/**
 * x * gate(expand(act(reduce(globalAvgPool(x))))): weights `reduce/kernel` [1,1,C,S], `reduce/bias` [S],
 * `expand/kernel` [1,1,S,C], `expand/bias` [C].
 */
export class SqueezeExcite extends Layer {
  readonly className = 'SqueezeExcite';
  readonly ratio: number | undefined;
  readonly filters: number | undefined;
  readonly activation: StepActivation;
  readonly gateActivation: StepActivation;
  constructor(args: SqueezeExciteArgs = {}) {
    super(args, 'squeeze_excite');
    if (args.filters !== undefined) checkPositiveOption(this.label, 'filters', args.filters);
    if (args.ratio !== undefined && !(args.ratio > 0 && args.ratio <= 1)) throw new OptionError(this.label, 'ratio', 'a number in (0, 1]', args.ratio);
    if (args.filters === undefined && args.ratio === undefined) throw new OptionError(this.label, 'ratio', 'given (or filters)', undefined);
    this.ratio = args.ratio;
    this.filters = args.filters;
    this.activation = stepActivation(this.label, args.activation ?? 'relu');
    this.gateActivation = stepActivation(this.label, args.gateActivation ?? 'sigmoid');
  }
  squeezeChannels(c: number): number {
    return this.filters ?? Math.max(1, Math.floor(c * this.ratio!));
  }
  computeOutputShape([s]: SymShape[]): SymShape {
    rank3(this.label, s!);
    if (s![2] === null) throw new ShapeError(this.label, 'a known channel count', symShapeStr(s!));
    return [...s!];
  }
  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = s![2]!;
    const r = this.squeezeChannels(c);
    return [
      { name: 'reduce/kernel', shape: [1, 1, c, r], init: 'glorotUniform' },
      { name: 'reduce/bias', shape: [r], init: 'zeros' },
      { name: 'expand/kernel', shape: [1, 1, r, c], init: 'glorotUniform' },
      { name: 'expand/bias', shape: [c], init: 'zeros' },
    ];
  }
  /** The two 1x1 convs on the pooled vector, plus the per-channel rescale (one MAC per output element). */
  macs([s]: number[][]): number {
    const c = s![2]!;
    return 2 * c * this.squeezeChannels(c) + s![0]! * s![1]! * c;
  }
  lower(ctx: LowerContext, [x]: number[]): number {
    const c = ctx.shape(x!)[2]!;
    const r = this.squeezeChannels(c);
    const pooled = ctx.emit({ kind: 'gap', layer: this.name, inputs: [x!], output: ctx.value([1, 1, c]), macs: 0 });
    const reduced = emitPointwise(ctx, this, pooled, {
      key: `${this.name}/reduce`,
      outChannels: r,
      activation: this.activation,
      weights: () => ({ filter: this.weight('reduce/kernel'), filterShape: [c, r], bias: this.weight('reduce/bias') }),
    });
    const gate = emitPointwise(ctx, this, reduced, {
      key: `${this.name}/expand`,
      outChannels: c,
      activation: this.gateActivation,
      weights: () => ({ filter: this.weight('expand/kernel'), filterShape: [r, c], bias: this.weight('expand/bias') }),
    });
    const [h, w] = ctx.shape(x!) as [number, number];
    return ctx.emit({ kind: 'mul', layer: this.name, inputs: [x!, gate], output: ctx.value(ctx.shape(x!)), macs: h * w * c });
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, ratio: this.ratio, filters: this.filters, activation: kerasActivationName(this.activation), gateActivation: kerasActivationName(this.gateActivation) };
  }
}
