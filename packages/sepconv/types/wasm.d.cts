// CommonJS view of the `sepconv/wasm/*` subpaths (see wasm.d.ts).
declare const module: WebAssembly.Module;
export = module;
