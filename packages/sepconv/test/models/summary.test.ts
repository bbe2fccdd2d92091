// summary() numbers against hand-computed values, including the seed's example (3x3, 128 -> 256 at 224x224).
import { beforeAll, describe, expect, it } from 'vitest';
import { input, layers, model, sequential, tensor, type Tensor } from '../../src/entry/node.js';
import { initForTest } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
});

describe('summary(): params, MACs, activation bytes, separable comparison', () => {
  it("the seed's example: DepthwiseSeparableConv 3x3, 128 -> 256 at 224x224", () => {
    const m = sequential([layers.depthwiseSeparableConv({ filters: 256, name: 'dsc' })], { inputShape: [224, 224, 128] });
    const s = m.summary();
    const row = s.rows.find((r) => r.name === 'dsc')!;
    expect(row.outputShape).toEqual([224, 224, 256]);
    // Kernels: 3*3*128 + 128*256; plus two BNs (4 per channel each), as Keras counts.
    expect(row.params).toBe(1152 + 32768 + 4 * 128 + 4 * 256);
    expect(m.countParams()).toBe(35456);
    expect(row.macs).toBe(224 * 224 * (1152 + 32768));
    expect(row.macs).toBe(1_701_969_920);
    expect(row.activationBytes).toBe(224 * 224 * 256 * 4);
    const c = row.separable!;
    expect(c.standardParams).toBe(294_912); // 3*3*128*256, the seed's number
    expect(c.standardMacs).toBe(224 * 224 * 294_912); // 14,797,504,512
    expect(c.params).toBe(33_920);
    expect(c.paramRatio).toBeCloseTo(33_920 / 294_912, 12);
    expect(c.formula).toBeCloseTo(1 / 256 + 1 / 9, 12);
    // With multiplier 1 the measured ratio IS the formula (the seed's algebra).
    expect(c.macRatio).toBeCloseTo(c.formula, 12);
    expect(1 / c.macRatio).toBeGreaterThan(8.6); // "about 8-9x"
    expect(s.totalParams).toBe(35456);
    expect(s.totalMacs).toBe(1_701_969_920);
    const text = s.toString();
    expect(text).toContain('294,912');
    expect(text).toContain('1,701,969,920');
    expect(text).toContain('0.1150');
    expect(text).toMatch(/Total params: 35,456/);
    m.dispose();
  });

  it('a MobileNetV1-like stem + block (Keras layer names) matches the Keras numbers', () => {
    const inp = input({ shape: [224, 224, 3], name: 'input_1' });
    let x = layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv1' }).apply(inp);
    x = layers.batchNormalization({ name: 'conv1_bn' }).apply(x);
    x = layers.reLU({ maxValue: 6, name: 'conv1_relu' }).apply(x);
    x = layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'conv_dw_1' }).apply(x);
    x = layers.batchNormalization({ name: 'conv_dw_1_bn' }).apply(x);
    x = layers.reLU({ maxValue: 6, name: 'conv_dw_1_relu' }).apply(x);
    x = layers.conv2d({ filters: 64, kernelSize: 1, padding: 'same', useBias: false, name: 'conv_pw_1' }).apply(x);
    x = layers.batchNormalization({ name: 'conv_pw_1_bn' }).apply(x);
    x = layers.reLU({ maxValue: 6, name: 'conv_pw_1_relu' }).apply(x);
    const m = model({ inputs: inp, outputs: x, name: 'mobilenet_1.00_224_stem' });
    const s = m.summary();
    const by = (n: string) => s.rows.find((r) => r.name === n)!;
    expect(by('conv1').params).toBe(864);
    expect(by('conv1_bn').params).toBe(128);
    expect(by('conv_dw_1').params).toBe(288);
    expect(by('conv_pw_1').params).toBe(2048);
    expect(by('conv_pw_1_bn').params).toBe(256);
    expect(m.countParams()).toBe(864 + 128 + 288 + 128 + 2048 + 256);
    expect(by('conv1').macs).toBe(112 * 112 * 864);
    expect(by('conv_dw_1').macs).toBe(112 * 112 * 288);
    expect(by('conv_pw_1').macs).toBe(112 * 112 * 2048);
    expect(by('conv_pw_1').outputShape).toEqual([112, 112, 64]);
    // The dw -> BN -> ReLU6 -> 1x1 conv pair is recognized as depthwise-separable.
    const c = by('conv_pw_1').separable!;
    expect(c.depthwiseLayer).toBe('conv_dw_1');
    expect(c.standardParams).toBe(3 * 3 * 32 * 64);
    expect(c.formula).toBeCloseTo(1 / 64 + 1 / 9, 12);
    expect(c.macRatio).toBeCloseTo(c.formula, 12);
    // BN + ReLU6 fold into the convs: three steps run.
    expect(s.steps).toBe(3);
    // Arena: liveness-shared, less than the sum of every layer's output.
    expect(s.arenaBytes).toBeLessThan(s.totalActivationBytes);
    // Peak liveness: the dw output (32 ch) and the pw output (64 ch) at once.
    expect(s.arenaBytes).toBe(112 * 112 * (32 + 64) * 4);
    m.dispose();
  });

  it('depth multiplier: measured ratio M/Cout + M/K^2 next to the formula', () => {
    const m = sequential([layers.separableConv2d({ filters: 16, kernelSize: 5, depthMultiplier: 2, padding: 'same', name: 'sep' })], { inputShape: [10, 10, 8] });
    const c = m.summary().rows.find((r) => r.name === 'sep')!.separable!;
    expect(c.params).toBe(5 * 5 * 8 * 2 + 16 * 16);
    expect(c.paramRatio).toBeCloseTo(2 / 16 + 2 / 25, 12);
    expect(c.formula).toBeCloseTo(1 / 16 + 1 / 25, 12);
    expect(m.countParams()).toBe(400 + 256 + 16);
  });

  it('counts conv, dense and squeeze-excite MACs; pooling/add are free; shared layers count params once', () => {
    const inp = input({ shape: [8, 8, 4] });
    const conv = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'shared' });
    const a = conv.apply(inp);
    const b = conv.apply(a);
    const se = layers.squeezeExcite({ ratio: 0.5, name: 'se' }).apply(b);
    const sum = layers.add({ name: 'sum' }).apply([se, a]);
    const g = layers.globalAveragePooling2d({ name: 'gap' }).apply(sum);
    const out = layers.dense({ units: 10, name: 'fc' }).apply(g);
    const m = model({ inputs: inp, outputs: out });
    const s = m.summary();
    const rows = s.rows.filter((r) => r.name === 'shared');
    expect(rows.map((r) => r.params)).toEqual([148, 0]);
    expect(rows.map((r) => r.macs)).toEqual([64 * 9 * 16, 64 * 9 * 16]);
    expect(s.rows.find((r) => r.name === 'se')!.macs).toBe(2 * 4 * 2 + 64 * 4);
    expect(s.rows.find((r) => r.name === 'se')!.params).toBe(4 * 2 + 2 + 2 * 4 + 4);
    expect(s.rows.find((r) => r.name === 'sum')!.macs).toBe(0);
    expect(s.rows.find((r) => r.name === 'fc')!.macs).toBe(40);
    expect(s.totalParams).toBe(148 + 22 + 50);
    expect(m.countParams()).toBe(s.totalParams);
  });

  it('profile() reports per-layer time next to MACs as GFLOP/s', () => {
    const m = sequential([layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'c' }), layers.batchNormalization({ name: 'bn' }), layers.reLU({ name: 'r' }), layers.depthwiseSeparableConv({ filters: 16, name: 'dsc' })], {
      inputShape: [16, 16, 3],
    });
    using x = tensor(new Float32Array(16 * 16 * 3).fill(0.5), [1, 16, 16, 3]);
    const p = m.profile(x, { runs: 2 });
    const c = p.rows.find((r) => r.name === 'c')!;
    expect(c.macs).toBe(16 * 16 * 27 * 8);
    expect(c.fused).toEqual(['bn']);
    expect(c.gflops).toBeGreaterThan(0);
    expect(p.rows.map((r) => r.name)).toEqual(['c', 'dsc']);
    expect(p.totalMacs).toBe(16 * 16 * 27 * 8 + 16 * 16 * (72 + 128));
    expect(p.toString()).toMatch(/GFLOP\/s/);
    expect((m.predict(x) as Tensor).shape).toEqual([1, 16, 16, 16]);
    m.dispose();
  });
});
