// predict() allocates nothing after the first call at a shape; 10,000 predicts leave memory where 10 left
// it; dispose() frees everything it allocated (buffers and packed-weight handles).
import { beforeAll, describe, expect, it } from 'vitest';
import { input, layers, model, sequential, tensor, type Model, type Tensor } from '../../src/entry/node.js';
import { runtime, type KernelExports } from '../../src/runtime/state.js';
import { initForTest, randomArray, rng } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
});

/** Counts every wasm allocation, free, pack and handle free made through the kernel exports. */
function track() {
  const k = runtime().kernels as unknown as Record<string, (...a: number[]) => unknown>;
  const counts = { alloc: 0, free: 0, pack: 0, handleFree: 0 };
  const live = new Map<number, number>();
  const originals = new Map<string, (...a: number[]) => unknown>();
  for (const name of Object.keys(k)) {
    const fn = k[name]!;
    if (typeof fn !== 'function') continue;
    if (name === 'alloc_f32') {
      originals.set(name, fn);
      k[name] = (len: number) => {
        counts.alloc++;
        const p = fn(len) as number;
        live.set(p, len);
        return p;
      };
    } else if (name === 'free_f32') {
      originals.set(name, fn);
      k[name] = (p: number, len: number) => {
        counts.free++;
        live.delete(p);
        return fn(p, len);
      };
    } else if (name.endsWith('_pack')) {
      originals.set(name, fn);
      k[name] = (...a: number[]) => {
        counts.pack++;
        return fn(...a);
      };
    } else if (name.endsWith('_free')) {
      originals.set(name, fn);
      k[name] = (...a: number[]) => {
        counts.handleFree++;
        return fn(...a);
      };
    }
  }
  return {
    counts,
    live,
    restore: () => {
      for (const [n, fn] of originals) k[n] = fn;
    },
  };
}

function tinyResidual(): Model {
  const inp = input({ shape: [6, 6, 4] });
  let x = layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(inp);
  x = layers.batchNormalization().apply(x);
  x = layers.reLU({ maxValue: 6 }).apply(x);
  const y = layers.depthwiseSeparableConv({ filters: 8 }).apply(x);
  const se = layers.squeezeExcite({ ratio: 0.25 }).apply(y);
  let z = layers.add().apply([se, x]);
  z = layers.globalAveragePooling2d().apply(z);
  z = layers.dense({ units: 5, activation: 'softmax' }).apply(z);
  return model({ inputs: inp, outputs: z });
}

describe('memory: arena planning and zero-allocation predict', () => {
  it('the second predict at the same shape allocates nothing (heap size and alloc count unchanged)', () => {
    const m = tinyResidual();
    using x = tensor(randomArray(2 * 6 * 6 * 4, rng(1)), [2, 6, 6, 4]);
    const first = (m.predict(x) as Tensor).data();
    const t = track();
    try {
      const heap = runtime().memory.buffer.byteLength;
      const y = m.predict(x) as Tensor;
      expect(t.counts).toEqual({ alloc: 0, free: 0, pack: 0, handleFree: 0 });
      expect(runtime().memory.buffer.byteLength).toBe(heap);
      expect(y.data()).toEqual(first);
    } finally {
      t.restore();
    }
    const stats = m.memoryStats();
    expect(stats.arenaBytes).toBeGreaterThan(0);
    expect(stats.arenaBytes).toBeLessThanOrEqual(stats.unsharedActivationBytes);
    expect(stats.packedWeightBytes).toBeGreaterThan(0);
    expect(stats.plannedInputShape).toEqual([2, 6, 6, 4]);
    m.dispose();
  });

  it('10,000 predicts leave memory where 10 left it', () => {
    const m = sequential([layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }), layers.batchNormalization(), layers.reLU({ maxValue: 6 }), layers.globalAveragePooling2d()], { inputShape: [4, 4, 4] });
    using x = tensor(randomArray(64, rng(2)), [1, 4, 4, 4]);
    for (let i = 0; i < 10; i++) m.predict(x);
    const heap10 = runtime().memory.buffer.byteLength;
    const stats10 = m.memoryStats();
    const t = track();
    try {
      for (let i = 0; i < 10_000; i++) m.predict(x);
      expect(t.counts.alloc).toBe(0);
      expect(t.counts.pack).toBe(0);
    } finally {
      t.restore();
    }
    expect(runtime().memory.buffer.byteLength).toBe(heap10);
    expect(m.memoryStats()).toEqual(stats10);
    m.dispose();
  });

  it('a new input shape replans (freeing the old arena); dispose() frees every buffer and handle', () => {
    using a = tensor(randomArray(2 * 6 * 6 * 4, rng(3)), [2, 6, 6, 4]);
    using b = tensor(randomArray(1 * 6 * 6 * 4, rng(4)), [1, 6, 6, 4]);
    using c = tensor(randomArray(3 * 3 * 2, rng(5)), [1, 3, 3, 2]);
    using d = tensor(randomArray(5 * 7 * 2, rng(6)), [1, 5, 7, 2]);
    const t = track();
    try {
      const m = tinyResidual();
      // Fully convolutional: H and W known only at predict time.
      const seq = sequential([layers.conv2d({ filters: 3, kernelSize: 1 }), layers.globalAveragePooling2d(), layers.dense({ units: 2 })], { inputShape: [null, null, 2] });
      m.predict(a);
      m.predict(b);
      m.predict(a);
      expect((seq.predict(c) as Tensor).shape).toEqual([1, 2]);
      expect((seq.predict(d) as Tensor).shape).toEqual([1, 2]);
      m.dispose();
      seq.dispose();
      expect(t.live.size).toBe(0);
      expect(t.counts.handleFree).toBe(t.counts.pack);
      expect(t.counts.pack).toBeGreaterThan(0);
    } finally {
      t.restore();
    }
  });

  it('setWeights repacks only the model that owns the layer', () => {
    const a = sequential([layers.dense({ units: 1, name: 'da' })], { inputShape: [2] });
    const b = sequential([layers.dense({ units: 1, name: 'db' })], { inputShape: [2] });
    using x = tensor([1, 2], [1, 2]);
    a.setWeights({ 'da/kernel': new Float32Array([1, 1]), 'da/bias': new Float32Array([0]) });
    b.setWeights({ 'db/kernel': new Float32Array([1, 0]), 'db/bias': new Float32Array([0]) });
    expect((a.predict(x) as Tensor).data()[0]).toBe(3);
    expect((b.predict(x) as Tensor).data()[0]).toBe(1);
    const t = track();
    try {
      b.setWeights({ 'db/kernel': new Float32Array([0, 1]), 'db/bias': new Float32Array([5]) });
      expect((a.predict(x) as Tensor).data()[0]).toBe(3);
      expect(t.counts.pack).toBe(0);
      expect((b.predict(x) as Tensor).data()[0]).toBe(7);
      expect(t.counts.pack).toBe(1);
      expect(t.counts.handleFree).toBe(1);
    } finally {
      t.restore();
    }
    a.dispose();
    b.dispose();
  });

  it('predict returns a view of the arena, detached at the next predict; { copy: true } owns its data', () => {
    const m = sequential([layers.dense({ units: 2 })], { inputShape: [3] });
    m.setWeights({ [`${m.layers[0]!.name}/kernel`]: new Float32Array([1, 0, 0, 1, 1, 1]), [`${m.layers[0]!.name}/bias`]: new Float32Array([0, 10]) });
    using x = tensor([1, 2, 3], [1, 3]);
    const y1 = m.predict(x) as Tensor;
    expect(Array.from(y1.data())).toEqual([4, 15]);
    expect(y1.isOwned).toBe(false);
    using owned = m.predict(x, { copy: true }) as Tensor;
    expect(() => y1.data()).toThrow(/dispose/);
    m.dispose();
    expect(Array.from(owned.data())).toEqual([4, 15]);
  });
});
