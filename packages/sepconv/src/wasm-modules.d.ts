declare module '#wasm/relaxed' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '#wasm/simd128' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '#wasm/scalar' {
  const module: WebAssembly.Module;
  export default module;
}
