// The zoo's architectures are written once, as config tables walked by loops, against `Arch`: a
// tiny Keras-functional builder interface. Two builders implement it. `ArchBuilder` emits a Keras
// `model_config` (what a TF.js layers model.json holds) for counting with no weights and for
// building the same network in @tensorflow/tfjs-layers; `LayerArchBuilder` (arch-layers.ts) builds
// sepconv layers directly, so an app that builds one model does not bundle the Keras importer.
import { OptionError } from '../errors.js';
import { inferGraph, normalizeKerasConfig, type GraphInfo, type KerasLayerJSON, type KerasModelConfig } from '../io/keras-config.js';

/** A symbolic output of a layer in an ArchBuilder: the layer's name. */
export type Ref = string;

export type Pads2d = [[number, number], [number, number]];
export interface ArchConvOptions { filters: number; kernel: number; strides?: number; padding?: 'same' | 'valid'; useBias?: boolean; activation?: string }
export interface ArchDepthwiseOptions { kernel: number; strides?: number; padding?: 'same' | 'valid'; multiplier?: number; useBias?: boolean }
export interface ArchSeparableOptions { filters: number; kernel: number; padding?: 'same' | 'valid'; useBias?: boolean }

/** The layer vocabulary of the zoo, over a builder's symbolic tensors `R`. */
export interface Arch<R> {
  /** Keras's automatic names: `conv2d`, `conv2d_1`, ... */
  autoName(base: string): string;
  input(shape: readonly number[], name?: string): R;
  conv2d(x: R, name: string, o: ArchConvOptions): R;
  depthwise(x: R, name: string, o: ArchDepthwiseOptions): R;
  separable(x: R, name: string, o: ArchSeparableOptions): R;
  bn(x: R, name: string, epsilon?: number, momentum?: number): R;
  relu6(x: R, name: string): R;
  act(x: R, name: string, activation: string): R;
  pad(x: R, name: string, padding: Pads2d): R;
  add(xs: R[], name: string): R;
  multiply(xs: R[], name: string): R;
  gap(x: R, name: string): R;
  maxPool(x: R, name: string, pool: number, strides: number, padding: 'same' | 'valid'): R;
  dense(x: R, name: string, units: number, activation?: string): R;
  dropout(x: R, name: string, rate: number, noiseShape?: (number | null)[] | null): R;
  reshape(x: R, name: string, targetShape: number[]): R;
  rescaling(x: R, name: string, scale: number, offset: number): R;
  /** Keras `Normalization` with mean / variance as weights (set by the model's weights). */
  normalization(x: R, name: string): R;
}

/** An architecture with its options applied: a name and a body that any `Arch` builder can run. */
export interface ArchSpec {
  readonly name: string;
  build<R>(b: Arch<R>): R;
}

/** Keras's automatic layer names, per builder. */
export class ArchNames {
  readonly #counters = new Map<string, number>();

  autoName(base: string): string {
    const n = this.#counters.get(base) ?? 0;
    this.#counters.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }
}

/** The Keras `model_config` of an architecture. */
export function archConfig(spec: ArchSpec): KerasModelConfig {
  const b = new ArchBuilder(spec.name);
  return b.build(spec.build(b));
}

/** Emits the Keras `model_config` of what is built with it. */
export class ArchBuilder extends ArchNames implements Arch<Ref> {
  readonly layers: KerasLayerJSON[] = [];

  constructor(readonly name: string) {
    super();
  }

  input(shape: readonly number[], name = 'input_1'): Ref {
    this.layers.push({
      class_name: 'InputLayer',
      name,
      config: { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, name },
      inbound_nodes: [],
    });
    return name;
  }

  layer(className: string, name: string, config: Record<string, unknown>, inputs: Ref | Ref[]): Ref {
    const ins = Array.isArray(inputs) ? inputs : [inputs];
    this.layers.push({
      class_name: className,
      name,
      config: { name, trainable: true, dtype: 'float32', ...config },
      inbound_nodes: [ins.map((i) => [i, 0, 0, {}])],
    });
    return name;
  }

  conv2d(x: Ref, name: string, o: ArchConvOptions): Ref {
    return this.layer(
      'Conv2D',
      name,
      {
        filters: o.filters,
        kernel_size: [o.kernel, o.kernel],
        strides: [o.strides ?? 1, o.strides ?? 1],
        padding: o.padding ?? 'valid',
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        activation: o.activation ?? 'linear',
        use_bias: o.useBias ?? true,
      },
      x,
    );
  }

  depthwise(x: Ref, name: string, o: ArchDepthwiseOptions): Ref {
    return this.layer(
      'DepthwiseConv2D',
      name,
      {
        kernel_size: [o.kernel, o.kernel],
        strides: [o.strides ?? 1, o.strides ?? 1],
        padding: o.padding ?? 'valid',
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        depth_multiplier: o.multiplier ?? 1,
        activation: 'linear',
        use_bias: o.useBias ?? true,
      },
      x,
    );
  }

  separable(x: Ref, name: string, o: ArchSeparableOptions): Ref {
    return this.layer(
      'SeparableConv2D',
      name,
      {
        filters: o.filters,
        kernel_size: [o.kernel, o.kernel],
        strides: [1, 1],
        padding: o.padding ?? 'valid',
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        depth_multiplier: 1,
        activation: 'linear',
        use_bias: o.useBias ?? true,
      },
      x,
    );
  }

  bn(x: Ref, name: string, epsilon = 1e-3, momentum = 0.99): Ref {
    return this.layer('BatchNormalization', name, { axis: -1, momentum, epsilon, center: true, scale: true }, x);
  }

  relu6(x: Ref, name: string): Ref {
    return this.layer('ReLU', name, { max_value: 6, negative_slope: 0, threshold: 0 }, x);
  }

  act(x: Ref, name: string, activation: string): Ref {
    return this.layer('Activation', name, { activation }, x);
  }

  pad(x: Ref, name: string, padding: Pads2d): Ref {
    return this.layer('ZeroPadding2D', name, { padding, data_format: 'channels_last' }, x);
  }

  add(xs: Ref[], name: string): Ref {
    return this.layer('Add', name, {}, xs);
  }

  multiply(xs: Ref[], name: string): Ref {
    return this.layer('Multiply', name, {}, xs);
  }

  gap(x: Ref, name: string): Ref {
    return this.layer('GlobalAveragePooling2D', name, { data_format: 'channels_last' }, x);
  }

  maxPool(x: Ref, name: string, pool: number, strides: number, padding: 'same' | 'valid'): Ref {
    return this.layer('MaxPooling2D', name, { pool_size: [pool, pool], strides: [strides, strides], padding, data_format: 'channels_last' }, x);
  }

  dense(x: Ref, name: string, units: number, activation = 'linear'): Ref {
    return this.layer('Dense', name, { units, activation, use_bias: true }, x);
  }

  dropout(x: Ref, name: string, rate: number, noiseShape: (number | null)[] | null = null): Ref {
    return this.layer('Dropout', name, { rate, noise_shape: noiseShape, seed: null }, x);
  }

  reshape(x: Ref, name: string, targetShape: number[]): Ref {
    return this.layer('Reshape', name, { target_shape: targetShape }, x);
  }

  rescaling(x: Ref, name: string, scale: number, offset: number): Ref {
    return this.layer('Rescaling', name, { scale, offset }, x);
  }

  normalization(x: Ref, name: string): Ref {
    return this.layer('Normalization', name, { axis: -1, mean: null, variance: null }, x);
  }

  /** The Keras `model_config` (class 'Functional', Keras 2 serialization). */
  build(output: Ref): KerasModelConfig {
    const input = this.layers.find((l) => l.class_name === 'InputLayer')!.name;
    return {
      class_name: 'Functional',
      config: { name: this.name, layers: this.layers, input_layers: [[input, 0, 0]], output_layers: [[output, 0, 0]] },
    };
  }
}

/** Counts of a config, computed from shapes alone (no weights, no wasm). */
export function describeConfig(config: KerasModelConfig): GraphInfo {
  return inferGraph(normalizeKerasConfig(config));
}

/** `make_divisible` of the seed's section 7.2 (and of the TF MobileNet/EfficientNet code). */
export function makeDivisible(v: number, divisor = 8, minValue?: number): number {
  const min = minValue ?? divisor;
  let n = Math.max(min, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** Keras's `imagenet_utils.correct_pad` for a stride-2 'valid' conv after explicit padding. */
export function correctPad(size: [number, number], kernel: number): [[number, number], [number, number]] {
  const adj = [1 - (size[0] % 2), 1 - (size[1] % 2)];
  const c = Math.floor(kernel / 2);
  return [
    [c - adj[0]!, c],
    [c - adj[1]!, c],
  ];
}

export function checkPositiveInt(op: string, option: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new OptionError(op, option, 'a positive integer', v);
  return v as number;
}
