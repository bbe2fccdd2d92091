// Issue 29.1: the fields the ops trust (a tensor's shape, size and dtype; a layer's kernel, strides,
// dilations, pads) cannot be changed from outside, so the geometry the ops read always matches the buffer.
import { beforeAll, describe, expect, it } from 'vitest';
import { add, fill, layers, relu, sequential, ShapeError, tensor, Tensor } from '../../src/entry/node.js';
import { initForTest } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
});

/** What `fn` threw, or undefined. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('tensor fields the ops trust', () => {
  it('b.shape[0] = 64 is refused, and add() does not read past b', () => {
    using b = tensor([1, 2, 3, 4], [4]);
    expect(thrown(() => ((b.shape as number[])[0] = 64))).toBeInstanceOf(TypeError);
    expect(b.shape).toEqual([4]);
    using a = fill([64], 1);
    expect(thrown(() => add(a, b).dispose())).toBeInstanceOf(ShapeError);
    using four = fill([4], 1);
    using y = add(four, b);
    expect(Array.from(y.data())).toEqual([2, 3, 4, 5]);
  });

  it('c.shape.splice(1, 1, 200) is refused, and relu(c) covers exactly c', () => {
    using c = tensor([-1, 2, -3, 4], [2, 2]);
    expect(thrown(() => (c.shape as number[]).splice(1, 1, 200))).toBeInstanceOf(TypeError);
    expect(c.shape).toEqual([2, 2]);
    using y = relu(c);
    expect(y.shape).toEqual([2, 2]);
    expect(Array.from(y.data())).toEqual([0, 2, 0, 4]);
  });

  it('size and dtype cannot be assigned or redefined, and a tensor takes no new fields', () => {
    using c = tensor([-1, 2, -3, 4], [4]);
    expect(thrown(() => ((c as unknown as { size: number }).size = 400))).toBeInstanceOf(TypeError);
    expect(thrown(() => Object.defineProperty(c, 'size', { value: 400 }))).toBeInstanceOf(TypeError);
    expect(thrown(() => Object.defineProperty(c, 'shape', { value: [400] }))).toBeInstanceOf(TypeError);
    expect(thrown(() => ((c as unknown as { dtype: string }).dtype = 'int8'))).toBeInstanceOf(TypeError);
    expect(c.size).toBe(4);
    expect(c.dtype).toBe('float32');
    using y = relu(c);
    expect(y.size).toBe(4);
    expect(Array.from(y.data())).toEqual([0, 2, 0, 4]);
  });

  it('the shape array given to tensor() is copied: changing it later changes nothing', () => {
    const shape = [2, 2];
    using c = tensor([1, 2, 3, 4], shape);
    shape[0] = 200;
    expect(c.shape).toEqual([2, 2]);
    expect(c.size).toBe(4);
  });

  it('a Tensor wrapped by hand must fit its runtime\'s memory and the size limits', () => {
    using c = fill([4], 1);
    const bytes = c.runtime.memory.buffer.byteLength;
    expect(thrown(() => new Tensor([bytes], c.ptr(), c.runtime, false))).toBeInstanceOf(ShapeError);
    expect(thrown(() => new Tensor([2 ** 32 + 1], c.ptr(), c.runtime, false))).toBeInstanceOf(ShapeError);
    expect(thrown(() => new Tensor([4], c.ptr() + 1, c.runtime, false))).toBeInstanceOf(ShapeError);
  });
});

describe('layer fields the planner trusts', () => {
  it('kernel size, strides, dilations and pads of a layer are frozen', () => {
    const conv = layers.depthwiseConv2d({ kernelSize: 3, strides: 1, padding: [1, 1, 1, 1] });
    const pool = layers.maxPooling2d({ poolSize: 2 });
    const zp = layers.zeroPadding2d({ padding: 1 });
    const reshape = layers.reshape({ targetShape: [4, -1] });
    for (const a of [conv.kernelSize, conv.strides, conv.dilationRate, conv.padding, pool.poolSize, pool.strides, zp.pads, reshape.targetShape]) {
      expect(Object.isFrozen(a)).toBe(true);
    }
    expect(thrown(() => ((conv.strides as number[])[0] = 2 ** 32 + 1))).toBeInstanceOf(TypeError);
    const m = sequential([conv], { inputShape: [4, 4, 1] });
    // A built graph's symbolic shapes are frozen too: the planner validates inputs against them.
    expect(thrown(() => ((m.inputs[0]!.shape as (number | null)[])[0] = null))).toBeInstanceOf(TypeError);
    expect(thrown(() => ((m.outputs[0]!.shape as (number | null)[])[2] = 2 ** 40))).toBeInstanceOf(TypeError);
    using x = fill([1, 4, 4, 1], 1);
    const y = m.predict(x) as Tensor;
    expect(y.shape).toEqual([1, 4, 4, 1]);
    m.dispose();
  });
});
