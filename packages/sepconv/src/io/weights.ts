// TF.js weight manifests and shards: float32, int32, and quantized uint8 / uint16 / float16
// shards, dequantized on load (v = q * scale + min; float16 widened exactly).
import { formatJson, ModelFormatError, quote } from '../errors.js';
import { elementCount, isDim } from '../tensor/limits.js';

/** One entry of a model.json `weightsManifest`: a weight's name, shape, dtype and optional quantization. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

/** One group of a model.json `weightsManifest`: the shard files (`paths`) and the weights they hold, in order. */
export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

/** Decoded weights: float32 values (int32 constants as Int32Array), by manifest name. */
export type NamedWeights = Map<string, { shape: number[]; values: Float32Array | Int32Array }>;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Bytes per value of each stored dtype (own keys only: `toString` or `__proto__` is no dtype). */
const BYTES = new Map<string, number>([
  ['float32', 4],
  ['int32', 4],
  ['uint8', 1],
  ['uint16', 2],
  ['float16', 2],
  ['bool', 1],
]);
const DTYPES = new Set(['float32', 'int32', 'bool']);
const QUANT = new Set(['uint8', 'uint16', 'float16']);

/**
 * Checks a manifest: groups of `{ paths, weights }`, shard paths strings, each weight a name, a
 * shape of dimensions within MAX_DIM and at most MAX_ELEMENTS values, a dtype (float32, int32,
 * bool), and a quantization (uint8 / uint16 with finite scale and min, or float16) only on float32
 * or int32 weights. Every violation is a ModelFormatError naming the weight.
 */
export function validateManifest(manifest: unknown, what: string): WeightGroup[] {
  if (!Array.isArray(manifest)) throw new ModelFormatError(`${what}: weightsManifest must be an array of { paths, weights }`);
  manifest.forEach((g: any, gi: number) => {
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw new ModelFormatError(`${what}: weightsManifest[${gi}] must have 'paths' and 'weights' arrays`);
    }
    g.paths.forEach((p: unknown, pi: number) => {
      if (typeof p !== 'string' || p === '') throw new ModelFormatError(`${what}: weightsManifest[${gi}].paths[${pi}] must be a file name, got ${formatJson(p)}`);
    });
    g.weights.forEach((w: any, wi: number) => {
      if (!w || typeof w.name !== 'string' || !Array.isArray(w.shape) || w.shape.length > 64 || !w.shape.every((d: unknown) => isDim(d))) {
        throw new ModelFormatError(`${what}: weightsManifest[${gi}].weights[${wi}] needs a name and a shape of at most 64 integers from 0 to 2**31 - 1, got ${formatJson(w)}`);
      }
      const name = quote(w.name);
      if (elementCount(w.shape) === Infinity) throw new ModelFormatError(`${what}: weight ${name} of shape ${formatJson(w.shape)} has more than 2**30 - 1 values`);
      if (typeof w.dtype !== 'string' || !DTYPES.has(w.dtype)) {
        throw new ModelFormatError(`${what}: weight ${name} has dtype ${quote(w.dtype)} (supported: float32, int32, bool, and uint8/uint16/float16 quantization)`);
      }
      const q = w.quantization;
      if (q === undefined || q === null) return;
      if (typeof q !== 'object' || typeof q.dtype !== 'string' || !QUANT.has(q.dtype)) {
        throw new ModelFormatError(`${what}: weight ${name} has quantization dtype ${quote(q?.dtype)} (supported: uint8, uint16, float16)`);
      }
      if (w.dtype === 'bool' || (q.original_dtype !== undefined && q.original_dtype !== w.dtype)) {
        throw new ModelFormatError(`${what}: weight ${name}: a ${q.dtype} quantization of a ${formatJson(q.original_dtype ?? w.dtype)} weight of dtype ${w.dtype} is not supported`);
      }
      if (q.dtype !== 'float16' && !(typeof q.scale === 'number' && Number.isFinite(q.scale) && typeof q.min === 'number' && Number.isFinite(q.min))) {
        throw new ModelFormatError(`${what}: weight ${name}: ${q.dtype} quantization needs a finite scale and min, got ${formatJson(q)}`);
      }
    });
  });
  return manifest as WeightGroup[];
}

/** IEEE half to float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Bytes a weight occupies in its shard. */
export function weightByteLength(w: WeightEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  return n * BYTES.get(w.quantization?.dtype ?? w.dtype)!;
}

/**
 * Decodes every weight of the manifest from the concatenation of all groups' shards (in manifest
 * order, as TF.js lays them out). Checks the total size against the manifest.
 */
export function decodeWeights(groups: WeightGroup[], data: Uint8Array, what = 'model'): NamedWeights {
  validateManifest(groups, what);
  const out: NamedWeights = new Map();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  const expected = groups.reduce((a, g) => a + g.weights.reduce((b, w) => b + weightByteLength(w), 0), 0);
  if (expected !== data.byteLength) {
    throw new ModelFormatError(`${what}: the weight shards hold ${data.byteLength} bytes, the manifest describes ${expected}`);
  }
  for (const g of groups) {
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const isInt = (q?.original_dtype ?? w.dtype) === 'int32';
      const vals = isInt ? new Int32Array(n) : new Float32Array(n);
      if (q) {
        if (q.dtype === 'float16') {
          for (let i = 0; i < n; i++) vals[i] = halfToFloat(view.getUint16(off + 2 * i, true));
        } else {
          // validateManifest checked both are finite numbers.
          const scale = q.scale!;
          const min = q.min!;
          if (q.dtype === 'uint8') for (let i = 0; i < n; i++) vals[i] = data[off + i]! * scale + min;
          else for (let i = 0; i < n; i++) vals[i] = view.getUint16(off + 2 * i, true) * scale + min;
          if (isInt) for (let i = 0; i < n; i++) vals[i] = Math.round(vals[i]!);
        }
      } else if (w.dtype === 'float32') {
        // Little-endian hosts (all JS runtimes in practice) copy the bytes straight in.
        if (LITTLE_ENDIAN) new Uint8Array(vals.buffer).set(data.subarray(off, off + 4 * n));
        else for (let i = 0; i < n; i++) vals[i] = view.getFloat32(off + 4 * i, true);
      } else if (w.dtype === 'int32') {
        for (let i = 0; i < n; i++) vals[i] = view.getInt32(off + 4 * i, true);
      } else if (w.dtype === 'bool') {
        for (let i = 0; i < n; i++) vals[i] = data[off + i]!;
      }
      off += weightByteLength(w);
      if (out.has(w.name)) throw new ModelFormatError(`${what}: the manifest lists weight '${w.name}' twice`);
      out.set(w.name, { shape: w.shape, values: vals });
    }
  }
  return out;
}

/** Encodes float32 weights as a manifest + one buffer (float32, or uint8/float16 quantized), for tests and tools. */
export function encodeWeights(
  weights: { name: string; shape: number[]; values: Float32Array }[],
  quantize?: 'uint8' | 'uint16' | 'float16',
): { manifest: WeightEntry[]; data: Uint8Array } {
  const manifest: WeightEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const w of weights) {
    const n = w.values.length;
    if (!quantize) {
      parts.push(new Uint8Array(new Float32Array(w.values).buffer));
      manifest.push({ name: w.name, shape: w.shape, dtype: 'float32' });
    } else if (quantize === 'float16') {
      const buf = new Uint8Array(2 * n);
      const dv = new DataView(buf.buffer);
      for (let i = 0; i < n; i++) dv.setUint16(2 * i, floatToHalf(w.values[i]!), true);
      parts.push(buf);
      manifest.push({ name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: 'float16' } });
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const v of w.values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      if (n === 0) min = max = 0;
      const levels = quantize === 'uint8' ? 255 : 65535;
      const scale = max > min ? (max - min) / levels : 1;
      const buf = new Uint8Array(n * (quantize === 'uint8' ? 1 : 2));
      const dv = new DataView(buf.buffer);
      for (let i = 0; i < n; i++) {
        const q = Math.round((w.values[i]! - min) / scale);
        if (quantize === 'uint8') buf[i] = q;
        else dv.setUint16(2 * i, q, true);
      }
      parts.push(buf);
      manifest.push({ name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: quantize, scale, min } });
    }
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { manifest, data };
}

/** Float to IEEE half, round to nearest even. */
export function floatToHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  let e = ((x >>> 23) & 0xff) - 127 + 15;
  let m = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    m |= 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}
