// The functional graph: branches, multiple inputs/outputs, lazy sequential, layer lists and names.
import { beforeAll, describe, expect, it } from 'vitest';
import { input, layers, model, sequential, tensor, type Tensor } from '../../src/entry/node.js';
import { initForTest } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
});

describe('graph', () => {
  it('multiple inputs and outputs; a one-input list model also takes a bare tensor', () => {
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [3], name: 'b' });
    const sum = layers.add({ name: 'sum' }).apply([a, b]);
    const prod = layers.multiply({ name: 'prod' }).apply([a, b, sum]);
    const m = model({ inputs: [a, b], outputs: [sum, prod] });
    using x = tensor([1, 2, 3], [1, 3]);
    using y = tensor([4, 5, 6], [1, 3]);
    const [s, p] = m.predict([x, y]) as Tensor[];
    expect(Array.from(s!.data())).toEqual([5, 7, 9]);
    expect(Array.from(p!.data())).toEqual([20, 70, 162]);
    expect(m.layers.map((l) => l.className)).toEqual(['InputLayer', 'InputLayer', 'Add', 'Multiply']);
    const one = model({ inputs: [a], outputs: [layers.reLU().apply(a)] });
    using neg = tensor([-1, 0, 2], [1, 3]);
    const [r] = one.predict(neg) as Tensor[];
    expect(Array.from(r!.data())).toEqual([0, 0, 2]);
    // An output that is the input itself is copied out.
    const id = model({ inputs: a, outputs: layers.dropout().apply(a) });
    expect(Array.from((id.predict(neg) as Tensor).data())).toEqual([-1, 0, 2]);
    for (const mm of [m, one, id]) mm.dispose();
  });

  it("a model's output can be fed back in (it is copied out of the arena first)", () => {
    const m = sequential([layers.dense({ units: 2, name: 'fb' })], { inputShape: [2] });
    m.setWeights({ 'fb/kernel': new Float32Array([0, 1, 1, 0]), 'fb/bias': new Float32Array([1, 0]) });
    using x = tensor([1, 2], [1, 2]);
    const y = m.predict(x) as Tensor; // [3, 1]
    const z = m.predict(y) as Tensor; // [2, 3]
    expect(Array.from(z.data())).toEqual([2, 3]);
    m.dispose();
  });

  it('sequential builds lazily from the first input, or from the first layer inputShape; add() grows it', () => {
    const s = sequential();
    s.add(layers.dense({ units: 2, name: 'd1' }));
    s.add(layers.dense({ units: 1, name: 'd2' }));
    expect(() => s.summary()).toThrow(/input shape/);
    using x = tensor([1, 1, 1, 1], [2, 2]);
    expect((s.predict(x) as Tensor).shape).toEqual([2, 1]);
    expect(s.weightSpecs().map((w) => w.name)).toEqual(['d1/kernel', 'd1/bias', 'd2/kernel', 'd2/bias']);
    expect(s.summary().rows.map((r) => r.className)).toEqual(['InputLayer', 'Dense', 'Dense']);
    expect(s.summary().rows.slice(1).map((r) => r.name)).toEqual(['d1', 'd2']);
    const t = sequential([layers.conv2d({ filters: 2, kernelSize: 1, inputShape: [4, 4, 3] })]);
    expect(t.summary().rows[1]!.outputShape).toEqual([4, 4, 2]);
    expect(t.layers.map((l) => l.className)).toEqual(['Conv2D']);
    s.dispose();
    t.dispose();
  });

  it('layers keep their Keras configs and default names', () => {
    const c = layers.conv2d({ filters: 4, kernelSize: [3, 5], strides: 2, padding: 'same', activation: 'hard_swish' });
    expect(c.name).toMatch(/^conv2d(_\d+)?$/);
    expect(c.getConfig()).toMatchObject({ filters: 4, kernelSize: [3, 5], strides: [2, 2], padding: 'same', activation: 'hard_swish', useBias: true });
    const d = layers.depthwiseSeparableConv({ filters: 8 });
    expect(d.getConfig()).toMatchObject({ kernelSize: [3, 3], strides: [1, 1], padding: [1, 1, 1, 1], epsilon: 1e-5, activation: 'relu6' });
    const inp = input({ shape: [5, 5, 2] });
    d.apply(inp);
    expect(d.weightSpecs().map((w) => w.name.slice(d.name.length + 1))).toEqual([
      'depthwise_kernel',
      'bn1/gamma',
      'bn1/beta',
      'bn1/moving_mean',
      'bn1/moving_variance',
      'pointwise_kernel',
      'bn2/gamma',
      'bn2/beta',
      'bn2/moving_mean',
      'bn2/moving_variance',
    ]);
    expect(d.weightSpecs()[0]!.shape).toEqual([3, 3, 2, 1]);
    expect(d.weightSpecs()[5]!.shape).toEqual([1, 1, 2, 8]);
  });
});
