// Real trained models from the npm registry: nsfwjs ships a MobileNetV2 alpha 1.0 (TF.js layers
// model) and an alpha 1.4 (TF.js graph model), uint8-quantized, inside browserify .min.js
// wrappers. sepconv extracts and imports both; TF.js (tfjs-layers / tfjs-converter, CPU backend)
// loads the same bytes; both classify real photos (@vladmandic/face-api's samples).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as sc from 'sepconv';
import { decodeImage, preprocess, topK } from '../../demo/lib/images.mjs';
import { initTfjsCpu, tf, tfl, tfjsPredict } from '../engines/tfjs-layers.js';

const models = fileURLToPath(new URL('../../node_modules/nsfwjs/dist/models/', import.meta.url));
const photos = [1, 2, 6].map((i) => fileURLToPath(new URL(`../../node_modules/@vladmandic/face-api/demo/sample${i}.jpg`, import.meta.url)));
const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

let inputs: Float32Array[];
beforeAll(async () => {
  await sc.init();
  await initTfjsCpu();
  inputs = photos.map((p) => preprocess(decodeImage(p), 224));
});

/** The same files, handed to TF.js as an IOHandler (TF.js dequantizes the uint8 shards itself). */
async function tfjsHandler(dir: string) {
  const raw = await sc.readModelFiles(`${models}${dir}/model.min.js`);
  return tf.io.fromMemory({
    modelTopology: raw.json.modelTopology,
    weightSpecs: raw.groups.flatMap((g) => g.weights) as any,
    weightData: raw.weightData.slice().buffer,
    format: raw.json.format,
    generatedBy: raw.json.generatedBy,
    convertedBy: raw.json.convertedBy,
  });
}

for (const [dir, kind, alpha] of [
  ['mobilenet_v2', 'layers', 1.0],
  ['mobilenet_v2_mid', 'graph', 1.4],
] as const) {
  describe(`nsfwjs ${dir} (MobileNetV2 alpha ${alpha}, TF.js ${kind} model)`, () => {
    let ours: sc.Model;
    let ref: { predict(x: any): any; dispose(): void };
    beforeAll(async () => {
      ours = kind === 'layers' ? await sc.loadLayersModel(`${models}${dir}/model.min.js`) : await sc.loadGraphModel(`${models}${dir}/model.min.js`);
      ref = kind === 'layers' ? await tfl.loadLayersModel(await tfjsHandler(dir)) : await tfconv.loadGraphModel(await tfjsHandler(dir));
    });
    afterAll(() => {
      ours.dispose();
      ref.dispose();
    });

    it('is the architecture we expect', () => {
      const s = ours.summary();
      // MobileNetV2 body MACs at 224 scale with alpha (~300M at 1.0, ~585M at 1.4).
      expect(s.totalMacs / 1e6).toBeGreaterThan(alpha === 1 ? 295 : 575);
      expect(s.totalMacs / 1e6).toBeLessThan(alpha === 1 ? 305 : 590);
    });

    it('classifies three sample photos as TF.js does', () => {
      let worst = 0;
      const lines: string[] = [];
      for (const [i, x] of inputs.entries()) {
        const want = tfjsPredict(ref as any, x, [1, 224, 224, 3]);
        const xt = sc.tensor(x, [1, 224, 224, 3]);
        const got = (ours.predict(xt) as sc.Tensor).data();
        xt.dispose();
        for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k]! - want[k]!) / (1 + Math.abs(want[k]!)));
        expect(topK(got, 1)).toEqual(topK(want, 1));
        lines.push(`sample${i + 1}: ${topK(got, 2).map((k) => `${CLASSES[k]} ${(got[k]! * 100).toFixed(1)}%`).join(', ')}`);
      }
      console.log(`${dir}: max |err|/(1+|ref|) = ${worst.toExponential(2)}\n  ${lines.join('\n  ')}`);
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  });
}
