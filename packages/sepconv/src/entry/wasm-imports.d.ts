// The `?module` form of the wasm imports (edge-light entry); tsup rewrites both forms to ../wasm/*.wasm.
declare module '#wasm/relaxed?module' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '#wasm/simd128?module' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '#wasm/scalar?module' {
  const module: WebAssembly.Module;
  export default module;
}
