// fromPixels (RGBA -> [1, H, W, 3], bilinear resize, normalization) and tensor views / disposal.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { DisposedTensorError, fromPixels, OptionError, ShapeError, DTypeError, tensor, Tensor } from '../../src/entry/node.js';
import { runtime } from '../../src/runtime/state.js';
import { initForTest } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
  await tf.setBackend('cpu');
});

function image(w: number, h: number, seed = 1): { width: number; height: number; data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 11) % 256;
  return { width: w, height: h, data };
}

describe('fromPixels', () => {
  it('drops alpha and keeps raw values by default; unit, mobilenet and mean/std normalizations', () => {
    const img = image(3, 2);
    using raw = fromPixels(img);
    expect(raw.shape).toEqual([1, 2, 3, 3]);
    const r = raw.data();
    for (let p = 0; p < 6; p++) for (let c = 0; c < 3; c++) expect(r[p * 3 + c]).toBe(img.data[p * 4 + c]);
    using unit = fromPixels(img, { normalize: 'unit' });
    using mob = fromPixels(img, { normalize: 'mobilenet' });
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    using ms = fromPixels(img, { normalize: { mean, std } });
    const [u, m, s] = [unit.data(), mob.data(), ms.data()];
    for (let i = 0; i < r.length; i++) {
      expect(u[i]).toBeCloseTo(r[i]! / 255, 6);
      expect(m[i]).toBeCloseTo(r[i]! / 127.5 - 1, 6);
      expect(s[i]).toBeCloseTo((r[i]! / 255 - mean[i % 3]!) / std[i % 3]!, 5);
    }
    expect(Math.min(...m)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...m)).toBeLessThanOrEqual(1);
  });

  it('resize matches tf.image.resizeBilinear with half-pixel centers (down and up)', () => {
    for (const [w, h, ow, oh] of [
      [17, 13, 8, 6],
      [5, 4, 11, 9],
      [64, 48, 32, 32],
    ] as const) {
      const img = image(w, h, w);
      using t = fromPixels(img, { resize: [oh, ow], normalize: 'unit' });
      expect(t.shape).toEqual([1, oh, ow, 3]);
      const rgb = new Float32Array(w * h * 3);
      for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = img.data[p * 4 + c]! / 255;
      const ref = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(rgb, [1, h, w, 3]), [oh, ow], false, true).dataSync());
      const got = t.data();
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('throws typed errors for malformed pixels and options', () => {
    expect(() => fromPixels({ width: 2, height: 2, data: new Uint8ClampedArray(15) })).toThrow(ShapeError);
    expect(() => fromPixels({ width: 0, height: 2, data: new Uint8ClampedArray(0) })).toThrow(ShapeError);
    expect(() => fromPixels(null as never)).toThrow(DTypeError);
    expect(() => fromPixels(image(2, 2), { resize: [0, 2] })).toThrow(OptionError);
    expect(() => fromPixels(image(2, 2), { normalize: 'imagenet' as never })).toThrow(OptionError);
    expect(() => fromPixels(image(2, 2), { normalize: { mean: [0, 0], std: 1 } })).toThrow(/normalize.mean/);
    expect(() => fromPixels(image(2, 2), { normalize: { mean: 0, std: 0 } })).toThrow(/normalize.std/);
  });
});

describe('tensor() from integer pixel data (int32 / uint8 model inputs)', () => {
  it('casts Int32Array, Uint8Array and Uint8ClampedArray to float32 at the boundary; other typed arrays are DTypeErrors', () => {
    const ints = [0, 1, 127, 128, 255, 7, 42, 200];
    for (const data of [Int32Array.from([...ints, -5, 2 ** 24].slice(0, 8)), Uint8Array.from(ints), Uint8ClampedArray.from(ints)]) {
      const t = tensor(data, [1, 2, 2, 2]);
      expect(Array.from(t.data())).toEqual(Array.from(data, Number));
      t.dispose();
    }
    const big = tensor(Int32Array.from([-(2 ** 31), 2 ** 24, -7, 3]), [4]);
    expect(Array.from(big.data())).toEqual([-(2 ** 31), 2 ** 24, -7, 3]);
    big.dispose();
    expect(() => tensor(new Float64Array(4) as any, [4])).toThrow(DTypeError);
    expect(() => tensor(new Int16Array(4) as any, [4])).toThrow(/Int16Array/);
  });
});

describe('tensor views and disposal', () => {
  it('borrowed views never free; dispose detaches; Symbol.dispose works; use after dispose throws', () => {
    const owner = tensor([1, 2, 3, 4], [2, 2]);
    const view = Tensor.borrow([4], owner.ptr(), runtime());
    expect(view.isOwned).toBe(false);
    expect(Array.from(view.data())).toEqual([1, 2, 3, 4]);
    view.dispose();
    expect(() => view.data()).toThrow(DisposedTensorError);
    expect(Array.from(owner.data())).toEqual([1, 2, 3, 4]); // still there
    {
      using scoped = Tensor.borrow([2, 2], owner.ptr(), runtime());
      expect(scoped.shape).toEqual([2, 2]);
    }
    owner[Symbol.dispose]();
    expect(owner.isDisposed).toBe(true);
    expect(() => owner.ptr('op')).toThrow(/op: tensor of shape \[2, 2\] was used after dispose/);
  });
});
