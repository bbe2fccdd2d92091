// A tiny Keras-functional builder: the zoo's architectures are written with it as config tables
// walked by loops, and it emits a Keras `model_config` (what a TF.js layers model.json holds), so
// one description serves counting (no weights), building sepconv models, and building the same
// network in @tensorflow/tfjs-layers for parity tests.
import { OptionError } from '../errors.js';
import { inferGraph, normalizeKerasConfig, type GraphInfo, type KerasLayerJSON, type KerasModelConfig } from '../io/keras-config.js';

/** A symbolic output of a layer in an ArchBuilder: the layer's name. */
export type Ref = string;

export class ArchBuilder {
  readonly layers: KerasLayerJSON[] = [];
  readonly #counters = new Map<string, number>();

  constructor(readonly name: string) {}

  /** Keras's automatic names: `conv2d`, `conv2d_1`, ... */
  autoName(base: string): string {
    const n = this.#counters.get(base) ?? 0;
    this.#counters.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
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

  conv2d(x: Ref, name: string, o: { filters: number; kernel: number; strides?: number; padding?: 'same' | 'valid'; useBias?: boolean; activation?: string }): Ref {
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

  depthwise(x: Ref, name: string, o: { kernel: number; strides?: number; padding?: 'same' | 'valid'; multiplier?: number; useBias?: boolean }): Ref {
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

  separable(x: Ref, name: string, o: { filters: number; kernel: number; padding?: 'same' | 'valid'; useBias?: boolean }): Ref {
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

  pad(x: Ref, name: string, padding: [[number, number], [number, number]]): Ref {
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

/** Spatial size of a ref, from the shapes inferred so far. */
export function spatial(b: ArchBuilder, ref: Ref): [number, number] {
  const info = inferGraph(normalizeKerasConfig(b.build(ref)));
  const s = info.outputShape;
  return [s[0]!, s[1]!];
}
