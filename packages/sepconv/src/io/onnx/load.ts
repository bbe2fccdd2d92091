// Loading an .onnx model: from a path (Node), a URL, bytes, or a map of files; external data
// files resolved next to the model only (no absolute paths, schemes or '..'); the sepconv model
// takes and returns NCHW as the exporter defined it (one transpose at each boundary), or NHWC
// directly with `{ layout: 'nhwc' }`.
import { ModelFormatError, SepconvError, ShapeError } from '../../errors.js';
import { Model, type PredictOptions } from '../../models/graph.js';
import { rawView, Tensor } from '../../tensor/tensor.js';
import { modelFromGraph } from '../build.js';
import { openModelFiles, type LoadOptions, type ModelFileMap } from '../sources.js';
import { convertOnnx } from './convert.js';
import { decodeModel, type ExternalReader } from './proto.js';

/** Where `loadOnnxModel` reads a model from: a path (Node) or URL of the .onnx, its bytes, or a map of file names to bytes (the .onnx and its external data). */
export type OnnxSource = string | URL | ArrayBuffer | ArrayBufferView | ModelFileMap;

/** Options of `loadOnnxModel`: those of `loadModel`, plus the layout the model takes and returns. */
export interface OnnxLoadOptions extends LoadOptions {
  /**
   * The layout `predict` takes and returns: 'nchw' (default; as the model was exported, with one
   * transpose at each boundary) or 'nhwc' (e.g. `fromPixels` output, no transpose). `inputShape`
   * is given in this layout too: [C, H, W] or [H, W, C].
   */
  layout?: 'nchw' | 'nhwc';
}

/**
 * A model imported from ONNX: `predict` takes and returns `layout` tensors. With 'nchw', a rank-4
 * output is a fresh tensor the caller owns (dispose it); [N, F] outputs are, as for every model, a view
 * of the arena valid until the next predict (`{ copy: true }` to own one). `summary()` / `profile()`
 * describe the NHWC graph that runs.
 */
export class OnnxModel extends Model {
  readonly layout: 'nchw' | 'nhwc';

  constructor(base: Model, layout: 'nchw' | 'nhwc') {
    super({ inputs: base.inputs[0]!, outputs: base.outputs.length === 1 ? base.outputs[0]! : [...base.outputs], name: base.name, outputNames: base.outputNames });
    this.layout = layout;
  }

  override predict(x: Tensor | Tensor[], options: PredictOptions = {}): Tensor | Tensor[] {
    if (this.layout === 'nhwc') return super.predict(x, options);
    const t = Array.isArray(x) && x.length === 1 ? x[0] : x;
    if (!(t instanceof Tensor)) throw new ShapeError(`${this.name}.predict()`, 'one NCHW tensor', Array.isArray(x) ? `${x.length} tensors` : String(x));
    if (t.shape.length !== 4) throw new ShapeError(`${this.name}.predict()`, 'an NCHW input [N, C, H, W]', `[${t.shape.join(', ')}]`);
    const nhwc = transpose4(t, [0, 2, 3, 1], `${this.name}.predict`);
    let got: Tensor | Tensor[];
    try {
      got = super.predict(nhwc, options);
    } finally {
      nhwc.dispose();
    }
    const back = (out: Tensor): Tensor => {
      if (out.shape.length !== 4) return out;
      const res = transpose4(out, [0, 3, 1, 2], `${this.name}.predict`);
      if (options.copy) out.dispose();
      return res;
    };
    // Several outputs come back in the graph's order (`outputNames`).
    return Array.isArray(got) ? got.map(back) : back(got);
  }
}

/** A rank-4 tensor with its axes permuted (out axis i = in axis perm[i]). */
function transpose4(t: Tensor, perm: number[], op: string): Tensor {
  const s = t.shape;
  const os = perm.map((p) => s[p]!);
  const out = Tensor.alloc(os, op);
  const src = rawView(t, op);
  const dst = rawView(out, op);
  const st = [s[1]! * s[2]! * s[3]!, s[2]! * s[3]!, s[3]!, 1];
  const [a, b, c, d] = perm.map((p) => st[p]!) as [number, number, number, number];
  let o = 0;
  for (let i = 0; i < os[0]!; i++) for (let j = 0; j < os[1]!; j++) for (let k = 0; k < os[2]!; k++) {
    const base = i * a + j * b + k * c;
    for (let l = 0; l < os[3]!; l++) dst[o++] = src[base + l * d]!;
  }
  return out;
}

/** True for sources `loadModel` should hand to the ONNX importer: a .onnx name, ONNX bytes, a file map with a .onnx file. */
export function isOnnxSource(source: unknown): boolean {
  if (typeof source === 'string' || source instanceof URL) return /\.onnx$/i.test(source.toString().replace(/[?#].*$/, ''));
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const b = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    // A protobuf ModelProto starts with a field tag (ir_version = field 1, varint: 0x08); JSON starts with '{'.
    let i = 0;
    while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
    return b[i] !== 0x7b;
  }
  if (source && typeof source === 'object' && !('load' in source) && !('modelJson' in source)) {
    const keys = source instanceof Map ? [...source.keys()] : Object.keys(source);
    return keys.some((k) => /\.onnx$/i.test(String(k))) && !keys.some((k) => /model\.json$/.test(String(k)));
  }
  return false;
}

/** An external-data location confined to the model's directory: relative, no '..', no scheme, no backslashes. */
export function safeLocation(location: string, what: string): string {
  const bad = (why: string): never => {
    throw new ModelFormatError(`${what}: external data location '${location}' ${why}; it must name a file beside the model`);
  };
  if (!location || location.includes('\0')) bad('is empty or has a NUL');
  if (/^[a-z][a-z0-9+.-]*:/i.test(location) || location.startsWith('/') || location.includes('\\')) bad('is absolute or has a scheme or a backslash');
  if (location.includes('%') || location.includes('?') || location.includes('#')) bad("has '%', '?' or '#'");
  const segs = location.split('/').filter((s) => s !== '' && s !== '.');
  if (segs.length === 0 || segs.some((s) => s === '..')) bad("leaves the model's directory");
  return segs.join('/');
}

function bytesOf(v: ArrayBuffer | ArrayBufferView | string, what: string): Uint8Array {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new ModelFormatError(`${what}: expected bytes (ArrayBuffer or Uint8Array), got ${typeof v}`);
}

/** Reads the .onnx bytes and makes the external-data reader for any source. */
async function readSource(source: OnnxSource, opts: OnnxLoadOptions): Promise<{ bytes: Uint8Array; readExternal?: ExternalReader; what: string }> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return { bytes: bytesOf(source, 'ONNX bytes'), what: 'ONNX bytes' };
  if (typeof source === 'string' || source instanceof URL || (source && typeof source === 'object')) {
    // The same confined readers as TF.js shards (io/sources.ts): locations resolve inside the model's
    // directory or URL prefix, through symlinks and redirects, unless the caller opts out.
    const { fetcher, entry, what } = openModelFiles(source as string | URL | ModelFileMap, opts, (keys) => keys.find((k) => /\.onnx$/i.test(k)), 'a .onnx file');
    const cache = new Map<string, Promise<Uint8Array>>();
    const readExternal: ExternalReader = (loc) => {
      const rel = opts.allowExternalShards ? loc : safeLocation(loc, what);
      if (!cache.has(rel)) cache.set(rel, fetcher.read(rel));
      return cache.get(rel)!;
    };
    return { bytes: await fetcher.read(entry), readExternal, what };
  }
  throw new ModelFormatError(`loadOnnxModel: unsupported source ${Object.prototype.toString.call(source)}`);
}

/**
 * Loads an ONNX model (opset 7+, float32; initializers inline or in external data files beside it)
 * from a path (Node), a URL, its bytes, or a map of file names to bytes. The result takes NCHW
 * input and returns NCHW / [N, F] output, as exported; `{ layout: 'nhwc' }` takes NHWC directly.
 * Unsupported ops are listed together in one ModelFormatError.
 */
export async function loadOnnxModel(source: OnnxSource, opts: OnnxLoadOptions = {}): Promise<OnnxModel> {
  const layout = opts.layout ?? 'nchw';
  if (layout !== 'nchw' && layout !== 'nhwc') throw new ModelFormatError(`loadOnnxModel: layout '${String(layout)}' is not 'nchw' or 'nhwc'`);
  opts.onProgress?.({ phase: 'model.json', loaded: 0, total: 1 });
  const { bytes, readExternal, what } = await readSource(source, opts);
  try {
    const proto = await decodeModel(bytes, what);
    opts.onProgress?.({ phase: 'model.json', loaded: 1, total: 1 });
    const s = opts.inputShape;
    const inputShape = s && layout === 'nhwc' ? (s.length === 3 ? [s[2]!, s[0]!, s[1]!] : [...s]) : s;
    const conv = await convertOnnx(proto, { inputShape, readExternal, what });
    opts.onProgress?.({ phase: 'weights', loaded: 1, total: 1 });
    opts.onProgress?.({ phase: 'build', loaded: 0, total: 1 });
    const base = modelFromGraph(conv.graph);
    base.setWeights(conv.weights);
    const m = new OnnxModel(base, layout);
    opts.onProgress?.({ phase: 'build', loaded: 1, total: 1 });
    return m;
  } catch (e) {
    // A malformed file must never surface as a TypeError / RangeError from deep inside the importer.
    if (e instanceof SepconvError) throw e;
    throw new ModelFormatError(`${what}: cannot import this ONNX model (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`);
  }
}
