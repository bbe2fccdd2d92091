import { DisposedTensorError, ShapeError } from '../errors.js';
import { runtime, type KernelExports, type Runtime } from '../runtime/state.js';
import { outputFor, runInto } from './output.js';
import { PackedHandle, packFromArrays } from './packed.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { shapeStr } from './validate.js';

declare module '../runtime/state.js' {
  interface KernelExports {
    gemm_pack(weights: number, bias: number, k: number, n: number): number;
    gemm_free(handle: number): void;
    gemm_run(handle: number, input: number, inputLen: number, output: number, outputLen: number, rows: number, activation: number): void;
  }
}

/** GEMM weights `[K, N]` (+ bias) packed once in wasm memory: what pointwise and dense layers hold. */
export class PackedGemmWeights extends PackedHandle {
  constructor(
    rt: Runtime,
    handle: number,
    /** Reduction length: input channels / input features. */
    readonly k: number,
    /** Output channels / output features. */
    readonly n: number,
  ) {
    super(rt, handle);
  }

  /** Packs row-major `weights` `[K, N]` and an optional bias of N values. */
  static pack(weights: Float32Array, k: number, n: number, bias?: Float32Array, op = 'gemm'): PackedGemmWeights {
    if (!Number.isInteger(k) || !Number.isInteger(n) || k < 1 || n < 1 || weights.length !== k * n) {
      throw new ShapeError(op, `weights [K, N] with K, N >= 1 and K*N values`, `${weights.length} values for [${k}, ${n}]`);
    }
    if (bias && bias.length !== n) throw new ShapeError(op, `\`bias\` of ${n} values`, `${bias.length} values`);
    const rt = runtime(`${op}()`);
    const handle = packFromArrays(rt, op, [weights, bias], (kx, [w, b]) => kx.gemm_pack(w!, b!, k, n));
    return new PackedGemmWeights(rt, handle, k, n);
  }

  protected release(kernels: KernelExports, handle: number): void {
    kernels.gemm_free(handle);
  }
}

function runGemm(x: Tensor, w: PackedGemmWeights, rows: number, shape: number[], act: number, op: string, given?: Tensor): Tensor {
  if (w.disposed) throw new DisposedTensorError(`${op}: packed weights [${w.k}, ${w.n}]`);
  const out = outputFor(op, shape, given);
  return runInto(op, out, given, (o) => w.rt.kernels.gemm_run(w.handle, x.ptr(op), x.size, o, out.size, rows, act));
}

/**
 * Pointwise (1x1, stride 1) conv of NHWC `x` [N, H, W, K] with packed `[K, N]` weights: one GEMM
 * over the N*H*W pixels. Writes into `out` when given (a planned arena buffer), else allocates.
 */
export function runPointwise(x: Tensor, w: PackedGemmWeights, activation: ActivationName | undefined, op = 'pointwiseConv2d', out?: Tensor): Tensor {
  const act = activationCode(op, activation);
  const xs = x.shape;
  if (xs.length !== 4 || xs[3] !== w.k) {
    throw new ShapeError(op, `x [N, H, W, ${w.k}] (NHWC)`, `x ${shapeStr(xs)}`);
  }
  return runGemm(x, w, xs[0]! * xs[1]! * xs[2]!, [xs[0]!, xs[1]!, xs[2]!, w.n], act, op, out);
}

/** Dense layer: `x` [B, K] times packed `[K, N]` weights (+ bias), into [B, N]. */
export function runDense(x: Tensor, w: PackedGemmWeights, activation: ActivationName | undefined, op = 'dense', out?: Tensor): Tensor {
  const act = activationCode(op, activation);
  const xs = x.shape;
  if (xs.length !== 2 || xs[1] !== w.k) {
    throw new ShapeError(op, `x [B, ${w.k}]`, `x ${shapeStr(xs)}`);
  }
  return runGemm(x, w, xs[0]!, [xs[0]!, w.n], act, op, out);
}
