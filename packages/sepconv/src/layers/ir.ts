// The lowered form of a model: primitive steps over values, what the planner fuses, the arena
// planner places, and the executor runs. Shapes here are concrete and per sample (no batch dim).
import type { ActivationName } from '../ops/activation.js';
import type { Pads } from '../ops/geometry.js';
import type { ResolvedResize } from '../ops/resize.js';
import type { PadNdMode } from '../ops/pad.js';

/**
 * Activations a step can apply: the kernels' epilogue ones, softmax (always its own pass), and the
 * elementwise ones the kernels lack, which run in JS after the kernel (`JsActivation`).
 */
export type StepActivation = ActivationName | 'softmax' | JsActivation;

/** Elementwise activations computed in JS (TF.js / Keras definitions): `applyJsActivation`. */
export type JsActivation = 'tanh' | 'elu' | 'selu' | 'softplus' | 'softsign' | 'hardSigmoid' | 'mish' | 'gelu' | 'geluNew';

export interface ConvWeights {
  /** TF layout: conv [KH,KW,Cin/groups,Cout], depthwise [KH,KW,C,M], pointwise/dense [Cin,Cout]. */
  filter: Float32Array;
  filterShape: number[];
  bias?: Float32Array;
}

interface Base {
  /** Name of the layer this step belongs to (summary/profile rows). */
  layer: string;
  inputs: number[];
  output: number;
  /** Multiply-adds per sample (the papers' convention). */
  macs: number;
}

export interface ConvStep extends Base {
  kind: 'conv' | 'depthwise' | 'pointwise' | 'dense';
  /** Cache key of the packed weights (layer + role + folded layers). */
  key: string;
  /** Reads the layer's current weights (called when packing). */
  weights: () => ConvWeights;
  /** Per-output-channel affine folded in after the conv (a BatchNormalization), applied at pack time. */
  post?: { scale: () => Float32Array; shift: () => Float32Array; layer: string }[];
  kernel?: [number, number];
  strides?: [number, number];
  dilations?: [number, number];
  /** Resolved explicit pads (conv, depthwise). */
  pads?: Pads;
  groups?: number;
  activation: StepActivation;
}

/** y = x * scale[c] + shift[c], then activation: a standalone BatchNormalization, Rescaling, Normalization. */
export interface AffineStep extends Base {
  kind: 'affine';
  key: string;
  scale: () => Float32Array;
  shift: () => Float32Array;
  activation: StepActivation;
}

export interface ActivationStep extends Base {
  kind: 'activation';
  activation: StepActivation;
}

export interface BinaryStep extends Base {
  kind: 'add' | 'mul';
  /** A following activation fused into the add (ResNet's add -> relu). */
  activation?: StepActivation;
}

/**
 * Keras ReLU / LeakyReLU / PReLU: y = min(x, maxValue) where x >= threshold, else slope * (x - threshold).
 * `slope` holds one value, one per channel, or one per element of a sample (cycled over a sample).
 */
export interface LeakyStep extends Base {
  kind: 'leaky';
  slope: () => Float32Array;
  threshold: number;
  maxValue: number;
}

/** Concatenation along the channel (last) axis. */
export interface ConcatStep extends Base {
  kind: 'concat';
}

export interface GapStep extends Base {
  kind: 'gap';
}

export interface PoolStep extends Base {
  kind: 'avgPool' | 'maxPool';
  kernel: [number, number];
  strides: [number, number];
  pads: Pads;
}

export interface PadStep extends Base {
  kind: 'pad';
  pads: Pads;
}

/** Same memory, new shape (Reshape, Flatten, Dropout, identity). */
export interface AliasStep extends Base {
  kind: 'alias';
}

/** Per-channel spatially separable conv (Kx1 then 1xK), one fused kernel over the equivalent KxK geometry. */
export interface SpatialStep extends Base {
  kind: 'spatial';
  key: string;
  /** vertical [K_h, C] and horizontal [K_w, C] (TF depthwise layouts), bias [C]. */
  weights: () => { vertical: Float32Array; horizontal: Float32Array; bias?: Float32Array };
  kernel: [number, number];
  strides: [number, number];
  pads: Pads;
  channels: number;
  activation: StepActivation;
  /** Layers folded into this step besides `layer` (the second depthwise of a fused Kx1 / 1xK pair, BNs). */
  fused?: string[];
  /**
   * A fused pair whose first conv has a bias and whose second is padded along its kernel axis: the bias went
   * into the step's bias through every tap of the second, but at the output `positions` along `axis` (0 rows,
   * 1 columns) some taps read padding; `correction()` ([positions, C]) is what those taps added, subtracted
   * after the (linear) kernel and before the activation.
   */
  edge?: { axis: 0 | 1; positions: number[]; correction: () => Float32Array };
}

/**
 * A pointwise expand and the depthwise conv that alone reads its output, run as one kernel over rows
 * (`fuseExpandDepthwise`): the expanded tensor exists only in a ring of K_h rows.
 */
export interface ExpandDepthwiseStep extends Base {
  kind: 'expandDepthwise';
  expand: ConvStep;
  depthwise: ConvStep;
  /** Floats of ring scratch (whatever the batch), planned in the arena for this step alone. */
  scratch: number;
}

/** Deformable depthwise conv: inputs [x, offsets] or [x, offsets, mask] (`runDeformableDepthwise`). */
export interface DeformDepthwiseStep extends Base {
  kind: 'deformDepthwise';
  key: string;
  /** Depthwise [KH, KW, C, M] and bias. */
  weights: () => ConvWeights;
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pads: Pads;
  offsetGroups: number;
  activation: StepActivation;
}

/**
 * Transposed conv (TF Conv2DBackpropInput, Keras Conv2DTranspose, ONNX ConvTranspose), filter
 * [KH, KW, Cout, Cin]: input row iy, tap ky lands on output row iy*stride + ky*dilation - pads.top; the
 * output size is the output value's shape, and must agree with `pads` (`conv2dTransposeGeometry`).
 */
export interface ConvTransposeStep extends Base {
  kind: 'convTranspose';
  key: string;
  weights: () => ConvWeights;
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pads: Pads;
  activation: StepActivation;
}

/** Spatial resize to the output value's [H, W] (TF ResizeBilinear / ResizeNearestNeighbor, ONNX Resize). */
export interface ResizeStep extends Base {
  kind: 'resize';
  resize: ResolvedResize;
}

/** DepthToSpace ('DCR' TF / ONNX default, 'CRD') or SpaceToDepth with a block size. */
export interface DepthSpaceStep extends Base {
  kind: 'depthToSpace' | 'spaceToDepth';
  block: number;
  mode?: 'DCR' | 'CRD';
}

/** Padding of any per-sample axes (TF Pad / PadV2 / MirrorPad, ONNX Pad): one [before, after] per axis, batch excluded. */
export interface PadNdStep extends Base {
  kind: 'padND';
  paddings: [number, number][];
  mode: PadNdMode;
  value: number;
}

/** Output channel j = input channel indices[j] (channels last, any per-sample rank): `ChannelGather`. */
export interface ChannelGatherStep extends Base {
  kind: 'channelGather';
  indices: Uint32Array;
}

/**
 * A post-processing op run in TypeScript on small tensors (layers/host.ts, ops/host/): reads its inputs'
 * float32 arena views (whatever their dtype: int32 / uint8 / bool values are carried as exact floats) and
 * writes its output's. Its values have whole TF shapes (`Lowered.full`), so a plan with host steps runs at batch 1.
 */
export interface HostStep extends Base {
  kind: 'host';
  op: string;
  run: (ins: readonly Float32Array[], out: Float32Array) => void;
}

export type Step = HostStep | ChannelGatherStep | PadNdStep | DepthSpaceStep | ResizeStep | ConvTransposeStep | DeformDepthwiseStep | ExpandDepthwiseStep | SpatialStep | ConvStep | AffineStep | ActivationStep | LeakyStep | ConcatStep | BinaryStep | GapStep | PoolStep | PadStep | AliasStep;

export interface Lowered {
  steps: Step[];
  /** Per-sample shape of every value. */
  shapes: number[][];
  /** Value ids of the model inputs and outputs. */
  inputs: number[];
  outputs: number[];
  /** Values whose `shapes` entry is the whole TF shape (host steps' values), not a per-sample one. */
  full?: Set<number>;
  /** Element types of values that are not float32 (host steps' int32 / uint8 / bool outputs). */
  dtypes?: Map<number, 'int32' | 'uint8' | 'bool'>;
}

/** What a layer uses to emit its steps. */
export class LowerContext {
  readonly steps: Step[] = [];
  readonly shapes: number[][] = [];
  /** Values with whole TF shapes (host steps' outputs): see `Lowered.full`. */
  readonly full = new Set<number>();
  /** Values that are not float32: see `Lowered.dtypes`. */
  readonly dtypes = new Map<number, 'int32' | 'uint8' | 'bool'>();

  value(shape: readonly number[]): number {
    this.shapes.push([...shape]);
    return this.shapes.length - 1;
  }

  shape(id: number): number[] {
    return this.shapes[id]!;
  }

  emit<S extends Step>(step: S): number {
    this.steps.push(step);
    return step.output;
  }
}
