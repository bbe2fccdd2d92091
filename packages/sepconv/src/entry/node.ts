// Node entry: `init()` reads the shipped .wasm from the package's files.
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WasmLoadError } from '../errors.js';
import { initWith, type InitOptions } from '../runtime/loader.js';
import type { BackendInfo, BuildName } from '../runtime/state.js';
import { attachThreads, type PoolWorker, type ThreadHost } from '../runtime/threads.js';
import { createBindings as threadBindings } from '../runtime/generated/bindings-threads.js';

export * from '../api.js';

// dist/*.js sits one level below the package root, src/entry/*.ts two.
const CANDIDATES = ['../wasm/', '../../wasm/'];

async function packageWasm(build: BuildName, threaded = false): Promise<Uint8Array> {
  const name = `sepconv-${build}${threaded ? '-threads' : ''}.wasm`;
  const tried: string[] = [];
  for (const dir of CANDIDATES) {
    const path = fileURLToPath(new URL(`${dir}${name}`, import.meta.url));
    try {
      return await readFile(path);
    } catch {
      tried.push(path);
    }
  }
  throw new WasmLoadError(`sepconv: the ${build}${threaded ? ' threads' : ''} build is missing from the package (looked in ${tried.join(', ')})`);
}

/** worker_threads workers running dist/worker.js (next to this file). */
const nodeThreads: ThreadHost = {
  unavailable: () => undefined,
  cores: () => (typeof availableParallelism === 'function' ? availableParallelism() : cpus().length),
  createBindings: threadBindings,
  attach(c) {
    return attachThreads(this, c);
  },
  canBlock: true,
  spawn(): PoolWorker {
    // A worker inherits the process's flags (V8's, e.g. --experimental-wasm-relaxed-simd, are process-wide
    // anyway) except that --input-type makes a worker loaded from a file fail: only then pass the Node
    // flags explicitly, without it and without the V8 ones (which an explicit execArgv may not carry).
    const inputType = process.execArgv.some((a) => a.startsWith('--input-type'));
    const execArgv = inputType ? process.execArgv.filter((a) => !/^--(input-type|experimental-wasm|wasm-|max-old-space|max-semi-space|stack-size|harmony)/.test(a)) : undefined;
    const w = new Worker(new URL('./worker.js', import.meta.url), execArgv ? { execArgv } : {});
    return {
      postMessage: (m) => w.postMessage(m),
      listen(ready, failed) {
        w.once('message', ready);
        w.on('error', (e) => failed(`failed: ${e instanceof Error ? e.message : e}`));
        w.on('exit', (code) => failed(`exited (code ${code})`));
      },
      unref: () => w.unref(),
      terminate: () => void w.terminate(),
    };
  },
};

/**
 * Loads the relaxed-SIMD build where Node has it (Node 22), else the SIMD one (Node 20), else the scalar one;
 * `threads` runs ops on worker_threads as well (see `InitOptions.threads`).
 */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  return initWith({ name: `Node ${process.versions.node}`, source: packageWasm, threads: nodeThreads }, options);
}
