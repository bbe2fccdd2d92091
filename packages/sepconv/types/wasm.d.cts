// CommonJS view of the `sepconv/wasm/*` subpaths (see wasm.d.ts).
// Typed as `object` (a WebAssembly.Module at run time): Node-only TypeScript projects have no `WebAssembly` namespace.
declare const module: object;
export = module;
