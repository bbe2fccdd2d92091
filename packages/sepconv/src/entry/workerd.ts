// Cloudflare Workers entry: the .wasm files arrive as WebAssembly.Module imports (Workers forbid
// compiling bytes), resolved through the package's "imports" map so the path holds in src and dist.
import relaxedModule from '#wasm/relaxed';
import scalarModule from '#wasm/scalar';
import simdModule from '#wasm/simd128';
import { initWith, type InitOptions } from '../runtime/loader.js';
import type { BackendInfo, BuildName } from '../runtime/state.js';

export * from '../api.js';

const MODULES: Record<BuildName, WebAssembly.Module> = { relaxed: relaxedModule, simd128: simdModule, scalar: scalarModule };

/** Instantiates the bundled module (relaxed SIMD, else simd128, else scalar, by what the host validates and the self-test); no bytes are compiled. */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  return initWith({ name: 'workerd', source: (build) => MODULES[build] }, options);
}
