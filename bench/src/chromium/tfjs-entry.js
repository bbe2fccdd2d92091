// The TF.js side of the Chromium threads page, bundled for the browser by esbuild (bench/src/chromium-threads.ts):
// tfjs-core, the wasm backend (its .wasm files are served beside, setWasmPaths), tfjs-converter (graph models)
// and tfjs-layers (the layers-model fallback when no converted graph model is at hand).
export * as tf from '@tensorflow/tfjs-core';
export * as wasm from '@tensorflow/tfjs-backend-wasm';
export * as tfconv from '@tensorflow/tfjs-converter';
export * as tfl from '@tensorflow/tfjs-layers';
