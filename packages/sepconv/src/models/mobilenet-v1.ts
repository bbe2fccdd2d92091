// MobileNetV1 (Howard et al. 2017, Table 1), layer for layer as Keras Applications' `MobileNet`,
// so Keras/TF.js weights load by name. Width multiplier α scales every layer's channels
// (`int(filters * alpha)`), the resolution multiplier ρ is the input size.
import { OptionError } from '../errors.js';
import type { KerasModelConfig } from '../io/keras-config.js';
import { archConfig, type Arch, type ArchSpec, checkPositiveInt } from './arch.js';

/** Options of `mobilenetV1()` and `mobilenetV1Arch()`. */
export interface MobileNetV1Options {
  /** Width multiplier α. Default 1. */
  alpha?: number;
  /** Input height = width. Default 224. */
  resolution?: number;
  /** Default 1000. */
  classes?: number;
  /** The classifier (pool, dropout, 1x1 conv, softmax). Default true. */
  includeTop?: boolean;
  /** Dropout rate before the classifier (inference: identity). Default 1e-3. */
  dropout?: number;
  /** Depth multiplier of the depthwise convs. Default 1. */
  depthMultiplier?: number;
}

/** Table 1: [pointwise filters, stride] of the 13 depthwise-separable blocks. */
export const MOBILENET_V1_BLOCKS: readonly (readonly [filters: number, stride: 1 | 2])[] = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

/** The MobileNetV1 architecture as an `ArchSpec` (layer for layer as Keras Applications), to build with sepconv layers or emit as a Keras config. */
export function mobilenetV1Arch(options: MobileNetV1Options = {}): ArchSpec {
  const op = 'mobilenetV1';
  const alpha = options.alpha ?? 1;
  if (!(alpha > 0)) throw new OptionError(op, 'alpha', 'a positive number', alpha);
  const res = checkPositiveInt(op, 'resolution', options.resolution ?? 224);
  if (res < 32) throw new OptionError(op, 'resolution', 'at least 32', res);
  const classes = checkPositiveInt(op, 'classes', options.classes ?? 1000);
  const dm = checkPositiveInt(op, 'depthMultiplier', options.depthMultiplier ?? 1);
  return {
    name: `mobilenet_${alpha.toFixed(2)}_${res}`,
    build<R>(b: Arch<R>): R {
      let x = b.input([res, res, 3]);
      x = b.conv2d(x, 'conv1', { filters: Math.floor(32 * alpha), kernel: 3, strides: 2, padding: 'same', useBias: false });
      x = b.bn(x, 'conv1_bn');
      x = b.relu6(x, 'conv1_relu');
      MOBILENET_V1_BLOCKS.forEach(([filters, stride], i) => {
        const id = i + 1;
        if (stride === 2) x = b.pad(x, `conv_pad_${id}`, [[0, 1], [0, 1]]);
        x = b.depthwise(x, `conv_dw_${id}`, { kernel: 3, strides: stride, padding: stride === 1 ? 'same' : 'valid', multiplier: dm, useBias: false });
        x = b.bn(x, `conv_dw_${id}_bn`);
        x = b.relu6(x, `conv_dw_${id}_relu`);
        x = b.conv2d(x, `conv_pw_${id}`, { filters: Math.floor(filters * alpha), kernel: 1, padding: 'same', useBias: false });
        x = b.bn(x, `conv_pw_${id}_bn`);
        x = b.relu6(x, `conv_pw_${id}_relu`);
      });
      if (options.includeTop ?? true) {
        const c = Math.floor(1024 * alpha);
        x = b.gap(x, 'global_average_pooling2d');
        x = b.reshape(x, 'reshape_1', [1, 1, c]);
        x = b.dropout(x, 'dropout', options.dropout ?? 1e-3);
        x = b.conv2d(x, 'conv_preds', { filters: classes, kernel: 1, padding: 'same' });
        x = b.reshape(x, 'reshape_2', [classes]);
        x = b.act(x, 'predictions', 'softmax');
      }
      return x;
    },
  };
}

/** The Keras `model_config` of mobilenetV1Arch (what a TF.js layers model.json holds). */
export function mobilenetV1Config(options: MobileNetV1Options = {}): KerasModelConfig {
  return archConfig(mobilenetV1Arch(options));
}
