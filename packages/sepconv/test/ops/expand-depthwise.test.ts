// The fused expand (1x1) -> depthwise kernel through the wasm vs the float64 reference of the two convs,
// and the model planner's use of it. Tolerance atol/rtol 1e-5 scaled by sqrt(Cin) * K.
import { beforeAll, describe, expect, it } from 'vitest';
import { KernelError, layers, sequential, tensor, Tensor } from '../../src/entry/node.js';
type T = Tensor;
import type { ActivationName } from '../../src/ops/activation.js';
import { PackedDepthwiseWeights, depthwiseGeometry } from '../../src/ops/depthwise.js';
import { expandDepthwiseFits, expandDepthwiseRing, runExpandDepthwise } from '../../src/ops/expand-depthwise.js';
import { PackedGemmWeights } from '../../src/ops/gemm.js';
import type { Padding } from '../../src/ops/geometry.js';
import { depthwiseReference, gemmReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
});

const pwActs: ActivationName[] = ['relu6', 'linear', 'swish', 'hardSwish'];
const dwActs: ActivationName[] = ['relu6', 'sigmoid', 'linear', 'relu', 'hardSwish'];

interface Case { n: number; h: number; w: number; cin: number; c: number; k: number; s: number; padding: Padding }

function run(cs: Case, seed: number): boolean {
  const next = rng(seed);
  const { n, h, w, cin, c, k, s, padding } = cs;
  let g;
  try {
    g = depthwiseGeometry('test', [n, h, w, c], [k, k], { strides: s, padding });
  } catch {
    return false; // a 'valid' kernel larger than the input
  }
  if (!expandDepthwiseFits(g, c, 1)) return false;
  const xData = randomArray(n * h * w * cin, next);
  const [pwF, pwB, dwF, dwB] = [randomArray(cin * c, next), randomArray(c, next), randomArray(k * k * c, next), seed % 2 ? randomArray(c, next) : undefined];
  const [pa, da] = [pwActs[seed % pwActs.length]!, dwActs[seed % dwActs.length]!];
  using x = tensor(xData, [n, h, w, cin]);
  const pw = PackedGemmWeights.pack(pwF, cin, c, pwB);
  const dw = PackedDepthwiseWeights.pack(dwF, [k, k, c, 1], dwB);
  using out = Tensor.alloc([n, g.outH, g.outW, c], 'test');
  using ring = Tensor.alloc([expandDepthwiseRing(g, c)], 'test');
  try {
    runExpandDepthwise(x, pw, pa, dw, g, da, 'test', out, ring);
  } finally {
    pw.dispose();
    dw.dispose();
  }
  const mid = Float32Array.from(gemmReference(xData, n * h * w, cin, pwF, c, pwB, pa));
  expectClose(out.data(), depthwiseReference(mid, [n, h, w, c], dwF, 1, g, dwB, da), { scale: Math.max(1, Math.sqrt(cin)) * k });
  return true;
}

describe(`fused expand -> depthwise through the ${TEST_BUILD} wasm`, () => {
  // NaN / ±Inf in the input or the weights and biases: NaN where the float64 reference (TF.js's rules: relu(NaN)
  // = NaN, swish(-Inf) = NaN, ...) is NaN, the same infinity, close elsewhere. Weight specials with 'valid'
  // padding (the reference, like TF.js, skips padding taps; the kernel multiplies padded zeros).
  it('gives the reference NaN / ±Inf results (TF.js rules) for every activation pair', () => {
    const special = [NaN, Infinity, -Infinity];
    const sprinkle = (a: Float32Array, next: () => number, every: number) => a.map((v) => (every && Math.abs(next()) < 1 / every ? special[Math.floor(Math.abs(next()) * 3)]! : v));
    let seen = 0;
    let seed = 500;
    for (const [where, padding] of [['x', 'same'], ['weights', 'valid']] as const)
      for (const pa of pwActs)
        for (const da of [...dwActs, 'swish'] as ActivationName[]) {
          const next = rng(seed++);
          const [n, h, w, cin, c, k] = [2, 6, 7, 5, 12, 3];
          const g = depthwiseGeometry('test', [n, h, w, c], [k, k], { padding });
          const [xe, we] = where === 'x' ? [30, 0] : [0, 12];
          const xData = sprinkle(randomArray(n * h * w * cin, next), next, xe);
          const [pwF, pwB, dwF, dwB] = [cin * c, c, k * k * c, c].map((len) => sprinkle(randomArray(len, next), next, we)) as [Float32Array, Float32Array, Float32Array, Float32Array];
          using x = tensor(xData, [n, h, w, cin]);
          const pw = PackedGemmWeights.pack(pwF, cin, c, pwB);
          const dw = PackedDepthwiseWeights.pack(dwF, [k, k, c, 1], dwB);
          using out = Tensor.alloc([n, g.outH, g.outW, c], 'test');
          using ring = Tensor.alloc([expandDepthwiseRing(g, c)], 'test');
          try {
            runExpandDepthwise(x, pw, pa, dw, g, da, 'test', out, ring);
          } finally {
            pw.dispose();
            dw.dispose();
          }
          const mid = Float32Array.from(gemmReference(xData, n * h * w, cin, pwF, c, pwB, pa));
          const want = depthwiseReference(mid, [n, h, w, c], dwF, 1, g, dwB, da);
          const got = out.data();
          for (let i = 0; i < want.length; i++) {
            const [o, r] = [got[i]!, want[i]!];
            if (!Number.isFinite(r)) seen++;
            const ok = Number.isNaN(r) ? Number.isNaN(o) : !Number.isFinite(r) ? o === r : Math.abs(o - r) <= 1e-4 * (1 + Math.abs(r));
            if (!ok) expect.fail(`${where} ${pa} -> ${da}: output[${i}] = ${o}, reference ${r}`);
          }
        }
    expect(seen).toBeGreaterThan(0);
  });

  it('matches the two convs over widths, channels, strides and paddings', () => {
    let seed = 1;
    let ran = 0;
    const paddings: Padding[] = ['same', 'valid', [2, 0, 1, 2]];
    for (const [h, w] of [[1, 1], [3, 9], [7, 5], [10, 6]] as const)
      for (const [cin, c] of [[1, 4], [3, 5], [8, 12], [17, 36]] as const)
        for (const k of [3, 5])
          for (const s of [1, 2])
            for (const padding of paddings) ran += Number(run({ n: 1 + (seed % 2), h, w, cin, c, k, s, padding }, seed++));
    expect(ran).toBeGreaterThanOrEqual(100);
  });

  it('refuses geometries without a fused kernel with a KernelError, and stays usable', () => {
    expect(expandDepthwiseFits(depthwiseGeometry('test', [1, 6, 6, 8], [3, 3], { dilations: 2, padding: 'same' }), 8, 1)).toBe(false);
    expect(expandDepthwiseFits(depthwiseGeometry('test', [1, 6, 6, 8], [3, 3], { padding: 'same' }), 8, 2)).toBe(false);
    const g = depthwiseGeometry('test', [1, 9, 9, 8], [7, 7], { padding: 'same' });
    expect(expandDepthwiseFits(g, 8, 1)).toBe(false);
    using x = tensor(new Float32Array(9 * 9 * 4), [1, 9, 9, 4]);
    const pw = PackedGemmWeights.pack(new Float32Array(32), 4, 8, undefined);
    const dw = PackedDepthwiseWeights.pack(new Float32Array(49 * 8), [7, 7, 8, 1], undefined);
    using out = Tensor.alloc([1, 9, 9, 8], 'test');
    using ring = Tensor.alloc([7 * 9 * 8], 'test');
    expect(() => runExpandDepthwise(x, pw, 'linear', dw, g, 'linear', 'test', out, ring)).toThrow(KernelError);
    expect(() => runExpandDepthwise(x, pw, 'linear', dw, g, 'linear', 'test', out, ring)).toThrow(/no fused kernel for 7x7/);
    pw.dispose();
    dw.dispose();
    expect(run({ n: 1, h: 5, w: 5, cin: 4, c: 8, k: 3, s: 1, padding: 'same' }, 3)).toBe(true);
  });
});

describe('the model planner fuses large expand -> depthwise pairs', () => {
  // 48x48x64 expanded: 576 KiB per sample, above the fusing threshold; the 12x12 pair below it is not fused.
  function block(size: number, expand: number, stride: number) {
    const m = sequential(
      [
        layers.conv2d({ filters: expand, kernelSize: 1, useBias: false, name: 'expand' }),
        layers.batchNormalization({ name: 'expand_bn' }),
        layers.reLU({ maxValue: 6 }),
        layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'same', useBias: false, name: 'dw' }),
        layers.batchNormalization({ name: 'dw_bn' }),
        layers.reLU({ maxValue: 6 }),
        layers.conv2d({ filters: 8, kernelSize: 1, name: 'project' }),
      ],
      { inputShape: [size, size, 8] },
    );
    const next = rng(size + expand + stride);
    const w: Record<string, Float32Array> = {};
    for (const spec of m.weightSpecs()) {
      const v = randomArray(spec.shape.reduce((a: number, b: number) => a * b, 1), next);
      w[spec.name] = spec.name.endsWith('variance') ? v.map((t) => 0.5 + Math.abs(t)) : v;
    }
    m.setWeights(w);
    return m;
  }

  for (const [size, expand, stride, fused] of [[48, 64, 2, true], [48, 64, 1, true], [12, 64, 1, false]] as const) {
    it(`${size}x${size}x${expand} stride ${stride}: ${fused ? 'fused' : 'not fused'}, same output as the ops one by one`, () => {
      const m = block(size, expand, stride);
      const kinds = m.lower([[size, size, 8]]).steps.map((s) => s.kind);
      expect(kinds.includes('expandDepthwise')).toBe(fused);
      const xData = randomArray(2 * size * size * 8, rng(5));
      using x = tensor(xData, [2, size, size, 8]);
      const y = (m.predict(x) as T).data();
      // Float64 reference from the weights: 1x1 conv, BN, ReLU6, depthwise, BN, ReLU6, 1x1 conv + bias.
      const w = m.getWeights();
      const bnRelu6 = (v: Float64Array, bn: string, c: number) => {
        const [g, b, mean, vr] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((k) => w.get(`${bn}/${k}`)!);
        return Float32Array.from(v, (t, i) => Math.min(6, Math.max(0, ((t - mean![i % c]!) / Math.sqrt(vr![i % c]! + 1e-3)) * g![i % c]! + b![i % c]!)));
      };
      const px = 2 * size * size;
      const e = bnRelu6(gemmReference(xData, px, 8, w.get('expand/kernel')!, expand, undefined, 'linear'), 'expand_bn', expand);
      const g = depthwiseGeometry('test', [2, size, size, expand], [3, 3], { strides: stride, padding: 'same' });
      const d = bnRelu6(depthwiseReference(e, [2, size, size, expand], w.get('dw/depthwise_kernel')!, 1, g, undefined, 'linear'), 'dw_bn', expand);
      const want = gemmReference(d, 2 * g.outH * g.outW, expand, w.get('project/kernel')!, 8, w.get('project/bias')!, 'linear');
      expectClose(y, want, { scale: 30 });
      m.dispose();
    });
  }
});
