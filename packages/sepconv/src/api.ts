// Everything sepconv exports except `init`, which each host entry provides.
export * from './errors.js';
export { backend, isInitialized, terminate, threadStats, configureThreads, type BackendInfo, type BuildName, type ThreadStats, type ThreadConfig } from './runtime/state.js';
export { hostHasRelaxedSimd, hostHasSimd, type InitOptions, type WasmSource } from './runtime/loader.js';
export { Tensor, tensor, zeros, fill, type DType, type Shape } from './tensor/tensor.js';
export { MAX_DIM, MAX_ELEMENTS } from './tensor/limits.js';
export { depthwiseConv2d, type DepthwiseConv2dOptions } from './ops/depthwise.js';
export { deformableDepthwiseConv2d, runDeformableDepthwise, type DeformableDepthwiseConv2dOptions } from './ops/deformable.js';
export { conv2d, conv2dGeometry, runConv2d, PackedConvWeights, type Conv2dOptions } from './ops/conv.js';
export {
  conv2dTranspose,
  conv2dTransposeGeometry,
  runConv2dTranspose,
  PackedConvTransposeWeights,
  type Conv2dTransposeOptions,
  type ConvTransposeGeometry,
} from './ops/conv-transpose.js';
export { PackedGemmWeights, runPointwise, runDense } from './ops/gemm.js';
export { pointwiseConv2d, type PointwiseConv2dOptions } from './ops/pointwise.js';
export { dense, type DenseOptions } from './ops/dense.js';
export { add, mul, runAdd } from './ops/elementwise.js';
export { outputFor } from './ops/output.js';
export { activation, relu, relu6, hardSwish, sigmoid, swish } from './ops/activations.js';
export { batchNorm, type BatchNormOptions } from './ops/batchnorm.js';
export { softmax, logSoftmax, softmaxInto, type SoftmaxOptions } from './ops/softmax.js';
export { binary, binaryInto, broadcastShape, sub, div, maximum, minimum, squaredDifference, pow, type BinaryOpName } from './ops/binary.js';
export {
  unary,
  unaryInto,
  sqrt,
  rsqrt,
  square,
  abs,
  neg,
  exp,
  log,
  tanh,
  leakyRelu,
  elu,
  floor,
  ceil,
  round,
  sign,
  reciprocal,
  erf,
  hardSigmoid,
  type UnaryOpName,
  type UnaryOptions,
} from './ops/unary.js';
export { reduce, reduceInto, sum, mean, max, min, prod, type ReduceOpName, type ReduceOptions } from './ops/reduce.js';
export { pad, padND, mirrorPad, type Padding2d, type AxisPaddings, type PadNdMode } from './ops/pad.js';
export { depthToSpace, spaceToDepth, type DepthToSpaceMode } from './ops/depth-space.js';
export { channelGather } from './ops/channel-gather.js';
export {
  resize,
  resizeBilinear,
  resizeNearestNeighbor,
  runResize,
  resolveResize,
  tfResize,
  type ResizeOptions,
  type TfResizeOptions,
  type ResolvedResize,
  type CoordinateTransformationMode,
  type NearestRounding,
} from './ops/resize.js';
export { avgPool, maxPool, globalAvgPool, poolGeometry, runPool, type Pool2dOptions, type GlobalPoolOptions } from './ops/pool.js';
export {
  spatiallySeparableConv2d,
  factorizeKernel,
  PackedSpatialWeights,
  runSpatial,
  spatialGeometry,
  type SeparablePair,
  type SpatiallySeparableOptions,
  type FactorizeOptions,
  type KernelFactorization,
} from './ops/spatial.js';
export type { ActivationName } from './ops/activation.js';
export type { Padding, Pair } from './ops/geometry.js';
export { fromPixels, type FromPixelsOptions, type PixelNormalization, type PixelSource } from './tensor/pixels.js';
export { layers, Layer, SymbolicTensor, type LayerArgs, type LayerActivation, type SymShape, type WeightSpec, type WeightMap } from './layers/index.js';
export { input, model, sequential, Model, Sequential, type InputArgs, type ModelArgs, type SequentialArgs, type MemoryStats, type PredictOptions } from './models/graph.js';
export type { SummaryReport, SummaryRow, SeparableComparison, ProfileReport, ProfileRow } from './models/summary.js';
// Model zoo and TF.js import (issue 5).
export {
  mobilenetV1,
  mobilenetV2,
  xception,
  efficientnet,
  resnet50,
  mobilenetV1Config,
  mobilenetV2Config,
  xceptionConfig,
  efficientnetConfig,
  resnet50Config,
  mobilenetV1Arch,
  mobilenetV2Arch,
  xceptionArch,
  efficientnetArch,
  resnet50Arch,
  describeConfig,
  makeDivisible,
  correctPad,
  ArchBuilder,
  LayerArchBuilder,
  archConfig,
  archModel,
  type Arch,
  type ArchSpec,
  MOBILENET_V1_BLOCKS,
  MOBILENET_V2_STAGES,
  XCEPTION_DOWN_BLOCKS,
  XCEPTION_MIDDLE,
  EFFICIENTNET_BLOCKS,
  EFFICIENTNET_SCALING,
  RESNET50_STAGES,
  type MobileNetV1Options,
  type MobileNetV2Options,
  type XceptionOptions,
  type EfficientNetOptions,
  type EfficientNetVariant,
  type ResNet50Options,
} from './models/index.js';
export { IMAGENET_LABELS } from './models/imagenet-labels.js';
export * from './io/index.js';
export { separableConv2d, type SeparableConv2dOptions } from './ops/separable.js';
