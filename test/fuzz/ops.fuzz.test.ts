// Property-based fuzz of the public tensor and op API through the built package (issues 23.7 and 29), run in
// a worker (harness/) so a hang or crash is a reported failure, not a dead test process. Every property:
//   - every call ends as a result or a typed SepconvError (bounded message), never a trap, hang, crash or
//     untyped error;
//   - a call that is valid by the shared limits (HELPERS.md / spec.mjs: dims, strides, dilations, pads and
//     kernel sizes safe integers <= 2**31 - 1, element counts <= 2**30 - 1) returns the float64 reference's
//     answer (or a typed refusal); a call outside them is refused;
//   - afterwards a live sentinel tensor is intact and the runtime still computes a correct depthwise conv.
// Shapes and options are drawn around the limits (0, 1, 2**31 - 1, 2**31, 2**32 +- 1, products that wrap at
// 2**32, -1, NaN, 1.5, Infinity, BigInt, strings, objects with valueOf). CI runs a few hundred cases (~20 s);
// FUZZ_RUNS=N or SEPCONV_FUZZ=long (x20) run more, SEPCONV_FUZZ_SEED=<n> another seed.
import { afterAll, beforeAll, describe, it } from 'vitest';
import fc from 'fast-check';
import { CaseRunner, checkProperty, runs } from './harness/pool.js';
import { ALLOC_CAP, LIMIT_INTS, NOT_SIZES, elements, validShape } from './harness/spec.mjs';

// The build init() picks (simd128 on Node 20, relaxed where the host has relaxed SIMD), and the scalar build.
const runner = new CaseRunner();
const scalar = new CaseRunner({ build: 'scalar' });
beforeAll(() => runner.start());
afterAll(async () => {
  await runner.close();
  await scalar.close();
});

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

const small = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
const limitInt = fc.constantFrom(...LIMIT_INTS);
const notSize = fc.constantFrom(...NOT_SIZES);
/** A dimension: mostly small, often at a limit, sometimes not a size at all. */
const dim = fc.oneof({ arbitrary: small(0, 6), weight: 6 }, { arbitrary: limitInt, weight: 3 }, { arbitrary: notSize, weight: 1 });
/** Shapes whose products wrap at 2**32 or pass the element limit. */
const wrapShapes = fc.constantFrom([2 ** 32 + 8], [65536, 65537], [1, 32768, 32769, 4], [1, 65536, 65536, 1], [2 ** 31, 2], [2 ** 16, 2 ** 16, 2 ** 16], [1, 2 ** 31 - 1, 2 ** 31 - 1, 3], [0, 2 ** 32]);
/** Drawn shapes are either outside the limits (must be refused) or small enough to allocate on CI. */
const drawable = (s: unknown[]) => !validShape(s) || elements(s) <= ALLOC_CAP;
const shapeArb = fc.oneof({ arbitrary: fc.array(dim, { maxLength: 5 }), weight: 4 }, { arbitrary: wrapShapes, weight: 1 }).filter(drawable);

/** A stride / dilation / pool size option: a number, a pair, or absent. */
const scalarOpt = fc.oneof({ arbitrary: small(1, 3), weight: 6 }, { arbitrary: limitInt, weight: 2 }, { arbitrary: notSize, weight: 1 });
const pairOpt = fc.oneof({ arbitrary: scalarOpt, weight: 4 }, { arbitrary: fc.tuple(scalarOpt, scalarOpt), weight: 2 }, { arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fc.constantFrom([1], [1, 1, 1], 'same'), weight: 1 });
const padVal = fc.oneof({ arbitrary: small(0, 3), weight: 6 }, { arbitrary: limitInt, weight: 2 }, { arbitrary: notSize, weight: 1 });
const convPadding = fc.oneof(
  { arbitrary: fc.constantFrom('same', 'valid'), weight: 6 },
  { arbitrary: fc.tuple(padVal, padVal, padVal, padVal), weight: 3 },
  { arbitrary: fc.constantFrom('SAME', 'causal', 3, [1, 1], undefined), weight: 1 },
);
const pad2d = fc.oneof(padVal, fc.tuple(padVal, padVal), fc.tuple(fc.tuple(padVal, padVal), fc.tuple(padVal, padVal)));

/** An NHWC input: mostly small and valid, sometimes with a dimension at a limit. */
const xShapeArb = fc
  .oneof(
    { arbitrary: fc.tuple(small(1, 2), small(0, 9), small(0, 9), small(1, 5)), weight: 8 },
    { arbitrary: fc.tuple(small(1, 2), dim, dim, small(1, 5)), weight: 2 },
    { arbitrary: wrapShapes, weight: 1 },
  )
  .filter(drawable);

const opArb = fc
  .record({
    op: fc.constantFrom('depthwise', 'conv', 'maxPool', 'avgPool', 'pad', 'add', 'relu'),
    xShape: xShapeArb,
    kh: fc.oneof({ arbitrary: small(1, 4), weight: 8 }, { arbitrary: dim, weight: 1 }),
    kw: fc.oneof({ arbitrary: small(1, 4), weight: 8 }, { arbitrary: dim, weight: 1 }),
    fOut: small(1, 3),
    channelDelta: fc.oneof({ arbitrary: fc.constant(0), weight: 9 }, { arbitrary: small(1, 2), weight: 1 }),
    bShape: fc.option(xShapeArb, { freq: 4 }),
    strides: pairOpt,
    dilations: pairOpt,
    poolSize: pairOpt,
    padding: convPadding,
    pad: pad2d,
    seed: small(1, 1000),
  })
  .map((r) => {
    const c = Array.isArray(r.xShape) ? r.xShape[3] : 1;
    const fShape = r.op === 'depthwise' || r.op === 'conv' ? [r.kh, r.kw, typeof c === 'number' ? c + r.channelDelta : c, r.fOut] : undefined;
    const opts: Record<string, unknown> =
      r.op === 'depthwise' || r.op === 'conv'
        ? { strides: r.strides, dilations: r.dilations, padding: r.padding }
        : r.op === 'maxPool' || r.op === 'avgPool'
          ? { poolSize: r.poolSize, strides: r.strides, padding: r.padding }
          : r.op === 'pad'
            ? { padding: r.pad }
            : {};
    return { type: 'op', op: r.op, xShape: r.xShape, fShape, bShape: r.op === 'add' ? (r.bShape ?? r.xShape) : undefined, opts, seed: r.seed };
  })
  .filter((c) => !c.fShape || drawable(c.fShape));

// ---------------------------------------------------------------------------------------------------------

describe('fuzz: tensors and ops around the size limits (result or SepconvError, runtime intact)', () => {
  it('property "shape-limits": zeros / fill / tensor accept exactly the shapes within the limits', async () => {
    const arb = fc.record({ dims: shapeArb, ctor: fc.constantFrom('zeros', 'fill', 'tensor') });
    await checkProperty('shape-limits', runner, arb, (v) => ({ type: 'shape', ...v }), { numRuns: runs(300) });
  });

  it('property "op-options": ops with shapes, strides, dilations, pads and pool sizes around the limits give the reference or a typed refusal', async () => {
    await checkProperty('op-options', runner, opArb, (v) => v, { numRuns: runs(800) });
  });

  it('property "op-options (scalar build)": the same on the scalar build', async () => {
    await checkProperty('op-options (scalar)', scalar, opArb, (v) => v, { numRuns: runs(300) });
  });

  it('property "mutated-shape": changing tensor.shape / size / dtype after creation is impossible or rejected', async () => {
    const arb = fc.record({
      mutation: fc.constantFrom('index', 'first', 'push', 'pop', 'splice', 'length', 'reverse', 'fillShape', 'assignShape', 'defineShape', 'assignSize', 'defineSize', 'assignDtype'),
      value: fc.constantFrom(64, 200, 0, 1, 2 ** 31, 2 ** 32 + 1, -1, NaN),
      op: fc.constantFrom('relu', 'add', 'depthwise', 'maxPool', 'pad', 'data'),
      seed: small(1, 1000),
    });
    await checkProperty('mutated-shape', runner, arb, (v) => ({ type: 'mutate', ...v }), { numRuns: runs(150) });
  });

  const slot = small(0, 3);
  const actions = (withViews: boolean) =>
    fc.array(
      fc.oneof(
        { arbitrary: fc.record({ do: fc.constant('init'), build: fc.constantFrom('simd128', 'scalar', 'relaxed') }), weight: withViews ? 1 : 2 },
        { arbitrary: fc.record({ do: fc.constant('new'), slot }), weight: 4 },
        { arbitrary: fc.record({ do: fc.constant('dispose'), slot }), weight: 1 },
        { arbitrary: fc.record({ do: fc.constant('view-write'), slot }), weight: withViews ? 2 : 0 },
        { arbitrary: fc.record({ do: fc.constantFrom('relu', 'add', 'depthwise'), a: slot, b: slot }), weight: 4 },
      ),
      { minLength: 2, maxLength: 12 },
    );

  it('property "lifecycle": re-init, dispose and outputs into tensors of another runtime never corrupt live tensors or give wrong answers', async () => {
    const arb = fc.record({ actions: actions(false), seed: small(1, 1000) });
    await checkProperty('lifecycle', runner, arb, (v) => ({ type: 'lifecycle', ...v }), { numRuns: runs(40), timeoutMs: 20_000 });
  });

  it('property "stale-view": writing through a view() kept past dispose() never lands in a live tensor or breaks the runtime', async () => {
    const arb = fc.record({ actions: actions(true), seed: small(1, 1000) });
    await checkProperty('stale-view', runner, arb, (v) => ({ type: 'lifecycle', ...v }), { numRuns: runs(30), timeoutMs: 20_000 });
  });
});
