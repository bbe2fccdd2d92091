// Vercel Edge / Next.js edge entry ("edge-light" condition): like workerd, the .wasm arrives as a
// compiled WebAssembly.Module, imported with the `?module` suffix those bundlers require.
import relaxedModule from '#wasm/relaxed?module';
import scalarModule from '#wasm/scalar?module';
import simdModule from '#wasm/simd128?module';
import { initWith, type InitOptions } from '../runtime/loader.js';
import type { BackendInfo, BuildName } from '../runtime/state.js';

export * from '../api.js';

const MODULES: Record<BuildName, WebAssembly.Module> = { relaxed: relaxedModule, simd128: simdModule, scalar: scalarModule };

/** Instantiates the bundled module (relaxed SIMD, else simd128, else scalar, by what the host validates and the self-test); no bytes are compiled. */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  return initWith({ name: 'edge-light', source: (build) => MODULES[build] }, options);
}
