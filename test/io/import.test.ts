// Import paths against TF.js: weight shards quantized to uint8 / uint16 / float16 are dequantized
// by TF.js and by sepconv from the same bytes and give the same outputs; a model saved to disk
// (model.json + shards) loads by file path and by URL.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { initTfjsCpu, linearHead, saveArtifacts, seedWeights, tf, tfl, tfjsFromKerasConfig, tfjsPredict, type Artifacts } from '../engines/tfjs-layers.js';
import { rng } from '../engines/rng.js';

let artifacts: Artifacts;
let x: Float32Array;
const SHAPE = [1, 64, 64, 3];
const dir = mkdtempSync(join(tmpdir(), 'sepconv-import-'));

beforeAll(async () => {
  await sc.init();
  await initTfjsCpu();
  const tm = await tfjsFromKerasConfig(linearHead(sc.efficientnetConfig('b0', { resolution: 64, classes: 7 })));
  seedWeights(tm, 77);
  artifacts = await saveArtifacts(tm);
  tm.dispose();
  const next = rng(78);
  x = Float32Array.from({ length: 64 * 64 * 3 }, () => (next() + 1) * 127.5);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Re-encodes the float32 artifacts' weights with `quantize`. */
function requantize(q: 'uint8' | 'uint16' | 'float16') {
  const buf = new Uint8Array(artifacts.weightData);
  let off = 0;
  const ws = artifacts.weightSpecs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(buf.slice(off, off + 4 * n).buffer);
    off += 4 * n;
    return { name: s.name, shape: s.shape, values };
  });
  return sc.encodeWeights(ws, q);
}

describe('quantized weight shards: TF.js and sepconv dequantize the same bytes alike', () => {
  for (const q of ['uint8', 'uint16', 'float16'] as const) {
    it(q, async () => {
      const { manifest, data } = requantize(q);
      const ref = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: artifacts.modelTopology, weightSpecs: manifest as any, weightData: data.slice().buffer }));
      const modelJson = { format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: manifest }] };
      const ours = await sc.loadModel({ modelJson, weights: { 'group1-shard1of1.bin': data } });
      const want = tfjsPredict(ref, x, SHAPE);
      const xt = sc.tensor(x, SHAPE);
      const got = (ours.predict(xt) as sc.Tensor).data();
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
      console.log(`${q}: max |err|/(1+|ref|) = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-4);
      xt.dispose();
      ours.dispose();
      ref.dispose();
    });
  }
});

describe('sources', () => {
  it('loads model.json + two shards from a file path and from a URL, reporting progress', async () => {
    const { manifest, data } = requantize('float16');
    const half = Math.ceil(data.length / 2);
    writeFileSync(join(dir, 'group1-shard1of2.bin'), data.subarray(0, half));
    writeFileSync(join(dir, 'group1-shard2of2.bin'), data.subarray(half));
    const json = { format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: manifest }] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const events: sc.LoadProgress[] = [];
    const a = await sc.loadModel(join(dir, 'model.json'), { onProgress: (p) => events.push(p) });
    expect(events.filter((e) => e.phase === 'weights').at(-1)).toEqual({ phase: 'weights', loaded: 2, total: 2 });
    expect(events.at(-1)).toEqual({ phase: 'build', loaded: 1, total: 1 });
    const served = new Map([
      ['/m/model.json', JSON.stringify(json)],
      ['/m/group1-shard1of2.bin', data.subarray(0, half)],
      ['/m/group1-shard2of2.bin', data.subarray(half)],
    ]);
    const b = await sc.loadModel('https://models.example/m/model.json', {
      fetch: async (url) => {
        const body = served.get(new URL(url).pathname);
        return body === undefined ? new Response('no', { status: 404 }) : new Response(body as BodyInit);
      },
    });
    const xt = sc.tensor(x, SHAPE);
    const ya = (a.predict(xt) as sc.Tensor).data();
    const yb = (b.predict(xt) as sc.Tensor).data();
    expect([...yb]).toEqual([...ya]);
    // And over real HTTP with the runtime's own fetch.
    const server = createServer((req, res) => {
      try {
        res.end(readFileSync(join(dir, req.url!.replace(/^\/m\//, ''))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = await sc.loadModel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/m/model.json`);
    server.close();
    expect([...(c.predict(xt) as sc.Tensor).data()]).toEqual([...ya]);
    c.dispose();
    const missing = await sc.loadModel('https://models.example/nope/model.json', { fetch: async () => new Response('no', { status: 404 }) }).catch((e) => e);
    expect(missing).toBeInstanceOf(sc.ModelFormatError);
    expect(missing.message).toMatch(/HTTP 404/);
    xt.dispose();
    a.dispose();
    b.dispose();
  });
});
