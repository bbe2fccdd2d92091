import { OptionError, ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { expectTensor, shapeStr } from './validate.js';

/** DepthToSpace channel order: 'DCR' is TensorFlow's (and ONNX's default), 'CRD' ONNX's other mode (PyTorch pixel_shuffle). */
export type DepthToSpaceMode = 'DCR' | 'CRD';

declare module '../runtime/state.js' {
  interface KernelExports {
    depth_space_run(input: number, inputLen: number, output: number, outputLen: number, batch: number, h: number, w: number, c: number, block: number, toSpace: number, mode: number): void;
  }
}

function expectBlock(op: string, block: unknown): number {
  if (!Number.isSafeInteger(block) || (block as number) < 1 || (block as number) > 2 ** 15) {
    throw new OptionError(op, 'blockSize', 'an integer from 1 to 32768', block);
  }
  return block as number;
}

/** tf.depthToSpace over NHWC `x` [N, H, W, C]: [N, H*b, W*b, C/(b*b)]. `mode` 'CRD' is ONNX's other order. Writes into `out` when given. */
export function depthToSpace(x: Tensor, blockSize: number, mode: DepthToSpaceMode = 'DCR', out?: Tensor): Tensor {
  const op = 'depthToSpace';
  const [n, h, w, c] = expectTensor(op, 'x', x, 4) as [number, number, number, number];
  const b = expectBlock(op, blockSize);
  if (mode !== 'DCR' && mode !== 'CRD') throw new OptionError(op, 'mode', "'DCR' | 'CRD'", mode);
  if (c % (b * b) !== 0 || [n, h, w, c].some((d) => d < 1)) {
    throw new ShapeError(op, `x [N, H, W, C] with C a multiple of blockSize^2 = ${b * b}`, `x ${shapeStr(x.shape)}`);
  }
  const o = outputFor(op, [n, h * b, w * b, c / (b * b)], out, [x]);
  return runInto(op, o, out, (p) => runtime().kernels.depth_space_run(x.ptr(op), x.size, p, o.size, n, h, w, c, b, 1, mode === 'DCR' ? 0 : 1));
}

/** tf.spaceToDepth (and ONNX SpaceToDepth) over NHWC `x` [N, H, W, C]: [N, H/b, W/b, C*b*b]. Writes into `out` when given. */
export function spaceToDepth(x: Tensor, blockSize: number, out?: Tensor): Tensor {
  const op = 'spaceToDepth';
  const [n, h, w, c] = expectTensor(op, 'x', x, 4) as [number, number, number, number];
  const b = expectBlock(op, blockSize);
  if (h % b !== 0 || w % b !== 0 || [n, h, w, c].some((d) => d < 1)) {
    throw new ShapeError(op, `x [N, H, W, C] with H and W multiples of blockSize ${b}`, `x ${shapeStr(x.shape)}`);
  }
  const o = outputFor(op, [n, h / b, w / b, c * b * b], out, [x]);
  return runInto(op, o, out, (p) => runtime().kernels.depth_space_run(x.ptr(op), x.size, p, o.size, n, h / b, w / b, c * b * b, b, 0, 0));
}
