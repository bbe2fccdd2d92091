// Vercel Edge / Next.js edge entry ("edge-light" condition): like workerd, the .wasm arrives as a
// compiled WebAssembly.Module, imported with the `?module` suffix those bundlers require.
import scalarModule from '#wasm/scalar?module';
import simdModule from '#wasm/simd128?module';
import { initWith, type InitOptions } from '../runtime/loader.js';
import type { BackendInfo, BuildName } from '../runtime/state.js';

export * from '../api.js';

const MODULES: Record<BuildName, WebAssembly.Module> = { simd128: simdModule, scalar: scalarModule };

/** Instantiates the bundled module (simd128 unless the host lacks SIMD or the self-test fails); no bytes are compiled. */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  return initWith({ name: 'edge-light', source: (build) => MODULES[build] }, options);
}
