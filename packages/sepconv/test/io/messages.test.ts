// Error paths that grew with their input (issue 29 part 4): every message is bounded, built without
// recursing over user data (BigInt, 100,000-deep values), and `loadModel(bytes)` recognises the
// format from the bytes: TF.js model.json text, a wrapped model.min.js, ONNX (a typed "not
// supported yet"), anything else a short typed error.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { formatValue, MAX_MESSAGE_CHARS, ModelFormatError, OptionError, SepconvError } from '../../src/errors.js';
import { convertGraphModel, type GraphNode } from '../../src/io/graph-model.js';
import { inferGraph, normalizeKerasConfig } from '../../src/io/keras-config.js';
import { readModel } from '../../src/io/read.js';
import { readModelFiles } from '../../src/io/sources.js';
import { rng } from '../helpers.js';

// The ONNX protobuf schema the repository's ONNX Runtime tests use (a root dev dependency).
const { onnx } = createRequire(new URL('../../../../package.json', import.meta.url))('onnx-proto');

async function caught(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** [[[ ... 1 ... ]]] nested `depth` deep, and an object of the same depth, built without recursion. */
function deep(depth: number): { arr: unknown; obj: unknown } {
  let arr: unknown = 1;
  let obj: unknown = { leaf: 1 };
  for (let i = 0; i < depth; i++) {
    arr = [arr];
    obj = { a: obj };
  }
  return { arr, obj };
}

describe('formatValue: bounded, no recursion', () => {
  it('renders 100,000-deep values, BigInt, cycles and huge arrays in at most its budget', () => {
    const { arr, obj } = deep(100_000);
    for (const v of [arr, obj]) {
      const s = formatValue(v);
      expect(s.length).toBeLessThanOrEqual(201);
      expect(s.endsWith('…')).toBe(true);
    }
    expect(formatValue({ dims: [1n, 2n ** 70n] })).toBe(`{dims: [1n, ${2n ** 70n}n]}`);
    const cyc: any = { name: 'c' };
    cyc.self = cyc;
    expect(formatValue(cyc)).toBe('{name: "c", self: [circular]}');
    expect(formatValue(new Array(1e6).fill(7)).length).toBeLessThanOrEqual(201);
    expect(formatValue(new Uint8Array(4_700_000))).toBe('Uint8Array(4700000)');
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('no keys'); } });
    expect(formatValue({ a: 1, b: hostile })).toBe('{a: 1, b: [unreadable]}');
    // Small values read as before.
    expect(formatValue([1, 'a', null])).toBe('[1, "a", null]');
    expect(formatValue('same')).toBe('"same"');
  });

  it('an OptionError or any SepconvError built from a deep or huge value stays short', () => {
    const e = new OptionError('op', 'padding', 'a string', deep(100_000).arr);
    expect(e.message.length).toBeLessThan(300);
    const long = new ModelFormatError('x'.repeat(10_000_000));
    expect(long.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(long.message).toMatch(/… \(\d+ more characters\)$/);
  });
});

describe('importer messages: bounded lists, no JSON.stringify of user data', () => {
  it('a malformed graph node with an attr nested 100,000 deep gives a short ModelFormatError', () => {
    const e = (() => {
      try {
        convertGraphModel([{ name: 'n', attr: deep(100_000).obj } as unknown as GraphNode], new Map());
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e!.message).toMatch(/^graph model: malformed node \{"name":"n","attr":\{"a":\{"a":/);
    expect(e!.message.length).toBeLessThan(1024);
  });

  it('BigInt dims in a weight manifest are a ModelFormatError (was a TypeError from JSON.stringify)', async () => {
    const modelJson = { format: 'layers-model', modelTopology: { model_config: { class_name: 'Sequential', config: { layers: [] } } }, weightsManifest: [{ paths: [], weights: [{ name: 'w', shape: [2n], dtype: 'float32' }] }] };
    const e = await caught(readModelFiles({ modelJson, weights: new Uint8Array(8) }));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/weights\[0\] needs a name and a shape of at most 64 integers .* got \{"name":"w","shape":\[2n\]/);
  });

  it('10,000 unsupported layers or nodes: one short error with the first few and a count', async () => {
    const layers: any[] = [{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 2, 2, 3] } }];
    for (let i = 0; i < 10_000; i++) layers.push({ class_name: 'LSTM', config: { name: `lstm_${i}` } });
    const e = await caught(() => inferGraph(normalizeKerasConfig({ class_name: 'Sequential', config: { name: 'seq', layers } })));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/uses 10000 layer\(s\) sepconv does not support:\n {2}lstm_0 \(LSTM\)\n/);
    expect(e.message).toMatch(/… and 9980 more$/);
    expect(e.message.length).toBeLessThan(1024);
    const nodes: GraphNode[] = [{ name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '-1' }, { size: '3' }] } } } }];
    for (let i = 0; i < 10_000; i++) nodes.push({ name: `e${i}`, op: 'Lgamma', input: [i ? `e${i - 1}` : 'x'] });
    const g = await caught(() => convertGraphModel(nodes, new Map()));
    expect(g).toBeInstanceOf(ModelFormatError);
    expect(g.message).toMatch(/10000 node\(s\) with ops sepconv does not support:\n {2}e0 \(Lgamma\)\n/);
    expect(g.message.length).toBeLessThan(1024);
  });

  it('a map of 100,000 files without a model.json, or missing a shard, lists a few names and a count', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) files[`f${i}.bin`] = '';
    const e = await caught(readModel(files));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/no model\.json among f0\.bin, f1\.bin, .*… and 99990 more/);
    expect(e.message.length).toBeLessThan(1024);
    files['model.json'] = JSON.stringify({ format: 'layers-model', modelTopology: { model_config: { class_name: 'Sequential', config: { layers: [] } } }, weightsManifest: [{ paths: ['missing.bin'], weights: [] }] });
    const m = await caught(readModel(files));
    expect(m).toBeInstanceOf(ModelFormatError);
    expect(m.message).toMatch(/no file 'missing\.bin' in the given map \(it has f0\.bin, .*… and 99991 more\)/);
    expect(m.message.length).toBeLessThan(1024);
  });
});

describe('loadModel(bytes): the format from the bytes', () => {
  /** An ONNX model of about 4.7 MB: a Conv whose weight initializer holds 1.2 M floats. */
  function onnxBytes(): Uint8Array {
    const w = new Float32Array(1_200_000).fill(0.5);
    const weight = onnx.TensorProto.create({ name: 'w', dataType: 1, dims: [1000, 1200, 1, 1], rawData: new Uint8Array(w.buffer) });
    const vi = (name: string, dims: number[]) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
    const graph = onnx.GraphProto.create({ name: 'g', node: [onnx.NodeProto.create({ opType: 'Conv', input: ['x', 'w'], output: ['y'] })], initializer: [weight], input: [vi('x', [1, 1200, 4, 4])], output: [vi('y', [1, 1000, 4, 4])] });
    return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 9, producerName: 'test', opsetImport: [{ domain: '', version: 17 }], graph })).finish();
  }

  it('ONNX bytes: a short typed "not supported yet" error within a second (was a 41.6 MB message after 6.9 s)', async () => {
    const bytes = onnxBytes();
    expect(bytes.length).toBeGreaterThan(4_700_000);
    const t0 = performance.now();
    for (const src of [bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer]) {
      const e = await caught(readModel(src));
      expect(e).toBeInstanceOf(ModelFormatError);
      expect(e.message).toMatch(/ONNX model; ONNX models are not supported yet/);
      expect(e.message.length).toBeLessThan(300);
    }
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('unknown bytes: a short typed error naming the first bytes', async () => {
    const next = rng(4);
    const noise = Uint8Array.from({ length: 4_700_000 }, () => Math.floor((next() + 1) * 128) & 255);
    noise[0] = 0x50; // not '{', '!', or a protobuf ir_version tag
    const t0 = performance.now();
    const e = await caught(readModel(noise));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e).toBeInstanceOf(SepconvError);
    expect(e.message).toMatch(/^loadModel\(bytes\): 4700000 bytes that are not a model sepconv reads .* they start with 50 /);
    expect(e.message.length).toBeLessThan(300);
    expect((await caught(readModel(new Uint8Array(0)))).message).toMatch(/0 bytes .* start with nothing/);
  });

  it('model.json bytes load (no shards); model.json bytes naming shards say how to pass them', async () => {
    const json = { format: 'layers-model', modelTopology: { model_config: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'ReLU', config: { name: 'r', batch_input_shape: [null, 2, 2, 3] } }] } } }, weightsManifest: [] };
    const bytes = new TextEncoder().encode(`\ufeff  ${JSON.stringify(json)}`);
    const parsed = await readModel(bytes);
    expect(parsed.format).toBe('layers');
    expect(parsed.info.outputShape).toEqual([2, 2, 3]);
    const sharded = new TextEncoder().encode(JSON.stringify({ ...json, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }] }));
    const e = await caught(readModel(sharded));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/names weight files \(group1-shard1of1\.bin\) that bytes alone cannot supply; pass \{ modelJson, weights \}/);
  });
});
