// The WebAssembly types the public API names, declared structurally. `WebAssembly.*` and `BufferSource`
// come from the DOM lib, which a Node-only TypeScript project (@types/node, no "dom" in lib) does not
// load; naming them in the .d.ts files broke such projects. The implementation still uses the real ones.

/** A compiled `WebAssembly.Module`. Typed as any object here; `init()` checks it at run time. */
export type WasmModule = object;

/** A `WebAssembly.Memory`, as much of it as sepconv uses. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

/** The bytes of a .wasm binary: an ArrayBuffer or a view of one (the DOM lib's `BufferSource`). */
export type WasmBytes = ArrayBuffer | ArrayBufferView;
