// Node entry: `init()` reads the shipped .wasm from the package's files.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WasmLoadError } from '../errors.js';
import { initWith, type InitOptions } from '../runtime/loader.js';
import type { BackendInfo, BuildName } from '../runtime/state.js';

export * from '../api.js';

// dist/*.js sits one level below the package root, src/entry/*.ts two.
const CANDIDATES = ['../wasm/', '../../wasm/'];

async function packageWasm(build: BuildName): Promise<Uint8Array> {
  const tried: string[] = [];
  for (const dir of CANDIDATES) {
    const path = fileURLToPath(new URL(`${dir}sepconv-${build}.wasm`, import.meta.url));
    try {
      return await readFile(path);
    } catch {
      tried.push(path);
    }
  }
  throw new WasmLoadError(`sepconv: the ${build} build is missing from the package (looked in ${tried.join(', ')})`);
}

/** Loads the relaxed-SIMD build where Node has it (Node 22), else the SIMD one (Node 20), else the scalar one. */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  return initWith({ name: `Node ${process.versions.node}`, source: packageWasm }, options);
}
