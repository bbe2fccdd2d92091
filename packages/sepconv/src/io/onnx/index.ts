// ONNX import (first slice): see convert.ts for the lowering, load.ts for sources and layouts.
export { convertOnnx, MAX_OPSET, MIN_OPSET, SUPPORTED_ONNX_OPS, type OnnxConversion } from './convert.js';
export { isOnnxSource, loadOnnxModel, OnnxModel, type OnnxLoadOptions, type OnnxSource } from './load.js';
