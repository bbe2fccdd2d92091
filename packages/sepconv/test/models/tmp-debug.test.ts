import { beforeAll, it } from 'vitest';
import { pointwiseConv2d, tensor, depthwiseConv2d } from '../../src/entry/node.js';
import { initForTest, randomArray, rng } from '../helpers.js';
import { gemmJS } from '../../src/layers/fallback.js';
beforeAll(async () => { await initForTest(); });
it('gemm sizes', () => {
  const next = rng(1);
  for (const [rows, k, n] of [[49, 512, 1024], [49, 1024, 1024], [1, 1024, 1000], [196, 512, 512], [3136, 128, 128], [12544, 32, 64], [784, 256, 256]] as const) {
    const x = randomArray(rows * k, next); const w = randomArray(k * n, next);
    const xt = tensor(x, [1, rows, 1, k]); const wt = tensor(w, [k, n]);
    const y = pointwiseConv2d(xt, wt).data();
    const ref = new Float32Array(rows * n); gemmJS(x, rows, k, ref, w, n, undefined, 'linear');
    let worst = 0; for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(y[i]! - ref[i]!) / (1 + Math.abs(ref[i]!)));
    console.log(rows, k, n, worst);
  }
});
