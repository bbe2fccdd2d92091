// ONNX protobuf reading: the `onnx-proto` package (protobufjs with the official onnx.proto),
// imported on first use only so that apps which never load ONNX do not bundle it. Tensors
// (initializers, Constant values) are decoded to float64 values with every dimension and
// element count checked against the shared size limits; external data is read through a
// caller-given resolver that stays inside the model's directory / URL prefix.
import { ModelFormatError } from '../../errors.js';
import { halfToFloat } from '../weights.js';

/** The shared size limits: every dim <= MAX_DIM, every element count <= MAX_ELEMENTS. */
export { MAX_DIM, MAX_ELEMENTS } from '../../tensor/limits.js';
import { MAX_DIM, MAX_ELEMENTS } from '../../tensor/limits.js';

let onnxNs: Promise<any> | undefined;

/** The `onnx` namespace of onnx-proto, loaded once. */
export function onnxProto(): Promise<any> {
  onnxNs ??= (async () => {
    let mod: any;
    try {
      mod = await import('onnx-proto');
    } catch (e) {
      onnxNs = undefined;
      throw new ModelFormatError(`ONNX: cannot load the 'onnx-proto' package (${(e as Error).message})`);
    }
    const ns = mod.onnx ?? mod.default?.onnx;
    if (!ns?.ModelProto) throw new ModelFormatError("ONNX: the 'onnx-proto' package has no onnx.ModelProto");
    return ns;
  })();
  return onnxNs;
}

/** An int64 from protobufjs (number, Long, bigint or string) as a safe JS integer. */
export function int(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v !== null && typeof v === 'object' && 'low' in (v as object) ? Number(String(v)) : Number(v);
  if (!Number.isSafeInteger(n)) throw new ModelFormatError(`${what}: ${String(v)} is not a safe integer`);
  return n;
}

/** Decodes a ModelProto; malformed bytes are a ModelFormatError naming the source. */
export async function decodeModel(bytes: Uint8Array, what: string): Promise<any> {
  const onnx = await onnxProto();
  let m: any;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelFormatError(`${what}: not a valid ONNX protobuf (${(e as Error).message})`);
  }
  if (!m.graph) throw new ModelFormatError(`${what}: the ONNX model has no graph`);
  return m;
}

/** Checks dims against the limits and returns the element count. */
export function checkDims(dims: readonly number[], what: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0 || d > MAX_DIM) throw new ModelFormatError(`${what}: dimension ${d} in ${JSON.stringify(dims)} is not an integer in [0, ${MAX_DIM}]`);
    n *= d;
    if (n > MAX_ELEMENTS) throw new ModelFormatError(`${what}: shape ${JSON.stringify(dims)} has more than ${MAX_ELEMENTS} elements`);
  }
  return n;
}

/** A decoded tensor: values in float64 (ints are exact up to 2^53), shape, ONNX data type. */
export interface OnnxTensor {
  shape: number[];
  values: Float64Array;
  dataType: number;
}

/** Reads `location` (an external-data file name) next to the model; must confine itself to the model's directory. */
export type ExternalReader = (location: string) => Promise<Uint8Array>;

// TensorProto.DataType: element byte size in raw_data.
const RAW_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8 };
const TYPE_NAME: Record<number, string> = { 1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64' };

function fromRaw(raw: Uint8Array, type: number, n: number, what: string): Float64Array {
  const size = RAW_BYTES[type]!;
  if (raw.byteLength !== n * size) throw new ModelFormatError(`${what}: ${raw.byteLength} bytes of ${TYPE_NAME[type]} data for ${n} elements (expected ${n * size})`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (type) {
      case 1: out[i] = dv.getFloat32(o, true); break;
      case 2: case 9: out[i] = dv.getUint8(o); break;
      case 3: out[i] = dv.getInt8(o); break;
      case 4: out[i] = dv.getUint16(o, true); break;
      case 5: out[i] = dv.getInt16(o, true); break;
      case 6: out[i] = dv.getInt32(o, true); break;
      case 7: out[i] = Number(dv.getBigInt64(o, true)); break;
      case 10: out[i] = halfToFloat(dv.getUint16(o, true)); break;
      case 11: out[i] = dv.getFloat64(o, true); break;
      case 12: out[i] = dv.getUint32(o, true); break;
      case 13: out[i] = Number(dv.getBigUint64(o, true)); break;
    }
  }
  return out;
}

/** Decodes a TensorProto (inline or external data). */
export async function decodeTensor(t: any, what: string, readExternal?: ExternalReader): Promise<OnnxTensor> {
  const type = t.dataType ?? 0;
  if (!(type in RAW_BYTES)) throw new ModelFormatError(`${what}: tensor data type ${type} is not supported (float, float16, double, int8/16/32/64, uint8/16/32/64, bool are)`);
  const shape = (t.dims ?? []).map((d: unknown) => int(d, `${what}: dims`));
  const n = checkDims(shape, what);
  if (t.segment) throw new ModelFormatError(`${what}: segmented tensors are not supported`);
  let values: Float64Array;
  if (t.dataLocation === 1) {
    const kv = new Map<string, string>((t.externalData ?? []).map((e: any) => [String(e.key), String(e.value)]));
    const location = kv.get('location');
    if (!location) throw new ModelFormatError(`${what}: external data without a location`);
    if (!readExternal) throw new ModelFormatError(`${what}: external data '${location}' cannot be read from this source (load the .onnx by path or URL, or pass a map of files)`);
    const offset = kv.has('offset') ? Number(kv.get('offset')) : 0;
    const bytes = n * RAW_BYTES[type]!;
    const length = kv.has('length') ? Number(kv.get('length')) : undefined;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ModelFormatError(`${what}: external data offset '${kv.get('offset')}' is not a non-negative integer`);
    if (length !== undefined && (!Number.isSafeInteger(length) || length !== bytes)) throw new ModelFormatError(`${what}: external data length '${kv.get('length')}' does not match ${JSON.stringify(shape)} ${TYPE_NAME[type]} (${bytes} bytes)`);
    const file = await readExternal(location);
    if (offset + bytes > file.byteLength) throw new ModelFormatError(`${what}: external data '${location}' has ${file.byteLength} bytes, the tensor needs bytes ${offset}..${offset + bytes}`);
    values = fromRaw(file.subarray(offset, offset + bytes), type, n, what);
  } else if (t.rawData && t.rawData.length) {
    values = fromRaw(t.rawData, type, n, what);
  } else {
    const field =
      type === 1 ? t.floatData : type === 11 ? t.doubleData : type === 7 ? t.int64Data : type === 12 || type === 13 ? t.uint64Data : t.int32Data;
    const arr: unknown[] = field ?? [];
    if (arr.length !== n) throw new ModelFormatError(`${what}: ${arr.length} values for shape ${JSON.stringify(shape)} (${n} elements)`);
    values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = arr[i];
      values[i] = type === 10 ? halfToFloat(Number(v)) : typeof v === 'number' ? v : int(v, what);
    }
  }
  return { shape, values, dataType: type };
}
