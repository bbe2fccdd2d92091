// padND / mirrorPad (constant, reflect, symmetric on any axes) through the wasm vs a per-element reference
// from the TF definitions, the 'padND' model step, and errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { mirrorPad, OptionError, padND, ShapeError, tensor, zeros } from '../../src/entry/node.js';
import type { PadNdMode } from '../../src/ops/pad.js';
import { prepareRunner, WeightCache } from '../../src/layers/exec.js';
import { initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

function reference(x: Float32Array, shape: number[], pads: [number, number][], mode: PadNdMode, value: number): Float32Array {
  const outShape = shape.map((n, i) => n + pads[i]![0] + pads[i]![1]);
  const out = new Float32Array(outShape.reduce((a, b) => a * b, 1));
  for (let flat = 0; flat < out.length; flat++) {
    let rem = flat;
    const coords = outShape.map(() => 0);
    for (let a = shape.length - 1; a >= 0; a--) {
      coords[a] = rem % outShape[a]!;
      rem = Math.floor(rem / outShape[a]!);
    }
    let src = 0;
    let constant = false;
    for (let a = 0; a < shape.length; a++) {
      const n = shape[a]!;
      let i = coords[a]! - pads[a]![0];
      if (i < 0 || i >= n) {
        if (mode === 'constant') constant = true;
        else if (mode === 'reflect') i = i < 0 ? -i : 2 * (n - 1) - i;
        else i = i < 0 ? -i - 1 : 2 * n - 1 - i;
      }
      src = src * n + (constant ? 0 : i);
    }
    out[flat] = constant ? value : x[src]!;
  }
  return out;
}

describe(`padND / mirrorPad through the ${TEST_BUILD} wasm`, () => {
  it('match the definitions over ranks 1-5, every axis and the mirror limits', () => {
    let seed = 0;
    for (const shape of [[5], [3, 4], [2, 3, 4], [2, 3, 1, 5], [1, 2, 3, 2, 3]])
      for (const mode of ['constant', 'reflect', 'symmetric'] as const)
        for (let trial = 0; trial < 5; trial++) {
          const next = rng(++seed);
          const pads = shape.map((n): [number, number] => {
            const lim = mode === 'reflect' ? n - 1 : mode === 'symmetric' ? n : 3;
            const r = () => Math.floor(((next() + 1) / 2) * (lim + 1));
            return trial > 0 && next() < -0.3 ? [0, 0] : [r(), r()];
          });
          const xData = randomArray(shape.reduce((a, b) => a * b, 1), next);
          using x = tensor(xData, shape);
          using y = mode === 'constant' ? padND(x, pads, 'constant', trial - 1.5) : mirrorPad(x, pads, mode);
          expect(y.data(), JSON.stringify({ shape, pads, mode })).toEqual(reference(xData, shape, pads, mode, mode === 'constant' ? trial - 1.5 : 0));
        }
  });

  it('runs as a model step (per-sample paddings; the batch axis is not padded)', () => {
    const xData = randomArray(2 * 3 * 4 * 5, rng(4));
    using x = tensor(xData, [2, 3, 4, 5]);
    const run = prepareRunner({ kind: 'padND', layer: 'p', inputs: [0], output: 1, macs: 0, paddings: [[1, 2], [3, 0], [0, 24]], mode: 'constant', value: 0 }, [[3, 4, 5], [6, 7, 29]], 2, new WeightCache());
    using y = zeros([2, 6, 7, 29]);
    run([x], y);
    expect(y.data()).toEqual(reference(xData, [2, 3, 4, 5], [[0, 0], [1, 2], [3, 0], [0, 24]], 'constant', 0));
  });

  it('throws typed errors naming the problem, and stays usable afterwards', () => {
    using x = tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]);
    expect(() => mirrorPad(x, [[0, 0], [3, 0], [0, 0]], 'reflect')).toThrow(ShapeError);
    expect(() => mirrorPad(x, [[0, 0], [3, 0], [0, 0]], 'reflect')).toThrow(/at most 2 on axis 1 \(size 3\).*\[3, 0\]/);
    expect(() => mirrorPad(x, [[0, 0], [4, 0], [0, 0]], 'symmetric')).toThrow(/at most 3 on axis 1/);
    expect(() => mirrorPad(x, [[0, 0], [1, 1], [0, 0]], 'edge' as never)).toThrow(OptionError);
    expect(() => padND(x, [[0, 0], [1, 1]])).toThrow(/3 pairs/);
    expect(() => padND(x, [[0, 0], [1, -1], [0, 0]])).toThrow(/paddings/);
    expect(() => padND(x, [[0, 0], [1, 1], [0, 0]], 'constant', NaN)).toThrow(/value/);
    using y = mirrorPad(x, [[1, 1], [2, 2], [3, 3]], 'symmetric');
    expect(y.shape).toEqual([4, 7, 10]);
  });
});
