// Issue 23.1 (TypeScript side): every dimension, stride, dilation, pad and kernel size is a safe integer
// within MAX_DIM, every element count within MAX_ELEMENTS, checked before anything is allocated or a
// kernel is called; a violation is a ShapeError / OptionError naming the value.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  conv2d,
  depthwiseConv2d,
  input,
  KernelError,
  layers,
  MAX_DIM,
  MAX_ELEMENTS,
  maxPool,
  avgPool,
  model,
  OptionError,
  pad,
  relu,
  sequential,
  ShapeError,
  tensor,
  zeros,
  fill,
  SepconvError,
  fromPixels,
  convertGraphModel,
  modelFromGraph,
  type GraphNode,
} from '../../src/entry/node.js';
import { depthwiseGeometry } from '../../src/ops/depthwise.js';
import { depthwiseReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
});

// The stated numbers, written out (so these tests mean the same with or without the exports).
const DIM = 2 ** 31 - 1;
const ELEMENTS = 2 ** 30 - 1;

/** The runtime still computes a correct depthwise conv (checked against the float64 reference). */
function depthwiseStillCorrect(): void {
  const next = rng(7);
  const xShape = [1, 5, 6, 3];
  const xData = randomArray(90, next);
  const fData = randomArray(27, next);
  const opts = { padding: 'same' as const };
  using x = tensor(xData, xShape);
  using f = tensor(fData, [3, 3, 3, 1]);
  using y = depthwiseConv2d(x, f, opts);
  const g = depthwiseGeometry('test', xShape, [3, 3], opts);
  expectClose(y.data(), depthwiseReference(xData, xShape, fData, 1, g, undefined, 'linear'), { scale: 9 });
}

/** Runs `fn`, disposing whatever it allocated, and returns what it threw. */
function thrown(fn: (keep: { dispose(): void }[]) => unknown): unknown {
  const keep: { dispose(): void }[] = [];
  try {
    const r = fn(keep);
    if (r && typeof (r as { dispose?: unknown }).dispose === 'function') keep.push(r as { dispose(): void });
    return undefined;
  } catch (e) {
    return e;
  } finally {
    for (const t of keep) t.dispose();
  }
}

describe('shared size limits', () => {
  it('states them', () => {
    expect(MAX_DIM).toBe(DIM);
    expect(MAX_ELEMENTS).toBe(ELEMENTS);
  });

  it('zeros / tensor / fill of a size that wraps at 2**32 is a ShapeError naming the value', () => {
    for (const shape of [[2 ** 32 + 8], [65536, 65537], [2 ** 31], [1, 32768, 32769, 4]]) {
      const e = thrown(() => zeros(shape));
      expect(e, `zeros([${shape}])`).toBeInstanceOf(ShapeError);
      const e2 = thrown(() => fill(shape, 1));
      expect(e2, `fill([${shape}])`).toBeInstanceOf(ShapeError);
    }
    expect(String(thrown(() => zeros([2 ** 32 + 8])))).toContain(String(2 ** 32 + 8));
    expect(String(thrown(() => zeros([65536, 65537])))).toContain('65537');
    // Not integers, negative, unsafe: also named.
    for (const bad of [1.5, -1, NaN, Infinity, 2 ** 53 + 2]) {
      const e = thrown(() => zeros([2, bad]));
      expect(e).toBeInstanceOf(ShapeError);
      expect(String(e)).toContain(String(bad));
    }
    // The limits themselves are inclusive: a zero-size tensor with DIM in its shape is fine.
    using z = zeros([0, DIM]);
    expect(z.size).toBe(0);
    depthwiseStillCorrect();
  });

  it('fromPixels with a resize past the limits is a typed error before any memory is taken', () => {
    const px = { width: 1, height: 1, data: new Uint8ClampedArray([10, 20, 30, 255]) };
    const e = thrown(() => fromPixels(px, { resize: [65536, 65537] }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(thrown(() => fromPixels(px, { resize: [2 ** 32, 1] }))).toBeInstanceOf(OptionError);
    using t = fromPixels(px, { resize: [2, 2] });
    expect(Array.from(t.data())).toEqual([10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30]);
  });

  it('add of two [1, 32768, 32769, 4] tensors is a ShapeError, not a wrapped result', () => {
    const e = thrown((keep) => {
      const a = zeros([1, 32768, 32769, 4]);
      keep.push(a);
      const b = zeros([1, 32768, 32769, 4]);
      keep.push(b);
      return add(a, b);
    });
    expect(e).toBeInstanceOf(ShapeError);
    depthwiseStillCorrect();
  });

  it('depthwiseConv2d and maxPool on [1, 32768, 32769, 4] are a ShapeError, never a trap', () => {
    for (const run of [
      (x: ReturnType<typeof zeros>, f: ReturnType<typeof zeros>) => depthwiseConv2d(x, f, { padding: 'same' }),
      (x: ReturnType<typeof zeros>) => maxPool(x, { poolSize: 2 }),
      (x: ReturnType<typeof zeros>) => avgPool(x, { poolSize: 2 }),
    ]) {
      const e = thrown((keep) => {
        const f = zeros([3, 3, 4, 1]);
        keep.push(f);
        const x = zeros([1, 32768, 32769, 4]);
        keep.push(x);
        return run(x, f);
      });
      expect(e).toBeInstanceOf(ShapeError);
      depthwiseStillCorrect();
    }
  });

  it('dilations of 2**31 (op) is an OptionError naming the value, not a wrong result', () => {
    using x = fill([1, 6, 6, 2], 1);
    using f = fill([3, 3, 2, 1], 1);
    using cf = fill([3, 3, 2, 2], 1);
    for (const run of [() => depthwiseConv2d(x, f, { dilations: 2 ** 31, padding: 'same' }), () => conv2d(x, cf, { dilations: 2 ** 31, padding: 'same' })]) {
      const e = thrown(run);
      expect(e).toBeInstanceOf(OptionError);
      expect(String(e)).toContain('dilations');
      expect(String(e)).toContain(String(2 ** 31));
    }
    // Within DIM per value, but the dilated kernel would span more than DIM pixels.
    const e = thrown(() => depthwiseConv2d(x, f, { dilations: DIM, padding: 'same' }));
    expect(e).toBeInstanceOf(OptionError);
    expect(String(e)).toContain('dilations');
    depthwiseStillCorrect();
  });

  it('strides of 2**32 + 1 is an OptionError naming the value, not a KernelError', () => {
    using x = fill([1, 6, 6, 3], 1);
    using f = fill([3, 3, 3, 1], 1);
    for (const opts of [{ strides: 2 ** 32 + 1 }, { strides: [1, 2 ** 32 + 1] as [number, number] }]) {
      const e = thrown(() => depthwiseConv2d(x, f, { ...opts, padding: 'same' }));
      expect(e).toBeInstanceOf(OptionError);
      expect(String(e)).toContain(String(2 ** 32 + 1));
    }
    expect(thrown(() => maxPool(x, { poolSize: 2 ** 32 + 2 }))).toBeInstanceOf(OptionError);
    expect(thrown(() => depthwiseConv2d(x, f, { padding: [0, 2 ** 32, 0, 0] }))).toBeInstanceOf(OptionError);
    // Pads within DIM each, but the padded input would pass it.
    expect(thrown(() => depthwiseConv2d(x, f, { padding: [DIM, DIM, 0, 0], strides: DIM }))).toBeInstanceOf(OptionError);
    expect(thrown(() => pad(x, [[0, 2 ** 32 + 1], [0, 0]]))).toBeInstanceOf(OptionError);
    depthwiseStillCorrect();
  });

  it('layer options out of bounds are an OptionError at construction', () => {
    expect(thrown(() => layers.depthwiseConv2d({ kernelSize: 3, dilationRate: 2 ** 31, padding: 'same' }))).toBeInstanceOf(OptionError);
    expect(thrown(() => layers.conv2d({ filters: 2, kernelSize: 3, strides: 2 ** 32 + 1 }))).toBeInstanceOf(OptionError);
    expect(thrown(() => layers.conv2d({ filters: 2 ** 32, kernelSize: 3 }))).toBeInstanceOf(OptionError);
    expect(thrown(() => layers.dense({ units: 2 ** 31 }))).toBeInstanceOf(OptionError);
    expect(thrown(() => layers.zeroPadding2d({ padding: 2 ** 32 }))).toBeInstanceOf(OptionError);
  });

  it('a layers model whose dilated kernel spans more than DIM is an error when built, not a wrong predict', () => {
    // dilationRate DIM is a valid option alone; the 3-tap span is not.
    const e = thrown(() => sequential([layers.depthwiseConv2d({ kernelSize: 3, dilationRate: DIM, padding: 'same' })], { inputShape: [6, 6, 2] }));
    expect(e).toBeInstanceOf(OptionError);
    expect(String(e)).toContain('dilations');
  });

  it('a graph model with dilations of 2**31 is a typed error naming the value when built', () => {
    const str = (v: string) => ({ s: Buffer.from(v).toString('base64') });
    const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
    const nodes: GraphNode[] = [
      { name: 'x', op: 'Placeholder', input: [], attr: { shape: { shape: { dim: [{ size: '-1' }, { size: '6' }, { size: '6' }, { size: '2' }] } } } },
      { name: 'w', op: 'Const', input: [], attr: {} },
      { name: 'dw', op: 'DepthwiseConv2dNative', input: ['x', 'w'], attr: { strides: ints(1, 1, 1, 1), dilations: ints(1, 2 ** 31, 2 ** 31, 1), padding: str('SAME') } },
      { name: 'Identity', op: 'Identity', input: ['dw'], attr: {} },
    ];
    const consts = new Map([['w', { shape: [3, 3, 2, 1], values: new Float32Array(18).fill(1) }]]);
    const e = thrown(() => {
      const { graph, weights } = convertGraphModel(nodes, consts);
      const m = modelFromGraph(graph);
      m.setWeights(weights);
      return m;
    });
    expect(e).toBeInstanceOf(SepconvError);
    expect(String(e)).toContain(String(2 ** 31));
  });

  it('an InputLayer of [null, 2**31, 2**31, 3] is an OptionError, not a trap at predict', () => {
    const e = thrown(() => input({ shape: [2 ** 31, 2 ** 31, 3] }));
    expect(e).toBeInstanceOf(OptionError);
    expect(String(e)).toContain(String(2 ** 31));
    // Each size within DIM, but more than ELEMENTS values per sample.
    expect(thrown(() => input({ shape: [DIM, DIM, 3] }))).toBeInstanceOf(ShapeError);
    expect(thrown(() => sequential([layers.reLU()], { inputShape: [65536, 65537, 1] }))).toBeInstanceOf(ShapeError);
  });

  it('a layer whose output would pass ELEMENTS per sample is a ShapeError naming it when the model is built', () => {
    const x = input({ shape: [16384, 16384, 1] });
    const conv = layers.conv2d({ filters: 8, kernelSize: 1, name: 'too_wide' });
    const e = thrown(() => model({ inputs: x, outputs: conv.apply(x) }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(String(e)).toContain('too_wide');
  });

  it('an intermediate shape planned at predict time past ELEMENTS is a ShapeError naming the layer', () => {
    const m = sequential([layers.zeroPadding2d({ padding: [[0, 0], [0, 2 ** 20]], name: 'wide_pad' }), layers.reLU()], { inputShape: [null, null, 1] });
    using x = fill([1, 1024, 1, 1], 1);
    const e = thrown(() => m.predict(x));
    expect(e).toBeInstanceOf(ShapeError);
    expect(String(e)).toContain('wide_pad');
    // The model and runtime stay usable at a size that fits.
    using small = fill([1, 2, 1, 1], -1);
    const y = m.predict(small, { copy: true }) as ReturnType<typeof zeros>;
    expect(y.shape).toEqual([1, 2, 2 ** 20 + 1, 1]);
    y.dispose();
    m.dispose();
    depthwiseStillCorrect();
  });

  it('an allocation that memory cannot hold is a typed error, and the runtime stays usable', () => {
    const e = thrown(() => zeros([ELEMENTS]));
    expect(e).toBeInstanceOf(SepconvError);
    expect(e).toBeInstanceOf(KernelError);
    using a = fill([4], -2);
    using r = relu(a);
    expect(Array.from(r.data())).toEqual([0, 0, 0, 0]);
    depthwiseStillCorrect();
  });
});
