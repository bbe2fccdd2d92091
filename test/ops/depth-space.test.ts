// depthToSpace / spaceToDepth against TF.js CPU (tf.depthToSpace, NHWC; TF.js has no spaceToDepth) and ONNX
// Runtime's DepthToSpace (DCR and CRD) and SpaceToDepth on NCHW, over blocks, channels and odd sizes.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';
import { attrInt, onnxModel, ort, toNchw, toNhwc, valueInfo as vi, onnx } from '../engines/onnx.js';

beforeAll(async () => {
  await sc.init();
  await tf.setBackend('cpu');
});

const SHAPES = [[1, 1], [2, 3], [5, 4], [3, 7]] as const;

describe('depthToSpace against TF.js CPU', () => {
  it('equals tf.depthToSpace bit for bit', () => {
    let seed = 0;
    for (const b of [2, 3, 4])
      for (const co of [1, 3, 5])
        for (const [h, w] of SHAPES) {
          seed++;
          const next = rng(seed);
          const shape = [1 + (seed % 2), h, w, co * b * b];
          const x = Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, next);
          const want = tf.tidy(() => tf.depthToSpace(tf.tensor4d(x, shape as [number, number, number, number]), b).dataSync());
          const xt = sc.tensor(x, shape);
          const y = sc.depthToSpace(xt, b);
          expect(y.data(), JSON.stringify({ b, shape })).toEqual(want);
          xt.dispose();
          y.dispose();
        }
  });
});

describe('depthToSpace / spaceToDepth against ONNX Runtime', () => {
  it('equal DepthToSpace (DCR, CRD) and SpaceToDepth bit for bit', async () => {
    const str = (name: string, v: string) => onnx.AttributeProto.create({ name, s: new TextEncoder().encode(v), type: 3 });
    const run = async (opType: string, attrs: unknown[], x: Float32Array, nchwIn: number[], nchwOut: number[]) => {
      const node = onnx.NodeProto.create({ opType, input: ['x'], output: ['y'], attribute: attrs });
      const session = await ort.InferenceSession.create(onnxModel([node], [vi('x', nchwIn)], [vi('y', nchwOut)]));
      const [n, c, h, w] = nchwIn as [number, number, number, number];
      const res = await session.run({ x: new ort.Tensor('float32', toNchw(x, [n, h, w, c]), nchwIn) });
      await session.release();
      return toNhwc(res.y.data as Float32Array, nchwOut);
    };
    let seed = 100;
    let cases = 0;
    for (const b of [2, 3])
      for (const co of [1, 4])
        for (const [h, w] of SHAPES) {
          seed++;
          const next = rng(seed);
          const n = 1 + (seed % 2);
          const c = co * b * b;
          const x = Float32Array.from({ length: n * h * w * c }, next);
          for (const mode of ['DCR', 'CRD'] as const) {
            const want = await run('DepthToSpace', [attrInt('blocksize', b), str('mode', mode)], x, [n, c, h, w], [n, co, h * b, w * b]);
            const xt = sc.tensor(x, [n, h, w, c]);
            const y = sc.depthToSpace(xt, b, mode);
            expect(y.data(), JSON.stringify({ mode, b, n, h, w, c })).toEqual(want);
            xt.dispose();
            y.dispose();
            cases++;
          }
          // SpaceToDepth of a [n, h*b, w*b, co] input.
          const s = Float32Array.from({ length: n * h * b * w * b * co }, next);
          const want = await run('SpaceToDepth', [attrInt('blocksize', b)], s, [n, co, h * b, w * b], [n, c, h, w]);
          const st = sc.tensor(s, [n, h * b, w * b, co]);
          const d = sc.spaceToDepth(st, b);
          expect(d.data(), JSON.stringify({ op: 'SpaceToDepth', b, n, h, w, co })).toEqual(want);
          st.dispose();
          d.dispose();
          cases++;
        }
    console.log(`depth/space vs ORT: ${cases} cases, all bit-exact`);
  });
});
