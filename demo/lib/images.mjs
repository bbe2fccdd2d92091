// Photo decoding and preprocessing for the demo and the tests: JPEG (jpeg-js) or PNG (pngjs) to
// RGB float32, resized bilinearly with align_corners=true and scaled to [0, 1] (what nsfwjs does
// before its MobileNetV2s: tf.image.resizeBilinear(x / 255, [224, 224], true)).
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Decodes a JPEG or PNG file to { width, height, data: RGBA bytes }. */
export function decodeImage(path) {
  const bytes = readFileSync(path);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return PNG.sync.read(bytes);
  throw new Error(`${path}: not a JPEG or PNG file`);
}

/**
 * RGBA pixels -> NHWC [1, size, size, 3] float32 in [0, 1], bilinear with aligned corners
 * (TF's resize_bilinear(align_corners=True): source = dest * (in - 1) / (out - 1)).
 */
export function preprocess({ width, height, data }, size = 224) {
  const out = new Float32Array(size * size * 3);
  const sy = size > 1 ? (height - 1) / (size - 1) : 0;
  const sx = size > 1 ? (width - 1) / (size - 1) : 0;
  for (let y = 0; y < size; y++) {
    const fy = y * sy;
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const dy = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = x * sx;
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const dx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy, xx) => data[(yy * width + xx) * 4 + c] / 255;
        const top = p(y0, x0) + (p(y0, x1) - p(y0, x0)) * dx;
        const bot = p(y1, x0) + (p(y1, x1) - p(y1, x0)) * dx;
        out[(y * size + x) * 3 + c] = top + (bot - top) * dy;
      }
    }
  }
  return out;
}

/** Indices of the k largest values, largest first. */
export function topK(values, k) {
  return [...values.keys()].sort((a, b) => values[b] - values[a]).slice(0, k);
}
