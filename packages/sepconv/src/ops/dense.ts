import { ShapeError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { PackedGemmWeights, runDense } from './gemm.js';
import { expectTensor, expectVector, shapeStr } from './validate.js';

/** Options of `dense()`. */
export interface DenseOptions {
  /** One value per output feature. */
  bias?: Tensor | Float32Array;
  /** Fused into the GEMM's store. Default 'linear'. */
  activation?: ActivationName;
}

const OP = 'dense';

/** Fully connected layer: `x` [B, in] times `weights` [in, out] (Keras layout), + bias. Output [B, out]. */
export function dense(x: Tensor, weights: Tensor, options: DenseOptions = {}): Tensor {
  const xs = expectTensor(OP, 'x', x, 2);
  const ws = expectTensor(OP, 'weights', weights, 2);
  if (ws[0] !== xs[1] || ws[1]! < 1) {
    throw new ShapeError(OP, `weights [${xs[1]}, out] to match the input's ${xs[1]} features`, `weights ${shapeStr(ws)}`);
  }
  if (xs.some((d) => d < 1)) throw new ShapeError(OP, 'an input with positive sizes', `x ${shapeStr(xs)}`);
  activationCode(OP, options.activation);
  const bias = options.bias === undefined ? undefined : expectVector(OP, 'bias', options.bias, ws[1]!);
  const packed = PackedGemmWeights.pack(weights.data(), ws[0]!, ws[1]!, bias, OP);
  try {
    return runDense(x, packed, options.activation, OP);
  } finally {
    packed.dispose();
  }
}
