// Host-neutral default entry (used where no export condition matches): fetches the .wasm by URL
// next to the module, like the browser entry.
export * from './entry/browser.js';
