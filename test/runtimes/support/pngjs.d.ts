// The part of pngjs (no bundled types) the runtime tests use.
declare module 'pngjs' {
  export const PNG: { sync: { read(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } } };
}
