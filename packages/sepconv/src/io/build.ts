// Flat Keras-style graphs (from model.json or the zoo's config tables) to sepconv models, and the
// public loaders: `loadModel` (either format), `loadLayersModel`, `loadGraphModel`.
import { formatJson, ModelFormatError, OptionError } from '../errors.js';
import { layers as L } from '../layers/index.js';
import { HostOp } from '../layers/host.js';
import type { Layer, SymbolicTensor } from '../layers/layer.js';
import { input, Model, model } from '../models/graph.js';
import { imageLayer, inferGraph, kerasActivation, normalizeKerasConfig, zeroPadding, type FlatGraph, type FlatLayer, type KerasModelConfig } from './keras-config.js';
import { isOnnxSource, loadOnnxModel, type OnnxLoadOptions, type OnnxSource } from './onnx/load.js';
import { detectFormat, floatWeights, matchWeights, readModel, type ParsedModel } from './read.js';
import { readModelFiles, type LoadOptions, type ModelSource } from './sources.js';
import { decodeWeights } from './weights.js';

const pair = (v: unknown): number | [number, number] | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'number' ? v : [Number((v as number[])[0]), Number((v as number[])[1] ?? (v as number[])[0])];

function act(v: unknown): any {
  const a = kerasActivation(v);
  return a === 'silu' ? 'swish' : a === 'hard_silu' ? 'hard_swish' : a;
}

/** One Keras layer config (snake_case) as a sepconv layer. */
export function layerFromKeras(l: FlatLayer): Layer {
  const c = l.config;
  const name = l.name;
  const padding = (p: unknown) => String(p ?? 'valid').toLowerCase() as 'same' | 'valid';
  // The options every Keras conv layer shares, mapped once.
  const convArgs = () => ({
    name,
    kernelSize: pair(c.kernel_size)!,
    strides: pair(c.strides),
    padding: padding(c.padding),
    dilationRate: pair(c.dilation_rate),
    activation: act(c.activation),
    useBias: c.use_bias ?? true,
  });
  switch (l.className) {
    case 'Conv2D':
      return L.conv2d({ ...convArgs(), filters: c.filters, groups: c.groups ?? 1 });
    case 'DepthwiseConv2D':
      return L.depthwiseConv2d({ ...convArgs(), depthMultiplier: c.depth_multiplier ?? 1 });
    case 'SeparableConv2D':
      return L.separableConv2d({ ...convArgs(), filters: c.filters, depthMultiplier: c.depth_multiplier ?? 1 });
    case 'BatchNormalization':
      return L.batchNormalization({ name, axis: -1, epsilon: c.epsilon ?? 1e-3, momentum: c.momentum, center: c.center ?? true, scale: c.scale ?? true });
    case 'ReLU':
      return L.reLU({ name, maxValue: c.max_value ?? null, negativeSlope: c.negative_slope ?? 0, threshold: c.threshold ?? 0 });
    case 'LeakyReLU':
      // Keras 2 / tfjs-layers: alpha; Keras 3: negative_slope.
      return L.leakyReLU({ name, alpha: c.alpha ?? c.negative_slope ?? 0.3 });
    case 'PReLU':
      return L.prelu({ name, sharedAxes: c.shared_axes ?? null });
    case 'Concatenate':
      return L.concatenate({ name, axis: c.axis ?? -1 });
    case 'Activation':
      return L.activation({ name, activation: act(c.activation) });
    case 'Softmax':
      return L.activation({ name, activation: 'softmax' });
    case 'ZeroPadding2D':
      return L.zeroPadding2d({ name, padding: zeroPadding(c.padding ?? 1) });
    case 'Add':
      return L.add({ name });
    case 'Multiply':
      return L.multiply({ name });
    case 'GlobalAveragePooling2D':
      return L.globalAveragePooling2d({ name, keepDims: Boolean(c.keepdims) });
    case 'AveragePooling2D':
    case 'MaxPooling2D': {
      const args = { name, poolSize: pair(c.pool_size) ?? 2, strides: pair(c.strides) ?? pair(c.pool_size) ?? 2, padding: padding(c.padding) };
      return l.className === 'AveragePooling2D' ? L.averagePooling2d(args) : L.maxPooling2d(args);
    }
    case 'Reshape':
      return L.reshape({ name, targetShape: c.target_shape });
    case 'Flatten':
      return L.flatten({ name });
    case 'Dense':
      return L.dense({ name, units: c.units, activation: act(c.activation), useBias: c.use_bias ?? true });
    case 'Dropout':
      return L.dropout({ name, rate: c.rate ?? 0 });
    case 'Rescaling': {
      if (typeof c.scale !== 'number' || (c.offset !== undefined && typeof c.offset !== 'number')) {
        throw new ModelFormatError(`layer '${name}' (Rescaling): only scalar scale and offset are supported, got ${formatJson({ scale: c.scale, offset: c.offset })}`);
      }
      return L.rescaling({ name, scale: c.scale, offset: c.offset ?? 0 });
    }
    case 'Normalization':
      return L.normalization({ name, axis: -1, mean: c.mean ?? undefined, variance: c.variance ?? undefined });
    case 'Resize':
    case 'Conv2DTranspose':
    case 'DepthToSpace':
    case 'SpaceToDepth':
    case 'PadND':
    case 'ChannelGather':
      return imageLayer(l);
    case 'HostOp':
      return new HostOp({ name, op: c.op, attrs: c.attrs ?? {}, args: c.args, output: c.output ?? 0 });
    default:
      throw new ModelFormatError(`layer '${name}': unsupported class ${l.className}`);
  }
}

/** Builds a sepconv model from a flat graph (validated by `inferGraph` first: one error lists every unsupported layer). */
export function modelFromGraph(graph: FlatGraph, inputShape?: readonly number[]): Model {
  const info = inferGraph(graph, inputShape);
  const syms = new Map<string, SymbolicTensor>();
  for (const l of graph.layers) {
    if (l.className === 'InputLayer') {
      syms.set(l.name, input({ shape: info.inputShape, name: l.name }));
      continue;
    }
    const layer = layerFromKeras(l);
    const ins = l.inputs.map((n) => syms.get(n)!);
    syms.set(l.name, layer.apply(ins.length === 1 ? ins[0]! : ins));
  }
  // One output keeps predict's single-tensor return; several come back as an array in graph order.
  const outs = graph.outputs.map((o) => syms.get(o)!);
  return model({ inputs: syms.get(graph.inputs[0]!)!, outputs: outs.length === 1 ? outs[0]! : outs, name: graph.name, outputNames: graph.outputNames });
}

/** A sepconv model from a Keras `model_config` (as in model.json, or the zoo's tables); weights initialized, not loaded. */
export function modelFromKerasConfig(config: KerasModelConfig, inputShape?: readonly number[]): Model {
  return modelFromGraph(normalizeKerasConfig(config), inputShape);
}

function buildParsed(p: ParsedModel, opts: LoadOptions): Model {
  opts.onProgress?.({ phase: 'build', loaded: 0, total: 1 });
  const m = modelFromGraph(p.graph, opts.inputShape);
  m.setWeights(p.weights);
  opts.onProgress?.({ phase: 'build', loaded: 1, total: 1 });
  return m;
}

/**
 * Loads a TF.js model (layers or graph format, detected from model.json) from a URL, a file path
 * (Node), a map of files, `{ modelJson, weights }`, or a TF.js IOHandler. Weight shards may be
 * float32 or uint8/uint16/float16-quantized (dequantized on load). Every shape is validated; a model
 * with layers/ops sepconv lacks fails with one ModelFormatError listing all of them. A `.onnx` path / URL,
 * ONNX bytes or a file map holding a `.onnx` file goes to `loadOnnxModel`.
 */
export async function loadModel(source: ModelSource | OnnxSource, opts: LoadOptions & OnnxLoadOptions = {}): Promise<Model> {
  // ONNX (a .onnx name, protobuf bytes, a file map with a .onnx): io/onnx.
  if (isOnnxSource(source)) return loadOnnxModel(source as OnnxSource, opts);
  return buildParsed(await readModel(source as ModelSource, opts), opts);
}

/** `loadModel` that insists on the TF.js layers format. */
export async function loadLayersModel(source: ModelSource, opts: LoadOptions = {}): Promise<Model> {
  const p = await readModel(source, opts);
  if (p.format !== 'layers') throw new ModelFormatError('loadLayersModel: this is a TF.js graph model; use loadGraphModel or loadModel');
  return buildParsed(p, opts);
}

/** `loadModel` that insists on the TF.js graph format (GraphDef: BN and constants folded on import). */
export async function loadGraphModel(source: ModelSource, opts: LoadOptions = {}): Promise<Model> {
  const p = await readModel(source, opts);
  if (p.format !== 'graph') throw new ModelFormatError('loadGraphModel: this is a TF.js layers model; use loadLayersModel or loadModel');
  return buildParsed(p, opts);
}

/**
 * Loads trained Keras weights into a model you built (a zoo model such as `mobilenetV2({ alpha: 1 })`,
 * or your own): reads a TF.js **layers** model (model.json + shards, as `tensorflowjs_converter` or
 * `tensorflowjs.converters.save_keras_model` write it) from any source `loadModel` takes (a path or
 * URL of model.json, a map of files, `{ modelJson, weights }`, an IOHandler), with the same shard
 * confinement, and sets every weight by its Keras name (`Conv1/kernel`, `bn_Conv1/moving_mean`, ...).
 * The file's architecture is not used: names and shapes must match the model's exactly. Every weight
 * the model has must be in the file with its shape, and every weight in the file must belong to the
 * model, or one ModelFormatError lists the missing, mis-shaped and extra weights, and nothing changes.
 * Resolves to the same model.
 */
export async function loadWeights(target: Model, source: ModelSource, opts: LoadOptions = {}): Promise<Model> {
  if (!(target instanceof Model)) throw new OptionError('loadWeights', 'model', 'a sepconv Model (e.g. mobilenetV2() or model({ inputs, outputs }))', target);
  // A disposed model fails here, before anything is read.
  const wanted = target.weightSpecs();
  const raw = await readModelFiles(source, opts);
  if (detectFormat(raw.json) !== 'layers') {
    throw new ModelFormatError(
      `loadWeights(${target.name}): ${raw.what} is a TF.js graph model, whose weights are folded and renamed by the converter; loadWeights needs a layers model (Keras weight names): convert with --output_format=tfjs_layers_model, or load this one with loadGraphModel`,
    );
  }
  const { floats, shapes } = floatWeights(decodeWeights(raw.groups, raw.weightData, raw.what));
  const weights = matchWeights(wanted, floats, shapes, `loadWeights(${target.name}): ${raw.what}`);
  opts.onProgress?.({ phase: 'build', loaded: 0, total: 1 });
  target.setWeights(weights);
  opts.onProgress?.({ phase: 'build', loaded: 1, total: 1 });
  return target;
}
