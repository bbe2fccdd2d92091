// Parity with an independent engine: each zoo architecture is built by @tensorflow/tfjs-layers
// itself from our Keras config (as it reads Keras/TF.js-exported models), given seeded random
// weights, saved in the TF.js layers format (tf.io.withSaveHandler), imported into sepconv, and
// both run on the same input. Logits are compared (the softmax head made linear):
// max |ours - tfjs| <= 1e-4 * (1 + |tfjs|). Small alpha/resolution for most, one full size each.
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { initTfjsCpu, linearHead, saveArtifacts, seedWeights, tfjsFromKerasConfig, tfjsPredict, toTfjsLayers } from '../engines/tfjs-layers.js';
import { rng } from '../engines/rng.js';

beforeAll(async () => {
  await sc.init();
  await initTfjsCpu();
});

function maxRelErr(got: Float32Array, want: Float32Array): { worst: number; at: number } {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!));
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  return { worst, at };
}

async function parity(name: string, config: { class_name: string; config: any }, seed: number) {
  const cfg = linearHead(config);
  const t0 = performance.now();
  const tm = await tfjsFromKerasConfig(cfg);
  // tfjs-layers' own count over its own parse of the config agrees with ours.
  expect(tm.countParams(), `${name} countParams`).toBe(sc.describeConfig(cfg).params);
  seedWeights(tm, seed);
  const artifacts = await saveArtifacts(tm);
  const ours = await sc.loadModel({ load: async () => artifacts });
  const shape = [1, ...(tm.inputs[0]!.shape.slice(1) as number[])];
  const next = rng(seed + 1);
  const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (next() + 1) * 127.5);
  const want = tfjsPredict(tm, x, shape);
  const xt = sc.tensor(x, shape);
  const got = (ours.predict(xt) as sc.Tensor).data();
  const { worst, at } = maxRelErr(got, want);
  console.log(`${name}: ${want.length} outputs, max |err|/(1+|ref|) = ${worst.toExponential(2)} (ref[${at}] = ${want[at]?.toFixed(4)}), ${(performance.now() - t0).toFixed(0)} ms`);
  expect(got.length).toBe(want.length);
  expect(worst, name).toBeLessThanOrEqual(1e-4);
  xt.dispose();
  ours.dispose();
  tm.dispose();
  return worst;
}

describe('zoo architectures: sepconv vs tfjs-layers (CPU), imported from the TF.js layers format', () => {
  it('MobileNetV1 alpha 0.25, 96px', () => parity('mobilenet 0.25-96', sc.mobilenetV1Config({ alpha: 0.25, resolution: 96, classes: 10 }), 1));
  it('MobileNetV1 1.0-224 (full size)', () => parity('mobilenet 1.0-224', sc.mobilenetV1Config(), 2));
  it('MobileNetV2 alpha 0.35, 96px', () => parity('mobilenetv2 0.35-96', sc.mobilenetV2Config({ alpha: 0.35, resolution: 96, classes: 10 }), 3));
  it('MobileNetV2 alpha 1.3, 64px', () => parity('mobilenetv2 1.3-64', sc.mobilenetV2Config({ alpha: 1.3, resolution: 64, classes: 10 }), 4));
  it('MobileNetV2 1.0-224 (full size)', () => parity('mobilenetv2 1.0-224', sc.mobilenetV2Config(), 5));
  it('Xception, 71px', () => parity('xception 71', sc.xceptionConfig({ resolution: 71, classes: 10 }), 6));
  it('EfficientNet-B0, 64px', () => parity('efficientnetb0 64', sc.efficientnetConfig('b0', { resolution: 64, classes: 10 }), 7));
  it('EfficientNet-B0 224 (full size)', () => parity('efficientnetb0 224', sc.efficientnetConfig('b0'), 8));
  it('EfficientNet-B3, 64px (depth/width scaling, 5x5 stride-2 pads)', () => parity('efficientnetb3 64', sc.efficientnetConfig('b3', { resolution: 65, classes: 10 }), 9));
  it('ResNet-50, 64px', () => parity('resnet50 64', sc.resnet50Config({ resolution: 64, classes: 10 }), 10));
});

describe('toTfjsLayers: a sepconv model converted to tfjs-layers with its weights', () => {
  it('MobileNetV2 0.5-96 built in sepconv runs the same in tfjs-layers', async () => {
    const m = sc.mobilenetV2({ alpha: 0.5, resolution: 96, classes: 10 });
    const tm = await toTfjsLayers(m as any);
    expect(tm.countParams()).toBe(m.countParams());
    const next = rng(42);
    const x = Float32Array.from({ length: 96 * 96 * 3 }, next);
    const want = tfjsPredict(tm, x, [1, 96, 96, 3]);
    const xt = sc.tensor(x, [1, 96, 96, 3]);
    const got = (m.predict(xt) as sc.Tensor).data();
    expect(maxRelErr(got, want).worst).toBeLessThanOrEqual(1e-4);
    xt.dispose();
    m.dispose();
    tm.dispose();
  });

  it("sepconv's own layers (the seed's depthwiseSeparableConv block, squeezeExcite) convert too", async () => {
    const inp = sc.input({ shape: [20, 20, 8] });
    let y = sc.layers.depthwiseSeparableConv({ filters: 16, strides: 2, name: 'ds1' }).apply(inp);
    y = sc.layers.squeezeExcite({ ratio: 0.25, name: 'se1' }).apply(y);
    y = sc.layers.depthwiseSeparableConv({ filters: 8, padding: 'same', activation: 'relu', name: 'ds2' }).apply(y);
    const m = sc.model({ inputs: inp, outputs: y });
    const next = rng(43);
    const w = new Map(m.weightSpecs().map((s) => [s.name, Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => (s.name.endsWith('variance') ? 1 + next() / 2 : next()))]));
    m.setWeights(w);
    const tm = await toTfjsLayers(m as any);
    expect(tm.countParams()).toBe(m.countParams());
    const x = Float32Array.from({ length: 20 * 20 * 8 }, next);
    const want = tfjsPredict(tm, x, [1, 20, 20, 8]);
    const xt = sc.tensor(x, [1, 20, 20, 8]);
    const got = (m.predict(xt) as sc.Tensor).data();
    expect(got.length).toBe(want.length);
    expect(maxRelErr(got, want).worst).toBeLessThanOrEqual(1e-4);
    xt.dispose();
    m.dispose();
    tm.dispose();
  });
});
