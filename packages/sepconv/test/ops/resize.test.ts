// resize / resizeBilinear / resizeNearestNeighbor through the wasm vs a float64 reference written per
// output pixel from the ONNX Resize definitions (TF's flags are tested against TF.js in test/ops/resize.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { DisposedTensorError, OptionError, resize, resizeBilinear, resizeNearestNeighbor, ShapeError, tensor, zeros } from '../../src/entry/node.js';
import type { CoordinateTransformationMode, NearestRounding, ResizeOptions } from '../../src/ops/resize.js';
import { prepareRunner, WeightCache } from '../../src/layers/exec.js';
import type { Step } from '../../src/layers/ir.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

/** ONNX Runtime's float32 arithmetic: scale = out / in as float32 unless given, and it divides. */
function source32(mode: CoordinateTransformationMode, x: number, input: number, output: number, scale: number | undefined): number {
  const f = Math.fround;
  const s = f(scale ?? f(output) / f(input));
  switch (mode) {
    case 'asymmetric':
      return f(x / s);
    case 'half_pixel':
      return f(f(f(x + 0.5) / s) - 0.5);
    case 'pytorch_half_pixel':
      return output > 1 ? f(f(f(x + 0.5) / s) - 0.5) : 0;
    case 'align_corners':
      return output > 1 ? f(f(x * (input - 1)) / (output - 1)) : 0;
    case 'tf_half_pixel_for_nn':
      return f(f(x + 0.5) / s);
  }
}

function source(mode: CoordinateTransformationMode, x: number, input: number, output: number, scale: number | undefined, f32 = false): number {
  if (f32) return source32(mode, x, input, output, scale);
  const r = scale ? 1 / scale : input / output;
  switch (mode) {
    case 'asymmetric':
      return x * r;
    case 'half_pixel':
      return (x + 0.5) * r - 0.5;
    case 'pytorch_half_pixel':
      return output > 1 ? (x + 0.5) * r - 0.5 : 0;
    case 'align_corners':
      return output > 1 ? (x * (input - 1)) / (output - 1) : 0;
    case 'tf_half_pixel_for_nn':
      return (x + 0.5) * r;
  }
}

function round(m: NearestRounding, v: number): number {
  const half = v - Math.floor(v) === 0.5;
  if (m === 'floor') return Math.floor(v);
  if (m === 'ceil') return Math.ceil(v);
  if (half) return m === 'round_prefer_ceil' ? Math.ceil(v) : Math.floor(v);
  return Math.round(v);
}

function reference(x: Float32Array, [n, h, w, c]: number[], [oh, ow]: [number, number], o: Required<Omit<ResizeOptions, 'scales' | 'float32Coordinates'>> & { scales?: [number, number]; float32Coordinates?: boolean }): Float64Array {
  const out = new Float64Array(n! * oh * ow * c!);
  // ONNX Runtime (float32 coordinates) copies the input when every scale is 1.
  const unit = (s: number | undefined, i: number, o: number) => i === o && (s === undefined || Math.fround(s) === 1);
  if ((o.float32Coordinates ?? true) && unit(o.scales?.[0], h!, oh) && unit(o.scales?.[1], w!, ow)) return Float64Array.from(x);
  const at = (b: number, y: number, xx: number, ch: number) => x[((b * h! + y) * w! + xx) * c! + ch]!;
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  let i = 0;
  for (let b = 0; b < n!; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        const f32 = o.float32Coordinates ?? true;
        const sy = source(o.coordinateTransformationMode, y, h!, oh, o.scales?.[0], f32);
        const sx = source(o.coordinateTransformationMode, xx, w!, ow, o.scales?.[1], f32);
        for (let ch = 0; ch < c!; ch++) {
          if (o.mode === 'nearest') {
            out[i++] = at(b, clamp(round(o.nearestMode, sy), h! - 1), clamp(round(o.nearestMode, sx), w! - 1), ch);
          } else {
            const cy = clamp(sy, h! - 1);
            const cx = clamp(sx, w! - 1);
            const [y0, x0] = [Math.floor(cy), Math.floor(cx)];
            const [y1, x1] = [Math.min(y0 + 1, h! - 1), Math.min(x0 + 1, w! - 1)];
            const [ly, lx] = [cy - y0, cx - x0];
            const top = at(b, y0, x0, ch) * (1 - lx) + at(b, y0, x1, ch) * lx;
            const bot = at(b, y1, x0, ch) * (1 - lx) + at(b, y1, x1, ch) * lx;
            out[i++] = top * (1 - ly) + bot * ly;
          }
        }
      }
  return out;
}

const COORDS: CoordinateTransformationMode[] = ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'tf_half_pixel_for_nn'];
const ROUNDINGS: NearestRounding[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

describe(`resize through the ${TEST_BUILD} wasm`, () => {
  it('matches the reference over sizes (up, down, to 1), channels, coordinate modes and roundings', () => {
    let seed = 0;
    for (const [h, w, oh, ow] of [[4, 5, 8, 10], [5, 3, 11, 7], [7, 9, 3, 4], [1, 6, 3, 1], [6, 6, 1, 1], [2, 5, 7, 13]] as const)
      for (const c of [1, 3, 4, 9])
        for (const coord of COORDS)
          for (const mode of ['linear', ...ROUNDINGS] as const) {
            seed++;
            const next = rng(seed);
            const n = 1 + (seed % 2);
            const xData = randomArray(n * h * w * c, next);
            const scales: [number, number] | undefined = seed % 5 === 0 ? [Math.fround((oh / h) * 1.1), Math.fround((ow / w) * 0.9)] : undefined;
            const float32Coordinates = seed % 3 !== 0;
            const o = { mode: mode === 'linear' ? 'linear' : 'nearest', coordinateTransformationMode: coord, nearestMode: mode === 'linear' ? 'floor' : mode, float32Coordinates, ...(scales ? { scales } : {}) } as const;
            using x = tensor(xData, [n, h, w, c]);
            using y = resize(x, [oh, ow], o);
            expect(y.shape).toEqual([n, oh, ow, c]);
            expectClose(y.data(), reference(xData, [n, h, w, c], [oh, ow], o), { scale: 2 });
          }
  });

  it('TF flags map to the ONNX modes, and the step runs it into a given output', () => {
    const next = rng(3);
    const xData = randomArray(2 * 5 * 7 * 6, next);
    using x = tensor(xData, [2, 5, 7, 6]);
    const ref = (mode: 'linear' | 'nearest', coord: CoordinateTransformationMode, nearestMode: NearestRounding) =>
      reference(xData, [2, 5, 7, 6], [9, 4], { mode, coordinateTransformationMode: coord, nearestMode, float32Coordinates: false });
    for (const [a, hp, coord] of [[false, false, 'asymmetric'], [true, false, 'align_corners'], [false, true, 'half_pixel']] as const) {
      using y = resizeBilinear(x, [9, 4], { alignCorners: a, halfPixelCenters: hp });
      expectClose(y.data(), ref('linear', coord, 'floor'), { scale: 2 });
    }
    for (const [a, hp, coord, r] of [[false, false, 'asymmetric', 'floor'], [true, false, 'align_corners', 'round_prefer_ceil'], [false, true, 'tf_half_pixel_for_nn', 'floor']] as const) {
      using y = resizeNearestNeighbor(x, [9, 4], { alignCorners: a, halfPixelCenters: hp });
      expectClose(y.data(), ref('nearest', coord, r), { scale: 1 });
    }
    const step: Step = { kind: 'resize', layer: 'up', inputs: [0], output: 1, macs: 0, resize: { mode: 'linear', coordinateTransformationMode: 'half_pixel', nearestMode: 'floor', float32Coordinates: false } };
    const cache = new WeightCache();
    const run = prepareRunner(step, [[5, 7, 6], [9, 4, 6]], 2, cache);
    using out = zeros([2, 9, 4, 6]);
    run([x], out);
    expectClose(out.data(), ref('linear', 'half_pixel', 'floor'), { scale: 2 });
    cache.dispose();
  });

  it('throws typed errors naming the problem, and stays usable afterwards', () => {
    using x = tensor(new Float32Array(2 * 4 * 4 * 3), [2, 4, 4, 3]);
    expect(() => resizeBilinear(x, [8, 8], { alignCorners: true, halfPixelCenters: true })).toThrow(OptionError);
    expect(() => resizeBilinear(x, [8, 8], { alignCorners: true, halfPixelCenters: true })).toThrow(/halfPixelCenters/);
    expect(() => resizeBilinear(x, [0, 8])).toThrow(/size.*\[0, ?8\]/);
    expect(() => resizeBilinear(x, [8, 2.5] as never)).toThrow(OptionError);
    expect(() => resizeBilinear(x, [8] as never)).toThrow(OptionError);
    expect(() => resize(x, [8, 8], { mode: 'cubic' as never })).toThrow(/mode/);
    expect(() => resize(x, [8, 8], { coordinateTransformationMode: 'tf_crop_and_resize' as never })).toThrow(/coordinateTransformationMode.*tf_crop_and_resize/);
    expect(() => resize(x, [8, 8], { mode: 'nearest', nearestMode: 'round' as never })).toThrow(/nearestMode/);
    expect(() => resize(x, [8, 8], { scales: [2, 0] })).toThrow(/scales/);
    expect(() => resize(x, [8, 8], { float32Coordinates: 1 as never })).toThrow(/float32Coordinates/);
    using flat = tensor(new Float32Array(12), [4, 3]);
    expect(() => resizeBilinear(flat, [8, 8])).toThrow(ShapeError);
    using wrong = zeros([2, 8, 8, 2]);
    expect(() => resizeBilinear(x, [8, 8], {}, wrong)).toThrow(ShapeError);
    const gone = tensor(new Float32Array(2 * 4 * 4 * 3), [2, 4, 4, 3]);
    gone.dispose();
    expect(() => resizeBilinear(gone, [8, 8])).toThrow(DisposedTensorError);
    using y = resizeBilinear(x, [8, 8]);
    expect(y.shape).toEqual([2, 8, 8, 3]);
  });
});
