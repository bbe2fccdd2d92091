// Browser entry: `init()` fetches the .wasm that sits next to the package (bundlers emit it as an asset).
import { initWith, type InitOptions } from '../runtime/loader.js';
import type { BackendInfo, BuildName } from '../runtime/state.js';

export * from '../api.js';

const URLS: Record<BuildName, () => URL> = {
  relaxed: () => new URL('../wasm/sepconv-relaxed.wasm', import.meta.url),
  simd128: () => new URL('../wasm/sepconv-simd128.wasm', import.meta.url),
  scalar: () => new URL('../wasm/sepconv-scalar.wasm', import.meta.url),
};

/** Fetches and compiles the right build for this browser; pass `url`, `bytes` or `module` to override. */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  return initWith({ name: 'this browser', source: (build) => URLS[build]() }, options);
}
