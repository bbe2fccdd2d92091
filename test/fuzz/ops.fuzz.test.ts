// Property-based fuzz of the public tensor and op API through the built package (issues 23.7 and 29), run in
// a child process (harness/) so a hang or crash is a reported failure, not a dead test process. Every property:
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
import { CaseRunner, PROPERTY_TIMEOUT, checkProperty, runs } from './harness/pool.js';
import { MUTATE_EXAMPLES, OP_EXAMPLES, SHAPE_EXAMPLES, mutateArb, opArb, shapeCaseArb, small } from './harness/arbitraries.js';

// The build init() picks (simd128 on Node 20, relaxed where the host has relaxed SIMD), and the scalar build.
const runner = new CaseRunner();
const scalar = new CaseRunner({ build: 'scalar' });
beforeAll(() => runner.start());
afterAll(async () => {
  await runner.close();
  await scalar.close();
});

// ---------------------------------------------------------------------------------------------------------

describe('fuzz: tensors and ops around the size limits (result or SepconvError, runtime intact)', () => {
  it('property "shape-limits": zeros / fill / tensor accept exactly the shapes within the limits', async () => {
    await checkProperty('shape-limits', runner, shapeCaseArb, (v) => ({ type: 'shape', ...v }), { numRuns: runs(300), examples: SHAPE_EXAMPLES });
  }, PROPERTY_TIMEOUT);

  it('property "op-options": ops with shapes, strides, dilations, pads and pool sizes around the limits give the reference or a typed refusal', async () => {
    await checkProperty('op-options', runner, opArb, (v) => v, { numRuns: runs(800), examples: OP_EXAMPLES });
  }, PROPERTY_TIMEOUT);

  it('property "op-options (scalar build)": the same on the scalar build', async () => {
    await checkProperty('op-options (scalar)', scalar, opArb, (v) => v, { numRuns: runs(300), examples: OP_EXAMPLES });
  }, PROPERTY_TIMEOUT);

  it('property "mutated-shape": changing tensor.shape / size / dtype after creation is impossible or rejected', async () => {
    await checkProperty('mutated-shape', runner, mutateArb, (v) => ({ type: 'mutate', ...v }), { numRuns: runs(150), examples: MUTATE_EXAMPLES });
  }, PROPERTY_TIMEOUT);

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
  }, PROPERTY_TIMEOUT);

  it('property "stale-view": writing through a view() kept past dispose() never lands in a live tensor or breaks the runtime', async () => {
    const arb = fc.record({ actions: actions(true), seed: small(1, 1000) });
    await checkProperty('stale-view', runner, arb, (v) => ({ type: 'lifecycle', ...v }), { numRuns: runs(30), timeoutMs: 20_000 });
  }, PROPERTY_TIMEOUT);
});
