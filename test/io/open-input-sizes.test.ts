// Layers models whose input leaves the image size open (Keras `Input(shape=(None, None, 3))`, as fully
// convolutional and many exported models are): they load without `inputShape` and run at any size, each
// size checked against tfjs-layers on the same weights; layers that need the sizes fail with a message
// that names them; alternating sizes leak nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { initTfjsCpu, saveArtifacts, seedWeights, tfl, tfjsPredict, type Artifacts } from '../engines/tfjs-layers.js';
import { rng } from '../engines/rng.js';

function openModel(withFlatten = false) {
  // tfjs-layers cannot build a Flatten over open sizes: that model is built at 64x64, then its saved input opened.
  const inp = tfl.input({ shape: withFlatten ? [64, 64, 3] : [null, null, 3] });
  let h = tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(inp) as any;
  h = tfl.layers.batchNormalization().apply(h);
  h = tfl.layers.reLU({ maxValue: 6 }).apply(h);
  const skip = h;
  h = tfl.layers.depthwiseConv2d({ kernelSize: 5, padding: 'same', depthMultiplier: 2 }).apply(h);
  h = tfl.layers.batchNormalization().apply(h);
  h = tfl.layers.activation({ activation: 'relu' }).apply(h);
  h = tfl.layers.conv2d({ filters: 16, kernelSize: 1 }).apply(h);
  h = tfl.layers.add().apply([h, skip]);
  h = tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 2]] }).apply(h);
  h = tfl.layers.separableConv2d({ filters: 24, kernelSize: 3, strides: 2, padding: 'valid', activation: 'swish' as any }).apply(h);
  h = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(h);
  h = withFlatten ? tfl.layers.flatten().apply(h) : tfl.layers.globalAveragePooling2d({}).apply(h);
  h = tfl.layers.dense({ units: 5, activation: 'softmax' }).apply(h);
  return tfl.model({ inputs: inp, outputs: h as any });
}

const asJson = (art: Artifacts) => ({
  modelJson: { format: 'layers-model', modelTopology: art.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }] },
  weights: { 'w.bin': new Uint8Array(art.weightData) },
});

let ref: ReturnType<typeof openModel>;
let art: Artifacts;

beforeAll(async () => {
  await sc.init();
  await initTfjsCpu();
  ref = openModel();
  seedWeights(ref, 5);
  art = await saveArtifacts(ref);
});

const sample = (shape: number[]) => {
  const next = rng(shape[1]! * 131 + shape[2]!);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2);
};

describe('a layers model with open input sizes', () => {
  it('loads without inputShape and matches tfjs-layers at every size and batch', async () => {
    const ours = await sc.loadModel(asJson(art));
    for (const shape of [[1, 64, 64, 3], [2, 37, 53, 3], [1, 9, 9, 3], [1, 64, 64, 3], [3, 20, 112, 3]]) {
      const x = sample(shape);
      const want = tfjsPredict(ref, x, shape);
      const xt = sc.tensor(x, shape);
      const y = ours.predict(xt) as sc.Tensor;
      expect(y.shape).toEqual([shape[0], 5]);
      const got = y.data();
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
      expect(worst, shape.join('x')).toBeLessThanOrEqual(1e-5);
      xt.dispose();
    }
    ours.dispose();
  });

  it('reports the open sizes, and counts MACs only for a given size', async () => {
    const open = await sc.readModel(asJson(art));
    expect(open.info.inputShape).toEqual([null, null, 3]);
    expect(open.info.macs).toBeNaN();
    const fixed = await sc.readModel(asJson(art), { inputShape: [64, 64, 3] });
    expect(fixed.info.inputShape).toEqual([64, 64, 3]);
    expect(fixed.info.macs).toBeGreaterThan(0);
    const ours = await sc.loadModel(asJson(art));
    expect(() => ours.summary()).toThrow(/input shape/);
    expect(ours.summary([64, 64, 3]).totalMacs).toBe(fixed.info.macs);
    ours.dispose();
  });

  it('fails on a layer that needs the sizes (Flatten) with a message naming it, and loads with inputShape', async () => {
    const flat = openModel(true);
    seedWeights(flat, 6);
    const a = asJson(await saveArtifacts(flat));
    const layersOf = (a.modelJson.modelTopology as any).config.layers as any[];
    const inputLayer = layersOf.find((l) => l.class_name === 'InputLayer');
    inputLayer.config.batch_input_shape = [null, null, null, 3];
    const err = await sc.loadModel(a).catch((e) => e);
    expect(err).toBeInstanceOf(sc.ModelFormatError);
    expect(String(err.message)).toMatch(/flatten.*\(Flatten\): Flatten needs known input sizes, got \[null, null, 24\]; pass inputShape/);
    const fixed = await sc.loadModel(a, { inputShape: [64, 64, 3] });
    const x = sample([1, 64, 64, 3]);
    const want = tfjsPredict(flat, x, [1, 64, 64, 3]);
    const xt = sc.tensor(x, [1, 64, 64, 3]);
    const got = (fixed.predict(xt) as sc.Tensor).data();
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-5);
    xt.dispose();
    fixed.dispose();
    flat.dispose();
  });

  it('runs alternating sizes without growing wasm memory', async () => {
    const ours = await sc.loadModel(asJson(art));
    const xs = [[1, 32, 32, 3], [1, 45, 29, 3]].map((s) => sc.tensor(sample(s), s));
    const round = () => {
      for (const x of xs) ours.predict(x);
    };
    for (let i = 0; i < 3; i++) round();
    const before = ours.memoryStats().wasmHeapBytes;
    for (let i = 0; i < 200; i++) round();
    expect(ours.memoryStats().wasmHeapBytes).toBe(before);
    for (const x of xs) x.dispose();
    ours.dispose();
  });
});
