// Deep graphs (issue 23.4, 29.3): a 30,000-layer chain built with model() or Sequential.add(), planned and run
// without recursion, matching a float64 JS reference; a cycle is a ModelFormatError naming the layer; and the
// planning passes do work linear in the steps (fusion counted, the arena planner against the greedy it implements).
import { beforeAll, describe, expect, it } from 'vitest';
import { input, layers, model, ModelFormatError, sequential, tensor, type SymbolicTensor, type Tensor } from '../../src/entry/node.js';
import { fuse } from '../../src/layers/exec.js';
import type { Lowered, Step } from '../../src/layers/ir.js';
import { planArena, planIsValid, type ArenaPlan, type Interval } from '../../src/models/arena.js';
import { expectClose, initForTest, randomArray, rng } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
});

const DEPTH = 30_000;
const WIDTH = 8;
const BATCH = 2;

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

describe('deep graphs', () => {
  it(`a ${DEPTH}-layer functional chain (tanh, Add with a skip, sigmoid) predicts like a float64 reference`, () => {
    const inp = input({ shape: [WIDTH] });
    let prev: SymbolicTensor = inp;
    let x: SymbolicTensor = inp;
    // Per group of three layers: tanh, add(x, value two layers back), sigmoid; the add -> sigmoid pair fuses.
    for (let i = 0; i < DEPTH / 3; i++) {
      const t = layers.activation({ activation: 'tanh' }).apply(x);
      const s = layers.add({}).apply([t, prev]);
      prev = t;
      x = layers.activation({ activation: 'sigmoid' }).apply(s);
    }
    const m = model({ inputs: inp, outputs: x });
    expect(m.nodes.length).toBe(DEPTH + 1);
    const data = randomArray(BATCH * WIDTH, rng(7));
    using xt = tensor(data, [BATCH, WIDTH]);
    const y = m.predict(xt, { copy: true }) as Tensor;
    const want = new Float64Array(BATCH * WIDTH);
    for (let j = 0; j < want.length; j++) {
      let p = data[j]!;
      let v = data[j]!;
      for (let i = 0; i < DEPTH / 3; i++) {
        const t = Math.tanh(v);
        v = sigmoid(t + p);
        p = t;
      }
      want[j] = v;
    }
    expectClose(y.data(), want, { rtol: 1e-4, atol: 1e-4 });
    // The add -> sigmoid pairs fused: one step per group less.
    expect(m.describePlan().length).toBe((2 * DEPTH) / 3);
    y.dispose();
    m.dispose();
  });

  it(`a ${DEPTH}-layer Sequential grown by add() predicts like a float64 reference`, () => {
    const s = sequential([], { inputShape: [WIDTH] });
    const acts = ['tanh', 'sigmoid', 'relu'] as const;
    for (let i = 0; i < DEPTH; i++) s.add(layers.activation({ activation: acts[i % 3]! }));
    expect(s.layers.length).toBe(DEPTH);
    const data = randomArray(BATCH * WIDTH, rng(11));
    using xt = tensor(data, [BATCH, WIDTH]);
    const y = s.predict(xt) as Tensor;
    const want = Array.from(data, (v) => {
      for (let i = 0; i < DEPTH; i++) v = i % 3 === 0 ? Math.tanh(v) : i % 3 === 1 ? sigmoid(v) : Math.max(v, 0);
      return v;
    });
    expectClose(y.data(), want, { rtol: 1e-5, atol: 1e-5 });
    // summary() walks and prints every layer too
    const sum = s.summary();
    expect(sum.rows.length).toBe(DEPTH + 1);
    expect(sum.steps).toBe(DEPTH);
    expect(sum.toString().split('\n').length).toBe(DEPTH + 9);
    s.dispose();
  });

  it('a failed add() leaves the grown Sequential as it was', () => {
    const s = sequential([layers.activation({ activation: 'relu', name: 'first' })], { inputShape: [WIDTH] });
    s.add(layers.activation({ activation: 'sigmoid', name: 'second' }));
    expect(() => s.add(layers.activation({ activation: 'tanh', name: 'first' }))).toThrow(/two layers are named `first`/);
    expect(() => s.add(layers.globalAveragePooling2d({ name: 'gap' }))).toThrow(/gap \(GlobalAveragePooling2D\)/);
    expect(s.layers.map((l) => l.name)).toEqual(['first', 'second']);
    using xt = tensor([-1, 0, 1, 2, -2, 3, 0.5, -0.5], [1, WIDTH]);
    expectClose((s.predict(xt) as Tensor).data(), [-1, 0, 1, 2, -2, 3, 0.5, -0.5].map((v) => sigmoid(Math.max(v, 0))));
    s.dispose();
  });

  it('a Sequential built at its first predict grows with a later add() (it kept running the old graph)', () => {
    const s = sequential([layers.activation({ activation: 'relu' })]);
    const v = [-1, 0, 1, 2, -2, 3, 0.5, -0.5];
    using xt = tensor(v, [1, WIDTH]);
    expectClose((s.predict(xt) as Tensor).data(), v.map((x) => Math.max(x, 0)));
    s.add(layers.activation({ activation: 'sigmoid' }));
    expect(s.layers.length).toBe(2);
    expectClose((s.predict(xt) as Tensor).data(), v.map((x) => sigmoid(Math.max(x, 0))));
    s.dispose();
  });

  it('a cycle in the graph is a ModelFormatError naming a layer on it, and the runtime stays usable', () => {
    const inp = input({ shape: [WIDTH] });
    const a = layers.activation({ activation: 'relu', name: 'loop_a' }).apply(inp);
    const b = layers.activation({ activation: 'sigmoid', name: 'loop_b' }).apply(a);
    a.node!.inputs[0] = b; // loop_a reads loop_b, which reads loop_a
    expect(() => model({ inputs: inp, outputs: b })).toThrow(ModelFormatError);
    expect(() => model({ inputs: inp, outputs: b })).toThrow(/cycle through layer `loop_[ab]`/);
    const c = layers.activation({ activation: 'relu', name: 'fine' }).apply(inp);
    const m = model({ inputs: inp, outputs: c });
    using xt = tensor([-1, 0, 1, 2, -2, 3, 0.5, -0.5], [1, WIDTH]);
    expectClose((m.predict(xt) as Tensor).data(), [0, 0, 1, 2, 0, 3, 0.5, 0]);
    m.dispose();
  });
});

describe('planning work is linear in the steps', () => {
  /** A chain of `n` steps (pad, conv, BN, activation... repeating), counting every read of a step's inputs. */
  function countedChain(n: number): { low: Lowered; reads: () => number } {
    let reads = 0;
    const steps: Step[] = [];
    const shapes: number[][] = [[4, 4, 2]];
    const zero = { top: 0, bottom: 0, left: 0, right: 0 };
    const w = () => ({ filter: new Float32Array(18), filterShape: [3, 3, 2, 1] });
    const aff = () => new Float32Array(2);
    for (let i = 0; i < n; i++) {
      const base = { layer: `l${i}`, output: i + 1, macs: 0 };
      const k = i % 4;
      const step: Step =
        k === 0
          ? { ...base, kind: 'pad', pads: { top: 1, bottom: 1, left: 1, right: 1 }, inputs: [] }
          : k === 1
            ? { ...base, kind: 'depthwise', key: `l${i}`, weights: w, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: { ...zero }, activation: 'linear', inputs: [] }
            : k === 2
              ? { ...base, kind: 'affine', key: `l${i}`, scale: aff, shift: aff, activation: 'linear', inputs: [] }
              : { ...base, kind: 'activation', activation: 'relu', inputs: [] };
      let inputs = [i];
      Object.defineProperty(step, 'inputs', {
        get: () => {
          reads++;
          return inputs;
        },
        set: (v: number[]) => {
          inputs = v;
        },
        enumerable: true,
      });
      steps.push(step);
      shapes.push([4, 4, 2]);
    }
    return { low: { steps, shapes, inputs: [0], outputs: [n] }, reads: () => reads };
  }

  it('fuse() reads each step a bounded number of times (it recounted every use after each kept step)', () => {
    for (const n of [1000, 8000]) {
      const { low, reads } = countedChain(n);
      fuse(low);
      // pad + depthwise + BN + relu fuse into one depthwise step per group of four
      expect(low.steps.length).toBe(n / 4);
      expect(low.steps.every((s) => s.kind === 'depthwise')).toBe(true);
      expect(reads()).toBeLessThanOrEqual(6 * n);
    }
  });

  /** The planner's rule, written out plainly: each value, biggest first, at the lowest offset clear of every placed value alive with it. */
  function greedyReference(intervals: readonly Interval[]): ArenaPlan {
    const order = [...intervals].sort((a, b) => b.size - a.size || a.first - b.first || a.id - b.id);
    const placed: { off: number; end: number; first: number; last: number }[] = [];
    const offsets = new Map<number, number>();
    let size = 0;
    let unshared = 0;
    for (const v of order) {
      const need = Math.ceil(Math.max(v.size, 1) / 4) * 4;
      unshared += need;
      let off = 0;
      for (;;) {
        const hit = placed.find((p) => p.first <= v.last && v.first <= p.last && off < p.end && p.off < off + need);
        if (!hit) break;
        off = hit.end;
      }
      placed.push({ off, end: off + need, first: v.first, last: v.last });
      offsets.set(v.id, off);
      size = Math.max(size, off + need);
    }
    return { offsets, size, unshared };
  }

  it('planArena places every value where the plain greedy rule does', () => {
    const next = rng(5);
    const u = () => (next() + 1) / 2;
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(u() * 60);
      const span = 1 + Math.floor(u() * 80);
      const iv: Interval[] = Array.from({ length: n }, (_, id) => {
        const first = Math.floor(u() * span);
        const long = u() < 0.1;
        return { id, size: Math.floor(u() * 6) * 16 + (u() < 0.5 ? 0 : Math.floor(u() * 40)), first, last: first + Math.floor(u() * (long ? span : 4)) };
      });
      const plan = planArena(iv);
      const ref = greedyReference(iv);
      expect(planIsValid(iv, plan)).toBe(true);
      expect(plan.size).toBe(ref.size);
      expect(plan.unshared).toBe(ref.unshared);
      expect([...plan.offsets].sort((a, b) => a[0] - b[0])).toEqual([...ref.offsets].sort((a, b) => a[0] - b[0]));
    }
  });

  it('planArena on a chain 8x as long takes far less than 64x the time (it compared each value with every placed one)', () => {
    // A chain of equal values plus one long-lived skip value: what a deep model plans.
    const chain = (n: number): Interval[] => [
      ...Array.from({ length: n }, (_, i) => ({ id: i, size: 64, first: i, last: i + 1 })),
      { id: n, size: 64, first: 0, last: n },
    ];
    // CPU time of this process, not wall time: other processes on the machine do not count.
    const cpuMs = (): number => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    };
    const time = (iv: Interval[]): number => {
      const t0 = cpuMs();
      const plan = planArena(iv);
      const t = cpuMs() - t0;
      expect(plan.size).toBe(3 * 64);
      return t;
    };
    const [smallIv, bigIv] = [chain(5000), chain(40_000)];
    time(chain(2000)); // warm up
    // Interleaved, best of four each.
    let [small, big] = [Infinity, Infinity];
    for (let r = 0; r < 4; r++) {
      small = Math.min(small, time(smallIv));
      big = Math.min(big, time(bigIv));
    }
    // N log^2 N: ~10x; the quadratic scan: ~64x. The bound leaves room for noise.
    expect(big / Math.max(small, 1), `${small.toFixed(1)} ms -> ${big.toFixed(1)} ms of CPU`).toBeLessThan(32);
  });
});
