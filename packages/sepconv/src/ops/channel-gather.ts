// Channel gather of NHWC tensors: out[..., j] = x[..., indices[j]] (ONNX Split / Slice of channels, the
// channel shuffle, TF GatherV2 / Split / SplitV on the last axis). One wasm call, no arithmetic.
import { OptionError, ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { MAX_DIM } from '../tensor/limits.js';
import type { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { expectTensor, shapeStr } from './validate.js';

declare module '../runtime/state.js' {
  interface KernelExports {
    channel_gather_run(input: number, inputLen: number, output: number, outputLen: number, pixels: number, channels: number, idx: Uint32Array, outChannels: number, offset: number): void;
  }
}

/** `indices` as a Uint32Array of channel numbers below `channels` (an OptionError naming `op` otherwise). */
export function channelIndices(op: string, indices: ArrayLike<number>, channels: number): Uint32Array {
  const n = indices?.length;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_DIM) throw new OptionError(op, 'indices', `1 to ${MAX_DIM} channel numbers`, n);
  const out = new Uint32Array(n);
  for (let j = 0; j < n; j++) {
    const i = indices[j]!;
    if (!Number.isSafeInteger(i) || i < 0 || i >= channels) throw new OptionError(op, `indices[${j}]`, `an integer from 0 to ${channels - 1}`, i);
    out[j] = i;
  }
  return out;
}

/**
 * Gathers channels of `x` (any rank >= 1, channels last): `out[..., j] = x[..., indices[j]]`. `indices` may
 * permute, select or repeat channels. Writes into `out` when given.
 */
export function channelGather(x: Tensor, indices: ArrayLike<number>, out?: Tensor): Tensor {
  const op = 'channelGather';
  const shape = expectTensor(op, 'x', x);
  if (shape.length < 1) throw new ShapeError(op, 'x with a channel axis (rank >= 1)', `x ${shapeStr(shape)}`);
  const c = shape[shape.length - 1]!;
  const idx = channelIndices(op, indices, c);
  return runChannelGather(x, idx, op, out);
}

/** The gather with checked indices (`channelIndices`): the model steps' entry. */
export function runChannelGather(x: Tensor, idx: Uint32Array, op: string, out?: Tensor): Tensor {
  const shape = x.shape;
  const c = shape[shape.length - 1]!;
  const pixels = c === 0 ? 0 : x.size / c;
  const o = outputFor(op, [...shape.slice(0, -1), idx.length], out, [x]);
  return runInto(op, o, out, (p) => runtime().kernels.channel_gather_run(x.ptr(op), x.size, p, o.size, pixels, c, idx, idx.length, 0));
}

const identities = new Map<number, Uint32Array>();

/**
 * Concatenation along the last axis into `out`, one identity gather per input at its channel offset (the
 * model's Concatenate step). Every input has `out`'s pixel count; their channels sum to `out`'s.
 */
export function concatChannels(xs: readonly Tensor[], out: Tensor, op: string): void {
  const total = out.shape[out.shape.length - 1]!;
  const pixels = total === 0 ? 0 : out.size / total;
  let offset = 0;
  for (const x of xs) {
    const c = x.shape[x.shape.length - 1]!;
    if (c * pixels !== x.size || offset + c > total) throw new ShapeError(op, `inputs of ${pixels} pixels whose channels sum to ${total}`, `an input ${shapeStr(x.shape)}`);
    let idx = identities.get(c);
    if (!idx) identities.set(c, (idx = Uint32Array.from({ length: c }, (_, i) => i)));
    const [xp, yp, off] = [x.ptr(op), out.ptr(op), offset];
    runtime().kernels.channel_gather_run(xp, x.size, yp, out.size, pixels, c, idx, total, off);
    offset += c;
  }
  if (offset !== total) throw new ShapeError(op, `inputs whose channels sum to ${total}`, `${offset} channels`);
}
