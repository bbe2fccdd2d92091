// ResNet-50 (He et al. 2016), the standard-conv baseline the seed compares MobileNetV2 against,
// layer for layer as Keras Applications' `ResNet50` (v1: bottleneck blocks, biased convs, BN eps 1.001e-5).
import type { KerasModelConfig } from '../io/keras-config.js';
import { archConfig, checkPositiveInt, type Arch, type ArchSpec } from './arch.js';

/** Options of `resnet50()` and `resnet50Arch()`. */
export interface ResNet50Options {
  /** Default 1000. */
  classes?: number;
  /** Default true. */
  includeTop?: boolean;
  /** Input height = width. Default 224 (at least 32). */
  resolution?: number;
}

/** Stages: [name, bottleneck filters, blocks, first stride]. */
export const RESNET50_STAGES: readonly [name: string, filters: number, blocks: number, stride: 1 | 2][] = [
  ['conv2', 64, 3, 1],
  ['conv3', 128, 4, 2],
  ['conv4', 256, 6, 2],
  ['conv5', 512, 3, 2],
];

/** The ResNet-50 architecture as an `ArchSpec` (layer for layer as Keras Applications), to build with sepconv layers or emit as a Keras config. */
export function resnet50Arch(options: ResNet50Options = {}): ArchSpec {
  const op = 'resnet50';
  const classes = checkPositiveInt(op, 'classes', options.classes ?? 1000);
  const res = checkPositiveInt(op, 'resolution', options.resolution ?? 224);
  return {
    name: 'resnet50',
    build<R>(b: Arch<R>): R {
      const eps = 1.001e-5;
      let x = b.input([res, res, 3]);
      x = b.pad(x, 'conv1_pad', [[3, 3], [3, 3]]);
      x = b.conv2d(x, 'conv1_conv', { filters: 64, kernel: 7, strides: 2 });
      x = b.bn(x, 'conv1_bn', eps);
      x = b.act(x, 'conv1_relu', 'relu');
      x = b.pad(x, 'pool1_pad', [[1, 1], [1, 1]]);
      x = b.maxPool(x, 'pool1_pool', 3, 2, 'valid');
      for (const [stage, filters, blocks, stride1] of RESNET50_STAGES) {
        for (let i = 1; i <= blocks; i++) {
          const name = `${stage}_block${i}`;
          const stride = i === 1 ? stride1 : 1;
          let shortcut = x;
          if (i === 1) {
            shortcut = b.conv2d(x, `${name}_0_conv`, { filters: 4 * filters, kernel: 1, strides: stride });
            shortcut = b.bn(shortcut, `${name}_0_bn`, eps);
          }
          x = b.conv2d(x, `${name}_1_conv`, { filters, kernel: 1, strides: stride });
          x = b.bn(x, `${name}_1_bn`, eps);
          x = b.act(x, `${name}_1_relu`, 'relu');
          x = b.conv2d(x, `${name}_2_conv`, { filters, kernel: 3, padding: 'same' });
          x = b.bn(x, `${name}_2_bn`, eps);
          x = b.act(x, `${name}_2_relu`, 'relu');
          x = b.conv2d(x, `${name}_3_conv`, { filters: 4 * filters, kernel: 1 });
          x = b.bn(x, `${name}_3_bn`, eps);
          x = b.add([shortcut, x], `${name}_add`);
          x = b.act(x, `${name}_out`, 'relu');
        }
      }
      if (options.includeTop ?? true) {
        x = b.gap(x, 'avg_pool');
        x = b.dense(x, 'predictions', classes, 'softmax');
      }
      return x;
    },
  };
}

/** The Keras `model_config` of resnet50Arch (what a TF.js layers model.json holds). */
export function resnet50Config(options: ResNet50Options = {}): KerasModelConfig {
  return archConfig(resnet50Arch(options));
}
