// padND / mirrorPad against TF.js CPU's tf.pad (constant value, any axis, including the channel padding
// a detector uses) and tf.mirrorPad (reflect, symmetric), over ranks 1-4 and swept paddings: bit-exact.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';

beforeAll(async () => {
  await sc.init();
  await tf.setBackend('cpu');
});

describe('padND / mirrorPad against TF.js CPU', () => {
  it('equal tf.pad and tf.mirrorPad', () => {
    let seed = 0;
    let cases = 0;
    for (const shape of [[7], [3, 5], [2, 4, 3], [1, 5, 6, 8], [2, 3, 3, 2]])
      for (const mode of ['constant', 'reflect', 'symmetric'] as const)
        for (let trial = 0; trial < 4; trial++) {
          const next = rng(++seed);
          const pads = shape.map((n): [number, number] => {
            const lim = mode === 'reflect' ? n - 1 : mode === 'symmetric' ? n : 4;
            const r = () => Math.floor(((next() + 1) / 2) * (lim + 1));
            return [r(), r()];
          });
          const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next);
          const want = tf.tidy(() => {
            const t = tf.tensor(x, shape);
            return (mode === 'constant' ? tf.pad(t, pads, 0.25 * trial) : tf.mirrorPad(t, pads, mode)).dataSync();
          });
          const xt = sc.tensor(x, shape);
          const y = mode === 'constant' ? sc.padND(xt, pads, 'constant', 0.25 * trial) : sc.mirrorPad(xt, pads, mode);
          expect(y.data(), JSON.stringify({ shape, pads, mode })).toEqual(want);
          xt.dispose();
          y.dispose();
          cases++;
        }
    // The detector: channel padding [[0,0],[0,0],[0,0],[0,24]].
    const x = Float32Array.from({ length: 1 * 5 * 5 * 24 }, rng(99));
    const want = tf.tidy(() => tf.pad(tf.tensor4d(x, [1, 5, 5, 24]), [[0, 0], [0, 0], [0, 0], [0, 24]]).dataSync());
    const xt = sc.tensor(x, [1, 5, 5, 24]);
    const y = sc.padND(xt, [[0, 0], [0, 0], [0, 0], [0, 24]]);
    expect(y.shape).toEqual([1, 5, 5, 48]);
    expect(y.data()).toEqual(want);
    console.log(`padND / mirrorPad vs TF.js: ${cases + 1} cases, bit-exact`);
  });
});
