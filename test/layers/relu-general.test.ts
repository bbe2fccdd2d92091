// Keras ReLU's full form (tfjs-layers has only maxValue): min(x, max_value) for x >= threshold,
// negative_slope * (x - threshold) below, after a conv (not fused into it) and on a model input,
// against that definition in float64 on sepconv's own conv output. Tolerance 1e-6 * (1 + |ref|).
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';

beforeAll(async () => {
  await sc.init();
});

const relu = (x: number, maxValue: number, slope: number, threshold: number): number => (x >= threshold ? Math.min(x, maxValue) : slope * (x - threshold));

describe('ReLU with max_value, negative_slope and threshold', () => {
  const cases = [
    { maxValue: null, negativeSlope: 0.2, threshold: 0 },
    { maxValue: 1.5, negativeSlope: 0, threshold: 0.25 },
    { maxValue: 3, negativeSlope: 0.1, threshold: -0.5 },
    { maxValue: 0.5, negativeSlope: 0, threshold: 0 },
  ];
  for (const opts of cases) {
    it(JSON.stringify(opts), () => {
      const shape = [2, 5, 7, 6];
      const inp = sc.input({ shape: shape.slice(1) });
      const conv = sc.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same' });
      const h = conv.apply(inp) as sc.SymbolicTensor;
      const withRelu = sc.model({ inputs: inp, outputs: sc.layers.reLU(opts).apply(h) as sc.SymbolicTensor });
      const plain = sc.model({ inputs: inp, outputs: h });
      const next = rng(21);
      const x = Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => next() * 3);
      using xt = sc.tensor(x, shape);
      using pre = plain.predict(xt) as sc.Tensor;
      using y = withRelu.predict(xt) as sc.Tensor;
      const mv = opts.maxValue ?? Infinity;
      const p = pre.data();
      const got = y.data();
      let below = 0;
      for (let i = 0; i < p.length; i++) {
        const want = relu(p[i]!, mv, opts.negativeSlope, opts.threshold);
        if (p[i]! < opts.threshold) below++;
        expect(Math.abs(got[i]! - want), `element ${i}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want)));
      }
      expect(below).toBeGreaterThan(0);
      // On a model input directly (the step reads the external input).
      const direct = sc.model({ inputs: inp, outputs: sc.layers.reLU(opts).apply(inp) as sc.SymbolicTensor });
      using yd = direct.predict(xt) as sc.Tensor;
      const gd = yd.data();
      for (let i = 0; i < x.length; i++) expect(Math.abs(gd[i]! - relu(x[i]!, mv, opts.negativeSlope, opts.threshold))).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(x[i]!)));
      for (const m of [withRelu, plain, direct]) m.dispose();
    });
  }
});
