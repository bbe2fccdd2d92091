import { OptionError, ShapeError } from '../errors.js';
import { runtime, type KernelExports, type Runtime } from '../runtime/state.js';
import { PackedHandle, packFromArrays } from './packed.js';
import { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import { conv2d } from './conv.js';
import { outputFor, runInto } from './output.js';
import { checkGeometry, convGeometry, pair, type ConvGeometry, type Padding, type Pair } from './geometry.js';
import { isDim, MAX_DIM } from '../tensor/limits.js';
import { expectTensor, expectVector, shapeStr } from './validate.js';

/** One separable pair: a K_h x 1 then a 1 x K_w filter. */
export interface SeparablePair {
  /** Depthwise form: [K_h, 1, C, 1]. Standard form: [K_h, 1, Cin, Cmid]. */
  vertical: Tensor;
  /** Depthwise form: [1, K_w, C, 1]. Standard form: [1, K_w, Cmid, Cout]. */
  horizontal: Tensor;
}

/** Options of `spatiallySeparableConv2d()`. */
export interface SpatiallySeparableOptions {
  /**
   * 'depthwise' (default): per channel, the K x K depthwise kernel vertical (outer) horizontal.
   * 'standard': across channels, a K x 1 conv then a 1 x K conv (Inception-style factorisation).
   */
  form?: 'depthwise' | 'standard';
  /** Default 1. */
  strides?: Pair;
  /** Of the equivalent K_h x K_w conv. Default 'valid'. */
  padding?: Padding;
  /** Depthwise form: C values; standard form: Cout values. Added once, after the last pass. */
  bias?: Tensor | Float32Array;
  activation?: ActivationName;
}

declare module '../runtime/state.js' {
  interface KernelExports {
    spatial_pack(vertical: number, horizontal: number, bias: number, kh: number, kw: number, channels: number, rank: number): number;
    spatial_free(handle: number): void;
    spatial_conv2d(
      handle: number,
      input: number,
      inputLen: number,
      output: number,
      outputLen: number,
      batch: number,
      inH: number,
      inW: number,
      strideH: number,
      strideW: number,
      padTop: number,
      padBottom: number,
      padLeft: number,
      padRight: number,
      activation: number,
    ): void;
    factorize_kernel(kernel: number, kh: number, kw: number, rank: number, tolerance: number): Float32Array;
  }
}

const OP = 'spatiallySeparableConv2d';

/** Per-channel separable pairs packed in wasm memory (a rank-r sum when several), as a layer holds them. */
export class PackedSpatialWeights extends PackedHandle {
  constructor(
    rt: Runtime,
    handle: number,
    readonly kernelH: number,
    readonly kernelW: number,
    readonly channels: number,
    readonly rank: number,
  ) {
    super(rt, handle);
  }

  /** `vertical` holds rank x [K_h, C] values, `horizontal` rank x [K_w, C] (TF depthwise layouts, concatenated). */
  static pack(vertical: Float32Array, horizontal: Float32Array, kernelH: number, kernelW: number, channels: number, rank: number, bias?: Float32Array, op = OP): PackedSpatialWeights {
    // The binding reads rank*K*C values from each address: the arrays must hold exactly that many.
    const dims = [kernelH, kernelW, channels, rank];
    if (!dims.every((d) => isDim(d, 1))) {
      throw new ShapeError(op, `kernelH, kernelW, channels and rank of integers from 1 to ${MAX_DIM}`, `${dims.join(', ')}`);
    }
    for (const [name, a, k] of [['vertical', vertical, kernelH], ['horizontal', horizontal, kernelW]] as const) {
      if (!(a instanceof Float32Array) || a.length !== rank * k * channels) {
        throw new ShapeError(op, `\`${name}\` of ${rank} x ${k} x ${channels} values`, a instanceof Float32Array ? `${a.length} values` : typeof a);
      }
    }
    if (bias !== undefined && (!(bias instanceof Float32Array) || bias.length !== channels)) {
      throw new ShapeError(op, `\`bias\` of ${channels} values`, bias instanceof Float32Array ? `${bias.length} values` : typeof bias);
    }
    const rt = runtime(`${op}()`);
    const handle = packFromArrays(rt, op, [vertical, horizontal, bias], (k, [v, h, b]) =>
      k.spatial_pack(v!, h!, b!, kernelH, kernelW, channels, rank),
    );
    return new PackedSpatialWeights(rt, handle, kernelH, kernelW, channels, rank);
  }

  protected release(kernels: KernelExports, handle: number): void {
    kernels.spatial_free(handle);
  }
}

/** The geometry of the full K_h x K_w conv (its pads are split between the two passes). */
export function spatialGeometry(op: string, xShape: readonly number[], kernel: [number, number], options: Pick<SpatiallySeparableOptions, 'strides' | 'padding'>): ConvGeometry {
  const strides = pair(op, 'strides', options.strides, 1);
  const g = convGeometry(op, xShape[1]!, xShape[2]!, kernel, strides, [1, 1], options.padding ?? 'valid');
  if (g.outH < 1 || g.outW < 1) {
    throw new ShapeError(op, `an input at least as large as the ${kernel[0]}x${kernel[1]} kernel with padding ${JSON.stringify(options.padding ?? 'valid')}`, `input ${shapeStr(xShape)}`);
  }
  return g;
}

/** Runs packed per-channel pairs over `x`; writes into `out` when given. */
export function runSpatial(x: Tensor, w: PackedSpatialWeights, g: ConvGeometry, activation: ActivationName | undefined, op = OP, given?: Tensor): Tensor {
  const act = activationCode(op, activation);
  const [n, h, wd, c] = expectTensor(op, 'x', x, 4) as [number, number, number, number];
  checkGeometry(op, g, x.shape);
  if (c !== w.channels || h !== g.inH || wd !== g.inW) throw new ShapeError(op, `x [N, ${g.inH}, ${g.inW}, ${w.channels}]`, `x ${shapeStr(x.shape)}`);
  if (w.disposed) throw new OptionError(op, 'weights', 'packed weights that are not disposed', 'disposed weights');
  const o = outputFor(op, [n, g.outH, g.outW, c], given, [x]);
  return runInto(op, o, given, (p) =>
    w.rt.kernels.spatial_conv2d(w.handle, x.ptr(op), x.size, p, o.size, n, g.inH, g.inW, g.strideH, g.strideW, g.pads.top, g.pads.bottom, g.pads.left, g.pads.right, act),
  );
}

function pairsOf(filters: SeparablePair | readonly SeparablePair[]): readonly SeparablePair[] {
  const list = Array.isArray(filters) ? filters : [filters as SeparablePair];
  if (list.length === 0 || !list.every((p) => p && typeof p === 'object' && 'vertical' in p && 'horizontal' in p)) {
    throw new OptionError(OP, 'filters', '{ vertical, horizontal } or a non-empty array of them', filters);
  }
  return list;
}

/**
 * Spatially separable convolution (the seed's section 3): a K_h x 1 pass then a 1 x K_w pass.
 * Depthwise form (default): per channel, `vertical` [K_h, 1, C, 1] and `horizontal` [1, K_w, C, 1];
 * an array of pairs sums a rank-r approximation (see `factorizeKernel`). Standard form: across
 * channels, `vertical` [K_h, 1, Cin, Cmid] then `horizontal` [1, K_w, Cmid, Cout] through conv2d.
 * `padding` / `strides` are those of the equivalent K_h x K_w conv.
 */
export function spatiallySeparableConv2d(x: Tensor, filters: SeparablePair | readonly SeparablePair[], options: SpatiallySeparableOptions = {}): Tensor {
  const xs = expectTensor(OP, 'x', x, 4);
  const list = pairsOf(filters);
  const form = options.form ?? 'depthwise';
  if (form !== 'depthwise' && form !== 'standard') throw new OptionError(OP, 'form', "'depthwise' | 'standard'", form);
  const vs = list.map((p) => expectTensor(OP, 'vertical', p.vertical, 4));
  const hs = list.map((p) => expectTensor(OP, 'horizontal', p.horizontal, 4));
  const kh = vs[0]![0]!;
  const kw = hs[0]![1]!;
  const c = xs[3]!;
  activationCode(OP, options.activation);
  if (form === 'standard') {
    if (list.length !== 1) throw new OptionError(OP, 'filters', 'one { vertical, horizontal } pair in the standard form', `${list.length} pairs`);
    const [v, hz] = [vs[0]!, hs[0]!];
    if (v[1] !== 1 || v[2] !== c || hz[0] !== 1 || hz[2] !== v[3]) {
      throw new ShapeError(OP, `vertical [K, 1, ${c}, Cmid] and horizontal [1, K, Cmid, Cout]`, `vertical ${shapeStr(v)}, horizontal ${shapeStr(hz)}`);
    }
    const g = spatialGeometry(OP, xs, [kh, kw], options);
    using mid = conv2d(x, list[0]!.vertical, { strides: [g.strideH, 1], padding: [g.pads.top, g.pads.bottom, 0, 0] });
    return conv2d(mid, list[0]!.horizontal, { strides: [1, g.strideW], padding: [0, 0, g.pads.left, g.pads.right], bias: options.bias, activation: options.activation });
  }
  for (let i = 0; i < list.length; i++) {
    const [v, hz] = [vs[i]!, hs[i]!];
    if (v[0] !== kh || v[1] !== 1 || v[2] !== c || v[3] !== 1 || hz[0] !== 1 || hz[1] !== kw || hz[2] !== c || hz[3] !== 1) {
      throw new ShapeError(OP, `vertical [${kh}, 1, ${c}, 1] and horizontal [1, ${kw}, ${c}, 1] in every pair`, `vertical ${shapeStr(v)}, horizontal ${shapeStr(hz)}`);
    }
  }
  const g = spatialGeometry(OP, xs, [kh, kw], options);
  const bias = options.bias === undefined ? undefined : expectVector(OP, 'bias', options.bias, c);
  const concat = (ts: Tensor[], len: number) => {
    const out = new Float32Array(ts.length * len);
    ts.forEach((t, i) => out.set(t.data(), i * len));
    return out;
  };
  const packed = PackedSpatialWeights.pack(
    concat(list.map((p) => p.vertical), kh * c),
    concat(list.map((p) => p.horizontal), kw * c),
    kh,
    kw,
    c,
    list.length,
    bias,
  );
  try {
    return runSpatial(x, packed, g, options.activation);
  } finally {
    packed.dispose();
  }
}

/** Options of `factorizeKernel()`. */
export interface FactorizeOptions {
  /** Return exactly this many pairs (1..min(K_h, K_w)). Default: the fewest within `tolerance`. */
  rank?: number;
  /** Relative Frobenius error counted as exact. Default 1e-6. */
  tolerance?: number;
}

/** What `factorizeKernel()` finds: whether the 2D kernel is separable, its rank, and the vertical and horizontal factors. */
export interface KernelFactorization {
  /** Rank 1 within the tolerance: the kernel is exactly vertical (outer) horizontal. */
  separable: boolean;
  rank: number;
  /** kernel[ky][kx] ~= sum_i factors[i].vertical[ky] * factors[i].horizontal[kx]. */
  factors: { vertical: Float32Array; horizontal: Float32Array }[];
  /** ||kernel - sum of pairs||_F / ||kernel||_F. */
  relativeError: number;
  singularValues: Float32Array;
}

/**
 * Factorises a K_h x K_w kernel (row-major, K or [K_h, K_w]) by SVD into separable pairs: whether it
 * is rank 1, and otherwise the best rank-r approximation with its relative error.
 */
export function factorizeKernel(kernel2d: Float32Array, k: number | readonly [number, number], options: FactorizeOptions = {}): KernelFactorization {
  const op = 'factorizeKernel';
  const [kh, kw] = pair(op, 'k', k as Pair, 1);
  if (!(kernel2d instanceof Float32Array)) throw new OptionError(op, 'kernel2d', 'a Float32Array', kernel2d);
  if (kernel2d.length !== kh * kw) throw new ShapeError(op, `${kh} x ${kw} = ${kh * kw} values`, `${kernel2d.length} values`);
  const maxRank = Math.min(kh, kw);
  if (options.rank !== undefined && !(Number.isInteger(options.rank) && options.rank >= 1 && options.rank <= maxRank)) {
    throw new OptionError(op, 'rank', `an integer from 1 to ${maxRank}`, options.rank);
  }
  const tol = options.tolerance ?? 1e-6;
  if (typeof tol !== 'number' || !(tol >= 0)) throw new OptionError(op, 'tolerance', 'a number >= 0', tol);
  const rt = runtime(`${op}()`);
  const p = rt.upload(kernel2d);
  let raw: Float32Array;
  try {
    raw = rt.call(op, (kx) => kx.factorize_kernel(p, kh, kw, options.rank ?? 0, tol));
  } finally {
    rt.free(p, kernel2d.length);
  }
  const rank = raw[1]!;
  const sv = raw.slice(3, 3 + maxRank);
  const factors = [];
  let o = 3 + maxRank;
  for (let i = 0; i < rank; i++) {
    factors.push({ vertical: raw.slice(o, o + kh), horizontal: raw.slice(o + kh, o + kh + kw) });
    o += kh + kw;
  }
  return { separable: raw[0] === 1, rank, factors, relativeError: raw[2]!, singularValues: sv };
}
