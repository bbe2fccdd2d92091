// The model zoo: architectures as config tables (Keras Applications' names and structure, so
// Keras/TF.js weights load by name), built into sepconv models. `*Config()` gives the Keras
// model_config and `describeConfig()` counts params and MACs from it with no weights at all.
import { modelFromKerasConfig } from '../io/build.js';
import type { Model } from './graph.js';
import { efficientnetConfig, type EfficientNetOptions, type EfficientNetVariant } from './efficientnet.js';
import { mobilenetV1Config, type MobileNetV1Options } from './mobilenet-v1.js';
import { mobilenetV2Config, type MobileNetV2Options } from './mobilenet-v2.js';
import { resnet50Config, type ResNet50Options } from './resnet.js';
import { xceptionConfig, type XceptionOptions } from './xception.js';

export { ArchBuilder, correctPad, describeConfig, makeDivisible } from './arch.js';
export { EFFICIENTNET_BLOCKS, EFFICIENTNET_SCALING, efficientnetConfig, type EfficientNetOptions, type EfficientNetVariant } from './efficientnet.js';
export { MOBILENET_V1_BLOCKS, mobilenetV1Config, type MobileNetV1Options } from './mobilenet-v1.js';
export { MOBILENET_V2_STAGES, mobilenetV2Config, type MobileNetV2Options } from './mobilenet-v2.js';
export { RESNET50_STAGES, resnet50Config, type ResNet50Options } from './resnet.js';
export { XCEPTION_DOWN_BLOCKS, XCEPTION_MIDDLE, xceptionConfig, type XceptionOptions } from './xception.js';

/** MobileNetV1 (Howard et al. 2017) with width multiplier `alpha` and input `resolution`. */
export function mobilenetV1(options: MobileNetV1Options = {}): Model {
  return modelFromKerasConfig(mobilenetV1Config(options));
}

/** MobileNetV2 (Sandler et al. 2018): inverted residuals, linear bottlenecks, make_divisible(·, 8) channels. */
export function mobilenetV2(options: MobileNetV2Options = {}): Model {
  return modelFromKerasConfig(mobilenetV2Config(options));
}

/** Xception (Chollet 2017): entry, middle and exit flows of separable convs with 1x1 residual shortcuts. */
export function xception(options: XceptionOptions = {}): Model {
  return modelFromKerasConfig(xceptionConfig(options));
}

/** EfficientNet-B0…B7 (Tan & Le 2019): MBConv + squeeze-excite + swish, compound-scaled. */
export function efficientnet(variant: EfficientNetVariant = 'b0', options: EfficientNetOptions = {}): Model {
  return modelFromKerasConfig(efficientnetConfig(variant, options));
}

/** ResNet-50 (He et al. 2016), the standard-conv baseline. */
export function resnet50(options: ResNet50Options = {}): Model {
  return modelFromKerasConfig(resnet50Config(options));
}
