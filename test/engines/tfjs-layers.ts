// @tensorflow/tfjs-layers as the independent reference engine for sepconv models (CPU backend).
// - `toTfjsLayers(model)`: an equivalent tfjs-layers model, layer by layer, with the same weights
//   (for parity tests and the benchmarks).
// - `tfjsFromKerasConfig(config)`: tfjs-layers' own deserialization of a Keras model_config (the
//   zoo's configs, as Keras/TF.js-exported model.json files are read), with Keras's
//   `Normalization` registered (tfjs-layers has none).
// - `seedWeights`, `saveArtifacts` (tf.io.withSaveHandler), `linearHead` for logit comparisons.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { rng } from './rng.js';

export { tf, tfl };

let ready: Promise<void> | undefined;

/** Selects the CPU backend once (quietly). */
export function initTfjsCpu(): Promise<void> {
  ready ??= (async () => {
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
    await tf.ready();
    registerNormalization();
  })();
  return ready;
}

/** Keras `Normalization` (inference): (x - mean) / max(sqrt(variance), 1e-7); weights mean, variance, count. */
class Normalization extends tfl.layers.Layer {
  static className = 'Normalization';
  axis: number;
  constructor(config: any = {}) {
    super(config);
    this.axis = Array.isArray(config.axis) ? config.axis[0] : (config.axis ?? -1);
  }
  override build(inputShape: any): void {
    const s = Array.isArray(inputShape[0]) ? inputShape[0] : inputShape;
    const c = s[s.length - 1];
    this.addWeight('mean', [c], 'float32', tfl.initializers.zeros(), undefined, false);
    this.addWeight('variance', [c], 'float32', tfl.initializers.ones(), undefined, false);
    this.addWeight('count', [], 'float32', tfl.initializers.zeros(), undefined, false);
    this.built = true;
  }
  override call(inputs: any): any {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [mean, variance] = this.weights.map((w) => w.read());
      return tf.div(tf.sub(x, mean!), tf.maximum(tf.sqrt(variance!), 1e-7));
    });
  }
  override getConfig(): any {
    return { ...super.getConfig(), axis: this.axis };
  }
}

let registered = false;
function registerNormalization(): void {
  if (registered) return;
  tf.serialization.registerClass(Normalization as any);
  registered = true;
}

/** tfjs-layers builds the network from a Keras model_config itself (weights initialized by tfjs). */
export async function tfjsFromKerasConfig(config: { class_name: string; config: unknown }): Promise<tfl.LayersModel> {
  // Leaves the backend as the caller set it (the benchmarks pick wasm); tests call initTfjsCpu() first.
  registerNormalization();
  await tf.ready();
  return (await tfl.models.modelFromJSON({ modelTopology: structuredClone(config) } as any)) as tfl.LayersModel;
}

/** A copy of a Keras config whose last layer's activation is linear (compare logits, not softmax). */
export function linearHead<T extends { config: any }>(config: T): T {
  const c = structuredClone(config);
  const last = c.config.layers[c.config.layers.length - 1];
  last.config.activation = 'linear';
  return c;
}


/** Random weights that keep activations O(1): kernels U(±sqrt(3/fan_in)), BN stats near identity. */
export function randomWeight(name: string, shape: number[], next: () => number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = (lo: number, hi: number) => {
    const out = new Float32Array(n);
    const half = (hi - lo) / 2;
    const mid = lo + half;
    for (let i = 0; i < n; i++) out[i] = mid + next() * half;
    return out;
  };
  const local = name.replace(/^.*\//, '');
  if (local === 'moving_variance' || local === 'variance') return u(0.5, 1.5);
  if (local === 'gamma') return u(0.5, 1.5);
  if (local === 'count') return u(0, 0);
  if (local === 'beta' || local === 'moving_mean' || local === 'mean' || local === 'bias') return u(-0.2, 0.2);
  let fanIn = shape.length === 2 ? shape[0]! : shape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (local === 'depthwise_kernel') fanIn = shape[0]! * shape[1]!;
  const a = Math.sqrt(3 / Math.max(fanIn, 1));
  return u(-a, a);
}

/** Sets every weight of a tfjs model to seeded random values; returns them by name. */
export function seedWeights(model: tfl.LayersModel, seed: number): Map<string, Float32Array> {
  const next = rng(seed);
  const out = new Map<string, Float32Array>();
  for (const layer of model.layers) {
    const ws = layer.weights;
    if (!ws.length) continue;
    const vals = ws.map((w) => {
      const v = randomWeight(w.originalName ?? w.name, w.shape as number[], next);
      out.set(w.originalName ?? w.name, v);
      return tf.tensor(v, w.shape as number[]);
    });
    layer.setWeights(vals);
    vals.forEach((t) => t.dispose());
  }
  return out;
}

export interface Artifacts {
  modelTopology: any;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: ArrayBuffer;
  format?: string;
}

/** Saves a tfjs model in the TF.js layers format (model.json topology + one float32 buffer). */
export async function saveArtifacts(model: tfl.LayersModel): Promise<Artifacts> {
  let saved: any;
  await model.save(
    tf.io.withSaveHandler(async (a: any) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } } as any;
    }),
  );
  const wd = saved.weightData;
  return { modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs, weightData: Array.isArray(wd) ? concat(wd) : wd, format: saved.format };
}

function concat(parts: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out.buffer;
}

/** Runs a tfjs model on NHWC float32 data; returns the flat output. */
export function tfjsPredict(model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] }, data: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => {
    const y = model.predict(tf.tensor(data, shape));
    return (Array.isArray(y) ? y[0]! : y).dataSync() as Float32Array;
  });
}

// ---------------------------------------------------------------------------------------------
// sepconv model -> tfjs-layers model

interface SepconvLayer {
  className: string;
  name: string;
  getConfig(): Record<string, any>;
  getWeights(): Float32Array[];
  weightSpecs(): { name: string; shape: number[] }[];
}
interface SepconvNode {
  layer: SepconvLayer;
  inputs: { node?: SepconvNode; shape: (number | null)[] }[];
  output: { shape: (number | null)[] };
}
interface SepconvModel {
  name: string;
  nodes: readonly SepconvNode[];
  inputs: { node?: SepconvNode; shape: (number | null)[] }[];
  outputs: { node?: SepconvNode }[];
}

/** The window options Conv2D, DepthwiseConv2D and SeparableConv2D share, from a sepconv layer config (Keras defaults). */
function windowOptions(c: any) {
  return {
    strides: c.strides ?? 1,
    padding: c.padding ?? 'valid',
    dilationRate: c.dilationRate ?? 1,
    activation: tfActivation(c.activation) as any,
    useBias: c.useBias ?? true,
  };
}

function tfActivation(a: unknown): string {
  if (a === undefined || a === null) return 'linear';
  if (a === 'silu') return 'swish';
  if (a === 'hardSwish' || a === 'hard_swish') throw new Error('tfjs-layers has no hard_swish activation');
  return String(a);
}

/**
 * An equivalent tfjs-layers model for a sepconv model (functional or sequential), built layer by
 * layer from each layer's config, with the sepconv model's current weights copied in.
 */
export async function toTfjsLayers(model: SepconvModel): Promise<tfl.LayersModel> {
  registerNormalization();
  await tf.ready();
  const syms = new Map<SepconvNode, tfl.SymbolicTensor>();
  // [tfjs layer, values in its weight order, shapes]
  const weightCopies: [tfl.layers.Layer, Float32Array[], number[][]][] = [];
  const byLocal = (l: SepconvLayer): Map<string, [Float32Array, number[]]> => {
    const vals = l.getWeights();
    return new Map(l.weightSpecs().map((w, i) => [w.name.slice(l.name.length + 1), [vals[i]!, w.shape]]));
  };
  const copy = (tl: tfl.layers.Layer, m: Map<string, [Float32Array, number[]]>, names: string[]) =>
    weightCopies.push([tl, names.map((n) => m.get(n)![0]), names.map((n) => m.get(n)![1])]);
  const explicitPads = (p: unknown): [[number, number], [number, number]] | undefined => {
    if (typeof p === 'number') return [[p, p], [p, p]];
    if (Array.isArray(p) && p.length === 2) return [[p[0], p[0]], [p[1], p[1]]];
    if (Array.isArray(p) && p.length === 4) return [[p[0], p[1]], [p[2], p[3]]];
    return undefined;
  };
  let tfInput: tfl.SymbolicTensor | undefined;
  for (const n of model.nodes) {
    const l = n.layer;
    const c = l.getConfig();
    if (l.className === 'InputLayer') {
      tfInput = tfl.input({ shape: n.output.shape as number[], name: l.name });
      syms.set(n, tfInput);
      continue;
    }
    let ins = n.inputs.map((t) => syms.get(t.node!)!);
    const name = l.name;
    // Explicit conv pads [top, bottom, left, right] become a ZeroPadding2D before a 'valid' conv.
    if (Array.isArray(c.padding) && c.padding.length === 4 && /Conv2D$/.test(l.className)) {
      const [t, b, le, r] = c.padding as number[];
      ins = [tfl.layers.zeroPadding2d({ name: `${name}_pad`, padding: [[t!, b!], [le!, r!]] }).apply(ins[0]!) as tfl.SymbolicTensor];
      c.padding = 'valid';
    }
    let layer: tfl.layers.Layer;
    let post: tfl.layers.Layer | undefined;
    switch (l.className) {
      case 'Conv2D':
      case 'PointwiseConv2D':
        layer = tfl.layers.conv2d({
          name,
          filters: c.filters,
          kernelSize: c.kernelSize ?? 1,
          ...windowOptions(c),
        });
        if ((c.groups ?? 1) !== 1) throw new Error(`${name}: tfjs-layers has no grouped Conv2D`);
        break;
      case 'DepthwiseConv2D':
        layer = tfl.layers.depthwiseConv2d({
          name,
          kernelSize: c.kernelSize,
          depthMultiplier: c.depthMultiplier ?? 1,
          ...windowOptions(c),
        });
        break;
      case 'SeparableConv2D':
        layer = tfl.layers.separableConv2d({
          name,
          filters: c.filters,
          kernelSize: c.kernelSize,
          depthMultiplier: c.depthMultiplier ?? 1,
          ...windowOptions(c),
        });
        break;
      case 'BatchNormalization':
        layer = tfl.layers.batchNormalization({ name, axis: -1, epsilon: c.epsilon, momentum: c.momentum, center: c.center, scale: c.scale });
        break;
      case 'ReLU':
        layer = tfl.layers.reLU({ name, maxValue: c.maxValue ?? undefined });
        break;
      case 'Activation':
        layer = tfl.layers.activation({ name, activation: tfActivation(c.activation) as any });
        break;
      case 'ZeroPadding2D':
        layer = tfl.layers.zeroPadding2d({ name, padding: c.padding });
        break;
      case 'Add':
        layer = tfl.layers.add({ name });
        break;
      case 'Multiply':
        layer = tfl.layers.multiply({ name });
        break;
      case 'GlobalAveragePooling2D':
        layer = tfl.layers.globalAveragePooling2d({ name });
        if (c.keepDims) post = tfl.layers.reshape({ name: `${name}_keepdims`, targetShape: n.output.shape as number[] });
        break;
      case 'AveragePooling2D':
        layer = tfl.layers.averagePooling2d({ name, poolSize: c.poolSize, strides: c.strides, padding: c.padding });
        break;
      case 'MaxPooling2D':
        layer = tfl.layers.maxPooling2d({ name, poolSize: c.poolSize, strides: c.strides, padding: c.padding });
        break;
      case 'Dense':
        layer = tfl.layers.dense({ name, units: c.units, activation: tfActivation(c.activation) as any, useBias: c.useBias ?? true });
        break;
      case 'Dropout':
        layer = tfl.layers.dropout({ name, rate: c.rate ?? 0 });
        break;
      case 'Flatten':
        layer = tfl.layers.flatten({ name });
        break;
      case 'Reshape':
        layer = tfl.layers.reshape({ name, targetShape: c.targetShape });
        break;
      case 'Rescaling':
        layer = (tfl.layers as any).rescaling({ name, scale: c.scale, offset: c.offset ?? 0 });
        break;
      case 'Normalization':
        layer = new Normalization({ name, axis: -1 });
        break;
      case 'SqueezeExcite': {
        // GAP -> [1,1,C] -> 1x1 conv (reduce, activation) -> 1x1 conv (expand, gate) -> x * gate.
        const w = byLocal(l);
        const ch = n.output.shape[2] as number;
        const r = w.get('reduce/kernel')![1][3]!;
        const reduce = tfl.layers.conv2d({ name: `${name}_reduce`, filters: r, kernelSize: 1, activation: tfActivation(c.activation) as any });
        const expand = tfl.layers.conv2d({ name: `${name}_expand`, filters: ch, kernelSize: 1, activation: tfActivation(c.gateActivation) as any });
        let g = tfl.layers.globalAveragePooling2d({ name: `${name}_squeeze` }).apply(ins[0]!) as tfl.SymbolicTensor;
        g = tfl.layers.reshape({ name: `${name}_reshape`, targetShape: [1, 1, ch] }).apply(g) as tfl.SymbolicTensor;
        g = expand.apply(reduce.apply(g)) as tfl.SymbolicTensor;
        copy(reduce, w, ['reduce/kernel', 'reduce/bias']);
        copy(expand, w, ['expand/kernel', 'expand/bias']);
        ins = [ins[0]!, g];
        layer = tfl.layers.multiply({ name });
        break;
      }
      case 'DepthwiseSeparableConv': {
        // The seed's block: depthwise -> BN -> act -> 1x1 -> BN -> act (no conv biases).
        const w = byLocal(l);
        let x = ins[0]!;
        let padding = c.padding;
        const pads = explicitPads(padding);
        if (pads) {
          x = tfl.layers.zeroPadding2d({ name: `${name}_pad`, padding: pads }).apply(x) as tfl.SymbolicTensor;
          padding = 'valid';
        }
        const act = tfActivation(c.activation);
        const dw = tfl.layers.depthwiseConv2d({ name: `${name}_dw`, kernelSize: c.kernelSize, strides: c.strides, padding, useBias: false });
        const bn1 = tfl.layers.batchNormalization({ name: `${name}_bn1`, epsilon: c.epsilon });
        const pw = tfl.layers.conv2d({ name: `${name}_pw`, filters: c.filters, kernelSize: 1, useBias: false });
        const bn2 = tfl.layers.batchNormalization({ name: `${name}_bn2`, epsilon: c.epsilon });
        x = tfl.layers.activation({ name: `${name}_act1`, activation: act as any }).apply(bn1.apply(dw.apply(x))) as tfl.SymbolicTensor;
        x = bn2.apply(pw.apply(x)) as tfl.SymbolicTensor;
        copy(dw, w, ['depthwise_kernel']);
        copy(bn1, w, ['bn1/gamma', 'bn1/beta', 'bn1/moving_mean', 'bn1/moving_variance']);
        copy(pw, w, ['pointwise_kernel']);
        copy(bn2, w, ['bn2/gamma', 'bn2/beta', 'bn2/moving_mean', 'bn2/moving_variance']);
        ins = [x];
        layer = tfl.layers.activation({ name: `${name}_act2`, activation: act as any });
        break;
      }
      default:
        throw new Error(`toTfjsLayers: no tfjs-layers equivalent for ${l.className} (${name})`);
    }
    let out = layer.apply(ins.length === 1 ? ins[0]! : ins) as tfl.SymbolicTensor;
    if (post) out = post.apply(out) as tfl.SymbolicTensor;
    syms.set(n, out);
    if (l.weightSpecs().length && l.className !== 'SqueezeExcite' && l.className !== 'DepthwiseSeparableConv') {
      copy(layer, byLocal(l), l.weightSpecs().map((w) => w.name.slice(l.name.length + 1)));
    }
  }
  const output = syms.get(model.outputs[0]!.node!)!;
  const m = tfl.model({ inputs: tfInput!, outputs: output, name: model.name });
  for (const [tl, vals, shapes] of weightCopies) {
    const ts = vals.map((v, i) => tf.tensor(v, shapes[i]!));
    tl.setWeights(ts);
    ts.forEach((t) => t.dispose());
  }
  return m;
}
