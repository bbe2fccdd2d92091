// EfficientNet-B0…B7 (Tan & Le 2019): MBConv blocks with squeeze-excite and swish, compound
// scaling of width, depth and resolution. Layer for layer as Keras Applications' `EfficientNetB*`
// (Rescaling + Normalization stem, names `block{stage}{letter}_...`), with its rounding:
// filters via make_divisible(filters * width, 8), repeats via ceil(depth * repeats).
import { OptionError } from '../errors.js';
import type { KerasModelConfig } from '../io/keras-config.js';
import { archConfig, type Arch, type ArchSpec, checkPositiveInt, correctPad, makeDivisible } from './arch.js';

/** An EfficientNet size, `'b0'` to `'b7'`. */
export type EfficientNetVariant = 'b0' | 'b1' | 'b2' | 'b3' | 'b4' | 'b5' | 'b6' | 'b7';

/** Options of `efficientnet()` and `efficientnetArch()`. */
export interface EfficientNetOptions {
  /** Default 1000. */
  classes?: number;
  /** Default true. */
  includeTop?: boolean;
  /** Input height = width. Default: the variant's (224, 240, 260, 300, 380, 456, 528, 600). */
  resolution?: number;
}

/** [width coefficient, depth coefficient, resolution, dropout] per variant (Keras / the paper's code). */
export const EFFICIENTNET_SCALING: Readonly<Record<EfficientNetVariant, readonly [number, number, number, number]>> = {
  b0: [1.0, 1.0, 224, 0.2],
  b1: [1.0, 1.1, 240, 0.2],
  b2: [1.1, 1.2, 260, 0.3],
  b3: [1.2, 1.4, 300, 0.3],
  b4: [1.4, 1.8, 380, 0.4],
  b5: [1.6, 2.2, 456, 0.4],
  b6: [1.8, 2.6, 528, 0.5],
  b7: [2.0, 3.1, 600, 0.5],
};

/** The B0 baseline (Table 1): kernel, repeats, filters in/out, expansion, stride, SE ratio. */
export const EFFICIENTNET_BLOCKS: readonly { k: number; repeats: number; fin: number; fout: number; expand: number; stride: 1 | 2; se: number }[] = [
  { k: 3, repeats: 1, fin: 32, fout: 16, expand: 1, stride: 1, se: 0.25 },
  { k: 3, repeats: 2, fin: 16, fout: 24, expand: 6, stride: 2, se: 0.25 },
  { k: 5, repeats: 2, fin: 24, fout: 40, expand: 6, stride: 2, se: 0.25 },
  { k: 3, repeats: 3, fin: 40, fout: 80, expand: 6, stride: 2, se: 0.25 },
  { k: 5, repeats: 3, fin: 80, fout: 112, expand: 6, stride: 1, se: 0.25 },
  { k: 5, repeats: 4, fin: 112, fout: 192, expand: 6, stride: 2, se: 0.25 },
  { k: 3, repeats: 1, fin: 192, fout: 320, expand: 6, stride: 1, se: 0.25 },
];

const DROP_CONNECT = 0.2;

/** The EfficientNet architecture of the given variant, as an `ArchSpec` (layer for layer as Keras Applications), to build with sepconv layers or emit as a Keras config. */
export function efficientnetArch(variant: EfficientNetVariant, options: EfficientNetOptions = {}): ArchSpec {
  const op = 'efficientnet';
  const scaling = EFFICIENTNET_SCALING[variant];
  if (!Object.hasOwn(EFFICIENTNET_SCALING, variant)) throw new OptionError(op, 'variant', "'b0' … 'b7'", variant);
  const [width, depth, defaultRes, dropout] = scaling;
  const res = checkPositiveInt(op, 'resolution', options.resolution ?? defaultRes);
  if (res < 32) throw new OptionError(op, 'resolution', 'at least 32', res);
  const classes = checkPositiveInt(op, 'classes', options.classes ?? 1000);
  const filters = (f: number) => makeDivisible(f * width, 8);
  const repeats = (r: number) => Math.ceil(depth * r);
  return {
    name: `efficientnet${variant}`,
    build<R>(b: Arch<R>): R {
      let x = b.input([res, res, 3]);
      x = b.rescaling(x, 'rescaling', 1 / 255, 0);
      x = b.normalization(x, 'normalization');
      x = b.pad(x, 'stem_conv_pad', correctPad([res, res], 3));
      let size = Math.ceil(res / 2);
      x = b.conv2d(x, 'stem_conv', { filters: filters(32), kernel: 3, strides: 2, padding: 'valid', useBias: false });
      x = b.bn(x, 'stem_bn');
      x = b.act(x, 'stem_activation', 'swish');
      const total = EFFICIENTNET_BLOCKS.reduce((a, s) => a + repeats(s.repeats), 0);
      let blockIndex = 0;
      EFFICIENTNET_BLOCKS.forEach((stage, i) => {
        const n = repeats(stage.repeats);
        for (let j = 0; j < n; j++) {
          const fin = j === 0 ? filters(stage.fin) : filters(stage.fout);
          const fout = filters(stage.fout);
          const stride = j === 0 ? stage.stride : 1;
          const name = `block${i + 1}${String.fromCharCode(97 + j)}_`;
          const dropRate = (DROP_CONNECT * blockIndex) / total;
          const inputs = x;
          const expanded = fin * stage.expand;
          if (stage.expand !== 1) {
            x = b.conv2d(x, `${name}expand_conv`, { filters: expanded, kernel: 1, padding: 'same', useBias: false });
            x = b.bn(x, `${name}expand_bn`);
            x = b.act(x, `${name}expand_activation`, 'swish');
          }
          if (stride === 2) x = b.pad(x, `${name}dwconv_pad`, correctPad([size, size], stage.k));
          x = b.depthwise(x, `${name}dwconv`, { kernel: stage.k, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false });
          x = b.bn(x, `${name}bn`);
          x = b.act(x, `${name}activation`, 'swish');
          const fse = Math.max(1, Math.floor(fin * stage.se));
          let se = b.gap(x, `${name}se_squeeze`);
          se = b.reshape(se, `${name}se_reshape`, [1, 1, expanded]);
          se = b.conv2d(se, `${name}se_reduce`, { filters: fse, kernel: 1, padding: 'same', activation: 'swish' });
          se = b.conv2d(se, `${name}se_expand`, { filters: expanded, kernel: 1, padding: 'same', activation: 'sigmoid' });
          x = b.multiply([x, se], `${name}se_excite`);
          x = b.conv2d(x, `${name}project_conv`, { filters: fout, kernel: 1, padding: 'same', useBias: false });
          x = b.bn(x, `${name}project_bn`);
          if (stride === 1 && fin === fout) {
            if (dropRate > 0) x = b.dropout(x, `${name}drop`, dropRate, [null, 1, 1, 1]);
            x = b.add([x, inputs], `${name}add`);
          }
          if (stride === 2) size = Math.ceil(size / 2);
          blockIndex++;
        }
      });
      x = b.conv2d(x, 'top_conv', { filters: filters(1280), kernel: 1, padding: 'same', useBias: false });
      x = b.bn(x, 'top_bn');
      x = b.act(x, 'top_activation', 'swish');
      if (options.includeTop ?? true) {
        x = b.gap(x, 'avg_pool');
        if (dropout > 0) x = b.dropout(x, 'top_dropout', dropout);
        x = b.dense(x, 'predictions', classes, 'softmax');
      }
      return x;
    },
  };
}

/** The Keras `model_config` of efficientnetArch (what a TF.js layers model.json holds). */
export function efficientnetConfig(variant: EfficientNetVariant, options: EfficientNetOptions = {}): KerasModelConfig {
  return archConfig(efficientnetArch(variant, options));
}
