// The model zoo: architectures as config tables (Keras Applications' names and structure, so
// Keras/TF.js weights load by name), built straight into sepconv layers. `*Config()` gives the
// Keras model_config and `describeConfig()` counts params and MACs from it with no weights at all.
import { archModel } from './arch-layers.js';
import type { Model } from './graph.js';
import { efficientnetArch, type EfficientNetOptions, type EfficientNetVariant } from './efficientnet.js';
import { mobilenetV1Arch, type MobileNetV1Options } from './mobilenet-v1.js';
import { mobilenetV2Arch, type MobileNetV2Options } from './mobilenet-v2.js';
import { resnet50Arch, type ResNet50Options } from './resnet.js';
import { xceptionArch, type XceptionOptions } from './xception.js';

export { ArchBuilder, archConfig, correctPad, describeConfig, makeDivisible, type Arch, type ArchSpec } from './arch.js';
export { archModel, LayerArchBuilder } from './arch-layers.js';
export { EFFICIENTNET_BLOCKS, EFFICIENTNET_SCALING, efficientnetArch, efficientnetConfig, type EfficientNetOptions, type EfficientNetVariant } from './efficientnet.js';
export { MOBILENET_V1_BLOCKS, mobilenetV1Arch, mobilenetV1Config, type MobileNetV1Options } from './mobilenet-v1.js';
export { MOBILENET_V2_STAGES, mobilenetV2Arch, mobilenetV2Config, type MobileNetV2Options } from './mobilenet-v2.js';
export { RESNET50_STAGES, resnet50Arch, resnet50Config, type ResNet50Options } from './resnet.js';
export { XCEPTION_DOWN_BLOCKS, XCEPTION_MIDDLE, xceptionArch, xceptionConfig, type XceptionOptions } from './xception.js';

/** MobileNetV1 (Howard et al. 2017) with width multiplier `alpha` and input `resolution`. */
export function mobilenetV1(options: MobileNetV1Options = {}): Model {
  return archModel(mobilenetV1Arch(options));
}

/** MobileNetV2 (Sandler et al. 2018): inverted residuals, linear bottlenecks, make_divisible(·, 8) channels. */
export function mobilenetV2(options: MobileNetV2Options = {}): Model {
  return archModel(mobilenetV2Arch(options));
}

/** Xception (Chollet 2017): entry, middle and exit flows of separable convs with 1x1 residual shortcuts. */
export function xception(options: XceptionOptions = {}): Model {
  return archModel(xceptionArch(options));
}

/** EfficientNet-B0…B7 (Tan & Le 2019): MBConv + squeeze-excite + swish, compound-scaled. */
export function efficientnet(variant: EfficientNetVariant = 'b0', options: EfficientNetOptions = {}): Model {
  return archModel(efficientnetArch(variant, options));
}

/** ResNet-50 (He et al. 2016), the standard-conv baseline. */
export function resnet50(options: ResNet50Options = {}): Model {
  return archModel(resnet50Arch(options));
}
