// ONNX import, op by op, against ONNX Runtime: hand-built NCHW graphs with seeded weights, loaded
// by sepconv from the same bytes (NCHW default and layout 'nhwc'); outputs agree to 1e-4 of their
// largest magnitude. Attributes are swept; opset variants (attribute vs input forms) are covered.
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { compare, G, type Attr } from './onnx-helpers.js';

const TOL = 1e-4;

beforeAll(async () => {
  await sc.init();
});

async function expectMatch(g: G, out: string, inDims: number[], opset: number, seed: number, label: string): Promise<number> {
  const bytes = g.bytes(inDims, out, opset);
  const r = await compare(bytes, inDims, seed);
  expect(r.err, `${label} (nchw)`).toBeLessThanOrEqual(TOL);
  expect(r.errNhwc, `${label} (nhwc)`).toBeLessThanOrEqual(TOL);
  return Math.max(r.err, r.errNhwc);
}

describe('ONNX Conv against ONNX Runtime', () => {
  it('group 1, depthwise (multiplier 1, 2), grouped; kernels, strides, dilations, every padding form', async () => {
    const pads: Record<string, Attr | undefined>[] = [
      { auto_pad: 'SAME_UPPER' },
      { auto_pad: 'SAME_LOWER' },
      { auto_pad: 'VALID' },
      {},
      { pads: [1, 1, 1, 1] },
      { pads: [0, 1, 2, 1] },
      { pads: [2, 0, 1, 3] },
    ];
    let worst = 0;
    let i = 0;
    for (const [cin, cout, group] of [[3, 8, 1], [6, 6, 6], [4, 8, 4], [6, 9, 3], [8, 4, 2]] as const) {
      for (const k of [1, 3, 5]) {
        i++;
        const p = pads[i % pads.length]!;
        const strides = i % 3 === 0 ? [2, 2] : i % 3 === 1 ? [1, 1] : [2, 1];
        // ORT refuses dilations with auto_pad SAME_*.
        const dilations = i % 4 === 0 && k > 1 && !String(p.auto_pad ?? '').startsWith('SAME') ? [2, 1] : [1, 1];
        const g = new G(i);
        const y = g.conv('x', cin, cout, k, { group, strides, dilations, ...p }, i % 2 === 0);
        const label = JSON.stringify({ cin, cout, group, k, strides, dilations, p });
        worst = Math.max(worst, await expectMatch(g, y, [1 + (i % 2), cin, 9 + (i % 3), 8 + (i % 2)], i % 2 ? 11 : 17, 100 + i, label));
      }
    }
    console.log(`onnx conv: ${i} cases, worst ${worst.toExponential(2)}`);
  });
});

describe('ONNX activations and elementwise against ONNX Runtime', () => {
  type Act = [string, (g: G, x: string, c: number) => string, number];
  const acts: Act[] = [
    ['Relu', (g, x) => g.node('Relu', [x]), 13],
    ['Clip 0..6 (inputs, opset 11)', (g, x) => g.node('Clip', [x, g.f([], 0, 0, [0]), g.f([], 0, 0, [6])]), 11],
    ['Clip 0..6 (attributes, opset 7)', (g, x) => g.node('Clip', [x], { min: { f: 0 }, max: { f: 6 } }), 7],
    ['Clip -0.5..0.7', (g, x) => g.node('Clip', [x, g.f([], 0, 0, [-0.5]), g.f([], 0, 0, [0.7])]), 13],
    ['Clip min only', (g, x) => g.node('Clip', [x, g.f([], 0, 0, [0.1])]), 13],
    ['LeakyRelu', (g, x) => g.node('LeakyRelu', [x], { alpha: { f: 0.1 } }), 13],
    ['PRelu per channel', (g, x, c) => g.node('PRelu', [x, g.f([c, 1, 1], 0.5)]), 13],
    ['PRelu scalar', (g, x) => g.node('PRelu', [x, g.f([1], 0, 0, [0.25])]), 9],
    ['HardSigmoid default', (g, x) => g.node('HardSigmoid', [x]), 13],
    ['HardSigmoid 1/6 (PyTorch)', (g, x) => g.node('HardSigmoid', [x], { alpha: { f: 1 / 6 }, beta: { f: 0.5 } }), 13],
    ['HardSwish', (g, x) => g.node('HardSwish', [x]), 14],
    ['Sigmoid', (g, x) => g.node('Sigmoid', [x]), 13],
    ['Tanh', (g, x) => g.node('Tanh', [x]), 13],
    ['swish Mul(x, Sigmoid(x))', (g, x) => g.node('Mul', [x, g.node('Sigmoid', [x])]), 13],
    ['Add per-channel constant', (g, x, c) => g.node('Add', [x, g.f([c, 1, 1])]), 13],
    ['Sub scalar', (g, x) => g.node('Sub', [x, g.f([], 0, 0, [0.3])]), 13],
    ['Sub constant - x', (g, x, c) => g.node('Sub', [g.f([1, c, 1, 1]), x]), 13],
    ['Mul per-channel', (g, x, c) => g.node('Mul', [x, g.f([c, 1, 1], 1)]), 13],
    ['Div scalar', (g, x) => g.node('Div', [x, g.f([], 0, 0, [3])]), 13],
    ['Add two tensors', (g, x, c) => g.node('Add', [x, g.conv(x, c, c, 1)]), 13],
    ['Mul two tensors (broadcast gate)', (g, x, c) => g.node('Mul', [x, g.node('GlobalAveragePool', [x])]), 13],
    ['BatchNormalization standalone', (g, x, c) => g.bn(g.node('Add', [x, g.conv(x, c, c, 1)]), c), 9],
    ['Softmax over channels (opset 13)', (g, x) => g.node('Softmax', [x], { axis: 1 }), 13],
    ['Identity / Dropout', (g, x) => g.node('Dropout', [g.node('Identity', [x])]), 13],
  ];
  for (const [label, make, opset] of acts) {
    it(`${label}: after a conv (folded) and on its own`, async () => {
      for (const afterConv of [true, false]) {
        const g = new G(label.length * 7 + (afterConv ? 1 : 0));
        const c = 5;
        const x = afterConv ? g.conv('x', 4, c, 3, { pads: [1, 1, 1, 1] }) : 'x';
        const y = make(g, x, afterConv ? c : 4);
        await expectMatch(g, y, [2, 4, 6, 7], opset, 11, `${label}${afterConv ? ' after conv' : ''}`);
      }
    });
  }
});

describe('ONNX pooling against ONNX Runtime', () => {
  const cases: [string, Record<string, Attr>, number[]][] = [
    ['MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }, [1, 3, 8, 8]],
    ['MaxPool', { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, [1, 3, 9, 8]],
    ['MaxPool', { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, [2, 3, 7, 6]],
    ['MaxPool', { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1] }, [1, 3, 8, 8]],
    ['MaxPool', { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, [1, 3, 9, 9]],
    ['AveragePool', { kernel_shape: [2, 2], strides: [2, 2] }, [1, 3, 8, 8]],
    ['AveragePool', { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, [1, 3, 7, 6]],
    ['AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }, [1, 4, 8, 7]],
    ['AveragePool', { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER', count_include_pad: 1 }, [1, 4, 8, 7]],
    ['AveragePool', { kernel_shape: [3, 2], strides: [1, 2], auto_pad: 'SAME_UPPER' }, [1, 2, 5, 6]],
  ];
  it('kernels, strides, pads, count_include_pad, ceil_mode that do not add a window', async () => {
    for (const [i, [op, attrs, dims]] of cases.entries()) {
      const g = new G(i);
      const y = g.node(op, ['x'], attrs);
      await expectMatch(g, y, dims, 11, i, `${op} ${JSON.stringify(attrs)}`);
    }
  });

  it('refuses what the kernels cannot compute exactly, naming the node and attribute', async () => {
    // On 8x8, k3 s2, TF's SAME pads are [0, 1], not [1, 1]; on 9x9 a k2 s2 ceil_mode pool adds a window.
    const refused: [string, Record<string, Attr>, RegExp, number][] = [
      ['MaxPool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, /not TF SAME pads/, 8],
      ['AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, /count_include_pad=0/, 8],
      ['MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, /ceil_mode=1/, 9],
    ];
    for (const [op, attrs, re, size] of refused) {
      const g = new G(1);
      const y = g.node(op, ['x'], attrs, 'the_pool');
      const bytes = g.bytes([1, 3, size, size], y, 11);
      const e = await sc.loadModel(bytes).catch((err) => err);
      expect(e, `${op} ${JSON.stringify(attrs)}`).toBeInstanceOf(sc.ModelFormatError);
      expect(String(e.message)).toMatch(/the_pool/);
      expect(String(e.message)).toMatch(re);
    }
  });

  it('MaxPool with pads other than SAME after a Relu (ResNet stem: exact with zero pads), and Pad (attribute, input, axes forms)', async () => {
    for (const [i, size] of [[0, 8], [1, 9]] as const) {
      const g = new G(40 + i);
      const r = g.node('Relu', [g.conv('x', 3, 6, 3, { strides: [2, 2], pads: [1, 1, 1, 1] })]);
      const y = g.node('MaxPool', [r], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
      await expectMatch(g, y, [1, 3, size * 2, size * 2], 13, 8, `relu -> MaxPool pads 1 on ${size}`);
    }
    const forms: [number, (g: G, x: string) => string][] = [
      [9, (g, x) => g.node('Pad', [x], { pads: [0, 0, 1, 2, 0, 0, 3, 0] })],
      [11, (g, x) => g.node('Pad', [x, g.i64([0, 0, 2, 1, 0, 0, 0, 1])])],
      [13, (g, x) => g.node('Pad', [x, g.i64([0, 0, 1, 1, 0, 0, 1, 1]), g.f([], 0, 0, [0])], { mode: 'constant' })],
      [18, (g, x) => g.node('Pad', [x, g.i64([2, 1, 0, 3]), '', g.i64([2, 3])])],
    ];
    for (const [opset, make] of forms) {
      const g = new G(50 + opset);
      const y = g.conv(make(g, g.conv('x', 3, 4, 1)), 4, 5, 3);
      await expectMatch(g, y, [2, 3, 7, 6], opset, 9, `Pad opset ${opset}`);
    }
    const g = new G(60);
    const bad = g.node('Pad', ['x', g.i64([0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'wrap' }, 'wrap_pad');
    const e = await sc.loadModel(g.bytes([1, 3, 6, 6], bad, 19)).catch((err) => err);
    expect(e).toBeInstanceOf(sc.ModelFormatError);
    expect(String(e.message)).toMatch(/wrap_pad.*mode 'wrap'/);
  });

  it('GlobalAveragePool, ReduceMean (axes attribute, opset 13; axes input, opset 18), keepdims 0 and 1', async () => {
    for (const [opset, keep] of [[13, 1], [13, 0], [18, 1], [18, 0]] as const) {
      const g = new G(opset + keep);
      const x = g.conv('x', 3, 6, 3, { strides: [2, 2] });
      const r = opset >= 18 ? g.node('ReduceMean', [x, g.i64([2, 3])], { keepdims: keep }) : g.node('ReduceMean', [x], { axes: [-1, -2], keepdims: keep });
      await expectMatch(g, r, [1, 3, 10, 9], opset, 3, `ReduceMean opset ${opset} keepdims ${keep}`);
    }
    const g = new G(9);
    await expectMatch(g, g.node('GlobalAveragePool', [g.conv('x', 3, 6, 3)]), [2, 3, 7, 7], 11, 4, 'GlobalAveragePool');
  });

  it('GlobalMaxPool, ReduceMax over H, W (attribute and input axes, keepdims 0 and 1) as a whole-map max pool', async () => {
    for (const [opset, keep] of [[13, 1], [13, 0], [18, 1], [18, 0]] as const) {
      const g = new G(70 + opset + keep);
      const x = g.conv('x', 3, 6, 3, { strides: [2, 1] });
      const r = opset >= 18 ? g.node('ReduceMax', [x, g.i64([3, 2])], { keepdims: keep }) : g.node('ReduceMax', [x], { axes: [2, 3], keepdims: keep });
      const y = keep ? r : g.node('Gemm', [r, g.f([6, 4], 0.5), g.f([4])]);
      await expectMatch(g, y, [2, 3, 11, 9], opset, 13, `ReduceMax opset ${opset} keepdims ${keep}`);
    }
    const g = new G(80);
    await expectMatch(g, g.node('GlobalMaxPool', [g.conv('x', 3, 6, 3)]), [2, 3, 9, 7], 11, 14, 'GlobalMaxPool');
  });
});

describe('ONNX shape ops and heads against ONNX Runtime', () => {
  it('Flatten of an HxW map -> Gemm (weight rows permuted to NHWC order), transB and alpha / beta', async () => {
    for (const transB of [0, 1]) {
      const g = new G(20 + transB);
      const x = g.conv('x', 3, 4, 3, { strides: [2, 2] });
      const f = g.node('Flatten', [x]);
      const k = 4 * 2 * 2;
      const y = g.node('Gemm', [f, g.f(transB ? [7, k] : [k, 7], 0.2), g.f([7], 0.3)], { transB, alpha: { f: 0.7 }, beta: { f: 1.5 } });
      await expectMatch(g, y, [2, 3, 6, 6], 11, 5, `Flatten -> Gemm transB ${transB}`);
    }
  });

  it('GAP -> Reshape through a Shape / Gather / Unsqueeze / Concat chain -> MatMul -> Softmax (opset 11 and 13)', async () => {
    for (const opset of [11, 13]) {
      const g = new G(opset);
      const x = g.node('GlobalAveragePool', [g.conv('x', 3, 8, 3)]);
      const shape = g.node('Shape', [x]);
      const batch = g.node('Gather', [shape, g.i64([0], [])], { axis: 0 });
      const b1 = opset >= 13 ? g.node('Unsqueeze', [batch, g.i64([0])]) : g.node('Unsqueeze', [batch], { axes: [0] });
      const target = g.node('Concat', [b1, g.i64([-1])], { axis: 0 });
      const flat = g.node('Reshape', [x, target]);
      const y = g.node('Softmax', [g.node('Add', [g.node('MatMul', [flat, g.f([8, 5], 0.5)]), g.f([5])])], { axis: 1 });
      await expectMatch(g, y, [2, 3, 6, 5], opset, 6, `shape chain opset ${opset}`);
    }
  });

  it('integer shape arithmetic truncates like ONNX: Reshape to [N, (2C + 1) / 2] from a Shape chain', async () => {
    const g = new G(90);
    const x = g.node('GlobalAveragePool', [g.conv('x', 3, 8, 3)]);
    const shape = g.node('Shape', [x]);
    const c = g.node('Gather', [shape, g.i64([1])], { axis: 0 });
    const half = g.node('Div', [g.node('Add', [g.node('Mul', [c, g.i64([2])]), g.i64([1])]), g.i64([2])]);
    const target = g.node('Concat', [g.i64([-1]), half], { axis: 0 });
    const y = g.node('Gemm', [g.node('Reshape', [x, target]), g.f([8, 3], 0.5), g.f([3])]);
    await expectMatch(g, y, [2, 3, 6, 6], 13, 15, 'int Div in a shape chain');
  });

  it('Concat along channels, Squeeze / Unsqueeze between [N, C, 1, 1] and [N, C]', async () => {
    const g = new G(31);
    const a = g.conv('x', 3, 4, 3, { pads: [1, 1, 1, 1] });
    const b = g.conv('x', 3, 5, 1);
    const cat = g.node('Concat', [a, b], { axis: 1 });
    const gap = g.node('GlobalAveragePool', [cat]);
    const sq = g.node('Squeeze', [gap, g.i64([2, 3])]);
    const lin = g.node('Gemm', [sq, g.f([9, 9], 0.3), g.f([9])]);
    const un = g.node('Unsqueeze', [lin, g.i64([2, 3])]);
    const y = g.node('Mul', [cat, g.node('Sigmoid', [un])]);
    await expectMatch(g, y, [1, 3, 6, 6], 13, 7, 'concat / squeeze / unsqueeze');
  });
});
