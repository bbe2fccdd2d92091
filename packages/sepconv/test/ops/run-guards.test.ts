// Issue 23.1 / 29.1: the exported run* cores and pack functions take geometry and lengths from their
// caller; nothing unchecked reaches a kernel binding (which reads lengths from these numbers).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  conv2dGeometry,
  fill,
  maxPool,
  PackedConvWeights,
  PackedSpatialWeights,
  poolGeometry,
  runConv2d,
  runPool,
  runSpatial,
  spatialGeometry,
  ShapeError,
  tensor,
  type Tensor,
} from '../../src/entry/node.js';
import { PackedDepthwiseWeights, runDepthwise, depthwiseGeometry } from '../../src/ops/depthwise.js';
import { initForTest } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
});

function thrown(fn: () => Tensor | void): unknown {
  try {
    fn()?.dispose();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('run* cores check the geometry they are given', () => {
  it('runPool: a geometry for another input, or with a stride past the limit, is a ShapeError', () => {
    using x = fill([1, 8, 8, 2], 1);
    const g = poolGeometry('test', [1, 4, 4, 2], { poolSize: 2 });
    expect(thrown(() => runPool(x, g, 1, 'maxPool'))).toBeInstanceOf(ShapeError);
    const g8 = poolGeometry('test', x.shape, { poolSize: 2 });
    expect(thrown(() => runPool(x, { ...g8, strideH: 2 ** 32 + 2 }, 1, 'maxPool'))).toBeInstanceOf(ShapeError);
    expect(thrown(() => runPool(x, { ...g8, outH: 8, outW: 8 }, 1, 'maxPool'))).toBeInstanceOf(ShapeError);
    // The honest geometry still runs, and gives maxPool's answer.
    using a = runPool(x, g8, 1, 'maxPool');
    using b = maxPool(x, { poolSize: 2 });
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
  });

  it('runConv2d and runDepthwise: a forged geometry is a ShapeError', () => {
    using x = fill([1, 6, 6, 2], 1);
    const w = PackedConvWeights.pack(new Float32Array(3 * 3 * 2 * 2).fill(1), [3, 3, 2, 2], undefined);
    const g = conv2dGeometry('test', x.shape, [3, 3], { padding: 'same' });
    expect(thrown(() => runConv2d(x, w, { ...g, dilationH: 2 ** 31 }, undefined))).toBeInstanceOf(ShapeError);
    expect(thrown(() => runConv2d(x, w, { ...g, pads: { ...g.pads, bottom: 2 ** 32 } }, undefined))).toBeInstanceOf(ShapeError);
    w.dispose();
    const d = PackedDepthwiseWeights.pack(new Float32Array(18).fill(1), [3, 3, 2, 1], undefined);
    const dg = depthwiseGeometry('test', x.shape, [3, 3], { padding: 'same' });
    using small = fill([1, 2, 2, 2], 1);
    expect(thrown(() => runDepthwise(small, d, dg, undefined))).toBeInstanceOf(ShapeError);
    expect(thrown(() => runDepthwise(x, d, { ...dg, strideW: 2 ** 32 + 1 }, undefined))).toBeInstanceOf(ShapeError);
    d.dispose();
  });

  it('runSpatial: a geometry for another input is a ShapeError', () => {
    using x = fill([1, 6, 6, 1], 1);
    const w = PackedSpatialWeights.pack(new Float32Array(3).fill(1), new Float32Array(3).fill(1), 3, 3, 1, 1);
    const g = spatialGeometry('test', x.shape, [3, 3], { padding: 'same' });
    expect(thrown(() => runSpatial(x, w, { ...g, strideH: 2 ** 32 + 1 }, undefined))).toBeInstanceOf(ShapeError);
    w.dispose();
  });
});

describe('pack functions check the lengths the binding will read', () => {
  it('PackedSpatialWeights.pack with arrays shorter than rank x K x C is a ShapeError', () => {
    const v = new Float32Array(3);
    expect(thrown(() => void PackedSpatialWeights.pack(v, v, 3, 3, 2 ** 20, 1))).toBeInstanceOf(ShapeError);
    expect(thrown(() => void PackedSpatialWeights.pack(v, v, 3, 3, 1, 2 ** 32 + 1))).toBeInstanceOf(ShapeError);
    expect(thrown(() => void PackedSpatialWeights.pack(v, v, 3, 3, 1, 1, new Float32Array(5)))).toBeInstanceOf(ShapeError);
  });

  it('PackedDepthwiseWeights.pack with a filter shorter than its shape is a ShapeError', () => {
    expect(thrown(() => void PackedDepthwiseWeights.pack(new Float32Array(9), [3, 3, 2 ** 20, 1], undefined))).toBeInstanceOf(ShapeError);
    expect(thrown(() => void PackedDepthwiseWeights.pack(new Float32Array(9), [3, 3, 1, 1], new Float32Array(4)))).toBeInstanceOf(ShapeError);
    // The runtime still packs and runs a real filter.
    const d = PackedDepthwiseWeights.pack(new Float32Array(9).fill(1), [3, 3, 1, 1], undefined);
    using x = tensor(new Float32Array(9).fill(1), [1, 3, 3, 1]);
    using y = runDepthwise(x, d, depthwiseGeometry('test', x.shape, [3, 3], { padding: 'same' }), undefined);
    expect(Array.from(y.data())).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
    d.dispose();
  });
});
