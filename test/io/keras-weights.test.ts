// Trained Keras weights into sepconv, checked against Keras itself (not TF.js): the fixture is a
// `keras.applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3), classes=10)` with seeded,
// redrawn weights (no BN statistic left at its initializer's constant), saved by the real
// `tensorflowjs` converter from PyPI (`save_keras_model`, layers format), plus Keras's `predict()`
// on a fixed input. scripts/python/keras-mobilenetv2.py makes it, in the pinned venv of
// scripts/python-fixtures.sh (scripts/setup.sh runs it; here it is only reused or, the first time
// without setup, made: a 1.2 GB venv download and about a minute of Keras).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let json: any;
let input: Float32Array;
let keras: Float32Array;
let inShape: number[];
const tmp = mkdtempSync(join(tmpdir(), 'sepconv-keras-weights-'));

const f32 = (file: string) => {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const zoo = (opts: sc.MobileNetV2Options = {}) => sc.mobilenetV2({ alpha: 0.35, resolution: 96, classes: 10, ...opts });

/** max |ours - keras| / max |keras|. */
function relErr(m: sc.Model): number {
  const x = sc.tensor(input, inShape);
  const y = m.predict(x) as sc.Tensor;
  const got = y.data();
  x.dispose();
  y.dispose();
  expect(got.length).toBe(keras.length);
  let err = 0;
  let max = 0;
  for (let i = 0; i < keras.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - keras[i]!));
    max = Math.max(max, Math.abs(keras[i]!));
  }
  return err / max;
}

/** The fixture's files with the manifest edited by `edit` (bytes re-cut to match), as a file map. */
function editedFiles(edit: (weights: any[]) => any[]): Map<string, Uint8Array | string> {
  const shard = new Uint8Array(readFileSync(join(dir, json.weightsManifest[0].paths[0])));
  let off = 0;
  const entries = json.weightsManifest[0].weights.map((w: any) => {
    const n = 4 * w.shape.reduce((a: number, b: number) => a * b, 1);
    const e = { w, bytes: shard.subarray(off, off + n) };
    off += n;
    return e;
  });
  const kept: { w: any; bytes: Uint8Array }[] = edit(entries);
  const data = new Uint8Array(kept.reduce((a, e) => a + e.bytes.length, 0));
  let o = 0;
  for (const e of kept) {
    data.set(e.bytes, o);
    o += e.bytes.length;
  }
  const mj = { ...json, weightsManifest: [{ paths: ['w.bin'], weights: kept.map((e) => e.w) }] };
  return new Map<string, Uint8Array | string>([
    ['model.json', JSON.stringify(mj)],
    ['w.bin', data],
  ]);
}

async function formatError(p: Promise<unknown>): Promise<sc.ModelFormatError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(sc.ModelFormatError);
  return e as sc.ModelFormatError;
}

beforeAll(async () => {
  dir = execFileSync('bash', [join(ROOT, 'scripts/python-fixtures.sh'), 'fixture', 'keras-mobilenetv2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const meta = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'));
  inShape = meta.inputShape;
  input = f32(join(dir, 'input.bin'));
  keras = f32(join(dir, 'output.bin'));
  await sc.init();
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Keras MobileNetV2 saved by tensorflowjs 4.22 (seeded weights)', () => {
  it('the fixture is not degenerate: Keras outputs are far from uniform and differ between samples', () => {
    expect(json.format).toBe('layers-model');
    expect(Math.max(...keras)).toBeGreaterThan(0.3);
    expect(Math.min(...keras)).toBeLessThan(0.01);
    const n = keras.length / inShape[0]!;
    expect(Math.max(...keras.map((v, i) => (i < n ? Math.abs(v - keras[i + n]!) : 0)))).toBeGreaterThan(0.05);
  });

  it('loadWeights(mobilenetV2(...), model.json path) gives Keras outputs within 1e-4 of max', async () => {
    const m = zoo();
    const untrained = relErr(m);
    expect(await sc.loadWeights(m, join(dir, 'model.json'))).toBe(m);
    expect(relErr(m)).toBeLessThan(1e-4);
    expect(untrained).toBeGreaterThan(1e-2);
    m.dispose();
  });

  it('loadModel(model.json path) gives Keras outputs within 1e-4 of max', async () => {
    const m = await sc.loadModel(join(dir, 'model.json'));
    expect(relErr(m)).toBeLessThan(1e-4);
    m.dispose();
  });

  it('loadWeights takes a file map, { modelJson, weights } and a file: URL too', async () => {
    const shard = json.weightsManifest[0].paths[0];
    const files = new Map<string, Uint8Array | string>([
      ['model.json', readFileSync(join(dir, 'model.json'), 'utf8')],
      [shard, new Uint8Array(readFileSync(join(dir, shard)))],
    ]);
    const sources: sc.ModelSource[] = [files, { modelJson: json, weights: new Uint8Array(readFileSync(join(dir, shard))) }, new URL(`file://${join(dir, 'model.json')}`)];
    for (const src of sources) {
      const m = zoo();
      await sc.loadWeights(m, src);
      expect(relErr(m)).toBeLessThan(1e-4);
      m.dispose();
    }
  });

  it('the comparison catches weights in the wrong slots (two swapped same-shape weights)', async () => {
    const m = zoo();
    await sc.loadWeights(m, join(dir, 'model.json'));
    const w = m.getWeights();
    // Same shape, different role: a BN layer's beta and moving_mean; then two depthwise kernels.
    m.setWeights(new Map([['block_5_project_BN/beta', w.get('block_5_project_BN/moving_mean')!], ['block_5_project_BN/moving_mean', w.get('block_5_project_BN/beta')!]]), { allowMissing: true });
    expect(relErr(m)).toBeGreaterThan(1e-4);
    m.setWeights(w);
    expect(relErr(m)).toBeLessThan(1e-4);
    m.setWeights(new Map([['block_4_depthwise/depthwise_kernel', w.get('block_5_depthwise/depthwise_kernel')!], ['block_5_depthwise/depthwise_kernel', w.get('block_4_depthwise/depthwise_kernel')!]]), { allowMissing: true });
    expect(relErr(m)).toBeGreaterThan(1e-4);
    m.dispose();
  });
});

describe('loadWeights checks every name and shape', () => {
  it('a model of another width: one ModelFormatError listing mis-shaped weights, bounded, nothing changed', async () => {
    const m = sc.mobilenetV2({ alpha: 1.0, resolution: 96, classes: 10 });
    const before = m.getWeights();
    const e = await formatError(sc.loadWeights(m, join(dir, 'model.json')));
    expect(e.message).toContain('weights of the wrong shape');
    expect(e.message).toMatch(/Conv1\/kernel: the model needs \[3,3,3,32\], the file has \[3,3,3,16\]/);
    expect(e.message).toMatch(/and \d+ more/);
    expect(e.message.length).toBeLessThan(2500);
    const after = m.getWeights();
    const changed = [...before].filter(([k, v]) => !Buffer.from(v.buffer).equals(Buffer.from(after.get(k)!.buffer))).map(([k]) => k);
    expect(changed).toEqual([]);
    // Still usable.
    const x = sc.tensor(new Float32Array(96 * 96 * 3), [1, 96, 96, 3]);
    (m.predict(x) as sc.Tensor).dispose();
    x.dispose();
    m.dispose();
  });

  it('another class count: the classifier weights are named as mis-shaped', async () => {
    const m = zoo({ classes: 5 });
    const e = await formatError(sc.loadWeights(m, join(dir, 'model.json')));
    expect(e.message).toContain('predictions/kernel: the model needs [1280,5], the file has [1280,10]');
    expect(e.message).toContain('predictions/bias: the model needs [5], the file has [10]');
    m.dispose();
  });

  it('weights the model lacks (includeTop: false) are listed as extra', async () => {
    const m = zoo({ includeTop: false });
    const e = await formatError(sc.loadWeights(m, join(dir, 'model.json')));
    expect(e.message).toContain('weights no layer uses');
    expect(e.message).toContain('predictions/kernel');
    expect(e.message).toContain('predictions/bias');
    expect(e.message).not.toContain('missing weights');
    m.dispose();
  });

  it('a file without some weights: they are listed as missing', async () => {
    const files = editedFiles((ws) => ws.filter((e) => !/^block_3_expand_BN\/(gamma|moving_variance)$/.test(e.w.name)));
    const m = zoo();
    const e = await formatError(sc.loadWeights(m, files));
    expect(e.message).toContain('missing weights');
    expect(e.message).toContain('block_3_expand_BN/gamma [48]');
    expect(e.message).toContain('block_3_expand_BN/moving_variance [48]');
    m.dispose();
  });

  it('a renamed weight is both missing and extra', async () => {
    const files = editedFiles((ws) => ws.map((e) => (e.w.name === 'Conv1/kernel' ? { ...e, w: { ...e.w, name: 'Conv1/kernal' } } : e)));
    const e = await formatError(sc.loadWeights(zoo(), files));
    expect(e.message).toContain('missing weights:\n  Conv1/kernel [3,3,3,16]');
    expect(e.message).toContain('weights no layer uses:\n  Conv1/kernal');
  });

  it('shard confinement applies as for loadModel', async () => {
    const sub = join(tmp, 'sub');
    execFileSync('mkdir', ['-p', sub]);
    const shard = json.weightsManifest[0].paths[0];
    writeFileSync(join(tmp, shard), readFileSync(join(dir, shard)));
    writeFileSync(join(sub, 'model.json'), JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: [`../${shard}`] }] }));
    const m = zoo();
    const e = await formatError(sc.loadWeights(m, join(sub, 'model.json')));
    expect(e.message).toContain(`shard path '../${shard}'`);
    await sc.loadWeights(m, join(sub, 'model.json'), { allowExternalShards: true });
    expect(relErr(m)).toBeLessThan(1e-4);
    m.dispose();
  });

  it('a TF.js graph model is refused (its weights are folded and renamed), naming loadGraphModel', async () => {
    const graph = { format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] };
    const m = zoo();
    const e = await formatError(sc.loadWeights(m, { modelJson: graph, weights: new Uint8Array(0) }));
    expect(e.message).toContain('graph model');
    expect(e.message).toContain('loadGraphModel');
    m.dispose();
  });

  it('not a model, or a disposed one: typed errors', async () => {
    await expect(sc.loadWeights({} as sc.Model, join(dir, 'model.json'))).rejects.toBeInstanceOf(sc.OptionError);
    const m = zoo();
    m.dispose();
    await expect(sc.loadWeights(m, join(dir, 'model.json'))).rejects.toBeInstanceOf(sc.DisposedTensorError);
  });
});

describe('IMAGENET_LABELS', () => {
  it('names each of the 1000 outputs of a Keras ImageNet model, in class-index order', () => {
    const m = sc.mobilenetV2({ alpha: 0.35, resolution: 96 });
    const classes = m.weightSpecs().find((w) => w.name === 'predictions/bias')!.shape[0];
    m.dispose();
    expect(sc.IMAGENET_LABELS.length).toBe(classes);
    expect(sc.IMAGENET_LABELS.every((l) => typeof l === 'string' && l.trim() === l && l.length > 0)).toBe(true);
    // Keras' imagenet_class_index.json: 0 is n01440764 "tench", 999 n15075141 "toilet_tissue".
    expect(sc.IMAGENET_LABELS[0]).toMatch(/^tench\b/);
    expect(sc.IMAGENET_LABELS[999]).toMatch(/^toilet tissue\b/);
  });
});
