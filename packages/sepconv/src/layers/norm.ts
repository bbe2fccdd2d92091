// Per-channel affine layers: BatchNormalization (folded into the preceding conv when it can be),
// Rescaling and Normalization. All lower to one `affine` step: y = x * scale[c] + shift[c].
import { OptionError, ShapeError } from '../errors.js';
import type { LowerContext, StepActivation } from './ir.js';
import { Layer, symShapeStr, type LayerArgs, type SymShape, type WeightDef } from './layer.js';

/**
 * Emits `y = x * scale[c] + shift[c]` (then `activation`) over value `x`; `scale` / `shift` are given the
 * channel count and run when the step's weights are packed.
 */
function emitAffine(
  ctx: LowerContext,
  layer: Layer,
  x: number,
  key: string,
  activation: StepActivation,
  scale: (c: number) => Float32Array,
  shift: (c: number) => Float32Array,
): number {
  const shape = ctx.shape(x);
  const c = shape[shape.length - 1]!;
  const out = ctx.value(shape);
  return ctx.emit({ kind: 'affine', layer: layer.name, inputs: [x], output: out, macs: 0, key, scale: () => scale(c), shift: () => shift(c), activation });
}

/** Emits the affine step of a BatchNormalization whose weights are `<prefix>gamma` etc. on `layer`. */
export function bnAffine(ctx: LowerContext, layer: Layer, x: number, prefix: string, epsilon: number, activation: StepActivation, key: string): number {
  const scale = (c: number): Float32Array => {
    const gamma = layer.hasWeight(`${prefix}gamma`) ? layer.weight(`${prefix}gamma`) : undefined;
    const v = layer.weight(`${prefix}moving_variance`);
    const out = new Float32Array(c);
    for (let i = 0; i < c; i++) out[i] = (gamma ? gamma[i]! : 1) / Math.sqrt(v[i]! + epsilon);
    return out;
  };
  const shift = (c: number): Float32Array => {
    const beta = layer.hasWeight(`${prefix}beta`) ? layer.weight(`${prefix}beta`) : undefined;
    const m = layer.weight(`${prefix}moving_mean`);
    const s = scale(c);
    const out = new Float32Array(c);
    for (let i = 0; i < c; i++) out[i] = (beta ? beta[i]! : 0) - m[i]! * s[i]!;
    return out;
  };
  return emitAffine(ctx, layer, x, key, activation, scale, shift);
}

function lastDim(label: string, s: SymShape): number {
  const c = s[s.length - 1];
  if (c === null || c === undefined) throw new ShapeError(label, 'a known last (channel) dimension', symShapeStr(s));
  return c;
}

function checkAxis(label: string, axis: unknown): void {
  if (axis !== undefined && axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) {
    throw new OptionError(label, 'axis', '-1 (channels last, NHWC)', axis);
  }
}

export interface BatchNormalizationArgs extends LayerArgs {
  /** Only -1 (channels last). */
  axis?: number;
  /** Default 1e-3 (Keras). */
  epsilon?: number;
  /** Accepted for Keras compatibility (training only). */
  momentum?: number;
  /** Has `beta`. Default true. */
  center?: boolean;
  /** Has `gamma`. Default true. */
  scale?: boolean;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly epsilon: number;
  readonly momentum: number;
  readonly center: boolean;
  readonly scale: boolean;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'batch_normalization');
    checkAxis(this.label, args.axis);
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.epsilon > 0)) throw new OptionError(this.label, 'epsilon', 'a positive number', args.epsilon);
    this.momentum = args.momentum ?? 0.99;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    lastDim(this.label, s!);
    return [...s!];
  }

  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = lastDim(this.label, s!);
    const defs: WeightDef[] = [];
    if (this.scale) defs.push({ name: 'gamma', shape: [c], init: 'ones' });
    if (this.center) defs.push({ name: 'beta', shape: [c], init: 'zeros' });
    defs.push({ name: 'moving_mean', shape: [c], init: 'zeros' }, { name: 'moving_variance', shape: [c], init: 'ones' });
    return defs;
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    return bnAffine(ctx, this, x!, '', this.epsilon, 'linear', this.name);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, axis: -1, epsilon: this.epsilon, momentum: this.momentum, center: this.center, scale: this.scale };
  }
}

export interface RescalingArgs extends LayerArgs {
  scale: number;
  /** Default 0. */
  offset?: number;
}

/** y = x * scale + offset (Keras Rescaling), e.g. `{ scale: 1 / 127.5, offset: -1 }`. */
export class Rescaling extends Layer {
  readonly className = 'Rescaling';
  readonly scale: number;
  readonly offset: number;

  constructor(args: RescalingArgs) {
    super(args, 'rescaling');
    if (typeof args.scale !== 'number' || !Number.isFinite(args.scale)) throw new OptionError(this.label, 'scale', 'a finite number', args.scale);
    if (args.offset !== undefined && (typeof args.offset !== 'number' || !Number.isFinite(args.offset))) throw new OptionError(this.label, 'offset', 'a finite number', args.offset);
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    lastDim(this.label, s!);
    return [...s!];
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    return emitAffine(
      ctx,
      this,
      x!,
      this.name,
      'linear',
      (c) => new Float32Array(c).fill(this.scale),
      (c) => new Float32Array(c).fill(this.offset),
    );
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, scale: this.scale, offset: this.offset };
  }
}

export interface NormalizationArgs extends LayerArgs {
  /** Per-channel mean (a number applies to every channel). Default 0. */
  mean?: number | readonly number[] | Float32Array;
  /** Per-channel variance. Default 1. */
  variance?: number | readonly number[] | Float32Array;
  /** Only -1 (channels last). */
  axis?: number;
}

/**
 * Keras Normalization (inference): y = (x - mean) / max(sqrt(variance), 1e-7).
 * Weights `mean` [C], `variance` [C], `count` [] as in Keras (so they count as params).
 */
export class Normalization extends Layer {
  readonly className = 'Normalization';
  readonly mean: number | readonly number[] | Float32Array | undefined;
  readonly variance: number | readonly number[] | Float32Array | undefined;

  constructor(args: NormalizationArgs = {}) {
    super(args, 'normalization');
    checkAxis(this.label, args.axis);
    this.mean = args.mean;
    this.variance = args.variance;
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    lastDim(this.label, s!);
    return [...s!];
  }

  private initFor(name: string, v: number | readonly number[] | Float32Array | undefined, c: number, fallback: number): Float32Array {
    if (v === undefined) return new Float32Array(c).fill(fallback);
    if (typeof v === 'number') return new Float32Array(c).fill(v);
    if (v.length === 1) return new Float32Array(c).fill(v[0]!);
    if (v.length !== c) throw new ShapeError(this.label, `\`${name}\` of 1 or ${c} values (one per channel)`, `${v.length} values`);
    return Float32Array.from(v);
  }

  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = lastDim(this.label, s!);
    return [
      { name: 'mean', shape: [c], init: this.initFor('mean', this.mean, c, 0) },
      { name: 'variance', shape: [c], init: this.initFor('variance', this.variance, c, 1) },
      { name: 'count', shape: [], init: 'zeros' },
    ];
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    const scale = (c: number): Float32Array => {
      const v = this.weight('variance');
      return Float32Array.from({ length: c }, (_, i) => 1 / Math.max(Math.sqrt(v[i]!), 1e-7));
    };
    const shift = (c: number): Float32Array => {
      const m = this.weight('mean');
      const s = scale(c);
      return Float32Array.from({ length: c }, (_, i) => -m[i]! * s[i]!);
    };
    return emitAffine(ctx, this, x!, this.name, 'linear', scale, shift);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, axis: -1 };
  }
}
