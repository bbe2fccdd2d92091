// Issue 23.2: tensors, packed weights and models know their runtime. After a second init(), objects of
// the old runtime count as disposed (DisposedTensorError naming the re-init); nothing of the old runtime
// reaches a kernel of the new one.
import { describe, expect, it } from 'vitest';
import { add, DisposedTensorError, fill, init, layers, PackedGemmWeights, relu, runPointwise, sequential, tensor, Tensor } from '../../src/entry/node.js';
import { TEST_BUILD } from '../helpers.js';

const reinit = () => init({ build: TEST_BUILD });

describe('re-initialising sepconv', () => {
  it('a tensor made before a second init() throws DisposedTensorError when used after it', async () => {
    await reinit();
    const old = tensor([1, 2, 3, 4], [4]);
    await reinit();
    using live = tensor([10, 20, 30, 40], [4]);
    const e = (() => {
      try {
        add(old, live).dispose();
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(DisposedTensorError);
    expect(String(e)).toContain('init()');
    expect(() => relu(old)).toThrow(DisposedTensorError);
    expect(() => old.data()).toThrow(DisposedTensorError);
    expect(old.isDisposed).toBe(true);
    old.dispose(); // frees it in its own runtime; idempotent, never throws
    expect(Array.from(live.data())).toEqual([10, 20, 30, 40]);
  });

  it('relu(a, out) with `out` from the old runtime throws and leaves the new runtime\'s tensors alone', async () => {
    await reinit();
    const oldOut = fill([8], 0);
    await reinit();
    // The fresh runtime hands out the same address the old one did: a write through `oldOut` would land here.
    using live = tensor([1, 2, 3, 4, 5, 6, 7, 8], [8]);
    using a = fill([8], -5);
    expect(() => relu(a, oldOut)).toThrow(DisposedTensorError);
    expect(Array.from(live.data())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    oldOut.dispose();
  });

  it('a model that predicted before a re-init throws instead of returning the previous answer', async () => {
    await reinit();
    const m = sequential([layers.dense({ units: 2, useBias: false })], { inputShape: [2] });
    m.setWeights([new Float32Array([1, 0, 0, 1])]);
    {
      using x = tensor([1, 2], [1, 2]);
      expect(Array.from((m.predict(x) as Tensor).data())).toEqual([1, 2]);
    }
    await reinit();
    using x2 = tensor([7, 9], [1, 2]);
    const e = (() => {
      try {
        return m.predict(x2);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(DisposedTensorError);
    expect(String(e)).toContain('init()');
    m.dispose();
    // A model that never touched wasm memory is not tied to a runtime: it runs on the current one.
    const fresh = sequential([layers.dense({ units: 2, useBias: false })], { inputShape: [2] });
    fresh.setWeights([new Float32Array([1, 0, 0, 1])]);
    expect(Array.from((fresh.predict(x2) as Tensor).data())).toEqual([7, 9]);
    fresh.dispose();
  });

  it('packed weights of the old runtime throw when run with a tensor of the new one', async () => {
    await reinit();
    const w = PackedGemmWeights.pack(new Float32Array([1, 0, 0, 1]), 2, 2);
    await reinit();
    using x = tensor([3, 4], [1, 1, 1, 2]);
    expect(() => runPointwise(x, w, undefined)).toThrow(DisposedTensorError);
    w.dispose();
  });

  it('write() is the checked way in: it refuses a disposed tensor and a wrong length', async () => {
    await reinit();
    const t = fill([3], 0);
    t.write([1, 2, 3]);
    expect(Array.from(t.data())).toEqual([1, 2, 3]);
    expect(() => t.write([1, 2])).toThrow(/3 values/);
    t.dispose();
    expect(() => t.write([1, 2, 3])).toThrow(DisposedTensorError);
    expect(() => t.view()).toThrow(DisposedTensorError);
  });
});
