export function decodeImage(path: string): { width: number; height: number; data: Uint8Array };
export { preprocess, topK } from './pixels.mjs';
