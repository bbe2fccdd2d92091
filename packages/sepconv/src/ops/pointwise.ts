import { ShapeError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { PackedGemmWeights, runPointwise } from './gemm.js';
import { expectTensor, expectVector, shapeStr } from './validate.js';

/** Options of `pointwiseConv2d()`. */
export interface PointwiseConv2dOptions {
  /** One value per output channel. */
  bias?: Tensor | Float32Array;
  /** Fused into the GEMM's store. Default 'linear'. */
  activation?: ActivationName;
}

const OP = 'pointwiseConv2d';

/**
 * Pointwise (1x1, stride 1) convolution of NHWC `x` [N, H, W, Cin] with `filter` [1, 1, Cin, Cout]
 * or [Cin, Cout]. Output [N, H, W, Cout]. Packs the filter per call; layers pack once.
 */
export function pointwiseConv2d(x: Tensor, filter: Tensor, options: PointwiseConv2dOptions = {}): Tensor {
  const xs = expectTensor(OP, 'x', x, 4);
  const fs = expectTensor(OP, 'filter', filter);
  const cin = xs[3]!;
  const ok4 = fs.length === 4 && fs[0] === 1 && fs[1] === 1 && fs[2] === cin;
  const ok2 = fs.length === 2 && fs[0] === cin;
  if (!(ok4 || ok2) || fs[fs.length - 1]! < 1) {
    throw new ShapeError(OP, `filter [1, 1, ${cin}, Cout] or [${cin}, Cout] to match the input's ${cin} channels`, `filter ${shapeStr(fs)}`);
  }
  if (xs.some((d) => d < 1)) throw new ShapeError(OP, 'an input with positive sizes', `x ${shapeStr(xs)}`);
  const cout = fs[fs.length - 1]!;
  activationCode(OP, options.activation);
  const bias = options.bias === undefined ? undefined : expectVector(OP, 'bias', options.bias, cout);
  const packed = PackedGemmWeights.pack(filter.data(), cin, cout, bias, OP);
  try {
    return runPointwise(x, packed, options.activation, OP);
  } finally {
    packed.dispose();
  }
}
