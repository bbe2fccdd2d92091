// Property-based fuzz of model loading through the built package (issues 23.7 and 29): real model files,
// mutated. Fixtures: nsfwjs's two trained MobileNetV2s (a TF.js layers model and a TF.js graph model, in the
// .min.js wrappers nsfwjs ships, uint8-quantized) and zoo models built by tfjs-layers from our Keras config and
// saved in the TF.js layers format (as test/models/zoo-parity.test.ts does; one with its input size opened).
// Each case loads (loadModel) and, when that succeeds, predicts once; it runs in a child process (harness/), so a hang
// or a memory blow-up is a reported failure. Properties:
//   - every load / predict ends as a result or a typed SepconvError with a bounded message (never a trap,
//     hang, crash or untyped error), and afterwards a live sentinel tensor is intact and the runtime still
//     computes a correct depthwise conv (float64 reference);
//   - loadModel(bytes) of any format (model.json, .min.js-wrapped models, shards, ONNX protobuf, random bytes,
//     truncated or mutated) answers within a second.
// FUZZ_RUNS=N or SEPCONV_FUZZ=long (x20) run more, SEPCONV_FUZZ_SEED=<n> another seed.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import fc from 'fast-check';
import * as sc from 'sepconv';
import { initTfjsCpu, linearHead, saveArtifacts, seedWeights, tfjsFromKerasConfig } from '../engines/tfjs-layers.js';
import { attrInts, initializer, onnx, onnxModel, valueInfo } from '../engines/onnx.js';
import { CaseRunner, PROPERTY_TIMEOUT, checkProperty, runs } from './harness/pool.js';
import { LIMIT_INTS, NOT_SIZES } from './harness/spec.mjs';

const nsfwDir = fileURLToPath(new URL('../../node_modules/nsfwjs/dist/models', import.meta.url));
let runner: CaseRunner;
let onnxBytes: Uint8Array;

async function zooFixture(config: { class_name: string; config: any }, seed: number, open = false) {
  const tm = await tfjsFromKerasConfig(linearHead(config));
  seedWeights(tm, seed);
  const a = await saveArtifacts(tm);
  tm.dispose();
  const topology = structuredClone(a.modelTopology);
  if (open) {
    const layers = topology.model_config?.config?.layers ?? topology.config?.layers;
    const inp = layers.find((l: any) => l.class_name === 'InputLayer');
    inp.config.batch_input_shape = [null, null, null, 3];
  }
  return {
    modelJson: { format: 'layers-model', generatedBy: 'fuzz', modelTopology: topology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] },
    shards: { 'group1-shard1of1.bin': new Uint8Array(a.weightData) },
  };
}

beforeAll(async () => {
  await initTfjsCpu();
  const mnv2 = sc.mobilenetV2Config({ alpha: 0.35, resolution: 32, classes: 10 });
  const zoo = { 'zoo-mobilenetv2': await zooFixture(mnv2, 31), 'zoo-mobilenetv2-open': await zooFixture(mnv2, 32, true) };
  runner = new CaseRunner({ nsfwDir, zoo });
  await runner.start();
  // A small real ONNX model (a 3x3 depthwise conv, the file the ONNX path of loadModel(bytes) meets).
  const w = new Float32Array(4 * 9).fill(0.1);
  onnxBytes = onnxModel(
    [onnx.NodeProto.create({ opType: 'Conv', input: ['x', 'w'], output: ['y'], attribute: [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1]), { name: 'group', i: 4, type: 2 }] })],
    [valueInfo('x', [1, 4, 8, 8])],
    [valueInfo('y', [1, 4, 8, 8])],
    [initializer('w', w, [4, 1, 3, 3])],
    13,
  );
});
afterAll(() => runner?.close());

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

const SOURCES = ['zoo-mobilenetv2', 'zoo-mobilenetv2-open', 'nsfw-layers', 'nsfw-graph', 'nsfw-graph-fold'] as const;
/** nsfwjs's models are 224x224 MobileNetV2s (a load + predict takes ~1 s): drawn less often than the zoo's 32x32 one. */
const source = fc.oneof({ arbitrary: fc.constantFrom('zoo-mobilenetv2', 'zoo-mobilenetv2-open'), weight: 3 }, { arbitrary: fc.constantFrom('nsfw-layers', 'nsfw-graph'), weight: 1 });

const hostileStrings = fc.constantFrom(
  '',
  'same',
  'valid',
  'relu',
  'Conv2D',
  'Functional',
  'float32',
  'uint8',
  'int32',
  'bool',
  'string',
  '__proto__',
  'toString',
  'constructor',
  '../../../../etc/passwd',
  '/etc/passwd',
  '%2e%2e/%2e%2e/secret.bin',
  'http://127.0.0.1:9/x.bin',
  'data:application/octet-stream;base64,AAAAAA==',
  '!!!not base64!!!',
  'x'.repeat(5000),
);
const jsonValue = fc.oneof(
  { arbitrary: fc.constantFrom(...LIMIT_INTS), weight: 4 },
  { arbitrary: fc.constantFrom(...NOT_SIZES.filter((v) => typeof v !== 'bigint' && v !== undefined)), weight: 2 },
  { arbitrary: hostileStrings, weight: 2 },
  { arbitrary: fc.array(fc.oneof(fc.constantFrom(...LIMIT_INTS), fc.constant(null), fc.constant(-1)), { maxLength: 5 }), weight: 2 },
  { arbitrary: fc.constantFrom([null, 2 ** 31, 2 ** 31, 3], [null, 0, 0, 3], [-1, -1, -1, 3], [2 ** 31], [], {}, null, { $: 'deep', depth: 100_000 }, { $: 'cycle' }, 3n), weight: 1 },
);
const jsonMutation = fc.record({
  pick: fc.nat(),
  focus: fc.constantFrom('numeric', 'numeric', 'array', 'any'),
  kind: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'scale', 'dup', 'fillArray'),
  value: jsonValue,
});
/** Changes to the numbers of the Flatten chain's nodes (fz/*): small values around 0 and the limits. */
const foldMutation = fc.record({
  pick: fc.nat(),
  focus: fc.constant('fold'),
  kind: fc.constant('replace'),
  value: fc.oneof({ arbitrary: fc.integer({ min: -4, max: 4 }), weight: 3 }, { arbitrary: fc.constantFrom(...LIMIT_INTS, 4e8, -(2 ** 31)), weight: 2 }, { arbitrary: fc.constantFrom(NaN, 1.5, null, '1'), weight: 1 }),
});
const byteMutation = fc.oneof(
  fc.record({ file: fc.nat(), truncate: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ file: fc.nat(), flips: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), asText: fc.boolean() }),
);

// ---------------------------------------------------------------------------------------------------------

describe('fuzz: real model files, mutated (result or SepconvError, runtime intact)', () => {
  it('property "model-json": one mutation anywhere in model.json (topology, layer configs, graph nodes and attrs, weight manifest) of a layers or graph model', async () => {
    const inputShape = fc.option(fc.constantFrom([24, 24, 3], [2 ** 31, 2 ** 31, 3], [0, 0, 3], [NaN, 1.5, 3]), { freq: 6 });
    const arb = fc.oneof(
      { arbitrary: fc.record({ source, json: jsonMutation, inputShape }), weight: 4 },
      // The graph model's Flatten chain (Shape, StridedSlice, Pack, Reshape): strides of 0, begin / end out of
      // range, shapes that ask for GiBs, on the constants that folding reads.
      {
        arbitrary: fc.record({
          source: fc.constant('nsfw-graph-fold'),
          json: fc.tuple(foldMutation, fc.array(foldMutation, { maxLength: 3 })).map(([m, also]) => ({ ...m, also })),
          inputShape: fc.constant(null),
        }),
        weight: 1,
      },
    );
    // The cases issues 23 and 29 name, first: a StridedSlice stride of 0, begin out of range, a Const of shape
    // [2**31] / [4e8] with one value, dilations 2**31, strides 2**32 + 1, an input of [null, 2**31, 2**31, 3].
    const fold = (node: string, at: (string | number)[], value: unknown) => ({ source: 'nsfw-graph-fold', json: { pick: 0, focus: 'fold', kind: 'replace', node, at, value }, inputShape: null });
    const layer = (layerClass: string, at: string[], value: unknown) => ({ source: 'zoo-mobilenetv2-open', json: { pick: 0, focus: 'any', kind: 'replace', layerClass, at, value }, inputShape: null });
    const intVal = ['attr', 'value', 'tensor', 'intVal', 0];
    const dim0 = ['attr', 'value', 'tensor', 'tensorShape', 'dim', 0, 'size'];
    const mask = ['attr', 'shrink_axis_mask', 'i'];
    const refuse = (e: any, why: string) => ({ ...e, mustRefuse: why });
    const examples = [
      // begin 3 > end 0 with stride 0 and no shrink: a folding loop that never ends (issue 29.2).
      refuse({ ...fold('fz/strides', intVal, 0), json: { ...fold('fz/strides', intVal, 0).json, also: [fold('fz/slice', mask, 0).json, fold('fz/begin', intVal, 3).json, fold('fz/end', intVal, 0).json] } }, 'StridedSlice stride 0'),
      refuse(fold('fz/strides', intVal, 0), 'StridedSlice stride 0'),
      fold('fz/strides', intVal, -1),
      fold('fz/begin', intVal, 5),
      fold('fz/end', intVal, -(2 ** 31)),
      refuse(fold('fz/begin', dim0, 2 ** 31), 'a Const of shape [2**31]'),
      fold('fz/begin', dim0, 4e8),
      refuse(layer('DepthwiseConv2D', ['config', 'dilation_rate'], [2 ** 31, 2 ** 31]), 'dilation 2**31'),
      refuse(layer('Conv2D', ['config', 'strides'], [2 ** 32 + 1, 2 ** 32 + 1]), 'strides 2**32 + 1'),
      refuse(layer('InputLayer', ['config', 'batch_input_shape'], [null, 2 ** 31, 2 ** 31, 3]), 'an input of 2**31 x 2**31'),
    ] as any[];
    await checkProperty('model-json', runner, arb, (v: any) => ({ type: 'model', source: v.source, json: v.json, inputShape: v.inputShape ?? undefined, mustRefuse: v.mustRefuse }), { numRuns: runs(30), timeoutMs: 30_000, examples });
  }, PROPERTY_TIMEOUT);

  it('property "model-bytes": model.json / model.min.js and shard files truncated or with bytes changed', async () => {
    const arb = fc.record({ source, bytes: byteMutation });
    await checkProperty('model-bytes', runner, arb, (v) => ({ type: 'model', ...v }), { numRuns: runs(30), timeoutMs: 30_000 });
  }, PROPERTY_TIMEOUT);

  it('property "load-bytes": loadModel(bytes) of every format (model.json, .min.js, shards, ONNX protobuf, random), whole, truncated or mutated, answers within a second', async () => {
    const as = fc.constantFrom('uint8array', 'arraybuffer', 'dataview');
    const fileBytes = fc.record({ source: fc.constantFrom(...SOURCES), file: fc.nat(), mutation: fc.oneof(fc.constant({}), byteMutation), as });
    const onnxCase = fc.record({ mutation: fc.oneof(fc.constant({}), byteMutation), as });
    const random = fc.record({ raw: fc.uint8Array({ maxLength: 4096 }), as });
    const protoLike = fc.record({ raw: fc.uint8Array({ minLength: 1, maxLength: 512 }).map((b) => Uint8Array.from([0x08, 0x07, 0x12, 0x07, ...new TextEncoder().encode('pytorch'), 0x3a, b.length & 0x7f, ...b])), as });
    const arb = fc.oneof({ arbitrary: fileBytes, weight: 3 }, { arbitrary: onnxCase, weight: 2 }, { arbitrary: random, weight: 2 }, { arbitrary: protoLike, weight: 1 });
    await checkProperty(
      'load-bytes',
      runner,
      arb,
      (v: any) => {
        if ('raw' in v) return { type: 'bytes', raw: v.raw, as: v.as, label: `${v.raw.length} drawn bytes` };
        if (!('source' in v)) {
          const m = v.mutation;
          const b = m.truncate !== undefined ? onnxBytes.slice(0, Math.floor(onnxBytes.length * m.truncate)) : onnxBytes.slice();
          for (const [pos, byte] of m.flips ?? []) b[Math.floor(pos * b.length) % b.length] = byte;
          return { type: 'bytes', raw: b, as: v.as, label: `ONNX model, ${b.length} bytes${m.flips ? `, ${m.flips.length} changed` : m.truncate !== undefined ? ', truncated' : ''}` };
        }
        return { type: 'bytes', ...v };
      },
      {
        numRuns: runs(60),
        timeoutMs: 5_000,
        maxMs: 1000,
        // Whole files of each format first: the ONNX model, a model.json, a .min.js-wrapped model, a shard.
        examples: [{ mutation: {}, as: 'uint8array' }, { source: 'zoo-mobilenetv2', file: 0, mutation: {}, as: 'uint8array' }, { source: 'nsfw-layers', file: 0, mutation: {}, as: 'arraybuffer' }, { source: 'nsfw-graph', file: 1, mutation: {}, as: 'uint8array' }] as any[],
      },
    );
  }, PROPERTY_TIMEOUT);
});
