// Builds an architecture straight into sepconv layers: the zoo's path to a model, which reaches
// only the layer classes the zoo uses (not the Keras importer). Options map exactly as
// `layerFromKeras` maps the configs `ArchBuilder` emits, so both paths give the same model.
import { OptionError } from '../errors.js';
import { Conv2D, Dense, DepthwiseConv2D, SeparableConv2D } from '../layers/conv.js';
import type { Layer, SymbolicTensor } from '../layers/layer.js';
import { Activation, Dropout, GlobalAveragePooling2D, Merge, Pooling2D, ReLU, Reshape, ZeroPadding2D } from '../layers/misc.js';
import { BatchNormalization, Normalization, Rescaling } from '../layers/norm.js';
import type { LayerActivation } from '../layers/activations.js';
import { ArchNames, type Arch, type ArchConvOptions, type ArchDepthwiseOptions, type ArchSeparableOptions, type ArchSpec, type Pads2d } from './arch.js';
import { input, model, type Model } from './graph.js';

type Sym = SymbolicTensor;
const on = (layer: Layer, x: Sym | Sym[]): Sym => layer.apply(x);
const squareWindow = (k: number, s = 1) => ({ kernelSize: [k, k] as [number, number], strides: [s, s] as [number, number], dilationRate: [1, 1] as [number, number] });

/** Builds a zoo architecture (an `ArchSpec`) directly into sepconv layers: the path `mobilenetV2()` and the other zoo functions take to a `Model`. */
export class LayerArchBuilder extends ArchNames implements Arch<Sym> {
  inputs: Sym | undefined;

  input(shape: readonly number[], name = 'input_1'): Sym {
    this.inputs = input({ shape, name });
    return this.inputs;
  }

  conv2d(x: Sym, name: string, o: ArchConvOptions): Sym {
    const activation = (o.activation ?? 'linear') as LayerActivation;
    return on(new Conv2D({ name, ...squareWindow(o.kernel, o.strides), padding: o.padding ?? 'valid', activation, useBias: o.useBias ?? true, filters: o.filters }), x);
  }

  depthwise(x: Sym, name: string, o: ArchDepthwiseOptions): Sym {
    return on(new DepthwiseConv2D({ name, ...squareWindow(o.kernel, o.strides), padding: o.padding ?? 'valid', useBias: o.useBias ?? true, depthMultiplier: o.multiplier ?? 1 }), x);
  }

  separable(x: Sym, name: string, o: ArchSeparableOptions): Sym {
    return on(new SeparableConv2D({ name, ...squareWindow(o.kernel), padding: o.padding ?? 'valid', useBias: o.useBias ?? true, filters: o.filters }), x);
  }

  bn(x: Sym, name: string, epsilon = 1e-3, momentum = 0.99): Sym {
    return on(new BatchNormalization({ name, axis: -1, epsilon, momentum }), x);
  }

  relu6(x: Sym, name: string): Sym {
    return on(new ReLU({ name, maxValue: 6 }), x);
  }

  act(x: Sym, name: string, activation: string): Sym {
    return on(new Activation({ name, activation: activation as LayerActivation }), x);
  }

  pad(x: Sym, name: string, padding: Pads2d): Sym {
    return on(new ZeroPadding2D({ name, padding }), x);
  }

  add(xs: Sym[], name: string): Sym {
    return on(new Merge({ name }, 'add'), xs);
  }

  multiply(xs: Sym[], name: string): Sym {
    return on(new Merge({ name }, 'mul'), xs);
  }

  gap(x: Sym, name: string): Sym {
    return on(new GlobalAveragePooling2D({ name }), x);
  }

  maxPool(x: Sym, name: string, pool: number, strides: number, padding: 'same' | 'valid'): Sym {
    return on(new Pooling2D({ name, poolSize: pool, strides, padding }, 'max'), x);
  }

  dense(x: Sym, name: string, units: number, activation = 'linear'): Sym {
    return on(new Dense({ name, units, activation: activation as LayerActivation }), x);
  }

  dropout(x: Sym, name: string, rate: number): Sym {
    return on(new Dropout({ name, rate }), x);
  }

  reshape(x: Sym, name: string, targetShape: number[]): Sym {
    return on(new Reshape({ name, targetShape }), x);
  }

  rescaling(x: Sym, name: string, scale: number, offset: number): Sym {
    return on(new Rescaling({ name, scale, offset }), x);
  }

  normalization(x: Sym, name: string): Sym {
    return on(new Normalization({ name, axis: -1 }), x);
  }
}

/** A sepconv model of an architecture; weights initialized, not loaded. */
export function archModel(spec: ArchSpec): Model {
  const b = new LayerArchBuilder();
  const outputs = spec.build(b);
  if (!b.inputs) throw new OptionError('archModel', 'build', 'a function that starts from b.input(shape)', spec.build);
  return model({ inputs: b.inputs, outputs, name: spec.name });
}
