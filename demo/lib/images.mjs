// Photo decoding and preprocessing for the demo and the tests: JPEG (jpeg-js) or PNG (pngjs) to
// RGB float32, resized bilinearly with align_corners=true and scaled to [0, 1] (what nsfwjs does
// before its MobileNetV2s: tf.image.resizeBilinear(x / 255, [224, 224], true)).
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export { preprocess, topK } from './pixels.mjs';

/** Decodes a JPEG or PNG file to { width, height, data: RGBA bytes }. */
export function decodeImage(path) {
  const bytes = readFileSync(path);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return PNG.sync.read(bytes);
  throw new Error(`${path}: not a JPEG or PNG file`);
}
