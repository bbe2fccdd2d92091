// TF.js graph models with the layout / image ops (io/graph-ops/layout-image.ts), TF semantics, loaded by
// sepconv (loadGraphModel) and by tfjs-converter (CPU) from the same hand-written model.json + weights:
// ResizeBilinear / ResizeNearestNeighbor (align_corners, half_pixel_centers; up and down),
// Conv2DBackpropInput (SAME / VALID, strides), DepthToSpace, SpaceToDepth, MirrorPad (REFLECT, SYMMETRIC).
// Tolerance: max |ours - tfjs| <= 2e-5 * (1 + |tfjs|).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfconv from '@tensorflow/tfjs-converter';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';

beforeAll(async () => {
  await sc.init();
  await tf.setBackend('cpu');
});

const [H, W, C] = [7, 6, 4];
const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
const F = { type: 'DT_FLOAT' };

type ConstDef = [string, number[], Float32Array | Int32Array];

function graphModel(consts: ConstDef[], op: { op: string; input: string[]; attr: Record<string, unknown> }, dims = [H, W, C]) {
  const node = (name: string, o: string, input: string[], attr: Record<string, unknown>) => ({ name, op: o, input, attr });
  const nodes: unknown[] = [
    node('x', 'Placeholder', [], { shape: { shape: { dim: [-1, ...dims].map((d) => ({ size: String(d) })) } }, dtype: F }),
    ...consts.map(([name, shape, v]) => {
      const dtype = v instanceof Int32Array ? 'DT_INT32' : 'DT_FLOAT';
      return node(name, 'Const', [], { value: { tensor: { dtype, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } }, dtype: { type: dtype } });
    }),
    node('op', op.op, op.input, { T: F, ...op.attr }),
    node('Identity', 'Identity', ['op'], { T: F }),
  ];
  const weightSpecs = consts.map(([name, shape, v]) => ({ name, shape, dtype: v instanceof Int32Array ? ('int32' as const) : ('float32' as const) }));
  const bytes = new Uint8Array(consts.reduce((a, [, , v]) => a + v.byteLength, 0));
  let off = 0;
  for (const [, , v] of consts) {
    bytes.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), off);
    off += v.byteLength;
  }
  const modelTopology = { node: nodes, library: {}, versions: {} };
  return {
    modelJson: { format: 'graph-model', modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] },
    artifacts: { format: 'graph-model', modelTopology, weightSpecs, weightData: bytes.slice().buffer },
    weights: bytes.slice().buffer,
    dims,
  };
}

/** tfjs-converter runs the graph; or `reference` (TF.js ops) computes what it lacks (SpaceToDepth). */
async function expectSame(g: ReturnType<typeof graphModel>, seed: number, label: string, reference?: (x: tf.Tensor) => tf.Tensor): Promise<number> {
  const ours = await sc.loadGraphModel({ modelJson: g.modelJson, weights: g.weights });
  const ref = reference ? { predict: reference, dispose: () => {} } : await tfconv.loadGraphModel(tf.io.fromMemory(g.artifacts as any));
  const next = rng(seed);
  const xShape = [2, ...g.dims];
  const xData = Float32Array.from({ length: xShape.reduce((a, b) => a * b, 1) }, () => next());
  using x = sc.tensor(xData, xShape);
  const y = ours.predict(x) as sc.Tensor;
  const got = y.data();
  const [want, shape] = tf.tidy(() => {
    const t = ref.predict(tf.tensor(xData, xShape)) as tf.Tensor;
    return [t.dataSync(), t.shape] as const;
  });
  expect([...y.shape], label).toEqual(shape);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  expect(worst, label).toBeLessThanOrEqual(2e-5);
  ours.dispose();
  ref.dispose();
  return worst;
}

describe('graph models: layout / image ops through loadGraphModel vs tfjs-converter (CPU)', () => {
  it('ResizeBilinear and ResizeNearestNeighbor: align_corners / half_pixel_centers, up and down', async () => {
    let worst = 0;
    let i = 0;
    for (const op of ['ResizeBilinear', 'ResizeNearestNeighbor']) {
      for (const [ac, hp] of [[false, false], [true, false], [false, true]]) {
        for (const size of [[14, 12], [11, 5], [3, 4], [7, 6]]) {
          i++;
          const g = graphModel([['size', [2], Int32Array.from(size)]], { op, input: ['x', 'size'], attr: { align_corners: { b: ac }, half_pixel_centers: { b: hp } } });
          worst = Math.max(worst, await expectSame(g, i, `${op} ${JSON.stringify({ ac, hp, size })}`));
        }
      }
    }
    console.log(`graph resize: ${i} cases, worst ${worst.toExponential(2)}`);
  });

  it('Conv2DBackpropInput: SAME and VALID, strides 1 and 2, kernels 1..4', async () => {
    let i = 0;
    for (const padding of ['SAME', 'VALID']) {
      for (const s of [1, 2]) {
        for (const k of [1, 2, 3, 4]) {
          i++;
          const cout = 5;
          const oh = padding === 'SAME' ? H * s : (H - 1) * s + k;
          const ow = padding === 'SAME' ? W * s : (W - 1) * s + k;
          const next = rng(100 + i);
          const f = Float32Array.from({ length: k * k * cout * C }, () => next() / k);
          const g = graphModel(
            [
              ['sizes', [4], Int32Array.of(2, oh, ow, cout)],
              ['filter', [k, k, cout, C], f],
            ],
            { op: 'Conv2DBackpropInput', input: ['sizes', 'filter', 'x'], attr: { strides: ints(1, s, s, 1), padding: { s: b64(padding) }, data_format: { s: b64('NHWC') }, dilations: ints(1, 1, 1, 1) } },
          );
          await expectSame(g, 200 + i, `Conv2DBackpropInput ${padding} s${s} k${k}`);
        }
      }
    }
  });

  it('DepthToSpace, SpaceToDepth, MirrorPad (REFLECT, SYMMETRIC, on H, W and C)', async () => {
    await expectSame(graphModel([], { op: 'DepthToSpace', input: ['x'], attr: { block_size: { i: '2' }, data_format: { s: b64('NHWC') } } }), 1, 'DepthToSpace 2');
    for (const mode of ['REFLECT', 'SYMMETRIC']) {
      for (const p of [[0, 0, 1, 2, 2, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 2], [0, 0, 3, 0, 0, 4, 1, 1]]) {
        const g = graphModel([['paddings', [4, 2], Int32Array.from(p)]], { op: 'MirrorPad', input: ['x', 'paddings'], attr: { mode: { s: b64(mode) }, Tpaddings: { type: 'DT_INT32' } } });
        await expectSame(g, 3, `MirrorPad ${mode} ${JSON.stringify(p)}`);
      }
    }
  });

  it('SpaceToDepth on 8x6 and 9x6 maps (blocks 2, 3), refused where the block does not divide', async () => {
    // TF.js has no SpaceToDepth op: TF's definition written with reshape / transpose.
    const s2d = (b: number) => (x: tf.Tensor) => {
      const [n, h, w, c] = x.shape as number[];
      return tf.reshape(tf.transpose(tf.reshape(x, [n!, h! / b, b, w! / b, b, c!]), [0, 1, 3, 2, 4, 5]), [n!, h! / b, w! / b, b * b * c!]);
    };
    await expectSame(graphModel([], { op: 'SpaceToDepth', input: ['x'], attr: { block_size: { i: '2' }, data_format: { s: b64('NHWC') } } }, [8, 6, 3]), 4, 'SpaceToDepth 2', s2d(2));
    await expectSame(graphModel([], { op: 'SpaceToDepth', input: ['x'], attr: { block_size: { i: '3' }, data_format: { s: b64('NHWC') } } }, [9, 6, 2]), 5, 'SpaceToDepth 3', s2d(3));
    const bad = graphModel([], { op: 'SpaceToDepth', input: ['x'], attr: { block_size: { i: '2' }, data_format: { s: b64('NHWC') } } });
    const e = await sc.loadGraphModel({ modelJson: bad.modelJson, weights: bad.weights }).catch((err) => err);
    expect(e).toBeInstanceOf(sc.ModelFormatError);
    expect(String(e.message)).toMatch(/op.*divisible/);
  });
});
