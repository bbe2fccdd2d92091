// Everything sepconv exports except `init`, which each host entry provides.
export * from './errors.js';
export { backend, isInitialized, type BackendInfo, type BuildName } from './runtime/state.js';
export { hostHasSimd, type InitOptions, type WasmSource } from './runtime/loader.js';
export { Tensor, tensor, zeros, fill, type DType, type Shape } from './tensor/tensor.js';
export { depthwiseConv2d, type DepthwiseConv2dOptions } from './ops/depthwise.js';
export type { ActivationName } from './ops/activation.js';
export type { Padding, Pair } from './ops/geometry.js';
