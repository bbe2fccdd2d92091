// The package as the bench sees it: its public API plus the runtime internals that let one
// process hold several instances (simd128 and scalar) and switch the current one.
// Files that do not exist yet resolve to an empty module (see run.mjs); `available()` tells.
export * from '../../packages/sepconv/src/api.js';
export { Runtime, runtime, setRuntime } from '../../packages/sepconv/src/runtime/state.js';
export { instantiate, toModule } from '../../packages/sepconv/src/runtime/loader.js';
export { Tensor, tensor } from '../../packages/sepconv/src/tensor/tensor.js';
export { convGeometry } from '../../packages/sepconv/src/ops/geometry.js';
// The model path's fusion switches (the fused-vs-unfused rows of a 5x1 + 1x5 model).
export { fusionRules } from '../../packages/sepconv/src/layers/exec.js';
import * as depthwiseNs from '../../packages/sepconv/src/ops/depthwise.js';
import * as gemmNs from '../../packages/sepconv/src/ops/gemm.js';
import * as convNs from '../../packages/sepconv/src/ops/conv.js';
import * as spatialNs from '../../packages/sepconv/src/ops/spatial.js';
import * as deformNs from '../../packages/sepconv/src/ops/deformable.js';
import * as separableNs from '../../packages/sepconv/src/ops/separable.js';
import * as modelsNs from '../../packages/sepconv/src/models/index.js';
import * as apiNs from '../../packages/sepconv/src/api.js';
import * as ioBuildNs from '../../packages/sepconv/src/io/build.js';

type Ns = Record<string, any>;
export const depthwiseOps: Ns = depthwiseNs;
export const gemmOps: Ns = gemmNs;
export const convOps: Ns = convNs;
export const spatialOps: Ns = spatialNs;
export const deformOps: Ns = deformNs;
export const separableOps: Ns = separableNs;
export const modelsModule: Ns = modelsNs;
export const api: Ns = apiNs;
export const ioBuild: Ns = ioBuildNs;

/** The named function of a source module, or undefined when that module or export has not landed. */
export function fn<T = (...a: any[]) => any>(ns: Ns, name: string): T | undefined {
  const v = ns[name];
  return typeof v === 'function' ? (v as T) : undefined;
}
