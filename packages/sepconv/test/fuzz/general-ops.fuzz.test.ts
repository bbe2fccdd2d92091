// Fuzz of the general elementwise ops, reductions and softmax (issue 25 item 3) on each wasm build, with the
// root suite's property runner (test/fuzz/harness/pool.ts: checkProperty, runs, the seed and budgets) and its
// limits (spec.mjs). Shapes of any rank (0 to 8) with dims around the limits, pairs whose broadcast passes
// 2**30 - 1 elements or wraps at 2**32, axes out of range / repeated / not integers, unknown op names, odd
// options and outputs of the wrong size. Every call ends as a result or a typed SepconvError (never a
// KernelError: the TypeScript checks must refuse first; bounded message); a valid call gives the float64
// reference's answer; after each case a live sentinel tensor is intact.
// FUZZ_RUNS=N, SEPCONV_FUZZ=long and SEPCONV_FUZZ_SEED work as in the root suite.
import { beforeAll, describe, it } from 'vitest';
import fc from 'fast-check';
import * as api from '../../src/api.js';
import { init } from '../../src/entry/node.js';
import { TEST_BUILD } from '../helpers.js';
import { PROPERTY_TIMEOUT, checkProperty, runs, type Outcome, type Runner } from '../../../../test/fuzz/harness/pool.js';
import { LIMIT_INTS, MAX_ELEMENTS, MESSAGE_CAP, NOT_SIZES, elements, randomData } from '../../../../test/fuzz/harness/spec.mjs';

const sc = api;
const BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'squaredDifference', 'pow'] as const;
const UNARY = ['sqrt', 'abs', 'neg', 'square', 'relu', 'exp', 'log', 'erf', 'leakyRelu', 'hardSigmoid', 'round'] as const;
const REDUCE = ['sum', 'mean', 'max', 'min', 'prod'] as const;
/** Most drawn shapes allocate (small dims); the limits come in through the pairs below and NOT_SIZES. */
const ALLOC = 1 << 16;

class Violation extends Error {}

const f64 = {
  binary(op: string, a: number, b: number): number {
    switch (op) {
      case 'add':
        return a + b;
      case 'sub':
        return a - b;
      case 'mul':
        return a * b;
      case 'div':
        return a / b;
      case 'maximum':
        return Math.max(a, b);
      case 'minimum':
        return Math.min(a, b);
      case 'squaredDifference':
        return (a - b) * (a - b);
      default:
        return Math.pow(a, b);
    }
  },
};

const validDims = (s: unknown): s is number[] => Array.isArray(s) && elements(s) <= MAX_ELEMENTS;

/** The numpy broadcast of two valid shapes, or undefined. */
function broadcast(a: number[], b: number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[i + a.length - r] ?? 1;
    const db = b[i + b.length - r] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

function close(what: string, got: Float32Array, want: (i: number) => number, tol = 1e-4): void {
  for (let i = 0; i < got.length; i++) {
    const w = Math.fround(want(i));
    const g = got[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= tol * (1 + Math.abs(w));
    if (!ok) throw new Violation(`${what}: output[${i}] = ${g}, reference ${w}`);
  }
}

/** The cases, run in this thread. */
class GeneralOpsRunner implements Runner {
  readonly counts = new Map<string, number>();
  #sentinelData = randomData(4096, 21);
  #sentinel = sc.tensor(this.#sentinelData, [4096]);

  async run(c: Record<string, unknown>): Promise<Outcome> {
    const t0 = performance.now();
    const made: api.Tensor[] = [];
    const make = (shape: unknown, seed: number): api.Tensor => {
      const n = elements(shape);
      const t = n <= ALLOC ? sc.tensor(randomData(n, seed).map((v) => v * 3), shape as number[]) : sc.zeros(shape as number[]);
      made.push(t);
      return t;
    };
    let out: Outcome;
    try {
      const value = this.#case(c, make);
      out = { ok: true, kind: 'result', ms: 0, ...value };
    } catch (e) {
      if (e instanceof Violation) out = { ok: false, violation: e.message, ms: 0 };
      else if (!(e instanceof sc.SepconvError)) out = { ok: false, violation: `untyped error ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message ?? e).slice(0, 300)}`, ms: 0 };
      else if (e instanceof sc.KernelError) out = { ok: false, violation: `KernelError (past the TypeScript checks): ${e.message.slice(0, 300)}`, ms: 0 };
      else if (e.message.length > MESSAGE_CAP) out = { ok: false, violation: `${e.name} message of ${e.message.length} chars`, ms: 0 };
      else if (c.valid === true) out = { ok: false, violation: `a valid call was refused: ${e.name}: ${e.message.slice(0, 300)}`, ms: 0 };
      else out = { ok: true, kind: 'sepconv-error', name: e.name, ms: 0 };
    } finally {
      for (const t of made) t.dispose();
    }
    const s = this.#sentinel.data();
    if (s.some((v, i) => v !== this.#sentinelData[i])) out = { ok: false, violation: 'the live sentinel tensor changed', ms: 0 };
    out.ms = performance.now() - t0;
    const key = !out.ok ? 'VIOLATION' : out.kind === 'result' ? 'result' : `refused (${out.name})`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return out;
  }

  #case(c: Record<string, unknown>, make: (shape: unknown, seed: number) => api.Tensor): Record<string, unknown> {
    const seed = c.seed as number;
    const valid = (c.valid = this.#valid(c));
    const call = (): api.Tensor => {
      switch (c.type) {
        case 'binary': {
          const a = make(c.aShape, seed);
          const b = make(c.bShape, seed + 1);
          const o = c.outShape === undefined ? undefined : make(c.outShape, seed + 2);
          const y = sc.binary(c.op as api.BinaryOpName, a, b, o);
          if (valid) {
            const [as, bs] = [c.aShape as number[], c.bShape as number[]];
            const shape = broadcast(as, bs)!;
            const [da, db] = [a.data(), b.data()];
            const idx = (s: number[], i: number) => {
              let k = 0;
              let rest = i;
              let stride = 1;
              for (let ax = shape.length - 1; ax >= 0; ax--) {
                const coord = rest % shape[ax]!;
                rest = Math.floor(rest / shape[ax]!);
                const j = ax - (shape.length - s.length);
                if (j >= 0) {
                  if (s[j] !== 1) k += coord * stride;
                  stride *= s[j]!;
                }
              }
              return k;
            };
            close(`${c.op} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, y.data(), (i) => f64.binary(c.op as string, da[idx(as, i)]!, db[idx(bs, i)]!));
          }
          return y;
        }
        case 'unary': {
          const x = make(c.shape, seed);
          return sc.unary(c.op as api.UnaryOpName, x, c.options as api.UnaryOptions);
        }
        case 'reduce': {
          const x = make(c.shape, seed);
          const y = sc.reduce(c.op as api.ReduceOpName, x, c.options as api.ReduceOptions);
          if (valid && c.op === 'sum' && (c.options as { axes?: unknown }).axes === undefined) {
            const want = x.data().reduce((p, v) => p + v, 0);
            close('sum of all', y.data(), () => want, 1e-3);
          }
          return y;
        }
        default: {
          const x = make(c.shape, seed);
          const y = (c.log ? sc.logSoftmax : sc.softmax)(x, { axis: c.axis as number });
          if (valid && !c.log) {
            const shape = c.shape as number[];
            const ax = (c.axis as number) < 0 ? (c.axis as number) + shape.length : (c.axis as number);
            const inner = shape.slice(ax + 1).reduce((p, d) => p * d, 1);
            const len = shape[ax]!;
            const d = y.data();
            for (let o = 0; o < d.length / (len * inner); o++) {
              for (let i = 0; i < inner; i++) {
                let s = 0;
                for (let k = 0; k < len; k++) s += d[(o * len + k) * inner + i]!;
                if (!(Math.abs(s - 1) < 1e-4)) throw new Violation(`softmax ${JSON.stringify(shape)} axis ${ax}: a slice sums to ${s}`);
              }
            }
          }
          return y;
        }
      }
    };
    const y = call();
    y.dispose();
    return {};
  }

  /** Whether the call is valid by the documented rules (then it must not be refused). */
  #valid(c: Record<string, unknown>): boolean {
    const small = (s: unknown) => validDims(s) && elements(s) <= ALLOC;
    switch (c.type) {
      case 'binary': {
        if (!BINARY.includes(c.op as never) || !small(c.aShape) || !small(c.bShape)) return false;
        const [a, b] = [c.aShape as number[], c.bShape as number[]];
        if (a.length > 6 || b.length > 6) return false;
        const out = broadcast(a, b);
        if (!out || elements(out) > ALLOC) return false;
        return c.outShape === undefined || (small(c.outShape) && elements(c.outShape) === elements(out));
      }
      case 'unary': {
        const o = c.options as Record<string, unknown>;
        const num = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v));
        return UNARY.includes(c.op as never) && small(c.shape) && num(o.alpha) && num(o.beta);
      }
      case 'reduce': {
        const s = c.shape as number[];
        if (!REDUCE.includes(c.op as never) || !small(s) || s.length > 6) return false;
        const { axes, keepDims } = c.options as { axes?: unknown; keepDims?: unknown };
        if (keepDims !== undefined && typeof keepDims !== 'boolean') return false;
        const list = axes === undefined ? s.map((_, i) => i) : typeof axes === 'number' ? [axes] : axes;
        if (!Array.isArray(list) || !list.every((a) => Number.isInteger(a) && a >= -s.length && a < s.length)) return false;
        const norm = list.map((a: number) => (a < 0 ? a + s.length : a));
        if (new Set(norm).size !== norm.length) return false;
        const emptyReduce = norm.some((a: number) => s[a] === 0) && s.every((d, i) => norm.includes(i) || d !== 0);
        return !((c.op === 'max' || c.op === 'min') && emptyReduce);
      }
      default: {
        const s = c.shape as number[];
        const a = c.axis;
        if (!small(s) || s.length === 0 || s.length > 6 || typeof a !== 'number' || !Number.isInteger(a) || a < -s.length || a >= s.length) return false;
        return s[a < 0 ? a + s.length : a] !== 0;
      }
    }
  }
}

const small = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
const dim = fc.oneof({ arbitrary: small(0, 5), weight: 12 }, { arbitrary: fc.constantFrom(...LIMIT_INTS), weight: 1 }, { arbitrary: fc.constantFrom(...NOT_SIZES), weight: 1 });
/** Shapes of rank 0 to 8 that allocate (or are refused as shapes). */
const shapeArb = fc.array(dim, { maxLength: 8 }).filter((s) => !validDims(s) || elements(s) <= ALLOC);
/** Operand pairs whose broadcast passes the element limit or wraps at 2**32, each operand small. */
const hugePairs = fc.constantFrom<[number[], number[]]>(
  [[65536, 1], [1, 65537]],
  [[32768, 1, 4], [1, 32769, 1]],
  [[65536, 1, 1], [1, 16384, 1]],
  [[1, 2 ** 16], [2 ** 15, 1]],
  [[3, 1], [1, 2 ** 31 - 1]],
);
const sameRankPartner = (s: unknown[]) => fc.tuple(...s.map((d) => fc.constantFrom(d, 1, 2, 0))).map((x) => x as unknown[]);
const binaryArb = fc
  .record({
    op: fc.oneof({ arbitrary: fc.constantFrom(...BINARY), weight: 9 }, { arbitrary: fc.constantFrom('atan2', '', 'constructor', 3), weight: 1 }),
    pair: fc.oneof(
      { arbitrary: shapeArb.chain((a) => fc.tuple(fc.constant(a), fc.oneof(sameRankPartner(a), sameRankPartner(a).map((b) => b.slice(1)), shapeArb))), weight: 8 },
      { arbitrary: hugePairs, weight: 1 },
    ),
    out: fc.option(fc.constantFrom('right', 'wrong'), { freq: 5 }),
    seed: small(1, 1000),
  })
  .map(({ op, pair: [aShape, bShape], out, seed }) => {
    const o = validDims(aShape) && validDims(bShape) ? broadcast(aShape as number[], bShape as number[]) : undefined;
    const outShape = out === null || !o || elements(o) > ALLOC ? undefined : out === 'right' ? o : [elements(o) + 1];
    return { type: 'binary', op, aShape, bShape, outShape, seed };
  });
const numOpt = fc.oneof({ arbitrary: fc.double({ min: -3, max: 3, noNaN: true }), weight: 6 }, { arbitrary: fc.constantFrom(undefined, NaN, Infinity, '0.2', null), weight: 2 });
const unaryArb = fc.record({
  type: fc.constant('unary'),
  op: fc.oneof({ arbitrary: fc.constantFrom(...UNARY), weight: 9 }, { arbitrary: fc.constantFrom('gelu', 'toString', 7), weight: 1 }),
  shape: shapeArb,
  options: fc.record({ alpha: numOpt, beta: numOpt }),
  seed: small(1, 1000),
});
const axisArb = fc.oneof({ arbitrary: small(-7, 7), weight: 8 }, { arbitrary: fc.constantFrom(...LIMIT_INTS, ...NOT_SIZES), weight: 1 });
const reduceArb = fc.record({
  type: fc.constant('reduce'),
  op: fc.oneof({ arbitrary: fc.constantFrom(...REDUCE), weight: 9 }, { arbitrary: fc.constantFrom('argmax', 'any'), weight: 1 }),
  shape: shapeArb,
  options: fc.record({
    axes: fc.oneof({ arbitrary: fc.array(axisArb, { maxLength: 7 }), weight: 6 }, { arbitrary: axisArb, weight: 2 }, { arbitrary: fc.constantFrom(undefined, 'x', {}), weight: 2 }),
    keepDims: fc.constantFrom(undefined, true, false, 1, 'yes'),
  }),
  seed: small(1, 1000),
});
const softmaxArb = fc.record({ type: fc.constant('softmax'), shape: shapeArb, axis: fc.oneof(axisArb, fc.constant(undefined)), log: fc.boolean(), seed: small(1, 1000) });

/** The inputs the task names: incompatible, rank 7, wrapping broadcasts, empty reductions, bad axes. */
const EXAMPLES = [
  { type: 'binary', op: 'sub', aShape: [2, 3], bShape: [2], seed: 1 },
  { type: 'binary', op: 'add', aShape: [1, 1, 1, 1, 1, 1, 2], bShape: [2], seed: 1 },
  { type: 'binary', op: 'mul', aShape: [65536, 1], bShape: [1, 65537], seed: 1 },
  { type: 'binary', op: 'pow', aShape: [0, 3], bShape: [1, 3], seed: 1 },
  { type: 'reduce', op: 'max', shape: [3, 0], options: { axes: [1] }, seed: 1 },
  { type: 'reduce', op: 'mean', shape: [3, 0], options: { axes: [-1], keepDims: true }, seed: 1 },
  { type: 'reduce', op: 'sum', shape: [2, 3], options: { axes: [0, -2] }, seed: 1 },
  { type: 'softmax', shape: [2, 0, 3], axis: 1, log: true, seed: 1 },
  { type: 'softmax', shape: [4, 5], axis: 2 ** 32, log: false, seed: 1 },
];

let runner: GeneralOpsRunner;
beforeAll(async () => {
  await init({ build: TEST_BUILD });
  runner = new GeneralOpsRunner();
});

describe(`fuzz (${TEST_BUILD} build): general elementwise ops, reductions and softmax`, () => {
  it('property "general-ops": result (matching the reference) or a typed refusal, runtime intact', async () => {
    const arb = fc.oneof(binaryArb, unaryArb as fc.Arbitrary<Record<string, unknown>>, reduceArb as fc.Arbitrary<Record<string, unknown>>, softmaxArb as fc.Arbitrary<Record<string, unknown>>);
    await checkProperty(`general-ops (${TEST_BUILD})`, runner, arb as fc.Arbitrary<Record<string, unknown>>, (v) => ({ ...v }), { numRuns: runs(800), examples: EXAMPLES });
  }, PROPERTY_TIMEOUT);
});
