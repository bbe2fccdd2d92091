// Xception (Chollet 2017): entry flow, middle flow (8 repeats), exit flow; depthwise-separable
// convs with residual 1x1 shortcuts. Layer for layer as Keras Applications' `Xception` (the
// shortcut convs, their BNs and the adds carry Keras's automatic names conv2d, batch_normalization, add...).
import { OptionError } from '../errors.js';
import type { KerasModelConfig } from '../io/keras-config.js';
import { archConfig, checkPositiveInt, type Arch, type ArchSpec } from './arch.js';

/** Options of `xception()` and `xceptionArch()`. */
export interface XceptionOptions {
  /** Default 1000. */
  classes?: number;
  /** Default true. */
  includeTop?: boolean;
  /** Input height = width. Default 299 (at least 71). */
  resolution?: number;
}

/** Entry/exit blocks: [block, sepconv filters (two), shortcut filters, relu before the first sepconv]. */
export const XCEPTION_DOWN_BLOCKS: readonly { block: number; filters: [number, number]; preRelu: boolean }[] = [
  { block: 2, filters: [128, 128], preRelu: false },
  { block: 3, filters: [256, 256], preRelu: true },
  { block: 4, filters: [728, 728], preRelu: true },
  { block: 13, filters: [728, 1024], preRelu: true },
];
/** Xception's middle flow: the first block's number, how many times it repeats, and its filters. */
export const XCEPTION_MIDDLE = { first: 5, repeats: 8, filters: 728 };

/** The Xception architecture as an `ArchSpec` (layer for layer as Keras Applications), to build with sepconv layers or emit as a Keras config. */
export function xceptionArch(options: XceptionOptions = {}): ArchSpec {
  const op = 'xception';
  const classes = checkPositiveInt(op, 'classes', options.classes ?? 1000);
  const res = checkPositiveInt(op, 'resolution', options.resolution ?? 299);
  if (res < 71) throw new OptionError(op, 'resolution', 'at least 71', res);
  return {
    name: 'xception',
    build<R>(b: Arch<R>): R {
      const sep = (x: R, name: string, filters: number) => b.separable(x, name, { filters, kernel: 3, padding: 'same', useBias: false });
      let x = b.input([res, res, 3]);
      x = b.conv2d(x, 'block1_conv1', { filters: 32, kernel: 3, strides: 2, useBias: false });
      x = b.bn(x, 'block1_conv1_bn');
      x = b.act(x, 'block1_conv1_act', 'relu');
      x = b.conv2d(x, 'block1_conv2', { filters: 64, kernel: 3, useBias: false });
      x = b.bn(x, 'block1_conv2_bn');
      x = b.act(x, 'block1_conv2_act', 'relu');

      const down = ({ block, filters, preRelu }: (typeof XCEPTION_DOWN_BLOCKS)[number]): void => {
        let r = b.conv2d(x, b.autoName('conv2d'), { filters: filters[1], kernel: 1, strides: 2, padding: 'same', useBias: false });
        r = b.bn(r, b.autoName('batch_normalization'));
        const p = `block${block}`;
        if (preRelu) x = b.act(x, `${p}_sepconv1_act`, 'relu');
        x = sep(x, `${p}_sepconv1`, filters[0]);
        x = b.bn(x, `${p}_sepconv1_bn`);
        x = b.act(x, `${p}_sepconv2_act`, 'relu');
        x = sep(x, `${p}_sepconv2`, filters[1]);
        x = b.bn(x, `${p}_sepconv2_bn`);
        x = b.maxPool(x, `${p}_pool`, 3, 2, 'same');
        x = b.add([x, r], b.autoName('add'));
      };
      XCEPTION_DOWN_BLOCKS.slice(0, 3).forEach(down);
      for (let i = 0; i < XCEPTION_MIDDLE.repeats; i++) {
        const r = x;
        const p = `block${XCEPTION_MIDDLE.first + i}`;
        for (let j = 1; j <= 3; j++) {
          x = b.act(x, `${p}_sepconv${j}_act`, 'relu');
          x = sep(x, `${p}_sepconv${j}`, XCEPTION_MIDDLE.filters);
          x = b.bn(x, `${p}_sepconv${j}_bn`);
        }
        x = b.add([x, r], b.autoName('add'));
      }
      down(XCEPTION_DOWN_BLOCKS[3]!);
      for (const [j, filters] of [
        [1, 1536],
        [2, 2048],
      ] as const) {
        x = sep(x, `block14_sepconv${j}`, filters);
        x = b.bn(x, `block14_sepconv${j}_bn`);
        x = b.act(x, `block14_sepconv${j}_act`, 'relu');
      }
      if (options.includeTop ?? true) {
        x = b.gap(x, 'avg_pool');
        x = b.dense(x, 'predictions', classes, 'softmax');
      }
      return x;
    },
  };
}

/** The Keras `model_config` of xceptionArch (what a TF.js layers model.json holds). */
export function xceptionConfig(options: XceptionOptions = {}): KerasModelConfig {
  return archConfig(xceptionArch(options));
}
