// Types for the `sepconv/wasm/*` subpaths. Under Cloudflare Workers (wrangler's default rule for
// `.wasm`) and workerd, importing a .wasm file gives a compiled `WebAssembly.Module`:
//   import simd from 'sepconv/wasm/simd128';  await init({ module: simd });
// Other bundlers give other things (a URL with Vite's `?url`, esbuild's `file` loader): type
// those imports yourself, or let `init()` find the files on its own.
// Typed as `object` (a WebAssembly.Module at run time) so that Node-only TypeScript projects, which
// have no DOM lib and so no `WebAssembly` namespace, can import it too.
declare const module: object;
export default module;
