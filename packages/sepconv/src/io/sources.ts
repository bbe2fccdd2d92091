// Where a TF.js model comes from: a URL, a file path (Node), an in-memory map of files, or a
// TF.js-style IOHandler (`{ load(): Promise<ModelArtifacts> }`). Everything arrives as the
// model.json object plus the concatenated weight bytes, with progress reported along the way.
import { ModelFormatError } from '../errors.js';
import { decodeBase64, extractWrappedModule, isWrappedModule } from './wrapper.js';
import { validateManifest, type WeightEntry, type WeightGroup } from './weights.js';

/** Progress of `loadModel`: the phase (`model.json`, `weights`, `build`) and how much of it is done. */
export interface LoadProgress {
  phase: 'model.json' | 'weights' | 'build';
  loaded: number;
  total: number;
}

/** TF.js ModelArtifacts (what an IOHandler's `load()` returns). */
export interface ModelArtifacts {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightSpecs?: WeightEntry[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  signature?: unknown;
  userDefinedMetadata?: unknown;
}

/** A TF.js-style IOHandler: anything with a `load()` that resolves to `ModelArtifacts` (e.g. `tf.io.fromMemory(...)`). */
export interface ModelHandler {
  load(): Promise<ModelArtifacts>;
}

/** Files by name: the model.json (or a wrapped model.min.js) and its shards as named in the manifest. */
export type ModelFileMap = Record<string, ArrayBuffer | ArrayBufferView | string> | Map<string, ArrayBuffer | ArrayBufferView | string>;

/** Where `loadModel` / `readModelFiles` read a model from: a URL or file path of model.json (or a wrapped model.min.js), a TF.js IOHandler, a map of file names to contents, or `{ modelJson, weights }`. */
export type ModelSource = string | URL | ModelHandler | ModelFileMap | { modelJson: unknown; weights: ArrayBuffer | ArrayBufferView | ModelFileMap };

/** Options of `loadModel` and `readModelFiles`. */
export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Replaces global fetch for URLs (a TF.js `fetchFunc`). */
  fetch?: (url: string) => Promise<Response>;
  /** Per-sample input shape [H, W, C] when the model's input has unknown sizes. */
  inputShape?: readonly number[];
}

export interface RawModel {
  /** The model.json object (modelTopology, weightsManifest, format, ...). */
  json: any;
  /** All shards concatenated in manifest order. */
  weightData: Uint8Array;
  groups: WeightGroup[];
  /** Where it came from, for messages. */
  what: string;
}

function bytesOf(v: ArrayBuffer | ArrayBufferView | string, what: string): Uint8Array {
  if (typeof v === 'string') {
    if (isWrappedModule(v)) {
      const b64 = extractWrappedModule(v, what);
      if (typeof b64 !== 'string') throw new ModelFormatError(`${what}: the wrapped shard does not export a base64 string`);
      return decodeBase64(b64);
    }
    return new TextEncoder().encode(v);
  }
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new ModelFormatError(`${what}: expected bytes (ArrayBuffer, Uint8Array or string), got ${Object.prototype.toString.call(v)}`);
}

/** Parses model.json text, or a wrapped `model.min.js`. */
export function parseModelJson(text: string, what: string): any {
  let json: unknown;
  if (isWrappedModule(text)) json = extractWrappedModule(text, what);
  else {
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ModelFormatError(`${what}: not valid JSON (${(e as Error).message})`);
    }
  }
  checkModelJson(json, what);
  return json;
}

function checkModelJson(json: any, what: string): void {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ModelFormatError(`${what}: model.json must be an object`);
  if (!json.modelTopology || typeof json.modelTopology !== 'object') throw new ModelFormatError(`${what}: model.json has no modelTopology`);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const isNode = (): boolean => typeof process !== 'undefined' && !!(process as any).versions?.node;

async function nodeFs(): Promise<typeof import('node:fs/promises')> {
  const spec = 'node:fs/promises';
  return import(/* @vite-ignore */ spec);
}

interface Fetcher {
  /** Reads `rel` next to the model file. */
  read(rel: string): Promise<Uint8Array>;
  readText(rel: string): Promise<string>;
}

function urlFetcher(base: string, opts: LoadOptions): Fetcher {
  const f = opts.fetch ?? (typeof fetch === 'function' ? fetch : undefined);
  if (!f) throw new ModelFormatError(`loading ${base}: no fetch() in this runtime; pass options.fetch`);
  const get = async (rel: string): Promise<Response> => {
    const url = new URL(rel, base).toString();
    let res: Response;
    try {
      res = await f(url);
    } catch (e) {
      throw new ModelFormatError(`fetching ${url} failed: ${(e as Error).message}`);
    }
    if (!res.ok) throw new ModelFormatError(`fetching ${url}: HTTP ${res.status}`);
    return res;
  };
  return {
    read: async (rel) => new Uint8Array(await (await get(rel)).arrayBuffer()),
    readText: async (rel) => (await get(rel)).text(),
  };
}

function fileFetcher(path: string): Fetcher {
  const dir = path.replace(/[^/\\]*$/, '');
  const resolve = (rel: string) => (rel === path || /^([/\\]|[A-Za-z]:)/.test(rel) ? rel : dir + rel);
  const read = async (rel: string): Promise<Uint8Array> => {
    const fs = await nodeFs();
    try {
      return new Uint8Array(await fs.readFile(resolve(rel)));
    } catch (e) {
      throw new ModelFormatError(`reading ${resolve(rel)}: ${(e as Error).message}`);
    }
  };
  return { read, readText: async (rel) => new TextDecoder().decode(await read(rel)) };
}

function mapFetcher(map: ModelFileMap): Fetcher {
  const get = (rel: string) => {
    const m = map instanceof Map ? map : new Map(Object.entries(map));
    const base = rel.replace(/^.*[/\\]/, '');
    const v = m.get(rel) ?? m.get(base) ?? m.get(`./${rel}`);
    if (v === undefined) throw new ModelFormatError(`model files: no file '${rel}' in the given map (it has ${[...m.keys()].join(', ')})`);
    return v;
  };
  return {
    read: async (rel) => bytesOf(get(rel), rel),
    readText: async (rel) => {
      const v = get(rel);
      return typeof v === 'string' ? v : new TextDecoder().decode(bytesOf(v, rel));
    },
  };
}

async function readShards(json: any, fetcher: Fetcher, wrapped: boolean, what: string, opts: LoadOptions): Promise<{ groups: WeightGroup[]; data: Uint8Array }> {
  const groups = validateManifest(json.weightsManifest ?? [], what);
  const paths = groups.flatMap((g) => g.paths);
  const parts: Uint8Array[] = [];
  opts.onProgress?.({ phase: 'weights', loaded: 0, total: paths.length });
  for (const [i, p] of paths.entries()) {
    let bytes: Uint8Array;
    if (wrapped) {
      // nsfwjs ships `group1-shard1of1.min.js` for the manifest's `group1-shard1of1`.
      let text: string;
      try {
        text = await fetcher.readText(`${p}.min.js`);
      } catch {
        text = await fetcher.readText(p);
      }
      bytes = bytesOf(text, p);
    } else bytes = await fetcher.read(p);
    parts.push(bytes);
    opts.onProgress?.({ phase: 'weights', loaded: i + 1, total: paths.length });
  }
  return { groups, data: concat(parts) };
}

function isHandler(s: unknown): s is ModelHandler {
  return !!s && typeof s === 'object' && typeof (s as any).load === 'function';
}

/** Reads model.json and every shard from any supported source. */
export async function readModelFiles(source: ModelSource, opts: LoadOptions = {}): Promise<RawModel> {
  if (source === null || source === undefined) throw new ModelFormatError('loadModel: no model source given');
  opts.onProgress?.({ phase: 'model.json', loaded: 0, total: 1 });
  if (isHandler(source)) {
    const a = await source.load();
    if (!a || typeof a !== 'object') throw new ModelFormatError('model handler: load() returned no artifacts');
    const json = { ...a, weightsManifest: [{ paths: [], weights: a.weightSpecs ?? [] }] };
    checkModelJson(json, 'model handler');
    opts.onProgress?.({ phase: 'model.json', loaded: 1, total: 1 });
    const wd = a.weightData;
    const data = wd === undefined ? new Uint8Array(0) : Array.isArray(wd) ? concat(wd.map((b) => new Uint8Array(b))) : new Uint8Array(wd);
    const groups = validateManifest(json.weightsManifest, 'model handler');
    opts.onProgress?.({ phase: 'weights', loaded: 1, total: 1 });
    return { json, weightData: data, groups, what: 'model handler' };
  }
  if (typeof source === 'object' && !(source instanceof URL) && 'modelJson' in (source as object)) {
    const s = source as { modelJson: unknown; weights: ArrayBuffer | ArrayBufferView | ModelFileMap };
    const json = typeof s.modelJson === 'string' ? parseModelJson(s.modelJson, 'modelJson') : s.modelJson;
    checkModelJson(json, 'modelJson');
    opts.onProgress?.({ phase: 'model.json', loaded: 1, total: 1 });
    if (s.weights instanceof ArrayBuffer || ArrayBuffer.isView(s.weights)) {
      const groups = validateManifest((json as any).weightsManifest ?? [], 'modelJson');
      opts.onProgress?.({ phase: 'weights', loaded: 1, total: 1 });
      return { json, weightData: bytesOf(s.weights, 'weights'), groups, what: 'modelJson' };
    }
    const { groups, data } = await readShards(json, mapFetcher(s.weights), false, 'modelJson', opts);
    return { json, weightData: data, groups, what: 'modelJson' };
  }
  let fetcher: Fetcher;
  let entry: string;
  let what: string;
  if (typeof source === 'string' || source instanceof URL) {
    const s = source.toString();
    if (/^(https?|data|blob):/i.test(s) || (!isNode() && !/^file:/i.test(s))) {
      const base = /^[a-z]+:/i.test(s) ? s : new URL(s, (globalThis as any).location?.href ?? 'http://localhost/').toString();
      fetcher = urlFetcher(base, opts);
      entry = base;
    } else {
      const path = /^file:/i.test(s) ? decodeURIComponent(new URL(s).pathname) : s;
      fetcher = fileFetcher(path);
      entry = path;
    }
    what = s;
  } else if (typeof source === 'object') {
    const m = source instanceof Map ? source : new Map(Object.entries(source as Record<string, unknown>));
    const key = [...m.keys()].find((k) => /model\.json$/.test(k)) ?? [...m.keys()].find((k) => /model(\.min)?\.js$/.test(k)) ?? [...m.keys()].find((k) => /\.json$/.test(k));
    if (!key) throw new ModelFormatError(`model files: no model.json among ${[...m.keys()].join(', ') || 'no files'}`);
    fetcher = mapFetcher(source as ModelFileMap);
    entry = key;
    what = key;
  } else throw new ModelFormatError(`loadModel: unsupported source ${Object.prototype.toString.call(source)}`);
  const text = await fetcher.readText(entry);
  const wrapped = isWrappedModule(text);
  const json = parseModelJson(text, what);
  opts.onProgress?.({ phase: 'model.json', loaded: 1, total: 1 });
  const { groups, data } = await readShards(json, fetcher, wrapped, what, opts);
  return { json, weightData: data, groups, what };
}
