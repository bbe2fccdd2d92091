import { OptionError, ShapeError } from '../errors.js';
import { runtime } from '../runtime/state.js';
import { Tensor } from '../tensor/tensor.js';
import { outputFor, runInto } from './output.js';
import { expectTensor, shapeStr } from './validate.js';

/** ONNX Resize `coordinate_transformation_mode`s (TF's align_corners / half_pixel_centers map onto them). */
export type CoordinateTransformationMode = 'asymmetric' | 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'tf_half_pixel_for_nn';
/** ONNX Resize `nearest_mode`s. */
export type NearestRounding = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

/** Options of `resize` (ONNX Resize's attributes; defaults are ONNX's). */
export interface ResizeOptions {
  /** Default 'linear' (bilinear). */
  mode?: 'linear' | 'nearest';
  /** Default 'half_pixel' (ONNX's default). */
  coordinateTransformationMode?: CoordinateTransformationMode;
  /** Nearest only. Default 'round_prefer_floor' (ONNX's default). */
  nearestMode?: NearestRounding;
  /** [scaleH, scaleW] used in the coordinate transform instead of out / in (ONNX `scales`, float32 values). */
  scales?: readonly [number, number];
  /**
   * Source coordinates in ONNX Runtime's float32 arithmetic (`(x + 0.5f) / scale - 0.5f`, scale = out / in
   * as float32), which decides how exact ties round, and ORT's copy of the input when every scale is 1.
   * Default true; TF's ops use float64 (TF.js's).
   */
  float32Coordinates?: boolean;
}

/** tf.image.resizeBilinear / resizeNearestNeighbor flags. */
export interface TfResizeOptions {
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

/** A fully resolved resize (what a model step stores). */
export interface ResolvedResize {
  mode: 'linear' | 'nearest';
  coordinateTransformationMode: CoordinateTransformationMode;
  nearestMode: NearestRounding;
  scales?: readonly [number, number];
  float32Coordinates: boolean;
}

const COORD: Record<CoordinateTransformationMode, number> = { asymmetric: 0, half_pixel: 1, pytorch_half_pixel: 2, align_corners: 3, tf_half_pixel_for_nn: 4 };
const NEAREST: Record<NearestRounding, number> = { round_prefer_floor: 0, round_prefer_ceil: 1, floor: 2, ceil: 3 };

declare module '../runtime/state.js' {
  interface KernelExports {
    resize_run(
      input: number,
      inputLen: number,
      output: number,
      outputLen: number,
      batch: number,
      inH: number,
      inW: number,
      channels: number,
      outH: number,
      outW: number,
      coord: number,
      linear: number,
      nearest: number,
      scaleH: number,
      scaleW: number,
      f32Coords: number,
    ): void;
  }
}

const quote = (o: object) => Object.keys(o).map((k) => `'${k}'`).join(' | ');

/** Validates resize options (named in errors) and fills the ONNX defaults. */
export function resolveResize(op: string, o: ResizeOptions = {}): ResolvedResize {
  const mode = o.mode ?? 'linear';
  if (mode !== 'linear' && mode !== 'nearest') throw new OptionError(op, 'mode', "'linear' | 'nearest'", o.mode);
  const coord = o.coordinateTransformationMode ?? 'half_pixel';
  if (!Object.hasOwn(COORD, coord)) throw new OptionError(op, 'coordinateTransformationMode', quote(COORD), o.coordinateTransformationMode);
  const nearest = o.nearestMode ?? 'round_prefer_floor';
  if (!Object.hasOwn(NEAREST, nearest)) throw new OptionError(op, 'nearestMode', quote(NEAREST), o.nearestMode);
  if (o.scales !== undefined && !(Array.isArray(o.scales) && o.scales.length === 2 && o.scales.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0))) {
    throw new OptionError(op, 'scales', '[scaleH, scaleW] of positive finite numbers', o.scales);
  }
  const f32 = o.float32Coordinates ?? true;
  if (typeof f32 !== 'boolean') throw new OptionError(op, 'float32Coordinates', 'a boolean', o.float32Coordinates);
  return { mode, coordinateTransformationMode: coord, nearestMode: nearest, float32Coordinates: f32, ...(o.scales ? { scales: o.scales } : {}) };
}

/** TF's ResizeBilinear / ResizeNearestNeighbor flags as the equivalent resolved resize (TF.js CPU's definitions). */
export function tfResize(op: string, kind: 'bilinear' | 'nearest', o: TfResizeOptions = {}): ResolvedResize {
  const { alignCorners = false, halfPixelCenters = false } = o;
  if (typeof alignCorners !== 'boolean') throw new OptionError(op, 'alignCorners', 'a boolean', alignCorners);
  if (typeof halfPixelCenters !== 'boolean') throw new OptionError(op, 'halfPixelCenters', 'a boolean', halfPixelCenters);
  if (alignCorners && halfPixelCenters) throw new OptionError(op, 'halfPixelCenters', 'false when alignCorners is true (as in TensorFlow)', halfPixelCenters);
  if (kind === 'bilinear') {
    return { mode: 'linear', coordinateTransformationMode: alignCorners ? 'align_corners' : halfPixelCenters ? 'half_pixel' : 'asymmetric', nearestMode: 'floor', float32Coordinates: false };
  }
  if (alignCorners) return { mode: 'nearest', coordinateTransformationMode: 'align_corners', nearestMode: 'round_prefer_ceil', float32Coordinates: false };
  return { mode: 'nearest', coordinateTransformationMode: halfPixelCenters ? 'tf_half_pixel_for_nn' : 'asymmetric', nearestMode: 'floor', float32Coordinates: false };
}

function expectSize(op: string, size: unknown): [number, number] {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isSafeInteger(d) && d >= 1 && d <= 2 ** 31 - 1)) {
    throw new OptionError(op, 'size', '[newHeight, newWidth] of positive integers', size);
  }
  return [size[0], size[1]];
}

/** Runs a resolved resize of NHWC `x` to `size`; writes into `out` when given (distinct from `x`). */
export function runResize(x: Tensor, size: readonly [number, number], r: ResolvedResize, op = 'resize', out?: Tensor): Tensor {
  const xs = expectTensor(op, 'x', x, 4);
  const [n, h, w, c] = xs as [number, number, number, number];
  if (xs.some((d) => d < 1)) throw new ShapeError(op, 'x [N, H, W, C] of positive sizes', `x ${shapeStr(xs)}`);
  const [oh, ow] = expectSize(op, size);
  const o = outputFor(op, [n, oh, ow, c], out, [x]);
  const [sh, sw] = r.scales ?? [0, 0];
  return runInto(op, o, out, (p) =>
    runtime().kernels.resize_run(x.ptr(op), x.size, p, o.size, n, h, w, c, oh, ow, COORD[r.coordinateTransformationMode], r.mode === 'linear' ? 1 : 0, NEAREST[r.nearestMode], sh, sw, r.float32Coordinates ? 1 : 0),
  );
}

/** ONNX-style resize of NHWC `x` [N, H, W, C] to [N, size[0], size[1], C]: bilinear or nearest, any coordinate mode. */
export function resize(x: Tensor, size: readonly [number, number], options: ResizeOptions = {}, out?: Tensor): Tensor {
  return runResize(x, size, resolveResize('resize', options), 'resize', out);
}

/** tf.image.resizeBilinear over NHWC `x`, with TF's alignCorners / halfPixelCenters. */
export function resizeBilinear(x: Tensor, size: readonly [number, number], options: TfResizeOptions = {}, out?: Tensor): Tensor {
  return runResize(x, size, tfResize('resizeBilinear', 'bilinear', options), 'resizeBilinear', out);
}

/** tf.image.resizeNearestNeighbor over NHWC `x`, with TF's alignCorners / halfPixelCenters. */
export function resizeNearestNeighbor(x: Tensor, size: readonly [number, number], options: TfResizeOptions = {}, out?: Tensor): Tensor {
  return runResize(x, size, tfResize('resizeNearestNeighbor', 'nearest', options), 'resizeNearestNeighbor', out);
}
