// ONNX post-processing ops on computed tensors (io/onnx/postprocess.ts) against ONNX Runtime:
// reductions on every axis set, ArgMax / ArgMin, TopK, Cast, Gather, Where, comparisons, logic, Pow,
// broadcast math of two tensors, Softmax / LogSoftmax on every axis (both opset semantics). Every
// axis is swept in positive and negative form; a rank-3 result is projected to [N, F] by a weighted
// last-axis sum (an ONNX output must be a map or [N, F]); integer / bool results are cast to float.
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { compare, G } from './onnx-helpers.js';

const TOL = 1e-4;
const DIMS = [1, 4, 5, 6];

beforeAll(async () => {
  await sc.init();
});

async function expectMatch(g: G, out: string, opset: number, seed: number, label: string, dims = DIMS, tol = TOL): Promise<void> {
  const r = await compare(g.bytes(dims, out, opset), dims, seed);
  expect(r.err, `${label} (nchw)`).toBeLessThanOrEqual(tol);
  expect(r.errNhwc, `${label} (nhwc)`).toBeLessThanOrEqual(tol);
}

/** A rank-3 [N, A, B] value to [N, A]: a weighted sum over the last axis (keeps every element visible). */
function proj3(g: G, y: string, last: number, opset: number): string {
  const m = g.node('Mul', [y, g.f([last], 1, 0.2)]);
  return opset >= 13 ? g.node('ReduceSum', [m, g.i64([-1])], { keepdims: 0 }) : g.node('ReduceSum', [m], { axes: [-1], keepdims: 0 });
}

const toFloat = (g: G, y: string) => g.node('Cast', [y], { to: 1 });

/** Every non-empty subset of the non-batch axes of a rank-4 tensor. */
const SUBSETS = [[1], [2], [3], [1, 2], [1, 3], [2, 3], [1, 2, 3]];

describe('ONNX reductions on any axes against ONNX Runtime', () => {
  for (const op of ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceProd']) {
    it(`${op}: every axis set, negative axes, keepdims 0 and 1, attribute and input forms`, async () => {
      let seed = 1;
      for (const axes of SUBSETS) {
        for (const keep of [1, 0]) {
          if (!keep && axes.length === 3) continue; // rank 1: not an ONNX output sepconv returns
          for (const opset of [13, 18]) {
            const neg = opset === 18 ? axes.map((a) => a - 4) : axes;
            const g = new G(seed++);
            const x = g.conv('x', 4, 5, 3, { pads: [1, 1, 1, 1] });
            const inputForm = opset >= 18 || (op === 'ReduceSum' && opset >= 13);
            let y = inputForm ? g.node(op, [x, g.i64(neg)], { keepdims: keep }) : g.node(op, [x], { axes: neg, keepdims: keep });
            const shape = [1, 5, 5, 6].filter((_, i) => keep || !axes.includes(i));
            if (shape.length === 3) y = proj3(g, y, shape[2]!, opset);
            await expectMatch(g, y, opset, seed, `${op} axes ${JSON.stringify(neg)} keepdims ${keep} opset ${opset}`);
          }
        }
      }
      // Default axes (all, the batch of 1 included) with keepdims 1; noop_with_empty_axes.
      const g = new G(99);
      await expectMatch(g, g.node(op, ['x'], {}), 13, 5, `${op} default axes`);
      const g2 = new G(98);
      await expectMatch(g2, g2.node(op, ['x'], { noop_with_empty_axes: 1 }), 18, 6, `${op} noop_with_empty_axes`);
    });
  }
});

describe('ONNX ArgMax / ArgMin / TopK against ONNX Runtime', () => {
  for (const op of ['ArgMax', 'ArgMin']) {
    it(`${op}: every axis (positive and negative), keepdims 0 and 1`, async () => {
      let seed = 10;
      for (const axis of [1, 2, 3, -1, -2, -3]) {
        for (const keep of [1, 0]) {
          const g = new G(seed++);
          let y = toFloat(g, g.node(op, ['x'], { axis, keepdims: keep }));
          if (!keep) y = proj3(g, y, [4, 5, 6].filter((_, i) => i !== (axis < 0 ? axis + 4 : axis) - 1)[1]!, 13);
          await expectMatch(g, y, 13, seed, `${op} axis ${axis} keepdims ${keep}`);
        }
      }
    });
  }

  it('TopK: every axis, largest 0 and 1, values and indices, K input (opset 11) and attribute (opset 9)', async () => {
    let seed = 30;
    for (const axis of [1, 2, 3, -1, -3]) {
      for (const largest of [1, 0]) {
        for (const out of [0, 1]) {
          for (const opset of [11, 9]) {
            if (opset === 9 && (largest === 0 || axis !== -1)) continue; // largest / sorted are opset 11
            const g = new G(seed++);
            const x = g.conv('x', 4, 5, 3, { pads: [1, 1, 1, 1] });
            const attrs = opset >= 11 ? { axis, largest } : { axis, k: 2 };
            const outs = g.node('TopK', opset >= 11 ? [x, g.i64([2])] : [x], attrs, undefined, 2);
            const idx = outs.replace(/_(\d+)$/, (_, k) => `_${Number(k) + 1}`);
            const y = out ? toFloat(g, idx) : outs;
            await expectMatch(g, y, opset, seed, `TopK axis ${axis} largest ${largest} ${out ? 'indices' : 'values'} opset ${opset}`);
          }
        }
      }
    }
  });
});

describe('ONNX Cast, Gather, Where, comparisons, logic against ONNX Runtime', () => {
  it('Cast float -> int32 / int64 / uint8 / bool -> float (truncation toward zero, negatives)', async () => {
    for (const to of [6, 7, 9, 1, 11, 10]) {
      const g = new G(to);
      const scaled = g.node('Sub', [g.node('Mul', ['x', g.f([], 0, 0, [5])]), g.f([], 0, 0, [2])]);
      // float16 stays float32 in sepconv: ORT's half rounding (2^-11 relative) is the difference.
      await expectMatch(g, toFloat(g, g.node('Cast', [scaled], { to })), 13, to, `Cast to ${to}`, DIMS, to === 10 ? 1e-3 : TOL);
    }
    const g = new G(2);
    await expectMatch(g, toFloat(g, g.node('Cast', [g.node('Mul', ['x', g.f([], 0, 0, [200])])], { to: 2 })), 13, 3, 'Cast to uint8');
  });

  it('Gather on a tensor: every axis, scalar / vector indices, negative indices', async () => {
    let seed = 50;
    for (const axis of [1, 2, 3, -1, -2]) {
      const a = axis < 0 ? axis + 4 : axis;
      const size = DIMS[a]!;
      for (const scalar of [false, true]) {
        const g = new G(seed++);
        const ix = scalar ? g.i64([-1], []) : g.i64([size - 1, 0, -2, 1]);
        let y = g.node('Gather', ['x', ix], { axis });
        if (scalar) y = proj3(g, y, [4, 5, 6].filter((_, i) => i !== a - 1)[1]!, 13);
        await expectMatch(g, y, 13, seed, `Gather axis ${axis} ${scalar ? 'scalar' : 'vector'} indices`);
      }
    }
    // A constant table indexed by a computed ArgMax (labels / palette lookup).
    const g = new G(60);
    const am = g.node('ArgMax', ['x'], { axis: 1, keepdims: 1 });
    await expectMatch(g, g.node('Gather', [g.f([4], 1, 0, [0.5, -1, 3, 7]), am], { axis: 0 }), 13, 61, 'Gather from a table by ArgMax');
  });

  it('Where, Equal / Greater / Less / GreaterOrEqual / LessOrEqual, Not / And / Or / Xor, with broadcasting', async () => {
    type Case = [string, (g: G, x: string) => string, number];
    const cmp = (op: string): Case => [op, (g, x) => toFloat(g, g.node(op, [x, g.node('ReduceMean', [x], { axes: [3], keepdims: 1 })])), 12];
    const cases: Case[] = [
      ...['Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual'].map(cmp),
      ['Greater per-channel constant', (g, x) => toFloat(g, g.node('Greater', [x, g.f([4, 1, 1], 0.3, 0.5)])), 13],
      ['Less [W] constant', (g, x) => toFloat(g, g.node('Less', [x, g.f([6], 0.3, 0.5)])), 13],
      ['Equal of ArgMax indices', (g, x) => toFloat(g, g.node('Equal', [g.node('ArgMax', [x], { axis: 1 }), g.i64([2], [])])), 13],
      ['Where(x > 0.5, x, conv)', (g, x) => g.node('Where', [g.node('Greater', [x, g.f([], 0, 0, [0.5])]), x, g.conv(x, 4, 4, 1)]), 13],
      ['Where with a [H, 1] constant branch', (g, x) => g.node('Where', [g.node('Less', [x, g.f([1, 1, 6], 0.3, 0.5)]), g.f([5, 1], 1), x]), 13],
      ['Not / And / Or / Xor', (g, x) => {
        const a = g.node('Greater', [x, g.f([], 0, 0, [0.3])]);
        const b = g.node('Less', [x, g.node('ReduceMax', [x], { axes: [2], keepdims: 1 })]);
        const c = g.node('Xor', [g.node('Or', [g.node('And', [a, b]), g.node('Not', [b])]), a]);
        return toFloat(g, c);
      }, 13],
    ];
    let seed = 70;
    for (const [label, make, opset] of cases) {
      const g = new G(seed++);
      await expectMatch(g, make(g, 'x'), opset, seed, label);
    }
  });
});

describe('ONNX Pow and math of two computed tensors against ONNX Runtime', () => {
  it('Pow (scalar, per-channel, tensor exponents); Sub / Div / Max / Min of two tensors, broadcast', async () => {
    type Case = [string, (g: G, x: string) => string];
    const cases: Case[] = [
      ['Pow scalar 2', (g, x) => g.node('Pow', [x, g.f([], 0, 0, [2])])],
      ['Pow per-channel (of a positive base)', (g, x) => g.node('Pow', [g.node('Sigmoid', [x]), g.f([4, 1, 1], 1, 1.5)])],
      ['Div constant / tensor', (g, x) => g.node('Div', [g.f([6], 1, 2), g.node('Add', [g.node('Sigmoid', [x]), g.f([], 0, 0, [0.5])])])],
      ['Mul by an [H, W] constant', (g, x) => g.node('Mul', [x, g.f([5, 6], 1)])],
      ['Pow of two tensors', (g, x) => g.node('Pow', [g.node('Sigmoid', [x]), g.conv(x, 4, 4, 1)])],
      ['Sub x - mean over W', (g, x) => g.node('Sub', [x, g.node('ReduceMean', [x], { axes: [-1], keepdims: 1 })])],
      ['Sub GAP - x', (g, x) => g.node('Sub', [g.node('GlobalAveragePool', [x]), x])],
      ['Div x / sum over C', (g, x) => g.node('Div', [x, g.node('ReduceSum', [x, g.i64([1])], { keepdims: 1 })])],
      ['Max of three (tensor, tensor, constant)', (g, x) => g.node('Max', [x, g.conv(x, 4, 4, 1), g.f([6], 0.2, 0.5)])],
      ['Min over H broadcast', (g, x) => g.node('Min', [x, g.node('ReduceMax', [x], { axes: [2], keepdims: 1 })])],
    ];
    let seed = 90;
    for (const [label, make] of cases) {
      const g = new G(seed++);
      await expectMatch(g, make(g, 'x'), 13, seed, label);
    }
  });
});

describe('ONNX Softmax / LogSoftmax on any axis against ONNX Runtime', () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    it(`${op}: every axis, opset 13 (one axis) and 11 (flattened from axis)`, async () => {
      let seed = 110;
      for (const opset of [13, 11]) {
        for (const axis of [1, 2, 3, -1, -2, -3]) {
          const g = new G(seed++);
          const x = g.conv('x', 4, 5, 3, { pads: [1, 1, 1, 1] });
          await expectMatch(g, g.node(op, [x], { axis }), opset, seed, `${op} axis ${axis} opset ${opset}`);
        }
      }
      const g = new G(7);
      await expectMatch(g, g.node(op, [g.node('Flatten', ['x'])], { axis: 1 }), 13, 8, `${op} of [N, F]`, [1, 4, 1, 1]);
    });
  }
});

describe('ONNX post-processing ops refuse bad attributes', () => {
  it('a ModelFormatError naming the node', async () => {
    const bad: [string, (g: G) => string][] = [
      ['ArgMax axis 7', (g) => g.node('ArgMax', ['x'], { axis: 7 }, 'bad')],
      ['ArgMax batch axis', (g) => g.node('ArgMax', ['x'], { axis: 0 }, 'bad')],
      ['ArgMax keepdims 2', (g) => g.node('ArgMax', ['x'], { axis: 1, keepdims: 2 }, 'bad')],
      ['ArgMin select_last_index', (g) => g.node('ArgMin', ['x'], { axis: 1, select_last_index: 1 }, 'bad')],
      ['TopK K too large', (g) => g.node('TopK', ['x', g.i64([99])], { axis: 1 }, 'bad', 2)],
      ['TopK K 0', (g) => g.node('TopK', ['x', g.i64([0])], { axis: 1 }, 'bad', 2)],
      ['Cast to string', (g) => g.node('Cast', ['x'], { to: 8 }, 'bad')],
      ['ReduceSum repeated axes', (g) => g.node('ReduceSum', ['x', g.i64([1, -3])], {}, 'bad')],
      ['ReduceMean axis -5', (g) => g.node('ReduceMean', ['x'], { axes: [-5] }, 'bad')],
      ['ReduceMax batch axis, keepdims 0', (g) => g.node('ReduceMax', ['x'], { axes: [0, 1], keepdims: 0 }, 'bad')],
      ['Gather index out of range', (g) => g.node('Gather', ['x', g.i64([4])], { axis: 1 }, 'bad')],
      ['Softmax axis 4', (g) => g.node('Softmax', ['x'], { axis: 4 }, 'bad')],
      ['Less of mismatched shapes', (g) => g.node('Less', ['x', g.f([3, 1, 1])], {}, 'bad')],
    ];
    for (const [label, make] of bad) {
      const g = new G(1);
      const y = make(g);
      const e = await sc.loadModel(g.bytes(DIMS, y, 13)).catch((err: unknown) => err);
      expect(e, label).toBeInstanceOf(sc.ModelFormatError);
      expect(String((e as Error).message), label).toContain("'bad'");
    }
  });
});
