// Importers for trained TF.js models (layers and graph formats) and ONNX models.
export { loadGraphModel, loadLayersModel, loadModel, loadWeights, layerFromKeras, modelFromGraph, modelFromKerasConfig } from './build.js';
export { convertGraphModel, DEFAULT_MAX_GENERATED_ELEMENTS, GRAPH_OP_REGISTRY, SUPPORTED_GRAPH_OPS, type GraphNode, type GraphOpInfo } from './graph-model.js';
export {
  inferGraph,
  normalizeKerasConfig,
  SUPPORTED_LAYER_CLASSES,
  type FlatGraph,
  type FlatLayer,
  type GraphInfo,
  type KerasLayerJSON,
  type KerasModelConfig,
  type LayerInfo,
} from './keras-config.js';
export { detectFormat, kerasModelConfig, parseModel, readModel, type ParsedModel } from './read.js';
export { readModelFiles, resolveShardUrl, type LoadOptions, type LoadProgress, type ModelArtifacts, type ModelFileMap, type ModelHandler, type ModelSource } from './sources.js';
export { decodeWeights, encodeWeights, floatToHalf, halfToFloat, type WeightEntry, type WeightGroup } from './weights.js';
export { decodeBase64, extractWrappedModule, isWrappedModule, parseJsLiteral } from './wrapper.js';
export { convertOnnx, isOnnxSource, loadOnnxModel, MAX_OPSET as MAX_ONNX_OPSET, MIN_OPSET as MIN_ONNX_OPSET, OnnxModel, SUPPORTED_ONNX_OPS, type OnnxConversion, type OnnxLoadOptions, type OnnxSource } from './onnx/index.js';
