// Model zoo: Keras Applications parameter counts (exact), the papers' MACs (within 1%), hand-worked
// width-multiplier counts, and counting without weights or wasm for the big models.
import { beforeAll, describe, expect, it } from 'vitest';
import { describeConfig, makeDivisible, correctPad } from '../../src/models/arch.js';
import { modelFromKerasConfig } from '../../src/io/build.js';
import type { Model } from '../../src/models/graph.js';
import {
  archConfig,
  archModel,
  efficientnet,
  efficientnetArch,
  efficientnetConfig,
  mobilenetV1Arch,
  mobilenetV2Arch,
  resnet50Arch,
  xceptionArch,
  type ArchSpec,
  mobilenetV1,
  mobilenetV1Config,
  mobilenetV2,
  mobilenetV2Config,
  resnet50Config,
  xceptionConfig,
  type EfficientNetVariant,
} from '../../src/models/index.js';
import { tensor } from '../../src/tensor/tensor.js';
import { initForTest, randomArray, rng } from '../helpers.js';

// keras.applications.*(weights=None).count_params() with the classifier and 1000 classes.
const KERAS_PARAMS: [string, () => ReturnType<typeof mobilenetV1Config>, number][] = [
  ['MobileNet', () => mobilenetV1Config(), 4_253_864],
  ['MobileNetV2', () => mobilenetV2Config(), 3_538_984],
  ['Xception', () => xceptionConfig(), 22_910_480],
  ['ResNet50', () => resnet50Config(), 25_636_712],
  ['EfficientNetB0', () => efficientnetConfig('b0'), 5_330_571],
  ['EfficientNetB1', () => efficientnetConfig('b1'), 7_856_239],
  ['EfficientNetB2', () => efficientnetConfig('b2'), 9_177_569],
  ['EfficientNetB3', () => efficientnetConfig('b3'), 12_320_535],
  ['EfficientNetB4', () => efficientnetConfig('b4'), 19_466_823],
  ['EfficientNetB5', () => efficientnetConfig('b5'), 30_562_527],
  ['EfficientNetB6', () => efficientnetConfig('b6'), 43_265_143],
  ['EfficientNetB7', () => efficientnetConfig('b7'), 66_658_687],
];

describe('parameter counts equal Keras Applications (from the config, no weights)', () => {
  for (const [name, cfg, want] of KERAS_PARAMS) {
    it(name, () => expect(describeConfig(cfg()).params).toBe(want));
  }

  it('EfficientNet counts the Normalization layer mean (3), variance (3) and count (1)', () => {
    const norm = describeConfig(efficientnetConfig('b0')).layers.find((l) => l.className === 'Normalization')!;
    expect(norm.weights).toEqual([
      { name: 'normalization/mean', shape: [3] },
      { name: 'normalization/variance', shape: [3] },
      { name: 'normalization/count', shape: [] },
    ]);
    expect(norm.params).toBe(7);
  });

  it('MobileNet alpha 0.5, worked by hand', () => {
    // conv1: 3*3*3*16 + BN 4*16 = 496. Each depthwise-separable block Cin -> Cout holds
    // dw 9*Cin + BN 4*Cin + pw Cin*Cout + BN 4*Cout = 13*Cin + Cin*Cout + 4*Cout.
    const block = (cin: number, cout: number) => 13 * cin + cin * cout + 4 * cout;
    const blocks =
      block(16, 32) + block(32, 64) + block(64, 64) + block(64, 128) + block(128, 128) + block(128, 256) + 5 * block(256, 256) + block(256, 512) + block(512, 512);
    expect(blocks).toBe(829_040);
    const head = 512 * 1000 + 1000; // conv_preds 1x1 with bias
    expect(496 + blocks + head).toBe(1_342_536);
    expect(describeConfig(mobilenetV1Config({ alpha: 0.5 })).params).toBe(1_342_536);
  });

  it('MobileNetV2 alpha 0.35, worked by hand (make_divisible channels)', () => {
    // Channels: stem make_divisible(11.2) = 16 (8 < 0.9*11.2, so +8); stages
    // make_divisible(int(c*0.35)) for c = 16,24,32,64,96,160,320 -> 8,8,16,24,32,56,112; top stays 1280.
    expect([16, 24, 32, 64, 96, 160, 320].map((c) => makeDivisible(Math.floor(c * 0.35), 8))).toEqual([8, 8, 16, 24, 32, 56, 112]);
    expect(makeDivisible(32 * 0.35, 8)).toBe(16);
    // Inverted residual Cin -> Cout with expansion t (E = t*Cin): expand Cin*E + 4E (absent in block 0),
    // depthwise 9E + 4E, project E*Cout + 4*Cout.
    const ir = (cin: number, cout: number, t: number) => {
      const e = t * cin;
      return (t === 1 ? 0 : cin * e + 4 * e) + 13 * e + e * cout + 4 * cout;
    };
    const body =
      ir(16, 8, 1) +
      2 * ir(8, 8, 6) +
      ir(8, 16, 6) +
      2 * ir(16, 16, 6) +
      ir(16, 24, 6) +
      3 * ir(24, 24, 6) +
      ir(24, 32, 6) +
      2 * ir(32, 32, 6) +
      ir(32, 56, 6) +
      2 * ir(56, 56, 6) +
      ir(56, 112, 6);
    const stem = 3 * 3 * 3 * 16 + 4 * 16;
    const top = 112 * 1280 + 4 * 1280;
    const head = 1280 * 1000 + 1000;
    expect(stem + body + top + head).toBe(1_691_208);
    expect(describeConfig(mobilenetV2Config({ alpha: 0.35 })).params).toBe(1_691_208);
  });

  it('counts the largest model quickly, allocating no weights', () => {
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const info = describeConfig(efficientnetConfig('b7'));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(info.params).toBe(66_658_687);
    // 66M floats would be 266 MB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });
});

// The papers' multiply-adds (MobileNetV1 Table 6-7, MobileNetV2 Table 4, EfficientNet Table 2).
const PAPER_MACS: [string, () => ReturnType<typeof mobilenetV1Config>, number][] = [
  ['MobileNetV1 1.0-224', () => mobilenetV1Config(), 569e6],
  ['MobileNetV1 0.75-224', () => mobilenetV1Config({ alpha: 0.75 }), 325e6],
  ['MobileNetV1 0.5-224', () => mobilenetV1Config({ alpha: 0.5 }), 149e6],
  ['MobileNetV1 0.25-224', () => mobilenetV1Config({ alpha: 0.25 }), 41e6],
  ['MobileNetV1 1.0-192', () => mobilenetV1Config({ resolution: 192 }), 418e6],
  ['MobileNetV1 1.0-160', () => mobilenetV1Config({ resolution: 160 }), 290e6],
  ['MobileNetV1 1.0-128', () => mobilenetV1Config({ resolution: 128 }), 186e6],
  ['MobileNetV2 1.0-224', () => mobilenetV2Config(), 300e6],
  ['EfficientNet-B0', () => efficientnetConfig('b0'), 390e6],
];

describe('MACs match the papers within 1%', () => {
  for (const [name, cfg, want] of PAPER_MACS) {
    it(`${name} (config counter)`, () => {
      const macs = describeConfig(cfg()).macs;
      expect(Math.abs(macs - want) / want).toBeLessThan(0.01);
    });
  }

  it('our counts for the other models (reported in the README)', () => {
    const ours = {
      xception: describeConfig(xceptionConfig()).macs,
      resnet50: describeConfig(resnet50Config()).macs,
      ...Object.fromEntries((['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'] as EfficientNetVariant[]).map((v) => [v, describeConfig(efficientnetConfig(v)).macs])),
    };
    // The README table: Xception 8.36G (paper: ~8.4G), ResNet-50 3.86G (3.8G), B1-B7 vs 0.70/1.0/1.8/4.2/9.9/19/37 G.
    expect(Math.round(ours.xception / 1e7)).toBe(836);
    expect(Math.round(ours.resnet50 / 1e7)).toBe(386);
    const paper = { b1: 0.7e9, b2: 1.0e9, b3: 1.8e9, b4: 4.2e9, b5: 9.9e9, b6: 19e9, b7: 37e9 };
    for (const [v, p] of Object.entries(paper)) expect(Math.abs((ours as any)[v] - p) / p).toBeLessThan(0.06);
  });
});

describe('zoo models built with the layers API', () => {
  beforeAll(initForTest);

  it('summary() MACs match the papers for MobileNetV1 and V2, countParams() matches Keras', () => {
    for (const [name, cfg, want] of PAPER_MACS.slice(0, 8)) {
      const opts = name.startsWith('MobileNetV2')
        ? {}
        : { alpha: Number(name.split(' ')[1]!.split('-')[0]), resolution: Number(name.split('-')[1]) };
      const m = name.startsWith('MobileNetV2') ? mobilenetV2(opts) : mobilenetV1(opts);
      const s = m.summary();
      expect(Math.abs(s.totalMacs - want) / want, name).toBeLessThan(0.01);
      expect(m.countParams(), name).toBe(describeConfig(cfg()).params);
      expect(s.totalMacs, name).toBe(describeConfig(cfg()).macs);
      m.dispose();
    }
  });

  it('EfficientNet-B0: countParams() equals Keras, summary() MACs within 1% of the paper', () => {
    const m = efficientnet('b0');
    expect(m.countParams()).toBe(5_330_571);
    const info = describeConfig(efficientnetConfig('b0'));
    const s = m.summary();
    // Convs and dense plus the squeeze-excite rescale (a [1, 1, C] gate times the feature map, one MAC per element).
    expect(s.totalMacs).toBe(info.macs);
    expect(Math.abs(s.totalMacs - 390e6) / 390e6).toBeLessThan(0.01);
    m.dispose();
  });

  it('weight names and shapes are Keras names', () => {
    const m = mobilenetV2({ alpha: 0.35, resolution: 96, classes: 10 });
    const specs = m.weightSpecs();
    expect(specs.slice(0, 5)).toEqual([
      { name: 'Conv1/kernel', shape: [3, 3, 3, 16] },
      { name: 'bn_Conv1/gamma', shape: [16] },
      { name: 'bn_Conv1/beta', shape: [16] },
      { name: 'bn_Conv1/moving_mean', shape: [16] },
      { name: 'bn_Conv1/moving_variance', shape: [16] },
    ]);
    expect(specs.map((s) => s.name)).toContain('expanded_conv_depthwise/depthwise_kernel');
    expect(specs.map((s) => s.name)).toContain('block_16_project_BN/moving_variance');
    expect(specs.at(-2)).toEqual({ name: 'predictions/kernel', shape: [1280, 10] });
    // Runs, and the output is a distribution.
    const next = rng(3);
    const x = tensor(randomArray(96 * 96 * 3, next), [1, 96, 96, 3]);
    const y = m.predict(x);
    const p = (Array.isArray(y) ? y[0]! : y).data();
    expect(p.length).toBe(10);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    x.dispose();
    m.dispose();
  });
});

// The zoo builds layers directly (archModel); configs go through the Keras importer. Both must
// give the same model: layer for layer, weight for weight, output for output.
describe('archModel builds what the Keras importer builds from archConfig', () => {
  beforeAll(initForTest);
  const SPECS: [string, () => ArchSpec, number][] = [
    ['MobileNetV1 alpha 0.25, depth multiplier 2', () => mobilenetV1Arch({ alpha: 0.25, resolution: 40, classes: 7, depthMultiplier: 2 }), 40],
    ['MobileNetV2 alpha 0.35', () => mobilenetV2Arch({ alpha: 0.35, resolution: 35, classes: 5 }), 35],
    ['Xception, no top', () => xceptionArch({ resolution: 71, includeTop: false }), 71],
    ['EfficientNet-B0', () => efficientnetArch('b0', { resolution: 33, classes: 4 }), 33],
    ['ResNet-50', () => resnet50Arch({ resolution: 32, classes: 6 }), 32],
    [
      'a user architecture (README example shape)',
      () => ({
        name: 'tiny_user_net',
        build: (b) => {
          const x = b.input([13, 13, 3]);
          let y = b.conv2d(x, 'stem', { filters: 8, kernel: 3, strides: 2, padding: 'same', activation: 'relu' });
          y = b.separable(y, 'sep', { filters: 8, kernel: 3, padding: 'same' });
          y = b.act(b.bn(y, 'sep_bn'), 'sep_act', 'hard_swish');
          y = b.maxPool(b.add([y, b.depthwise(y, 'dw', { kernel: 5, padding: 'same', multiplier: 1 })], 'sum'), 'pool', 2, 2, 'valid');
          return b.dense(b.gap(y, 'gap'), 'head', 3, 'softmax');
        },
      }),
      13,
    ],
  ];
  const layerView = (m: Model) => m.layers.map((l) => [l.name, l.className, l.getConfig()]);
  for (const [label, spec, res] of SPECS) {
    it(label, () => {
      const direct = archModel(spec());
      const imported = modelFromKerasConfig(archConfig(spec()));
      expect(direct.name).toBe(imported.name);
      expect(layerView(direct)).toEqual(layerView(imported));
      expect(direct.weightSpecs()).toEqual(imported.weightSpecs());
      const weights = imported.getWeights();
      const directWeights = direct.getWeights();
      expect([...directWeights.keys()]).toEqual([...weights.keys()]);
      const bytes = (w: Float32Array) => Buffer.from(w.buffer, w.byteOffset, w.byteLength);
      expect([...weights].filter(([name, w]) => !bytes(w).equals(bytes(directWeights.get(name)!))).map(([name]) => name)).toEqual([]);
      // Kernels keep their (name-seeded) initial values; BN statistics and biases get random ones.
      const next = rng(11);
      for (const [name, w] of weights) {
        if (w.length <= 4096) weights.set(name, name.endsWith('variance') ? w.map(() => 1 + Math.abs(next())) : randomArray(w.length, next).map((v) => 0.2 * v));
      }
      direct.setWeights(weights);
      imported.setWeights(weights);
      const x = tensor(randomArray(res * res * 3, next), [1, res, res, 3]);
      const a = (direct.predict(x, { copy: true }) as ReturnType<typeof tensor>).data();
      const b = (imported.predict(x, { copy: true }) as ReturnType<typeof tensor>).data();
      expect(a.length).toBeGreaterThan(0);
      expect(Array.from(a)).toEqual(Array.from(b));
      x.dispose();
      direct.dispose();
      imported.dispose();
    });
  }
});

describe('archModel errors', () => {
  it('names an architecture that never calls input()', () => {
    expect(() => archModel({ name: 'no_input', build: (b) => b.input as never })).toThrow(/archModel.*b\.input/);
  });
});

describe('helpers', () => {
  it('makeDivisible is the seed section 7.2 function', () => {
    // def make_divisible(v, divisor=8): new_v = max(divisor, int(v + divisor / 2) // divisor * divisor); if new_v < 0.9 * v: new_v += divisor
    expect([3, 11.2, 12, 16.8, 44.8, 1792].map((v) => makeDivisible(v))).toEqual([8, 16, 16, 16, 48, 1792]);
  });

  it('correctPad matches Keras imagenet_utils.correct_pad', () => {
    expect(correctPad([224, 224], 3)).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(correctPad([7, 7], 5)).toEqual([
      [2, 2],
      [2, 2],
    ]);
  });

  it('options are validated', () => {
    expect(() => mobilenetV1Config({ alpha: 0 })).toThrow(/alpha/);
    expect(() => mobilenetV2Config({ resolution: 8 })).toThrow(/resolution/);
    expect(() => efficientnetConfig('b9' as EfficientNetVariant)).toThrow(/variant/);
    expect(() => xceptionConfig({ classes: 0 })).toThrow(/classes/);
  });
});
