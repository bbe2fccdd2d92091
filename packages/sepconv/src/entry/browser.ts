// Browser entry: `init()` fetches the .wasm that sits next to the package (bundlers emit it as an asset).
import { initWith, type InitOptions } from '../runtime/loader.js';
import type { BackendInfo, BuildName } from '../runtime/state.js';
import { attachThreads, type PoolWorker, type ThreadHost } from '../runtime/threads.js';
import { createBindings as threadBindings } from '../runtime/generated/bindings-threads.js';

export * from '../api.js';

const URLS: Record<BuildName, () => URL> = {
  relaxed: () => new URL('../wasm/sepconv-relaxed.wasm', import.meta.url),
  simd128: () => new URL('../wasm/sepconv-simd128.wasm', import.meta.url),
  scalar: () => new URL('../wasm/sepconv-scalar.wasm', import.meta.url),
};
const THREAD_URLS: Partial<Record<BuildName, () => URL>> = {
  relaxed: () => new URL('../wasm/sepconv-relaxed-threads.wasm', import.meta.url),
  simd128: () => new URL('../wasm/sepconv-simd128-threads.wasm', import.meta.url),
};

// Bundlers (Vite, webpack 5, esbuild's plugins) recognise `new Worker(new URL('…', import.meta.url), { type: 'module' })` literally.
declare const Worker: new (url: URL, options: { type: 'module'; name?: string }) => WebWorker;

interface WebWorker {
  postMessage(m: unknown): void;
  addEventListener(type: string, f: (e: { data?: unknown; message?: string }) => void, o?: { once?: boolean }): void;
  terminate(): void;
}
const g = globalThis as unknown as {
  crossOriginIsolated?: boolean;
  SharedArrayBuffer?: unknown;
  Worker?: unknown;
  navigator?: { hardwareConcurrency?: number };
  document?: unknown;
};

/** Module Web Workers loaded by URL from dist/worker.js (no blob: workers: CSPs and extension pages forbid them). */
const browserThreads: ThreadHost = {
  unavailable() {
    if (g.crossOriginIsolated !== true || typeof g.SharedArrayBuffer !== 'function') {
      return 'threads need cross-origin isolation: this page is not crossOriginIsolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
    }
    if (typeof g.Worker !== 'function') return 'this context has no Web Workers';
    return undefined;
  },
  cores: () => g.navigator?.hardwareConcurrency ?? 1,
  // A page's main thread may not block in Atomics.wait (it spins while an op runs); a worker may.
  createBindings: threadBindings,
  attach(c) {
    return attachThreads(this, c);
  },
  canBlock: g.document === undefined,
  spawn(): PoolWorker {
    const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'sepconv' });
    return {
      postMessage: (m) => w.postMessage(m),
      listen(ready, failed) {
        w.addEventListener('message', (e) => ready(e.data as Parameters<typeof ready>[0]), { once: true });
        w.addEventListener('error', (e) => failed(`failed: ${e.message ?? 'error event (the worker script could not load?)'}`));
      },
      unref: () => {},
      terminate: () => w.terminate(),
    };
  },
};

/** Fetches and compiles the right build for this browser; pass `url`, `bytes` or `module` to override. `threads` needs a crossOriginIsolated page. */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  return initWith(
    {
      name: 'this browser',
      source: (build, threaded) => (threaded ? THREAD_URLS[build]!() : URLS[build]()),
      threads: browserThreads,
    },
    options,
  );
}
