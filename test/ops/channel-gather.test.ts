// channelGather (the wasm channel gather behind ONNX Split / Slice of channels and the channel shuffle)
// against TF.js CPU's tf.gather on the last axis, bit for bit, over channel counts, ranks and index lists
// (runs, interleaves, strides, permutations, selections with repeats); bad indices are typed errors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';

beforeAll(async () => {
  await sc.init();
  await tf.setBackend('cpu');
});

/** Index lists for c channels: halves, 2..4-group shuffles and their halves, strides, reversal, random ones. */
function lists(c: number, signed: () => number): number[][] {
  const next = () => (signed() + 1) / 2;
  const out: number[][] = [Array.from({ length: c }, (_, i) => c - 1 - i)];
  const h = Math.max(1, c >> 1);
  out.push(Array.from({ length: h }, (_, i) => i), Array.from({ length: c - h || 1 }, (_, i) => Math.min(h + i, c - 1)));
  for (const g of [2, 3, 4]) {
    if (c % g) continue;
    const shuffle = Array.from({ length: c }, (_, j) => (j % g) * (c / g) + Math.floor(j / g));
    out.push(shuffle, shuffle.slice(0, h), shuffle.slice(h));
  }
  for (const s of [2, 3]) out.push(Array.from({ length: Math.ceil(c / s) }, (_, i) => i * s));
  out.push(Array.from({ length: 1 + Math.floor(next() * 2 * c) }, () => Math.floor(next() * c)));
  const perm = Array.from({ length: c }, (_, i) => i);
  for (let i = c - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  out.push(perm);
  return out;
}

describe('channelGather against TF.js CPU', () => {
  it('equals tf.gather(x, indices, -1) bit for bit over C 1..40, ranks 2..4 and many index lists', () => {
    let checked = 0;
    for (let c = 1; c <= 40; c++) {
      const next = rng(500 + c);
      const shape = c % 3 === 0 ? [2, c] : c % 3 === 1 ? [1, 3, 5, c] : [2, 7, c];
      const x = Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, next);
      const xt = sc.tensor(x, shape);
      const ref = tf.tensor(x, shape);
      for (const idx of lists(c, next)) {
        const want = tf.tidy(() => tf.gather(ref, tf.tensor1d(idx, 'int32'), -1).dataSync());
        const y = sc.channelGather(xt, idx);
        expect(y.shape).toEqual([...shape.slice(0, -1), idx.length]);
        expect(y.data(), JSON.stringify({ c, idx })).toEqual(want);
        y.dispose();
        checked++;
      }
      xt.dispose();
      ref.dispose();
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('writes into a given output; refuses bad indices and a wrong output with typed errors', () => {
    const xt = sc.tensor(Float32Array.from({ length: 24 }, (_, i) => i), [1, 2, 3, 4]);
    const out = sc.zeros([1, 2, 3, 2]);
    sc.channelGather(xt, [3, 0], out);
    expect(Array.from(out.data())).toEqual([3, 0, 7, 4, 11, 8, 15, 12, 19, 16, 23, 20]);
    for (const bad of [[4], [-1], [0.5], [], [NaN], [2 ** 32]] as number[][]) {
      expect(() => sc.channelGather(xt, bad), JSON.stringify(bad)).toThrow(sc.OptionError);
    }
    expect(() => sc.channelGather(xt, [0, 1, 2], out)).toThrow(sc.ShapeError);
    xt.dispose();
    out.dispose();
  });
});
