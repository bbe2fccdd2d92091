import { OptionError, WasmLoadError } from '../errors.js';
import { createBindings } from './generated/bindings.js';
import { AUTO_THREADS_CAP, MAX_THREADS } from './pool-protocol.js';
import type { ThreadHost } from './threads.js';
import { Runtime, setRuntime, type BackendInfo, type BuildName, type KernelExports } from './state.js';
import { hostHasRelaxedSimd, hostHasSimd } from './probes.js';
import { selfTest } from './self-test.js';
import type { WasmBytes, WasmModule } from './wasm-types.js';

export { hostHasRelaxedSimd, hostHasSimd };

/** One wasm binary, in any form a host can hand it over. */
export type WasmSource = WasmModule | WasmBytes | string | URL | Response | PromiseLike<Response>;

/** Options of `init()`: which build to run, where its wasm comes from, and whether to run the self-test. */
export interface InitOptions {
  /** A compiled module, or one per build. Cloudflare Workers must use this: they forbid compiling bytes. */
  module?: WasmModule | Partial<Record<BuildName, WasmModule>>;
  /** The bytes of a .wasm (per build, or one). */
  bytes?: WasmBytes | Partial<Record<BuildName, WasmBytes>>;
  /** Where to fetch the .wasm (per build, or one). */
  url?: string | URL | Partial<Record<BuildName, string | URL>>;
  /** A fetch Response (or its promise) of the .wasm. */
  response?: Response | PromiseLike<Response>;
  /** 'auto' (default) picks relaxed, else simd128, else scalar: the first the host validates whose self-test passes. */
  build?: BuildName | 'auto';
  /** Run the known-answer self-test on the SIMD builds (default true). */
  selfTest?: boolean;
  /**
   * Threads to run ops on, the calling thread included (default 1). 'auto': the device's cores
   * (navigator.hardwareConcurrency / os.availableParallelism()), at most 8. Needs Node's
   * worker_threads, or a cross-origin-isolated page; elsewhere one console warning and one thread
   * (`backend().threadsReason` says why). Results are bit-identical for every thread count.
   */
  threads?: number | 'auto';
}

/** How each host finds the shipped binaries when `init()` gets no explicit source. */
export interface HostDefaults {
  name: string;
  /** The shipped binary of `build` (`threaded`: its threads variant, shared memory and atomics). */
  source(build: BuildName, threaded?: boolean): WasmSource | Promise<WasmSource>;
  /** How this host runs threads; undefined: it has none (the reason is `${name} has no threads`). */
  threads?: ThreadHost;
}

/** What `init({ build })` takes. */
const BUILD_CHOICES = ['auto', 'relaxed', 'simd128', 'scalar'] as const;

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

function describe(src: unknown): string {
  if (typeof src === 'string') return src;
  if (src instanceof URL) return src.href;
  if (typeof Response !== 'undefined' && src instanceof Response) return src.url || 'a Response';
  return Object.prototype.toString.call(src);
}

function isModule(x: unknown): x is WebAssembly.Module {
  return typeof WebAssembly !== 'undefined' && x instanceof WebAssembly.Module;
}

function isBufferSource(x: unknown): x is WasmBytes {
  return x instanceof ArrayBuffer || ArrayBuffer.isView(x) || Object.prototype.toString.call(x) === '[object ArrayBuffer]';
}

function checkMagic(bytes: Uint8Array, where: string, contentType?: string | null): void {
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return;
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trim();
  const looksHtml = /^<(!doctype|html|head|body)/i.test(head);
  throw new WasmLoadError(
    `sepconv: ${where} is not a WebAssembly binary` +
      (looksHtml ? ' (it is an HTML page: the URL is probably wrong, or the server falls back to index.html)' : '') +
      (contentType ? `; content-type ${contentType}` : '') +
      `; it starts with ${JSON.stringify(head.slice(0, 32))}`,
    where,
  );
}

async function fromResponse(res: Response, where: string): Promise<WebAssembly.Module> {
  if (!res.ok) throw new WasmLoadError(`sepconv: fetching ${where} failed with HTTP ${res.status} ${res.statusText}`, where);
  const bytes = new Uint8Array(await res.arrayBuffer());
  checkMagic(bytes, where, res.headers.get('content-type'));
  return compile(bytes, where);
}

async function compile(bytes: WasmBytes, where: string): Promise<WebAssembly.Module> {
  const view = bytes instanceof Uint8Array ? bytes : ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes as ArrayBuffer);
  checkMagic(view, where);
  try {
    return await WebAssembly.compile(view as Uint8Array<ArrayBuffer>);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/disallowed by embedder|code generation/i.test(msg)) {
      throw new WasmLoadError(
        `sepconv: this host forbids compiling wasm from bytes (${msg}). On Cloudflare Workers import the .wasm ` +
          `(\`import simd from 'sepconv/wasm/simd128'\`) and call \`init({ module: simd })\`, or use the package's workerd entry.`,
        where,
      );
    }
    const hint = hostHasSimd() && !hostHasRelaxedSimd() ? ' (if it is the relaxed build: this host has no relaxed SIMD, pass the simd128 build)' : '';
    throw new WasmLoadError(`sepconv: compiling ${where} failed: ${msg}${hint}`, where);
  }
}

/** Resolves any source form to a compiled module. */
export async function toModule(source: WasmSource, name?: string): Promise<WebAssembly.Module> {
  const where = name ?? describe(source);
  // WebAssembly.Module is an empty interface, so type guards on it narrow everything else away.
  const src = source as unknown as string | URL | Response | PromiseLike<Response>;
  if (isModule(source)) return source;
  if (isBufferSource(source)) return compile(source, name ?? 'the given bytes');
  if (typeof src === 'string' || src instanceof URL) {
    const url = src instanceof URL ? src : new URL(src, (globalThis as { location?: { href: string } }).location?.href);
    if (url.protocol === 'file:') {
      throw new WasmLoadError(`sepconv: cannot fetch ${url.href} on this host; pass \`bytes\` or \`module\``, url.href);
    }
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new WasmLoadError(`sepconv: fetching ${url.href} failed: ${e instanceof Error ? e.message : e}`, url.href);
    }
    return fromResponse(res, url.href);
  }
  const res = await src;
  return fromResponse(res, describe(res) === 'a Response' ? where : describe(res));
}

/** Instantiates a module through a fresh copy of the wasm-bindgen glue (the threads glue for a threaded build). */
export function instantiate(module: WebAssembly.Module, backend: BackendInfo, detect = false, glue: () => ReturnType<typeof createBindings> = createBindings): Runtime {
  const bindings = glue();
  let raw: { memory: WebAssembly.Memory };
  try {
    raw = bindings.initSync({ module });
  } catch (e) {
    throw new WasmLoadError(`sepconv: instantiating the ${backend.build} build failed: ${e instanceof Error ? e.message : e}`);
  }
  const kernels = bindings as unknown as KernelExports;
  const lanes = kernels.lanes_name() as BuildName;
  if (detect) backend = { ...backend, build: lanes };
  else if (lanes !== backend.build) {
    throw new WasmLoadError(`sepconv: the module given as the ${backend.build} build is the ${lanes} build`);
  }
  return new Runtime(kernels, raw.memory, backend);
}

function pick<T>(v: T | Partial<Record<BuildName, T>> | undefined, build: BuildName, isLeaf: (x: unknown) => boolean): T | undefined {
  if (v === undefined) return undefined;
  if (isLeaf(v)) return v as T;
  return (v as Partial<Record<BuildName, T>>)[build];
}

const isLeafSource = (x: unknown): boolean => isModule(x) || isBufferSource(x) || typeof x === 'string' || Object.prototype.toString.call(x) === '[object URL]';

/** The source the options give for `build`, or undefined when they give none for it. */
function explicitSource(opts: InitOptions, build: BuildName): WasmSource | undefined {
  return (
    pick<WebAssembly.Module>(opts.module, build, isModule) ??
    pick<WasmBytes>(opts.bytes, build, isBufferSource) ??
    pick<string | URL>(opts.url, build, isLeafSource) ??
    opts.response
  );
}

function hasExplicit(opts: InitOptions): boolean {
  return opts.module !== undefined || opts.bytes !== undefined || opts.url !== undefined || opts.response !== undefined;
}

/**
 * Loads a build and makes it current. `auto` picks relaxed when the host validates relaxed SIMD,
 * else simd128 when it validates SIMD, each only if the known-answer self-test passes, else
 * scalar; `backend()` then says which and why.
 */
export async function initWith(host: HostDefaults, opts: InitOptions = {}): Promise<BackendInfo> {
  const want = opts.build ?? 'auto';
  threadCount(host, opts.threads);
  if (!(BUILD_CHOICES as readonly unknown[]).includes(want)) {
    throw new OptionError('init', 'build', BUILD_CHOICES.map((b) => `'${b}'`).join(', '), want);
  }
  const unsupported =
    want === 'relaxed' && !hostHasRelaxedSimd()
      ? 'relaxed SIMD (WebAssembly.validate refuses f32x4.relaxed_madd)'
      : want !== 'auto' && want !== 'scalar' && !hostHasSimd()
        ? 'wasm SIMD (WebAssembly.validate refuses simd128)'
        : '';
  if (unsupported) {
    const ok = hostHasSimd() ? "'simd128', 'scalar' or 'auto'" : "'scalar' or 'auto'";
    throw new WasmLoadError(`sepconv: init({ build: '${want}' }): ${host.name} has no ${unsupported}; use ${ok}`);
  }
  const explicit = hasExplicit(opts);
  const sourceFor = async (build: BuildName): Promise<WasmSource | undefined> =>
    explicit ? explicitSource(opts, build) : host.source(build);

  const single = [opts.module, opts.bytes, opts.url].some((v) => v !== undefined && isLeafSource(v)) || opts.response !== undefined;
  if (explicit && single) {
    // One binary given: whichever build it is runs, after the same self-test.
    const src = explicitSource(opts, 'simd128')!;
    const rt = instantiate(await toModule(src), { build: 'scalar', reason: 'the one build passed to init()' }, true);
    if (want !== 'auto' && rt.backend.build !== want) {
      throw new WasmLoadError(`sepconv: init({ build: '${want}' }) was given the ${rt.backend.build} build`);
    }
    if (rt.backend.build !== 'scalar' && opts.selfTest !== false) {
      const problem = selfTest(rt);
      if (problem) throw new WasmLoadError(`sepconv: the ${rt.backend.build} self-test failed on this host (${problem}); pass the scalar build`);
    }
    return withThreads(host, opts, rt, explicit);
  }

  let order: { build: BuildName; reason: string }[];
  const tested = opts.selfTest === false ? ' (self-test skipped)' : ' and the self-test passed';
  if (want !== 'auto') {
    order = [{ build: want, reason: `forced with init({ build: '${want}' })` }];
  } else if (!hostHasSimd()) {
    order = [{ build: 'scalar', reason: 'this host does not validate wasm SIMD (simd128)' }];
  } else {
    const relaxed = hostHasRelaxedSimd();
    order = [
      ...(relaxed ? [{ build: 'relaxed' as const, reason: `${host.name} validates relaxed SIMD` + tested }] : []),
      { build: 'simd128', reason: relaxed ? '' : `${host.name} validates wasm SIMD but not relaxed SIMD` + tested },
      { build: 'scalar', reason: '' },
    ];
  }

  let failure = '';
  for (const [i, choice] of order.entries()) {
    const src = await sourceFor(choice.build);
    if (src === undefined) {
      if (i + 1 < order.length) {
        failure ||= `no ${choice.build} build was given`;
        continue;
      }
      throw new WasmLoadError(`sepconv: init() was given no source for the ${choice.build} build`);
    }
    const module = await toModule(src, explicit ? undefined : `the ${choice.build} build (${host.name})`);
    const reason = choice.reason || failure;
    const rt = instantiate(module, { build: choice.build, reason });
    if (choice.build !== 'scalar' && want === 'auto' && opts.selfTest !== false) {
      const problem = selfTest(rt);
      if (problem) {
        failure = `the ${choice.build} self-test failed (${problem}), so the ${order[i + 1]?.build ?? 'next'} build runs`;
        if (typeof console !== 'undefined') console.warn(`sepconv: ${failure}`);
        continue;
      }
    }
    return withThreads(host, opts, rt, explicit);
  }
  throw new WasmLoadError(`sepconv: no build could be loaded (${failure})`);
}

/** The thread count `threads` asks for on this host (validated: OptionError for anything else). */
function threadCount(host: HostDefaults, threads: InitOptions['threads']): number {
  if (threads === undefined) return 1;
  if (threads === 'auto') {
    const cores = host.threads?.cores() ?? 1;
    return Math.max(1, Math.min(AUTO_THREADS_CAP, Number.isSafeInteger(cores) ? cores : 1));
  }
  if (!(Number.isSafeInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new OptionError('init', 'threads', `an integer from 1 to ${MAX_THREADS}, or 'auto'`, threads);
  }
  return threads;
}

const warned = new Set<string>();

/**
 * Makes `rt` (the chosen single-thread build) current, or, when `opts.threads` asks for more than
 * one thread and the host can run them, the same build's threaded variant with its pool. Where
 * threads cannot run: one console warning, one thread, and the reason in `backend()`. A worker
 * that fails to start: a WorkerError, with the single-thread runtime current (usable).
 */
async function withThreads(host: HostDefaults, opts: InitOptions, rt: Runtime, explicit: boolean): Promise<BackendInfo> {
  const want = threadCount(host, opts.threads);
  const single = (reason: string, warn: boolean): BackendInfo => {
    if (opts.threads === undefined) {
      setRuntime(rt);
      return rt.info();
    }
    const backend = { ...rt.backend, threads: 1, threadsReason: reason };
    const one = new Runtime(rt.kernels, rt.memory, backend);
    setRuntime(one);
    if (warn && !warned.has(reason) && typeof console !== 'undefined') {
      warned.add(reason);
      console.warn(`sepconv: init({ threads: ${JSON.stringify(opts.threads)} }): ${reason}; running on one thread`);
    }
    return one.info();
  };
  if (want <= 1) {
    return single(opts.threads === 'auto' ? `'auto': this device reports ${host.threads?.cores() ?? 1} core(s)` : 'one thread requested', false);
  }
  if (!host.threads) return single(`${host.name} has no threads`, true);
  return host.threads.attach({
    rt,
    want,
    auto: opts.threads === 'auto',
    explicit,
    load: async () => toModule(await host.source(rt.backend.build, true), `the ${rt.backend.build} threads build (${host.name})`),
    instantiate: (module, glue) => instantiate(module as WebAssembly.Module, { ...rt.backend }, false, glue),
    single,
  });
}
