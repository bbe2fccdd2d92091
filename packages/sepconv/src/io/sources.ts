// Where a TF.js model comes from: a URL, a file path (Node), an in-memory map of files, or a
// TF.js-style IOHandler (`{ load(): Promise<ModelArtifacts> }`). Everything arrives as the
// model.json object plus the concatenated weight bytes, with progress reported along the way.
import { formatList, formatJson, ModelFormatError, quote } from '../errors.js';
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

/**
 * Where `loadModel` / `readModelFiles` read a model from: a URL or file path of model.json (or a wrapped
 * model.min.js), a TF.js IOHandler, a map of file names to contents, `{ modelJson, weights }`, or bytes. Bytes (`ArrayBuffer` / `Uint8Array`) are recognised by their content:
 * model.json text or a wrapped model.min.js (with no shards, or use `{ modelJson, weights }`).
 */
export type ModelSource =
  | string
  | URL
  | ArrayBuffer
  | ArrayBufferView
  | ModelHandler
  | ModelFileMap
  | { modelJson: unknown; weights: ArrayBuffer | ArrayBufferView | ModelFileMap };

/** Options of `loadModel` and `readModelFiles`. */
export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Replaces global fetch for URLs (a TF.js `fetchFunc`). */
  fetch?: (url: string) => Promise<Response>;
  /** Per-sample input shape [H, W, C] when the model's input has unknown sizes. */
  inputShape?: readonly number[];
  /**
   * Lets the manifest name shards outside the model's own directory (file path) or URL prefix
   * (other directories, hosts or schemes, absolute paths), and lets shard requests redirect out of
   * it. Off by default: a shard path must resolve under the directory of model.json, and a fetched
   * shard's final `response.url` (after redirects) must too; anything else is a ModelFormatError.
   */
  allowExternalShards?: boolean;
  /**
   * Values (elements) the importer may create beyond the weights the model ships: graph-model
   * constants expanded from a single value, and constant folding. Default
   * `DEFAULT_MAX_GENERATED_ELEMENTS` (2**24, 128 MiB as float64); raise it for a model that needs more.
   */
  maxGeneratedElements?: number;
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

/** Reads the files beside a model by their relative names, confined as `openModelFiles` says. */
export interface Fetcher {
  /** Reads `rel` next to the model file. */
  read(rel: string): Promise<Uint8Array>;
  readText(rel: string): Promise<string>;
}

/** The directory prefix of a URL: everything up to its last `/`, without query or fragment. */
function urlDir(href: string): string {
  const u = new URL(href);
  u.search = '';
  u.hash = '';
  return u.href.replace(/[^/]*$/, '');
}

/**
 * The one confinement rule for shard paths (URLs and files alike). A manifest path is a relative
 * URL reference, resolved against the model.json's URL as TF.js does; unless `allowExternal`, it
 * must land under the model's directory prefix: no scheme, no `//host`, no absolute path, no `..`
 * out of it (also not written `%2e%2e` or with backslashes), no encoded `/` or `\`. Returns the
 * resolved URL.
 */
export function resolveShardUrl(base: string, rel: string, allowExternal: boolean, what: string): string {
  const bad = (why: string): never => {
    throw new ModelFormatError(
      `${what}: shard path ${quote(rel)} ${why}; shards must be inside the model's directory ${formatJson(urlDir(base))} (pass allowExternalShards: true to allow it)`,
    );
  };
  let url: URL;
  try {
    url = new URL(rel, base);
  } catch {
    return bad('is not a valid relative URL');
  }
  if (allowExternal) return url.href;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(rel) && !/^[A-Za-z]:[\\/]/.test(rel)) bad('names a URL scheme');
  const prefix = urlDir(base);
  if (!url.href.startsWith(prefix)) bad('resolves outside it');
  // Each remaining segment, decoded, is a plain name (no encoded separators or dot segments).
  const tail = url.pathname.slice(new URL(prefix).pathname.length);
  for (const seg of tail.split('/')) {
    let d: string;
    try {
      d = decodeURIComponent(seg);
    } catch {
      return bad('has a malformed %-escape');
    }
    if (d === '..' || d === '.' || /[/\\\0]/.test(d)) bad('has an encoded separator or dot segment');
  }
  return url.href;
}

/** True when `final` (a response URL after redirects) is under one of `prefixes`. */
function underPrefix(final: string, prefixes: string[]): boolean {
  return prefixes.some((p) => final.startsWith(p));
}

function urlFetcher(base: string, opts: LoadOptions): Fetcher {
  const f = opts.fetch ?? (typeof fetch === 'function' ? fetch : undefined);
  if (!f) throw new ModelFormatError(`loading ${base}: no fetch() in this runtime; pass options.fetch`);
  // Shards may end up (after redirects) under the model's own prefix, or under the prefix model.json
  // itself was redirected to.
  const prefixes = [urlDir(base)];
  const get = async (rel: string): Promise<Response> => {
    const isModel = rel === base;
    const url = isModel ? base : resolveShardUrl(base, rel, !!opts.allowExternalShards, base);
    let res: Response;
    try {
      res = await f(url);
    } catch (e) {
      throw new ModelFormatError(`fetching ${url} failed: ${(e as Error)?.message}`);
    }
    if (!res.ok) throw new ModelFormatError(`fetching ${url}: HTTP ${res.status}`);
    // A custom fetch may return a Response without a url; then there is no redirect to check.
    const final = typeof res.url === 'string' && res.url ? res.url : url;
    if (isModel) {
      if (final !== url) prefixes.push(urlDir(final));
    } else if (!opts.allowExternalShards && !underPrefix(final, prefixes)) {
      throw new ModelFormatError(
        `fetching shard ${quote(rel)}: ${url} redirected to ${formatJson(final)}, outside the model's URL prefix ${formatJson(prefixes[0])} (pass allowExternalShards: true to allow it)`,
      );
    }
    return res;
  };
  return {
    read: async (rel) => new Uint8Array(await (await get(rel)).arrayBuffer()),
    readText: async (rel) => (await get(rel)).text(),
  };
}

async function nodeModules(): Promise<{ url: typeof import('node:url'); path: typeof import('node:path'); fs: typeof import('node:fs/promises') }> {
  const [u, p] = ['node:url', 'node:path'];
  return { url: await import(/* @vite-ignore */ u), path: await import(/* @vite-ignore */ p), fs: await nodeFs() };
}

/**
 * Files next to a local model.json. Shard paths go through `resolveShardUrl` against the model's
 * file: URL, and the file they name must stay inside the model's real directory after symlinks.
 */
function fileFetcher(path: string, opts: LoadOptions): Fetcher {
  let ctx: Promise<{ m: Awaited<ReturnType<typeof nodeModules>>; base: string; dir: string }> | undefined;
  const context = () =>
    (ctx ??= (async () => {
      const m = await nodeModules();
      const abs = m.path.resolve(path);
      return { m, base: m.url.pathToFileURL(abs).href, dir: m.path.dirname(abs) };
    })());
  const read = async (rel: string): Promise<Uint8Array> => {
    const { m, base, dir } = await context();
    let file = path;
    if (rel !== path) {
      const href = resolveShardUrl(base, rel, !!opts.allowExternalShards, path);
      try {
        file = m.url.fileURLToPath(href);
      } catch (e) {
        throw new ModelFormatError(`${path}: shard path ${quote(rel)} is not a file path (${(e as Error).message})`);
      }
      if (!opts.allowExternalShards) {
        // Symlinks may point out of the directory: compare real paths.
        let real: string;
        let realDir: string;
        try {
          [real, realDir] = await Promise.all([m.fs.realpath(file), m.fs.realpath(dir)]);
        } catch (e) {
          throw new ModelFormatError(`reading ${file}: ${(e as Error).message}`);
        }
        if (!real.startsWith(realDir.endsWith(m.path.sep) ? realDir : realDir + m.path.sep)) {
          throw new ModelFormatError(
            `${path}: shard path ${quote(rel)} leads outside the model's directory (through a symlink); pass allowExternalShards: true to allow it`,
          );
        }
      }
    }
    try {
      return new Uint8Array(await m.fs.readFile(file));
    } catch (e) {
      throw new ModelFormatError(`reading ${file}: ${(e as Error).message}`);
    }
  };
  return { read, readText: async (rel) => new TextDecoder().decode(await read(rel)) };
}

function mapFetcher(map: ModelFileMap): Fetcher {
  const get = (rel: string) => {
    const m = map instanceof Map ? map : new Map(Object.entries(map));
    const base = rel.replace(/^.*[/\\]/, '');
    const v = m.get(rel) ?? m.get(base) ?? m.get(`./${rel}`);
    if (v === undefined) throw new ModelFormatError(`model files: no file ${quote(rel)} in the given map (it has ${formatList(m.keys())})`);
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

/**
 * The model file and a confined reader of the files beside it (shards, external data), for a URL, a
 * local path (Node) or a map of files: every path the model names goes through `resolveShardUrl` (and,
 * for local files, a real-path check; for URLs, a check of the final URL after redirects). `pick`
 * chooses the model file among a map's keys; `kind` names it in errors.
 */
export function openModelFiles(
  source: string | URL | ModelFileMap,
  opts: LoadOptions,
  pick: (keys: string[]) => string | undefined,
  kind: string,
): { fetcher: Fetcher; entry: string; what: string } {
  if (typeof source === 'string' || source instanceof URL) {
    const s = source.toString();
    if (/^(https?|data|blob):/i.test(s) || (!isNode() && !/^file:/i.test(s))) {
      const base = /^[a-z]+:/i.test(s) ? s : new URL(s, (globalThis as any).location?.href ?? 'http://localhost/').toString();
      return { fetcher: urlFetcher(base, opts), entry: base, what: s };
    }
    const path = /^file:/i.test(s) ? decodeURIComponent(new URL(s).pathname) : s;
    return { fetcher: fileFetcher(path, opts), entry: path, what: s };
  }
  const m = source instanceof Map ? source : new Map(Object.entries(source as Record<string, unknown>));
  const key = pick([...m.keys()]);
  if (!key) throw new ModelFormatError(`model files: no ${kind} among ${formatList(m.keys()) || 'no files'}`);
  return { fetcher: mapFetcher(source), entry: key, what: key };
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
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return readModelBytes(bytesOf(source, 'loadModel(bytes)'), opts);
  if (typeof source !== 'string' && !(source instanceof URL) && (typeof source !== 'object' || source === null)) {
    throw new ModelFormatError(`loadModel: unsupported source ${Object.prototype.toString.call(source)}`);
  }
  const pick = (keys: string[]) => keys.find((k) => /model\.json$/.test(k)) ?? keys.find((k) => /model(\.min)?\.js$/.test(k)) ?? keys.find((k) => /\.json$/.test(k));
  const { fetcher, entry, what } = openModelFiles(source as string | URL | ModelFileMap, opts, pick, 'model.json');
  const text = await fetcher.readText(entry);
  const wrapped = isWrappedModule(text);
  const json = parseModelJson(text, what);
  opts.onProgress?.({ phase: 'model.json', loaded: 1, total: 1 });
  const { groups, data } = await readShards(json, fetcher, wrapped, what, opts);
  return { json, weightData: data, groups, what };
}

/** True when `b` starts like an ONNX ModelProto: top-level protobuf fields of ModelProto, ir_version first. */
function looksLikeOnnx(b: Uint8Array): boolean {
  if (b[0] !== 0x08) return false;
  const known = new Set([1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25]);
  let i = 0;
  const varint = (): number => {
    let v = 0;
    for (let k = 0; k < 10; k++) {
      if (i >= b.length) return -1;
      const c = b[i++]!;
      v += (c & 0x7f) * 2 ** (7 * k);
      if (!(c & 0x80)) return v;
    }
    return -1;
  };
  const fields = new Set<number>();
  for (let n = 0; n < 32 && i < b.length; n++) {
    const key = varint();
    if (key < 0) return false;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (!known.has(field)) return false;
    fields.add(field);
    if (wire === 0) {
      if (varint() < 0) return false;
    } else if (wire === 2) {
      const len = varint();
      if (len < 0 || i + len > b.length) return false;
      i += len;
    } else return false;
  }
  return fields.has(1) && (fields.has(7) || fields.has(8));
}

/**
 * A model given as bytes, recognised by its content in time linear in at most a few KB of it:
 * TF.js model.json text, a wrapped model.min.js, or ONNX (not supported yet: a typed error).
 */
function readModelBytes(bytes: Uint8Array, opts: LoadOptions): RawModel {
  const what = 'loadModel(bytes)';
  let k = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (k < bytes.length && k < 4096 && (bytes[k] === 0x20 || bytes[k] === 0x0a || bytes[k] === 0x0d || bytes[k] === 0x09)) k++;
  const c = bytes[k];
  const head = new TextDecoder().decode(bytes.subarray(k, k + 64));
  if (c === 0x7b /* { */ || (c === 0x21 /* ! */ || /^\(?\s*function\s*\(/.test(head))) {
    const text = new TextDecoder().decode(bytes);
    const json = parseModelJson(text, what);
    opts.onProgress?.({ phase: 'model.json', loaded: 1, total: 1 });
    const groups = validateManifest(json.weightsManifest ?? [], what);
    const paths = groups.flatMap((g) => g.paths);
    if (paths.length) {
      throw new ModelFormatError(`${what}: this model.json names weight files (${formatList(paths, 5)}) that bytes alone cannot supply; pass { modelJson, weights } or a map of files`);
    }
    return { json, weightData: new Uint8Array(0), groups, what };
  }
  if (looksLikeOnnx(bytes)) throw new ModelFormatError(`${what}: these ${bytes.length} bytes are an ONNX model; ONNX models are not supported yet (sepconv reads TF.js layers and graph models)`);
  const hex = [...bytes.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  throw new ModelFormatError(`${what}: ${bytes.length} bytes that are not a model sepconv reads (TF.js model.json or a wrapped model.min.js); they start with ${hex || 'nothing'}`);
}
