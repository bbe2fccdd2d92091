// MobileNetV2 (Sandler et al. 2018): inverted residuals with linear bottlenecks, layer for layer
// as Keras Applications' `MobileNetV2` (names `block_{i}_expand`, `..._depthwise`, `..._project`,
// `expanded_conv_*` for the first block). Channels aligned with `makeDivisible(v, 8)` (seed §7.2).
import { OptionError } from '../errors.js';
import type { KerasModelConfig } from '../io/keras-config.js';
import { archConfig, type Arch, type ArchSpec, checkPositiveInt, correctPad, makeDivisible } from './arch.js';

/** Options of `mobilenetV2()` and `mobilenetV2Arch()`. */
export interface MobileNetV2Options {
  /** Width multiplier α (Keras ships 0.35, 0.5, 0.75, 1.0, 1.3, 1.4). Default 1. */
  alpha?: number;
  /** Input height = width. Default 224. */
  resolution?: number;
  /** Default 1000. */
  classes?: number;
  /** Global pool + dense softmax classifier. Default true. */
  includeTop?: boolean;
}

/** Table 2 of the paper: expansion t, output channels c, repeats n, first stride s. */
export const MOBILENET_V2_STAGES: readonly { t: number; c: number; n: number; s: 1 | 2 }[] = [
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 },
  { t: 6, c: 160, n: 3, s: 2 },
  { t: 6, c: 320, n: 1, s: 1 },
];

/** The MobileNetV2 architecture as an `ArchSpec` (layer for layer as Keras Applications), to build with sepconv layers or emit as a Keras config. */
export function mobilenetV2Arch(options: MobileNetV2Options = {}): ArchSpec {
  const op = 'mobilenetV2';
  const alpha = options.alpha ?? 1;
  if (!(alpha > 0)) throw new OptionError(op, 'alpha', 'a positive number', alpha);
  const res = checkPositiveInt(op, 'resolution', options.resolution ?? 224);
  if (res < 32) throw new OptionError(op, 'resolution', 'at least 32', res);
  const classes = checkPositiveInt(op, 'classes', options.classes ?? 1000);
  return {
    name: `mobilenetv2_${alpha.toFixed(2)}_${res}`,
    build<R>(b: Arch<R>): R {
      const bn = (x: R, name: string) => b.bn(x, name, 1e-3, 0.999);
      let x = b.input([res, res, 3]);
      let channels = makeDivisible(32 * alpha, 8);
      let size = Math.ceil(res / 2);
      x = b.conv2d(x, 'Conv1', { filters: channels, kernel: 3, strides: 2, padding: 'same', useBias: false });
      x = bn(x, 'bn_Conv1');
      x = b.relu6(x, 'Conv1_relu');
      let blockId = 0;
      for (const { t, c, n, s } of MOBILENET_V2_STAGES) {
        for (let i = 0; i < n; i++) {
          const stride = i === 0 ? s : 1;
          const out = makeDivisible(Math.floor(c * alpha), 8);
          const inputs = x;
          const prefix = blockId ? `block_${blockId}_` : 'expanded_conv_';
          if (blockId) {
            x = b.conv2d(x, `${prefix}expand`, { filters: t * channels, kernel: 1, padding: 'same', useBias: false });
            x = bn(x, `${prefix}expand_BN`);
            x = b.relu6(x, `${prefix}expand_relu`);
          }
          if (stride === 2) x = b.pad(x, `${prefix}pad`, correctPad([size, size], 3));
          x = b.depthwise(x, `${prefix}depthwise`, { kernel: 3, strides: stride, padding: stride === 1 ? 'same' : 'valid', useBias: false });
          x = bn(x, `${prefix}depthwise_BN`);
          x = b.relu6(x, `${prefix}depthwise_relu`);
          x = b.conv2d(x, `${prefix}project`, { filters: out, kernel: 1, padding: 'same', useBias: false });
          x = bn(x, `${prefix}project_BN`);
          if (channels === out && stride === 1) x = b.add([inputs, x], `${prefix}add`);
          if (stride === 2) size = Math.ceil(size / 2);
          channels = out;
          blockId++;
        }
      }
      const last = alpha > 1 ? makeDivisible(1280 * alpha, 8) : 1280;
      x = b.conv2d(x, 'Conv_1', { filters: last, kernel: 1, useBias: false });
      x = bn(x, 'Conv_1_bn');
      x = b.relu6(x, 'out_relu');
      if (options.includeTop ?? true) {
        x = b.gap(x, 'global_average_pooling2d');
        x = b.dense(x, 'predictions', classes, 'softmax');
      }
      return x;
    },
  };
}

/** The Keras `model_config` of mobilenetV2Arch (what a TF.js layers model.json holds). */
export function mobilenetV2Config(options: MobileNetV2Options = {}): KerasModelConfig {
  return archConfig(mobilenetV2Arch(options));
}
