import { beforeAll, it } from 'vitest';
import * as sc from 'sepconv';
import { initTfjsCpu, linearHead, rng, saveArtifacts, seedWeights, tfjsFromKerasConfig, tfjsPredict, tfl } from '../engines/tfjs-layers.js';

beforeAll(async () => {
  await sc.init();
  await initTfjsCpu();
});

it('debug v1', async () => {
  const cfg = linearHead(sc.mobilenetV1Config());
  const tm = await tfjsFromKerasConfig(cfg);
  seedWeights(tm, 2);
  const artifacts = await saveArtifacts(tm);
  const ours = await sc.loadModel({ load: async () => artifacts });
  const shape = [1, 224, 224, 3];
  const next = rng(3);
  const x = Float32Array.from({ length: 224 * 224 * 3 }, () => (next() + 1) * 127.5);
  const xt = sc.tensor(x, shape);
  const names = tm.layers.map((l) => l.name);
  console.log(names.join(' '));
  for (const name of ['conv1_relu', 'conv_pw_1_relu', 'conv_pw_3_relu', 'conv_pw_5_relu', 'conv_pw_7_relu', 'conv_pw_11_relu', 'conv_pw_12_relu', 'conv_pw_13_relu', 'global_average_pooling2d', names[names.length - 1]!]) {
    if (!names.includes(name)) continue;
    const sub = tfl.model({ inputs: tm.inputs, outputs: tm.getLayer(name).output as any });
    const want = tfjsPredict(sub, x, shape);
    const node = (ours as any).nodes.find((n: any) => n.layer.name === name);
    const om = sc.model({ inputs: (ours as any).inputs, outputs: node.output });
    const got = (om.predict(xt) as sc.Tensor).data();
    let worst = 0, at = 0;
    for (let i = 0; i < want.length; i++) { const e = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)); if (e > worst) { worst = e; at = i; } }
    console.log(name, want.length, worst, at, got[at], want[at]);
    om.dispose();

  }
});
