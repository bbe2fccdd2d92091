// The op-level fuzz of the root suite (test/fuzz/, issues 23.7 and 29) on each wasm build this vitest project
// runs (relaxed, simd128, scalar), in this thread on the package's sources: tensors of drawn shapes, ops with
// shapes and options around the size limits (float64 references where the call is valid), and tensors whose
// shape / size / dtype is changed after creation. Every outcome is a result or a typed SepconvError; after each
// case a live sentinel tensor is intact and a depthwise conv still matches the reference. The cases, their
// judge and the arbitraries are the root suite's (test/fuzz/harness/); FUZZ_RUNS=N, SEPCONV_FUZZ=long,
// SEPCONV_FUZZ_SEED and FUZZ_SURVEY work the same.
import { beforeAll, describe, it } from 'vitest';
import * as api from '../../src/api.js';
import { init } from '../../src/entry/node.js';
import { TEST_BUILD } from '../helpers.js';
import { InProcessRunner, PROPERTY_TIMEOUT, checkProperty, runs } from '../../../../test/fuzz/harness/pool.js';
import { MUTATE_EXAMPLES, OP_EXAMPLES, SHAPE_EXAMPLES, mutateArb, opArb, shapeCaseArb } from '../../../../test/fuzz/harness/arbitraries.js';

let runner: InProcessRunner;
beforeAll(async () => {
  await init({ build: TEST_BUILD });
  runner = new InProcessRunner({ ...api, init });
});

describe(`fuzz (${TEST_BUILD} build): tensors and ops around the size limits`, () => {
  it('property "shape-limits"', () => checkProperty(`shape-limits (${TEST_BUILD})`, runner, shapeCaseArb, (v) => ({ type: 'shape', ...v }), { numRuns: runs(200), examples: SHAPE_EXAMPLES }), PROPERTY_TIMEOUT);
  it('property "op-options"', () => checkProperty(`op-options (${TEST_BUILD})`, runner, opArb, (v) => v, { numRuns: runs(400), examples: OP_EXAMPLES }), PROPERTY_TIMEOUT);
  it('property "mutated-shape"', () => checkProperty(`mutated-shape (${TEST_BUILD})`, runner, mutateArb, (v) => ({ type: 'mutate', ...v }), { numRuns: runs(100), examples: MUTATE_EXAMPLES }), PROPERTY_TIMEOUT);
});
