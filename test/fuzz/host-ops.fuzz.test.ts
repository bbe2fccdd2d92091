// Property-based fuzz of the graph importer's post-processing (host) ops: small TF.js graph models whose op
// (ArgMax, TopKV2, GatherV2 / GatherNd, StridedSlice, Pack / Unpack, Split / SplitV, Slice, Tile, Transpose,
// reductions, FloorDiv, resizes, ...) gets hostile attrs and constant operands (sizes around 0 and the limits,
// negative and fractional values, NaN, strings, huge masks, wrong ranks). Property: loadModel and one predict
// end as a result or a typed SepconvError with a bounded message (a ModelFormatError naming the node when the
// file is at fault), never an untyped error, trap or hang, and the runtime still computes afterwards.
// FUZZ_RUNS=N or SEPCONV_FUZZ=long (x20) run more, SEPCONV_FUZZ_SEED=<n> another seed.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as sc from 'sepconv';
import { checkProperty, PROPERTY_TIMEOUT, runs, type Outcome, type Runner } from './harness/pool.js';
import { LIMIT_INTS, MESSAGE_CAP, NOT_SIZES } from './harness/spec.mjs';

interface HostCase {
  op: string;
  shape: number[];
  dtype: 'DT_FLOAT' | 'DT_INT32' | 'DT_BOOL';
  consts: unknown[][];
  attr: Record<string, unknown>;
  outputs: number;
}

const OPS: Record<string, { consts: number; attrs: string[] }> = {
  ArgMax: { consts: 1, attrs: [] },
  TopKV2: { consts: 1, attrs: ['sorted'] },
  GatherV2: { consts: 2, attrs: ['batch_dims'] },
  GatherNd: { consts: 1, attrs: [] },
  StridedSlice: { consts: 3, attrs: ['begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask'] },
  Slice: { consts: 2, attrs: [] },
  Pack: { consts: 0, attrs: ['axis', 'N'] },
  Unpack: { consts: 0, attrs: ['axis', 'num'] },
  SplitV: { consts: 2, attrs: ['num_split'] },
  Tile: { consts: 1, attrs: [] },
  Transpose: { consts: 1, attrs: [] },
  BroadcastTo: { consts: 1, attrs: [] },
  Reshape: { consts: 1, attrs: [] },
  ExpandDims: { consts: 1, attrs: [] },
  Squeeze: { consts: 0, attrs: ['squeeze_dims'] },
  Sum: { consts: 1, attrs: ['keep_dims'] },
  Max: { consts: 1, attrs: ['keep_dims'] },
  ConcatV2: { consts: 1, attrs: ['N'] },
  FloorDiv: { consts: 1, attrs: [] },
  FloorMod: { consts: 1, attrs: [] },
  Cast: { consts: 0, attrs: ['DstT'] },
  ResizeBilinear: { consts: 1, attrs: ['align_corners', 'half_pixel_centers'] },
  ResizeNearestNeighbor: { consts: 1, attrs: ['align_corners', 'half_pixel_centers'] },
};

const hostileInt = fc.oneof({ arbitrary: fc.integer({ min: -4, max: 6 }), weight: 6 }, { arbitrary: fc.constantFrom(...LIMIT_INTS, -(2 ** 31), -(2 ** 53)), weight: 2 });
const hostileValue = fc.oneof({ arbitrary: hostileInt, weight: 6 }, { arbitrary: fc.constantFrom(...NOT_SIZES.filter((v) => typeof v !== 'bigint' && v !== undefined)), weight: 1 });
const attrValue = fc.oneof(
  { arbitrary: hostileInt.map((v) => ({ i: String(v) })), weight: 4 },
  { arbitrary: fc.boolean().map((b) => ({ b })), weight: 1 },
  { arbitrary: fc.array(hostileInt, { maxLength: 4 }).map((l) => ({ list: { i: l.map(String) } })), weight: 1 },
  { arbitrary: fc.constantFrom({ type: 'DT_INT32' }, { type: 'DT_BOOL' }, { type: 'DT_STRING' }, { type: 42 }, { i: 'abc' }, { i: null }, {}, null), weight: 1 },
);
const hostCase: fc.Arbitrary<HostCase> = fc
  .record({
    op: fc.constantFrom(...Object.keys(OPS)),
    shape: fc.array(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 5 }), weight: 8 }, { arbitrary: fc.constantFrom(0, 2 ** 16, 2 ** 31), weight: 1 }), { minLength: 0, maxLength: 5 }),
    dtype: fc.constantFrom('DT_FLOAT', 'DT_FLOAT', 'DT_INT32', 'DT_BOOL'),
    consts: fc.array(fc.array(hostileValue, { maxLength: 6 }), { minLength: 3, maxLength: 3 }),
    attr: fc.array(fc.tuple(fc.nat(), attrValue), { maxLength: 4 }),
    outputs: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ op, attr, ...r }) => {
    const names = OPS[op]!.attrs;
    return { op, ...r, attr: Object.fromEntries(names.length ? attr.map(([k, v]) => [names[k % names.length]!, v]) : []) };
  });

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The case's model: x [1, N] -> Reshape to the case's shape -> (Cast) -> op(x, consts...). */
function modelOf(c: HostCase) {
  const n = Math.min(size(c.shape), 4096);
  const nodes: any[] = [{ name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '1' }, { size: String(Math.max(n, 1)) }] } } } }];
  const inline = (name: string, values: unknown[]) =>
    nodes.push({ name, op: 'Const', attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: values.length === 1 ? [] : [{ size: String(values.length) }] }, intVal: values.length ? values : [0] } } } });
  inline('shape', c.shape);
  nodes.push({ name: 'r', op: 'Reshape', input: ['x', 'shape'] });
  let x = 'r';
  if (c.dtype !== 'DT_FLOAT') {
    nodes.push({ name: 't', op: 'Cast', input: ['r'], attr: { DstT: { type: c.dtype } } });
    x = 't';
  }
  const k = OPS[c.op]!.consts;
  const ins = c.op === 'Pack' ? [x, x] : c.op === 'ConcatV2' ? [x, x] : [x];
  for (let j = 0; j < k; j++) {
    inline(`c${j}`, c.consts[j]!);
    ins.push(`c${j}`);
  }
  nodes.push({ name: 'op', op: c.op, input: ins, attr: c.attr });
  return {
    n: Math.max(n, 1),
    outputs: Array.from({ length: c.outputs }, (_, j) => (j ? `op:${j}` : 'op')),
    source: { modelJson: { format: 'graph-model', modelTopology: { node: nodes }, weightsManifest: [] }, weights: new ArrayBuffer(0) },
  };
}

/** Runs cases in this thread: a load and a predict, the outcome classified, the runtime checked after. */
class HostRunner implements Runner {
  readonly counts = new Map<string, number>();
  async run(raw: Record<string, unknown>): Promise<Outcome> {
    const c = raw as unknown as HostCase;
    const t0 = performance.now();
    let out: Outcome;
    try {
      const g = modelOf(c);
      const m = await sc.loadModel(g.source as any, { outputs: g.outputs });
      try {
        using x = sc.tensor(new Float32Array(g.n).map((_, i) => (i % 7) - 3), [1, g.n]);
        const y = m.predict(x);
        for (const t of Array.isArray(y) ? y : [y]) t.data();
        out = { ok: true, kind: 'result', ms: performance.now() - t0 };
      } finally {
        m.dispose();
      }
    } catch (e) {
      const err = e as Error;
      const typed = e instanceof sc.SepconvError;
      const bounded = typeof err?.message === 'string' && err.message.length <= MESSAGE_CAP;
      const named = !(e instanceof sc.ModelFormatError) || /node '|graph model|layer/.test(err.message);
      out = typed && bounded && named ? { ok: true, kind: 'sepconv-error', name: err.constructor.name, ms: performance.now() - t0 } : { ok: false, violation: `${typed ? (bounded ? 'unnamed' : 'unbounded') : 'untyped'} error ${err?.constructor?.name}: ${String(err?.message).slice(0, 300)}`, ms: performance.now() - t0 };
    }
    // The runtime still computes: a depthwise conv against its float64 reference.
    using probe = sc.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
    const s = (sc.depthwiseConv2d(probe, sc.tensor([1, 1, 1, 1], [2, 2, 1, 1]), { padding: 'valid' }) as sc.Tensor).data();
    if (s[0] !== 10) out = { ok: false, violation: `runtime broken after the case: 1+2+3+4 = ${s[0]}`, ms: out.ms };
    const key = !out.ok ? 'VIOLATION' : out.kind === 'result' ? 'result' : `refused (${out.name})`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return out;
  }
}

beforeAll(() => sc.init());

describe('fuzz: host ops with hostile attrs, shapes and constant operands', () => {
  it(
    'property "host-ops": loadModel + predict end as a result or a typed, bounded SepconvError; the runtime computes after',
    async () => {
      const runner = new HostRunner();
      // The cases that were refused untyped or hung before the checks: huge Tile / Fill / BroadcastTo sizes,
      // StridedSlice strides of 0 and 2**31 masks, TopKV2 k past the axis, SplitV sizes that do not add up.
      const examples: HostCase[] = [
        { op: 'Tile', shape: [2, 3], dtype: 'DT_FLOAT', consts: [[2 ** 31, 2 ** 31], [], []], attr: {}, outputs: 1 },
        { op: 'BroadcastTo', shape: [3], dtype: 'DT_FLOAT', consts: [[2 ** 30, 2 ** 30, 3], [], []], attr: {}, outputs: 1 },
        { op: 'StridedSlice', shape: [4, 5], dtype: 'DT_FLOAT', consts: [[0, 0], [4, 5], [0, 1]], attr: { ellipsis_mask: { i: String(2 ** 31 - 1) } }, outputs: 1 },
        { op: 'TopKV2', shape: [2, 3], dtype: 'DT_INT32', consts: [[7], [], []], attr: {}, outputs: 2 },
        { op: 'SplitV', shape: [6], dtype: 'DT_FLOAT', consts: [[1, -1, -1], [0], []], attr: {}, outputs: 3 },
        { op: 'ResizeBilinear', shape: [1, 2, 2, 1], dtype: 'DT_FLOAT', consts: [[2 ** 31 - 1, 2 ** 31 - 1], [], []], attr: {}, outputs: 1 },
      ];
      await checkProperty('host-ops', runner, hostCase, (v) => v as unknown as Record<string, unknown>, { numRuns: runs(300), examples });
      expect(runner.counts.get('result') ?? 0, 'some cases must load and run').toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT,
  );
});
