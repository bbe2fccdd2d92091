// ONNX Runtime (onnxruntime-node) as a reference engine: a few protobuf helpers for hand-built graphs and
// NHWC <-> NCHW conversion.
import { createRequire } from 'node:module';

const require_ = createRequire(import.meta.url);
export const { onnx } = require_('onnx-proto');
export const ort = require_('onnxruntime-node');

export const valueInfo = (name: string, dims: number[]) =>
  onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
export const attrInts = (name: string, v: number[]) => onnx.AttributeProto.create({ name, ints: v, type: 7 });
export const attrInt = (name: string, v: number) => onnx.AttributeProto.create({ name, i: v, type: 2 });
export const initializer = (name: string, data: Float32Array | BigInt64Array, dims: number[]) =>
  onnx.TensorProto.create({ name, dataType: data instanceof Float32Array ? 1 : 7, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() });

/** The bytes of a model of `nodes` at `opset` (DeformConv needs 19). */
export function onnxModel(nodes: unknown[], inputs: unknown[], outputs: unknown[], initializers: unknown[] = [], opset = 19): Uint8Array {
  const graph = onnx.GraphProto.create({ name: 'test', node: nodes, initializer: initializers, input: inputs, output: outputs });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: opset }], graph })).finish();
}

/** NHWC [N, H, W, C] -> NCHW. */
export function toNchw(x: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n!; b++) for (let y = 0; y < h!; y++) for (let xx = 0; xx < w!; xx++) for (let ch = 0; ch < c!; ch++) out[((b * c! + ch) * h! + y) * w! + xx] = x[((b * h! + y) * w! + xx) * c! + ch]!;
  return out;
}

/** NCHW [N, C, H, W] -> NHWC. */
export function toNhwc(x: Float32Array, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n!; b++) for (let ch = 0; ch < c!; ch++) for (let y = 0; y < h!; y++) for (let xx = 0; xx < w!; xx++) out[((b * h! + y) * w! + xx) * c! + ch] = x[((b * c! + ch) * h! + y) * w! + xx]!;
  return out;
}

/** TF filter [KH, KW, Cin, Cout] -> ONNX [Cout, Cin, KH, KW]. */
export function toOihw(f: Float32Array, [kh, kw, ci, co]: number[]): Float32Array {
  const out = new Float32Array(f.length);
  for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++) for (let i = 0; i < ci!; i++) for (let o = 0; o < co!; o++) out[((o * ci! + i) * kh! + y) * kw! + x] = f[((y * kw! + x) * ci! + i) * co! + o]!;
  return out;
}

/** TF depthwise filter [KH, KW, C, M] -> ONNX [C*M, 1, KH, KW] (output channel c*M + m). */
export function depthwiseToOihw(f: Float32Array, [kh, kw, c, m]: number[]): Float32Array {
  const taps = kh! * kw!;
  const oc = c! * m!;
  const out = new Float32Array(f.length);
  for (let t = 0; t < taps; t++) for (let o = 0; o < oc; o++) out[o * taps + t] = f[t * oc + o]!;
  return out;
}
