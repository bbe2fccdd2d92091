// Property-based fuzz of the ONNX image / layout ops (io/onnx/image.ts -> io/graph-ops/layout-image.ts ->
// layers/image.ts): Resize / Upsample, ConvTranspose, DepthToSpace / SpaceToDepth, Pad with attributes and
// constant inputs drawn around the limits (huge scales, zero / NaN / negative scales and sizes, pads beyond the
// size and negative, axes out of range, output_padding >= stride, output_shape past the output, blocks that do not
// divide, modes that do not exist). In process, through the built package. Properties:
//   - every load ends as a model or a ModelFormatError whose message names the ONNX node; every predict of a
//     loaded model ends as a tensor of the declared output shape or a typed SepconvError (never a trap, hang or
//     untyped error);
//   - afterwards the runtime still computes a correct depthwise conv (float64 reference).
// FUZZ_RUNS=N or SEPCONV_FUZZ=long (x20) run more, SEPCONV_FUZZ_SEED=<n> another seed.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as sc from 'sepconv';
import { G } from '../io/onnx-helpers.js';
import { runs, SEED } from './harness/pool.js';

beforeAll(async () => {
  await sc.init();
});

const INT = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 9 }), weight: 4 },
  { arbitrary: fc.constantFrom(0, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 40, -(2 ** 31), 65536, 1 << 20), weight: 1 },
);
const FLOAT = fc.oneof(
  { arbitrary: fc.constantFrom(0.5, 1, 1.5, 2, 3, 0.25), weight: 4 },
  { arbitrary: fc.constantFrom(0, -1, NaN, Infinity, 1e-30, 1e9, 2 ** 31, 3.4e38), weight: 1 },
);
const INTS = (n: number) => fc.array(INT, { minLength: n === 0 ? 0 : Math.max(0, n - 1), maxLength: n + 1 });

type Case = { op: string; opset: number; attrs: Record<string, any>; use: boolean[]; validMode: boolean; ints: number[]; floats: number[]; dims: number[] };

const caseArb: fc.Arbitrary<Case> = fc.record({
  op: fc.constantFrom('Resize-scales', 'Resize-sizes', 'Upsample', 'ConvTranspose', 'DepthToSpace', 'SpaceToDepth', 'Pad'),
  opset: fc.constantFrom(9, 11, 13, 18, 19),
  attrs: fc.record({
    mode: fc.constantFrom('nearest', 'linear', 'cubic', 'constant', 'reflect', 'edge', 'wrap', 'DCR', 'CRD', 'bogus'),
    coordinate_transformation_mode: fc.constantFrom('half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize', 'nope'),
    nearest_mode: fc.constantFrom('round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'x'),
    blocksize: INT,
    strides: INTS(2),
    dilations: INTS(2),
    pads: INTS(4),
    output_padding: INTS(2),
    output_shape: INTS(2),
    group: INT,
    auto_pad: fc.constantFrom('NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID', 'BAD'),
  }),
  // Which attributes the node carries (absent ones take ONNX's defaults), and whether its mode is one of its op's.
  use: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  validMode: fc.boolean(),
  ints: INTS(8),
  floats: fc.array(FLOAT, { minLength: 2, maxLength: 5 }),
  dims: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })).map((t) => [...t]),
});

/** The model of one case: its bytes and the node name errors must carry. */
function build(c: Case): { bytes: Uint8Array; node: string } {
  const g = new G(1);
  const a = c.attrs;
  const node = 'fuzzed_node';
  const KEYS = ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'blocksize', 'strides', 'dilations', 'pads', 'output_padding', 'output_shape', 'group', 'auto_pad'];
  const modes: Record<string, string[]> = { Pad: ['constant', 'reflect', 'edge'], DepthToSpace: ['DCR', 'CRD'], SpaceToDepth: ['DCR'] };
  const attr = (k: string) => (k === 'mode' && c.validMode ? (modes[c.op] ?? ['nearest', 'linear'])[Math.abs(c.ints[0] ?? 0) % (modes[c.op] ?? [0, 0]).length] : a[k]);
  const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => c.use[KEYS.indexOf(k)] && a[k] !== undefined).map((k) => [k, attr(k)]));
  const f32 = (v: number[]) => g.f([v.length], 0, 0, v);
  let y: string;
  switch (c.op) {
    case 'Resize-scales':
      y = g.node('Resize', ['x', c.opset < 13 ? f32([]) : '', f32([1, 1, ...c.floats.slice(0, 2)])], pick(['mode', 'coordinate_transformation_mode', 'nearest_mode']), node);
      break;
    case 'Resize-sizes':
      y = g.node('Resize', ['x', '', '', g.i64(c.ints.slice(0, 4))], pick(['mode', 'coordinate_transformation_mode', 'nearest_mode']), node);
      break;
    case 'Upsample':
      y = g.node('Upsample', ['x', f32([1, 1, ...c.floats.slice(0, 2)])], pick(['mode']), node);
      break;
    case 'ConvTranspose': {
      const group = Number.isSafeInteger(a.group) && a.group >= 1 && a.group <= 8 ? a.group : 1;
      const cin = c.dims[1]!;
      const w = g.f([cin, Math.max(1, (c.ints[0] ?? 1) & 3), 3, 3]);
      y = g.node('ConvTranspose', ['x', w], { ...pick(['strides', 'dilations', 'pads', 'output_padding', 'auto_pad']), ...(c.ints[1]! > 4 ? { output_shape: a.output_shape } : {}), group }, node);
      break;
    }
    case 'DepthToSpace':
    case 'SpaceToDepth':
      y = g.node(c.op, ['x'], { ...pick(['mode']), blocksize: c.use[3] ? a.blocksize : 2 }, node);
      break;
    default:
      y = g.node('Pad', ['x', g.i64(c.ints.slice(0, 8)), f32(c.floats.slice(0, 1))], pick(['mode']), node);
  }
  return { bytes: g.bytes(c.dims, y, c.op === 'Upsample' ? 9 : c.opset), node };
}

/** A 3x3 depthwise conv against a float64 reference: the runtime still computes. */
function runtimeIntact(): void {
  const x = Float32Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i));
  const f = Float32Array.from({ length: 27 }, (_, i) => Math.cos(i));
  using xt = sc.tensor(x, [2, 5, 5, 3]);
  using ft = sc.tensor(f, [3, 3, 3, 1]);
  using y = sc.depthwiseConv2d(xt, ft, { padding: 'valid' });
  const got = y.data();
  for (let b = 0; b < 2; b++)
    for (let oy = 0; oy < 3; oy++)
      for (let ox = 0; ox < 3; ox++)
        for (let ch = 0; ch < 3; ch++) {
          let s = 0;
          for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) s += x[((b * 5 + oy + ky) * 5 + ox + kx) * 3 + ch]! * f[(ky * 3 + kx) * 3 + ch]!;
          const v = got[((b * 3 + oy) * 3 + ox) * 3 + ch]!;
          if (Math.abs(v - s) > 1e-4 * (1 + Math.abs(s))) throw new Error(`runtime broken: ${v} vs ${s}`);
        }
}

describe('fuzz: ONNX image / layout ops with hostile attributes (model or named ModelFormatError; typed errors at predict; runtime intact)', () => {
  it('property "onnx-image-attrs"', async () => {
    let loaded = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { bytes, node } = build(c);
        let m: sc.Model | undefined;
        try {
          m = await sc.loadModel(bytes);
        } catch (e) {
          if (!(e instanceof sc.ModelFormatError)) throw new Error(`load threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
          // Errors of the op name its node (other failures are the model's, e.g. an opset with no such op).
          if (!/opset|inputShape|single-/.test(e.message) && !e.message.includes(node)) throw new Error(`error does not name the node: ${e.message}`);
          if (e.message.length > 2000) throw new Error(`error message of ${e.message.length} characters`);
          refused++;
          return;
        }
        loaded++;
        try {
          using x = sc.tensor(new Float32Array(c.dims.reduce((p, d) => p * d, 1)).fill(0.5), c.dims);
          const y = m.predict(x, { copy: true }) as sc.Tensor;
          expect(y.shape.every((d) => Number.isSafeInteger(d) && d >= 1)).toBe(true);
          y.dispose();
        } catch (e) {
          if (!(e instanceof sc.SepconvError)) throw new Error(`predict threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        } finally {
          m.dispose();
        }
        runtimeIntact();
      }),
      { numRuns: runs(300), seed: SEED },
    );
    runtimeIntact();
    console.log(`fuzz onnx-image-attrs: ${loaded} loaded, ${refused} refused`);
    expect(loaded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
