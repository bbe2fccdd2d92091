// The seed's DeformableDepthwiseConv (section 9.2): an offset conv predicts per-tap sampling offsets from the
// input, then a deformable depthwise conv samples the input there. With `modulated`, DCN v2: the offset
// conv also predicts a sigmoid mask per tap.
import { OptionError, ShapeError } from '../errors.js';
import { convGeometry } from '../ops/geometry.js';
import { checkPositiveOption } from '../tensor/limits.js';
import { kerasActivationName } from './activations.js';
import { emitConv, WindowedConv, type WindowedConvArgs } from './conv.js';
import type { LowerContext } from './ir.js';
import { symShapeStr, type SymShape, type WeightDef } from './layer.js';

export interface DeformableDepthwiseConv2DArgs extends WindowedConvArgs {
  /** Default 1. */
  depthMultiplier?: number;
  /** Groups of input channels sharing one set of offsets (default 1; must divide the channels). */
  offsetGroups?: number;
  /** DCN v2: the offset conv also predicts a sigmoid modulation mask per group and tap. Default false. */
  modulated?: boolean;
}

/**
 * Weights: `offset_kernel` [KH, KW, C, P] and `offset_bias` [P] with P = G*KH*KW*2 (offsets: per group and
 * row-major tap, dy then dx), followed by G*KH*KW mask logits when modulated (P = G*KH*KW*3); both start at
 * zero, so an untrained layer is a plain depthwise conv. Then `depthwise_kernel` [KH, KW, C, M] and `bias`.
 * The offset conv shares the window (kernel, strides, padding, dilation), so its output has the output's size.
 */
export class DeformableDepthwiseConv2D extends WindowedConv {
  get className(): string {
    return 'DeformableDepthwiseConv2D';
  }
  readonly depthMultiplier: number;
  readonly offsetGroups: number;
  readonly modulated: boolean;

  constructor(args: DeformableDepthwiseConv2DArgs) {
    super(args, 'deformable_depthwise_conv2d');
    const op = this.label;
    const positive = (name: string, v: unknown) => {
      if (v === undefined) return 1;
      return checkPositiveOption(op, name, v);
    };
    this.depthMultiplier = positive('depthMultiplier', args.depthMultiplier);
    this.offsetGroups = positive('offsetGroups', args.offsetGroups);
    if (args.modulated !== undefined && typeof args.modulated !== 'boolean') throw new OptionError(op, 'modulated', 'a boolean', args.modulated);
    this.modulated = args.modulated ?? false;
  }

  private get taps(): number {
    return this.kernelSize[0] * this.kernelSize[1];
  }

  /** Channels of the offset conv: offsets, then mask logits when modulated. */
  private get offsetChannels(): number {
    return this.offsetGroups * this.taps * (this.modulated ? 3 : 2);
  }

  private channelsOf(s: SymShape): number {
    const c = s[s.length - 1];
    if (c === null || c === undefined) throw new ShapeError(this.label, 'a known channel count (last dimension)', symShapeStr(s));
    if (c % this.offsetGroups !== 0) throw new ShapeError(this.label, `input channels divisible by offsetGroups (${this.offsetGroups})`, `${c} channels`);
    return c;
  }

  computeOutputShape([s]: SymShape[]): SymShape {
    const [oh, ow] = this.outputSize(s!);
    return [oh, ow, this.channelsOf(s!) * this.depthMultiplier];
  }

  protected weightDefs([s]: SymShape[]): WeightDef[] {
    const c = this.channelsOf(s!);
    const defs: WeightDef[] = [
      { name: 'offset_kernel', shape: [...this.kernelSize, c, this.offsetChannels], init: 'zeros' },
      { name: 'offset_bias', shape: [this.offsetChannels], init: 'zeros' },
      { name: 'depthwise_kernel', shape: [...this.kernelSize, c, this.depthMultiplier], init: 'glorotUniform' },
    ];
    if (this.useBias) defs.push({ name: 'bias', shape: [c * this.depthMultiplier], init: 'zeros' });
    return defs;
  }

  macs([s]: number[][], [oh, ow]: number[]): number {
    const c = s![2]!;
    return oh! * ow! * this.taps * c * (this.offsetChannels + this.depthMultiplier);
  }

  /** Output channels `from..to` of the offset conv's kernel and bias. */
  private offsetPart(c: number, from: number, to: number): { filter: Float32Array; filterShape: number[]; bias: Float32Array } {
    const k = this.weight('offset_kernel');
    const b = this.weight('offset_bias');
    const p = this.offsetChannels;
    const width = to - from;
    const rows = k.length / p;
    const filter = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) filter.set(k.subarray(r * p + from, r * p + to), r * width);
    return { filter, filterShape: [...this.kernelSize, c, width], bias: b.slice(from, to) };
  }

  lower(ctx: LowerContext, [x]: number[]): number {
    const [h, w, c] = ctx.shape(x!) as [number, number, number];
    const m = this.depthMultiplier;
    const nOffsets = this.offsetGroups * this.taps * 2;
    const window = { kernel: this.kernelSize, strides: this.strides, dilations: this.dilationRate, padding: this.padding };
    const offsets = emitConv(ctx, this, 'conv', x!, {
      ...window,
      key: `${this.name}/offset_kernel`,
      outChannels: nOffsets,
      activation: 'linear',
      weights: () => this.offsetPart(c, 0, nOffsets),
      macsPerPixel: this.taps * c * nOffsets,
    });
    const inputs = [x!, offsets];
    if (this.modulated) {
      const nMask = this.offsetGroups * this.taps;
      inputs.push(
        emitConv(ctx, this, 'conv', x!, {
          ...window,
          key: `${this.name}/mask_kernel`,
          outChannels: nMask,
          activation: 'sigmoid',
          weights: () => this.offsetPart(c, nOffsets, nOffsets + nMask),
          macsPerPixel: this.taps * c * nMask,
        }),
      );
    }
    const g = convGeometry(this.label, h, w, this.kernelSize, this.strides, this.dilationRate, this.padding);
    const out = ctx.value([g.outH, g.outW, c * m]);
    const shape = [...this.kernelSize, c, m];
    return ctx.emit({
      kind: 'deformDepthwise',
      layer: this.name,
      inputs,
      output: out,
      macs: g.outH * g.outW * this.taps * c * m,
      key: `${this.name}/depthwise_kernel`,
      weights: () => ({ filter: this.weight('depthwise_kernel'), filterShape: shape, bias: this.useBias ? this.weight('bias') : undefined }),
      kernel: this.kernelSize,
      strides: this.strides,
      dilations: this.dilationRate,
      pads: g.pads,
      offsetGroups: this.offsetGroups,
      activation: this.activation,
    });
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      kernelSize: this.kernelSize,
      depthMultiplier: this.depthMultiplier,
      offsetGroups: this.offsetGroups,
      modulated: this.modulated,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: kerasActivationName(this.activation),
      useBias: this.useBias,
    };
  }
}
