// The demo's pixel math, free of Node APIs so the browser page (demo/web) uses the same code:
// RGBA to the model's float input, and the top-k classes.

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
