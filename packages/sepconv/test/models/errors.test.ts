// Every typed error of layers and models, and the wasm instance stays usable afterwards.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DisposedTensorError,
  DTypeError,
  input,
  layers,
  model,
  ModelFormatError,
  OptionError,
  sequential,
  ShapeError,
  tensor,
  type Tensor,
} from '../../src/entry/node.js';
import { initForTest } from '../helpers.js';

beforeAll(async () => {
  await initForTest();
});

describe('typed errors', () => {
  it('ShapeError names the layer: merge of mismatched shapes, too-small inputs, wrong predict input', () => {
    const inp = input({ shape: [8, 8, 3] });
    const a = layers.conv2d({ filters: 4, kernelSize: 3, name: 'narrow' }).apply(inp);
    expect(() => layers.add({ name: 'bad_add' }).apply([a, inp])).toThrow(ShapeError);
    expect(() => layers.add({ name: 'bad_add2' }).apply([a, inp])).toThrow(/bad_add2 \(Add\): expected inputs of equal shapes.*\[6, 6, 4\] and \[8, 8, 3\]/);
    expect(() => layers.conv2d({ filters: 2, kernelSize: 9, name: 'huge' }).apply(inp)).toThrow(/huge \(Conv2D\): expected an input at least as large/);
    expect(() => layers.dense({ units: 2, name: 'flat' }).apply(inp)).not.toThrow(); // Dense over the last axis
    expect(() => layers.globalAveragePooling2d({ name: 'gap' }).apply(layers.flatten().apply(inp))).toThrow(/gap \(GlobalAveragePooling2D\): expected an input of rank 4/);
    expect(() => layers.add({ name: 'one' }).apply(inp)).toThrow(/one \(Add\): expected a list of at least 2 inputs/);
    const m = model({ inputs: inp, outputs: a });
    using x = tensor(new Float32Array(1 * 7 * 8 * 3), [1, 7, 8, 3]);
    expect(() => m.predict(x)).toThrow(ShapeError);
    expect(() => m.predict(x)).toThrow(/\(InputLayer\): expected an input of shape \[N, 8, 8, 3\], got \[1, 7, 8, 3\]/);
    using x3 = tensor(new Float32Array(8 * 8 * 3), [8, 8, 3]);
    expect(() => m.predict(x3)).toThrow(ShapeError);
    // A fully convolutional model too small at predict time names the layer.
    const fc = sequential([layers.conv2d({ filters: 2, kernelSize: 5, name: 'k5' })], { inputShape: [null, null, 1] });
    using tiny = tensor(new Float32Array(9), [1, 3, 3, 1]);
    expect(() => fc.predict(tiny)).toThrow(/k5 \(Conv2D\)/);
    // Reusing a layer with other channel counts.
    const conv = layers.conv2d({ filters: 2, kernelSize: 1, name: 'reuse' });
    conv.apply(inp);
    expect(() => conv.apply(input({ shape: [8, 8, 5] }))).toThrow(/reuse \(Conv2D\): expected inputs \[8, 8, 3\]/);
    // Sequential: a layer that does not fit is not added.
    const s = sequential([layers.flatten({ name: 'f' })], { inputShape: [4, 4, 2] });
    expect(() => s.add(layers.maxPooling2d({ name: 'mp' }))).toThrow(/mp \(MaxPooling2D\)/);
    expect(s.layers.map((l) => l.name)).toEqual(['f']);
  });

  it('setWeights: missing and extra names (ModelFormatError), wrong shapes (ShapeError naming the weight), wrong types', () => {
    const m = sequential([layers.conv2d({ filters: 2, kernelSize: 3, name: 'c1' }), layers.batchNormalization({ name: 'bn1' })], { inputShape: [5, 5, 1] });
    expect(m.weightSpecs()).toEqual([
      { name: 'c1/kernel', shape: [3, 3, 1, 2] },
      { name: 'c1/bias', shape: [2] },
      { name: 'bn1/gamma', shape: [2] },
      { name: 'bn1/beta', shape: [2] },
      { name: 'bn1/moving_mean', shape: [2] },
      { name: 'bn1/moving_variance', shape: [2] },
    ]);
    const full = Object.fromEntries(m.weightSpecs().map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.5)]));
    expect(() => m.setWeights(full)).not.toThrow();
    const { ['bn1/beta']: _beta, ...missing } = full;
    expect(() => m.setWeights(missing)).toThrow(ModelFormatError);
    expect(() => m.setWeights(missing)).toThrow(/missing weight\(s\) `bn1\/beta`/);
    expect(() => m.setWeights(missing, { allowMissing: true })).not.toThrow();
    expect(() => m.setWeights({ ...full, 'c1/kernal': new Float32Array(18) })).toThrow(/unknown weight name\(s\) `c1\/kernal`/);
    expect(() => m.setWeights({ ...full, 'c1/kernal': new Float32Array(18) }, { allowExtra: true })).not.toThrow();
    expect(() => m.setWeights({ ...full, 'c1/kernel': new Float32Array(17) })).toThrow(ShapeError);
    expect(() => m.setWeights({ ...full, 'c1/kernel': new Float32Array(17) })).toThrow(/c1\/kernel: expected 18 values for shape \[3, 3, 1, 2\], got 17 values/);
    expect(() => m.setWeights({ ...full, 'c1/kernel': [1, 2] as never })).toThrow(DTypeError);
    expect(() => m.setWeights([])).toThrow(/expected 6 arrays in weightSpecs\(\) order, got 0/);
    expect(() => m.setWeights(null as never)).toThrow(DTypeError);
    expect(() => m.setWeights(Object.values(full))).not.toThrow();
    // Per layer too.
    expect(() => m.getLayer('c1').setWeights([new Float32Array(18)])).toThrow(/expected 2 arrays/);
    expect(() => m.getLayer('c1').setWeights({ nope: new Float32Array(1) })).toThrow(/unknown weight name `nope`/);
    expect(() => m.getLayer('zzz')).toThrow(/no layer named `zzz`/);
    // Nothing changed by the failed calls.
    expect(Array.from(m.getWeights().get('bn1/beta')!)).toEqual([0.5, 0.5]);
  });

  it('OptionError for bad layer options; DTypeError for non-symbolic inputs; ModelFormatError for bad graphs', () => {
    expect(() => layers.activation({ activation: 'log_softmax' as never })).toThrow(OptionError);
    expect(() => layers.conv2d({ filters: 0, kernelSize: 3 })).toThrow(/filters/);
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, padding: 'full' as never })).toThrow(/padding/);
    expect(() => layers.depthwiseConv2d({ kernelSize: 3, strides: 2, dilationRate: 2 })).toThrow(/strides/);
    expect(() => layers.reLU({ maxValue: -1 })).toThrow(/maxValue/);
    expect(() => layers.leakyReLU({ alpha: Number.NaN })).toThrow(/alpha/);
    expect(() => layers.prelu({ sharedAxes: [0] })).toThrow(/sharedAxes/);
    expect(() => layers.concatenate({ axis: 1.5 })).toThrow(/axis/);
    expect(() => layers.batchNormalization({ axis: 1 })).toThrow(/axis/);
    expect(() => layers.reshape({ targetShape: [-1, -1] })).toThrow(/targetShape/);
    expect(() => layers.squeezeExcite({})).toThrow(/ratio/);
    expect(() => layers.zeroPadding2d({ padding: -1 })).toThrow(/padding/);
    expect(() => input({ shape: [0, 3] })).toThrow(OptionError);
    using t = tensor(new Float32Array(4), [1, 2, 2, 1]);
    expect(() => layers.reLU().apply(t as never)).toThrow(DTypeError);
    const a = input({ shape: [2], name: 'a' });
    const b = input({ shape: [2], name: 'b' });
    const sum = layers.add().apply([a, b]);
    expect(() => model({ inputs: a, outputs: sum })).toThrow(/depend on input `b`/);
    const l1 = layers.dense({ units: 2, name: 'same' }).apply(a);
    const l2 = layers.dense({ units: 2, name: 'same' }).apply(l1);
    expect(() => model({ inputs: a, outputs: l2 })).toThrow(/two layers are named `same`/);
  });

  it('a disposed model throws DisposedTensorError; disposed inputs too; the instance stays usable', () => {
    const m = sequential([layers.dense({ units: 2 })], { inputShape: [3] });
    using x = tensor([1, 2, 3], [1, 3]);
    m.predict(x);
    m.dispose();
    expect(() => m.predict(x)).toThrow(DisposedTensorError);
    expect(() => m.summary()).toThrow(DisposedTensorError);
    expect(() => m.memoryStats()).toThrow(DisposedTensorError);
    expect(() => m.setWeights({})).toThrow(DisposedTensorError);
    m.dispose(); // idempotent
    const m2 = sequential([layers.dense({ units: 1 })], { inputShape: [3] });
    const gone = tensor([1, 2, 3], [1, 3]);
    gone.dispose();
    expect(() => m2.predict(gone)).toThrow(DisposedTensorError);
    expect(() => m2.predict(new Float32Array(3) as never)).toThrow(DTypeError);
    m2.setWeights({ [`${m2.layers[0]!.name}/kernel`]: new Float32Array([1, 1, 1]), [`${m2.layers[0]!.name}/bias`]: new Float32Array([1]) });
    expect(Array.from((m2.predict(x) as Tensor).data())).toEqual([7]);
    m2.dispose();
  });
});
