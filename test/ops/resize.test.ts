// resizeBilinear / resizeNearestNeighbor against TF.js CPU's tf.image ops with every alignCorners /
// halfPixelCenters combination TF accepts, and resize() against ONNX Runtime's Resize (linear / nearest,
// each coordinate_transformation_mode and nearest_mode, sizes and scales), on random inputs over swept shapes.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';
import { initializer, onnxModel, ort, toNchw, toNhwc, valueInfo as vi, onnx } from '../engines/onnx.js';

beforeAll(async () => {
  await sc.init();
  await tf.setBackend('cpu');
});

const worstOf = (got: ArrayLike<number>, want: ArrayLike<number>): number => {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  return worst;
};

const SIZES = [[4, 5, 8, 10], [5, 3, 11, 7], [7, 9, 3, 4], [1, 6, 3, 1], [6, 6, 1, 1], [3, 3, 3, 3], [2, 5, 7, 13], [9, 8, 4, 17]] as const;

describe('resize against TF.js CPU tf.image', () => {
  it('matches resizeBilinear and resizeNearestNeighbor with each flag combination (max |err| / (1 + |ref|) <= 1e-6)', () => {
    let seed = 0;
    let worst = 0;
    let cases = 0;
    for (const [h, w, oh, ow] of SIZES)
      for (const c of [1, 3, 8, 13])
        for (const [alignCorners, halfPixelCenters] of [[false, false], [true, false], [false, true]] as const)
          for (const kind of ['bilinear', 'nearest'] as const) {
            seed++;
            const next = rng(seed);
            const n = 1 + (seed % 2);
            const x = Float32Array.from({ length: n * h * w * c }, next);
            const want = tf.tidy(() => {
              const t = tf.tensor4d(x, [n, h, w, c]);
              return (kind === 'bilinear' ? tf.image.resizeBilinear(t, [oh, ow], alignCorners, halfPixelCenters) : tf.image.resizeNearestNeighbor(t, [oh, ow], alignCorners, halfPixelCenters)).dataSync();
            });
            const xt = sc.tensor(x, [n, h, w, c]);
            const y = kind === 'bilinear' ? sc.resizeBilinear(xt, [oh, ow], { alignCorners, halfPixelCenters }) : sc.resizeNearestNeighbor(xt, [oh, ow], { alignCorners, halfPixelCenters });
            const e = worstOf(y.data(), want);
            expect(e, JSON.stringify({ kind, h, w, oh, ow, c, alignCorners, halfPixelCenters })).toBeLessThanOrEqual(kind === 'nearest' ? 0 : 1e-6);
            worst = Math.max(worst, e);
            xt.dispose();
            y.dispose();
            cases++;
          }
    console.log(`resize vs tf.image: ${cases} cases, worst ${worst.toExponential(2)}`);
  });
});

describe('resize against ONNX Runtime Resize', () => {
  it('matches every coordinate_transformation_mode and nearest_mode, with sizes and with scales', async () => {
    const str = (name: string, v: string) => onnx.AttributeProto.create({ name, s: new TextEncoder().encode(v), type: 3 });
    let seed = 500;
    let worst = 0;
    let cases = 0;
    const modes: [string, string, string][] = [];
    for (const coord of ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners'] as const) modes.push(['linear', coord, 'floor']);
    for (const coord of ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'tf_half_pixel_for_nn'] as const)
      for (const nearest of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const) modes.push(['nearest', coord, nearest]);
    for (const [mode, coord, nearest] of modes)
      for (const [h, w, oh0, ow0] of SIZES)
        for (const useScales of [false, true]) {
          seed++;
          const next = rng(seed);
          const [n, c] = [1 + (seed % 2), 1 + (seed % 5)];
          // With scales, ONNX's output is floor(in * scale) and the transform uses the scale itself, a float32
          // in the model (an importer passes that value: 1.7 and fround(1.7) round a tie differently).
          const scales: [number, number] = [Math.fround((oh0 / h) * 1.25), Math.fround((ow0 / w) * 0.8)];
          const [oh, ow] = useScales ? [Math.floor(h * scales[0]), Math.floor(w * scales[1])] : [oh0, ow0];
          if (oh < 1 || ow < 1) continue;
          const x = Float32Array.from({ length: n * h * w * c }, next);
          const inits = useScales ? [initializer('scales', new Float32Array([1, 1, ...scales]), [4])] : [initializer('sizes', new BigInt64Array([n, c, oh, ow].map(BigInt)), [4])];
          const node = onnx.NodeProto.create({
            opType: 'Resize',
            input: useScales ? ['x', '', 'scales'] : ['x', '', '', 'sizes'],
            output: ['y'],
            attribute: [str('mode', mode), str('coordinate_transformation_mode', coord), str('nearest_mode', nearest)],
          });
          const session = await ort.InferenceSession.create(onnxModel([node], [vi('x', [n, c, h, w])], [vi('y', [n, c, oh, ow])], inits));
          const res = await session.run({ x: new ort.Tensor('float32', toNchw(x, [n, h, w, c]), [n, c, h, w]) });
          const want = toNhwc(res.y.data as Float32Array, [n, c, oh, ow]);
          await session.release();
          const xt = sc.tensor(x, [n, h, w, c]);
          const y = sc.resize(xt, [oh, ow], {
            mode: mode as 'linear' | 'nearest',
            coordinateTransformationMode: coord as sc.CoordinateTransformationMode,
            nearestMode: nearest as sc.NearestRounding,
            ...(useScales ? { scales } : {}),
          });
          const e = worstOf(y.data(), want);
          expect(e, JSON.stringify({ mode, coord, nearest, h, w, oh, ow, useScales })).toBeLessThanOrEqual(1e-5);
          worst = Math.max(worst, e);
          xt.dispose();
          y.dispose();
          cases++;
        }
    console.log(`resize vs ORT Resize: ${cases} cases, worst ${worst.toExponential(2)}`);
  });
});
