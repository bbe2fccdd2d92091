// conv2dTranspose against TF.js CPU's conv2dTranspose (TF's outputShape / 'same' / 'valid' semantics) and
// ONNX Runtime's ConvTranspose (explicit pads, output_padding, dilations), on random inputs over swept shapes.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';
import { attrInts, onnxModel, ort, toNchw, toNhwc, valueInfo as vi, onnx } from '../engines/onnx.js';

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

describe('conv2dTranspose against TF.js CPU', () => {
  it('matches tf.conv2dTranspose over kernel sizes, strides, paddings and odd sizes (max |err| / (1 + |ref|) <= 1e-5)', () => {
    let worst = 0;
    let cases = 0;
    let seed = 0;
    for (const k of [[1, 1], [2, 2], [3, 3], [4, 4], [5, 3]] as [number, number][])
      for (const s of [[1, 1], [2, 2], [3, 2]] as [number, number][])
        for (const pad of ['same', 'valid'] as const)
          for (const [cin, cout] of [[3, 8], [8, 5], [16, 1]] as const) {
            seed++;
            const next = rng(seed);
            const [n, h, w] = [1 + (seed % 2), 3 + (seed % 5), 4 + (seed % 4)];
            const oh = pad === 'same' ? h * s[0] : (h - 1) * s[0] + k[0];
            const ow = pad === 'same' ? w * s[1] : (w - 1) * s[1] + k[1];
            const x = Float32Array.from({ length: n * h * w * cin }, next);
            const f = Float32Array.from({ length: k[0] * k[1] * cout * cin }, next);
            const want = tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(x, [n, h, w, cin]), tf.tensor4d(f, [k[0], k[1], cout, cin]), [n, oh, ow, cout], s, pad).dataSync());
            const xt = sc.tensor(x, [n, h, w, cin]);
            const ft = sc.tensor(f, [k[0], k[1], cout, cin]);
            const y = sc.conv2dTranspose(xt, ft, [n, oh, ow, cout], { strides: s, padding: pad });
            worst = Math.max(worst, worstOf(y.data(), want));
            expect(worst, JSON.stringify({ k, s, pad, cin, cout, n, h, w })).toBeLessThanOrEqual(1e-5);
            for (const t of [xt, ft, y]) t.dispose();
            cases++;
          }
    console.log(`conv2dTranspose vs tf.conv2dTranspose: ${cases} cases, worst ${worst.toExponential(2)}`);
  });

  it('takes any output size TF accepts for a padding (the forward conv of it gives the input size)', () => {
    // stride 2 'same' over 5 rows: OH 9 and 10 both give ceil(OH / 2) = 5; 'valid' k3: OH 11 and 12.
    let seed = 900;
    for (const [pad, oh, ow] of [['same', 9, 10], ['same', 10, 9], ['valid', 11, 12], ['valid', 12, 11]] as const) {
      const next = rng(seed++);
      const x = Float32Array.from({ length: 5 * 5 * 4 }, next);
      const f = Float32Array.from({ length: 3 * 3 * 6 * 4 }, next);
      const want = tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(x, [1, 5, 5, 4]), tf.tensor4d(f, [3, 3, 6, 4]), [1, oh, ow, 6], 2, pad).dataSync());
      const xt = sc.tensor(x, [1, 5, 5, 4]);
      const ft = sc.tensor(f, [3, 3, 6, 4]);
      const y = sc.conv2dTranspose(xt, ft, [oh, ow, 6], { strides: 2, padding: pad });
      expect(worstOf(y.data(), want), `${pad} ${oh}x${ow}`).toBeLessThanOrEqual(1e-5);
      for (const t of [xt, ft, y]) t.dispose();
    }
  });
});

describe('conv2dTranspose against ONNX Runtime ConvTranspose', () => {
  it('matches with explicit pads, output_padding and dilations (max |err| / (1 + |ref|) <= 1e-5)', async () => {
    let worst = 0;
    let seed = 2000;
    for (const k of [[3, 3], [2, 4]] as [number, number][])
      for (const s of [[1, 1], [2, 2], [3, 2]] as [number, number][])
        for (const d of [[1, 1], [2, 1]] as [number, number][])
          for (const pads of [[0, 0, 0, 0], [1, 1, 1, 1], [2, 0, 1, 3]] as [number, number, number, number][]) {
            seed++;
            const next = rng(seed);
            const [n, h, w, cin, cout] = [1 + (seed % 2), 4 + (seed % 3), 5, 5, 7];
            // ORT refuses output_padding >= stride (the spec allows up to max(stride, dilation) - 1).
            const op: [number, number] = [seed % s[0], (seed >> 1) % s[1]];
            const span = (i: number) => (k[i]! - 1) * d[i]! + 1;
            const oh = s[0] * (h - 1) + op[0] + span(0) - pads[0] - pads[1];
            const ow = s[1] * (w - 1) + op[1] + span(1) - pads[2] - pads[3];
            if (oh < 1 || ow < 1) continue;
            const x = Float32Array.from({ length: n * h * w * cin }, next);
            const f = Float32Array.from({ length: k[0] * k[1] * cout * cin }, next);
            const bias = Float32Array.from({ length: cout }, next);
            // ONNX W [Cin, Cout, KH, KW] from TF [KH, KW, Cout, Cin].
            const wOnnx = new Float32Array(f.length);
            for (let ky = 0; ky < k[0]; ky++)
              for (let kx = 0; kx < k[1]; kx++)
                for (let co = 0; co < cout; co++)
                  for (let ci = 0; ci < cin; ci++) wOnnx[((ci * cout + co) * k[0] + ky) * k[1] + kx] = f[((ky * k[1] + kx) * cout + co) * cin + ci]!;
            const node = onnx.NodeProto.create({
              opType: 'ConvTranspose',
              input: ['x', 'w', 'b'],
              output: ['y'],
              attribute: [attrInts('kernel_shape', k), attrInts('strides', s), attrInts('dilations', d), attrInts('pads', [pads[0], pads[2], pads[1], pads[3]]), attrInts('output_padding', op)],
            });
            const session = await ort.InferenceSession.create(
              onnxModel([node], [vi('x', [n, cin, h, w]), vi('w', [cin, cout, k[0], k[1]]), vi('b', [cout])], [vi('y', [n, cout, oh, ow])]),
            );
            const res = await session.run({
              x: new ort.Tensor('float32', toNchw(x, [n, h, w, cin]), [n, cin, h, w]),
              w: new ort.Tensor('float32', wOnnx, [cin, cout, k[0], k[1]]),
              b: new ort.Tensor('float32', bias, [cout]),
            });
            const want = toNhwc(res.y.data as Float32Array, [n, cout, oh, ow]);
            await session.release();
            const xt = sc.tensor(x, [n, h, w, cin]);
            const ft = sc.tensor(f, [k[0], k[1], cout, cin]);
            const y = sc.conv2dTranspose(xt, ft, [oh, ow, cout], { strides: s, dilations: d, padding: pads, bias });
            worst = Math.max(worst, worstOf(y.data(), want));
            expect(worst, JSON.stringify({ k, s, d, pads, op })).toBeLessThanOrEqual(1e-5);
            for (const t of [xt, ft, y]) t.dispose();
          }
    console.log(`conv2dTranspose vs ORT ConvTranspose: worst ${worst.toExponential(2)}`);
  });
});
