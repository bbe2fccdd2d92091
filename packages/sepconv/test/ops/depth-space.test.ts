// depthToSpace (DCR / CRD) and spaceToDepth through the wasm vs references written per element from the
// TF / ONNX definitions, the model steps, and errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { depthToSpace, DisposedTensorError, OptionError, ShapeError, spaceToDepth, tensor, zeros } from '../../src/entry/node.js';
import { prepareRunner, WeightCache } from '../../src/layers/exec.js';
import { initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

/** out [N, H*b, W*b, C/(b*b)] from the definitions: DCR depth (i*b + j)*C' + k; CRD (ONNX, NCHW) channel k*b*b + i*b + j. */
function d2sReference(x: Float32Array, [n, h, w, c]: number[], b: number, mode: 'DCR' | 'CRD'): Float32Array {
  const co = c! / (b * b);
  const out = new Float32Array(x.length);
  for (let bn = 0; bn < n!; bn++)
    for (let oy = 0; oy < h! * b; oy++)
      for (let ox = 0; ox < w! * b; ox++)
        for (let k = 0; k < co; k++) {
          const [i, j] = [oy % b, ox % b];
          const ch = mode === 'DCR' ? (i * b + j) * co + k : k * b * b + i * b + j;
          out[((bn * h! * b + oy) * w! * b + ox) * co + k] = x[((bn * h! + Math.floor(oy / b)) * w! + Math.floor(ox / b)) * c! + ch]!;
        }
  return out;
}

describe(`depthToSpace / spaceToDepth through the ${TEST_BUILD} wasm`, () => {
  it('match the definitions over blocks, channels and odd sizes, and invert each other', () => {
    let seed = 0;
    for (const b of [1, 2, 3, 4])
      for (const co of [1, 3, 5])
        for (const [h, w] of [[1, 1], [2, 3], [5, 4]] as const)
          for (const mode of ['DCR', 'CRD'] as const) {
            seed++;
            const n = 1 + (seed % 2);
            const shape = [n, h, w, co * b * b];
            const xData = randomArray(n * h * w * co * b * b, rng(seed));
            using x = tensor(xData, shape);
            using y = depthToSpace(x, b, mode);
            expect(y.shape).toEqual([n, h * b, w * b, co]);
            expect(y.data()).toEqual(d2sReference(xData, shape, b, mode));
            if (mode === 'DCR') {
              using back = spaceToDepth(y, b);
              expect(back.shape).toEqual(shape);
              expect(back.data()).toEqual(xData);
            }
          }
  });

  it('run as model steps into a given output', () => {
    const xData = randomArray(2 * 3 * 4 * 12, rng(9));
    using x = tensor(xData, [2, 3, 4, 12]);
    const cache = new WeightCache();
    const run = prepareRunner({ kind: 'depthToSpace', layer: 'd2s', inputs: [0], output: 1, macs: 0, block: 2, mode: 'CRD' }, [[3, 4, 12], [6, 8, 3]], 2, cache);
    using y = zeros([2, 6, 8, 3]);
    run([x], y);
    expect(y.data()).toEqual(d2sReference(xData, [2, 3, 4, 12], 2, 'CRD'));
    const back = prepareRunner({ kind: 'spaceToDepth', layer: 's2d', inputs: [0], output: 1, macs: 0, block: 2 }, [[6, 8, 3], [3, 4, 12]], 2, cache);
    using z = zeros([2, 3, 4, 12]);
    back([y], z);
    expect(z.data()).toEqual(spaceToDepth(y, 2).data());
  });

  it('throw typed errors naming the problem, and stay usable afterwards', () => {
    using x = tensor(new Float32Array(2 * 3 * 5 * 6), [2, 3, 5, 6]);
    expect(() => depthToSpace(x, 2)).toThrow(ShapeError);
    expect(() => depthToSpace(x, 2)).toThrow(/multiple of blockSize\^2 = 4.*\[2, 3, 5, 6\]/);
    expect(() => depthToSpace(x, 0)).toThrow(OptionError);
    expect(() => depthToSpace(x, 1.5)).toThrow(/blockSize/);
    expect(() => depthToSpace(x, 2, 'RCD' as never)).toThrow(/mode/);
    expect(() => spaceToDepth(x, 2)).toThrow(/H and W multiples of blockSize 2.*\[2, 3, 5, 6\]/);
    using wrong = zeros([2, 6, 10, 2]);
    using x4 = tensor(new Float32Array(2 * 3 * 5 * 4), [2, 3, 5, 4]);
    expect(() => depthToSpace(x4, 2, 'DCR', wrong)).toThrow(ShapeError);
    const gone = tensor(new Float32Array(16), [1, 2, 2, 4]);
    gone.dispose();
    expect(() => depthToSpace(gone, 2)).toThrow(DisposedTensorError);
    using ok = depthToSpace(x4, 2);
    expect(ok.shape).toEqual([2, 6, 10, 1]);
  });
});
