// Layer factories with tfjs-layers names and option names: `layers.conv2d({ filters, kernelSize, ... })`.
import {
  Conv2D,
  Dense,
  DepthwiseConv2D,
  DepthwiseSeparableConv,
  PointwiseConv2D,
  SeparableConv2D,
  SpatiallySeparableConv2D,
  type Conv2DArgs,
  type DenseArgs,
  type DepthwiseConv2DArgs,
  type DepthwiseSeparableConvArgs,
  type PointwiseConv2DArgs,
  type SeparableConv2DArgs,
  type SpatiallySeparableConv2DArgs,
} from './conv.js';
import { DeformableDepthwiseConv2D, type DeformableDepthwiseConv2DArgs } from './deformable.js';
import { ChannelGather, Conv2DTranspose, DepthSpace, PadND, Resize, type ChannelGatherArgs, type Conv2DTransposeArgs, type DepthSpaceArgs, type PadNDArgs, type ResizeLayerArgs } from './image.js';
import type { LayerArgs } from './layer.js';
import {
  Activation,
  Concatenate,
  Dropout,
  Flatten,
  GlobalAveragePooling2D,
  LeakyReLU,
  Merge,
  PReLU,
  Pooling2D,
  ReLU,
  Reshape,
  SqueezeExcite,
  ZeroPadding2D,
  type ActivationArgs,
  type ConcatenateArgs,
  type DropoutArgs,
  type GlobalAveragePooling2DArgs,
  type LeakyReLUArgs,
  type Pooling2DArgs,
  type PReLUArgs,
  type ReLUArgs,
  type ReshapeArgs,
  type SqueezeExciteArgs,
  type ZeroPadding2DArgs,
} from './misc.js';
import { BatchNormalization, Normalization, Rescaling, type BatchNormalizationArgs, type NormalizationArgs, type RescalingArgs } from './norm.js';

export { Layer, SymbolicTensor, type LayerArgs, type SymShape, type WeightSpec, type WeightMap } from './layer.js';
export type { LayerActivation } from './activations.js';
export * from './conv.js';
export * from './deformable.js';
export * from './image.js';
export * from './misc.js';
export * from './norm.js';

/** Layer factories, as `tf.layers` in TF.js: `layers.conv2d({ filters, kernelSize })` and so on. Each returns a new layer to `apply()` to symbolic tensors or to pass to `sequential()`. */
export const layers = {
  conv2d: (args: Conv2DArgs) => new Conv2D(args),
  depthwiseConv2d: (args: DepthwiseConv2DArgs) => new DepthwiseConv2D(args),
  deformableDepthwiseConv2d: (args: DeformableDepthwiseConv2DArgs) => new DeformableDepthwiseConv2D(args),
  pointwiseConv2d: (args: PointwiseConv2DArgs) => new PointwiseConv2D(args),
  separableConv2d: (args: SeparableConv2DArgs) => new SeparableConv2D(args),
  spatiallySeparableConv2d: (args: SpatiallySeparableConv2DArgs) => new SpatiallySeparableConv2D(args),
  depthwiseSeparableConv: (args: DepthwiseSeparableConvArgs) => new DepthwiseSeparableConv(args),
  batchNormalization: (args: BatchNormalizationArgs = {}) => new BatchNormalization(args),
  activation: (args: ActivationArgs) => new Activation(args),
  reLU: (args: ReLUArgs = {}) => new ReLU(args),
  leakyReLU: (args: LeakyReLUArgs = {}) => new LeakyReLU(args),
  prelu: (args: PReLUArgs = {}) => new PReLU(args),
  concatenate: (args: ConcatenateArgs = {}) => new Concatenate(args),
  squeezeExcite: (args: SqueezeExciteArgs) => new SqueezeExcite(args),
  globalAveragePooling2d: (args: GlobalAveragePooling2DArgs = {}) => new GlobalAveragePooling2D(args),
  averagePooling2d: (args: Pooling2DArgs = {}) => new Pooling2D(args, 'avg'),
  maxPooling2d: (args: Pooling2DArgs = {}) => new Pooling2D(args, 'max'),
  dense: (args: DenseArgs) => new Dense(args),
  add: (args: LayerArgs = {}) => new Merge(args, 'add'),
  multiply: (args: LayerArgs = {}) => new Merge(args, 'mul'),
  zeroPadding2d: (args: ZeroPadding2DArgs = {}) => new ZeroPadding2D(args),
  dropout: (args: DropoutArgs = {}) => new Dropout(args),
  flatten: (args: LayerArgs = {}) => new Flatten(args),
  reshape: (args: ReshapeArgs) => new Reshape(args),
  rescaling: (args: RescalingArgs) => new Rescaling(args),
  normalization: (args: NormalizationArgs = {}) => new Normalization(args),
  resize: (args: ResizeLayerArgs) => new Resize(args),
  conv2dTranspose: (args: Conv2DTransposeArgs) => new Conv2DTranspose(args),
  depthToSpace: (args: DepthSpaceArgs) => new DepthSpace(args, true),
  spaceToDepth: (args: DepthSpaceArgs) => new DepthSpace(args, false),
  padND: (args: PadNDArgs) => new PadND(args),
  channelGather: (args: ChannelGatherArgs) => new ChannelGather(args),
};
