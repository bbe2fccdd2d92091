import { DTypeError, OptionError, ShapeError } from '../errors.js';
import { rawView, Tensor } from './tensor.js';
import { checkShape, isDim, MAX_DIM } from './limits.js';

/** Anything shaped like `ImageData`: RGBA bytes, row-major, 4 bytes per pixel. */
export interface PixelSource {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array | ArrayLike<number>;
}

/**
 * How pixel values (0..255) become floats:
 * - `'unit'`: x / 255, in [0, 1];
 * - `'mobilenet'`: x / 127.5 - 1, in [-1, 1] (MobileNet / EfficientNet-lite / Xception preprocessing);
 * - `{ mean, std }`: (x / 255 - mean[c]) / std[c], per RGB channel (torchvision style; a number applies to all three);
 * - `'none'` (default): the raw 0..255 values.
 */
export type PixelNormalization = 'none' | 'unit' | 'mobilenet' | { mean: number | readonly number[]; std: number | readonly number[] };

/** Options of `fromPixels()`. */
export interface FromPixelsOptions {
  /** Output size `[height, width]`, resampled bilinearly with half-pixel centers (as `tf.image.resize` in TF2 and PIL). */
  resize?: readonly [number, number];
  normalize?: PixelNormalization;
}

const OP = 'fromPixels';

function triple(name: string, v: number | readonly number[]): [number, number, number] {
  const t = typeof v === 'number' ? [v, v, v] : [...v];
  if (t.length !== 3 || !t.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new OptionError(OP, `normalize.${name}`, 'a number or 3 finite numbers (R, G, B)', v);
  }
  return t as [number, number, number];
}

/** Per-channel `y = x * scale + shift` for x in 0..255. */
function affineFor(n: PixelNormalization | undefined): { scale: number[]; shift: number[] } {
  if (n === undefined || n === 'none') return { scale: [1, 1, 1], shift: [0, 0, 0] };
  if (n === 'unit') return { scale: [1 / 255, 1 / 255, 1 / 255], shift: [0, 0, 0] };
  if (n === 'mobilenet') return { scale: [1 / 127.5, 1 / 127.5, 1 / 127.5], shift: [-1, -1, -1] };
  if (typeof n === 'object' && n !== null && 'mean' in n && 'std' in n) {
    const mean = triple('mean', n.mean);
    const std = triple('std', n.std);
    if (std.some((s) => s === 0)) throw new OptionError(OP, 'normalize.std', 'non-zero values', n.std);
    return { scale: std.map((s) => 1 / (255 * s)), shift: mean.map((m, c) => -m / std[c]!) };
  }
  throw new OptionError(OP, 'normalize', "'none' | 'unit' | 'mobilenet' | { mean, std }", n);
}

/**
 * An `[1, H, W, 3]` float32 tensor from RGBA pixels (`ImageData`, a canvas's `getImageData()`,
 * or `{ width, height, data }`), optionally resized (bilinear) and normalized. Alpha is dropped.
 */
export function fromPixels(pixels: PixelSource, options: FromPixelsOptions = {}): Tensor {
  if (pixels === null || typeof pixels !== 'object' || !('data' in pixels)) {
    throw new DTypeError(OP, '{ width, height, data } with RGBA bytes (ImageData-like)', pixels === null ? 'null' : typeof pixels);
  }
  const { width, height, data } = pixels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ShapeError(OP, 'positive integer width and height', `width ${width}, height ${height}`);
  }
  if (data.length !== width * height * 4) {
    throw new ShapeError(OP, `${width * height * 4} RGBA values for ${width}x${height}`, `${data.length} values`);
  }
  const [oh, ow] = options.resize ?? [height, width];
  if (!isDim(oh, 1) || !isDim(ow, 1)) {
    throw new OptionError(OP, 'resize', `[height, width] of integers from 1 to ${MAX_DIM} (2**31 - 1)`, options.resize);
  }
  const { scale, shift } = affineFor(options.normalize);
  // Checked against the size limits before any memory is taken; the pixels go straight into wasm memory
  // (nothing else allocates until the tensor is returned, so the view stays valid).
  checkShape(OP, [1, oh, ow, 3], 'an output shape');
  const t = Tensor.alloc([1, oh, ow, 3], OP);
  const out = rawView(t, OP);
  if (oh === height && ow === width) {
    for (let i = 0; i < oh * ow; i++) {
      for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * 4 + c]! * scale[c]! + shift[c]!;
    }
  } else {
    // Half-pixel centers: source coordinate (dst + 0.5) * in/out - 0.5, clamped to the image.
    const sy = height / oh;
    const sx = width / ow;
    const xs0 = new Int32Array(ow);
    const xs1 = new Int32Array(ow);
    const fx = new Float32Array(ow);
    for (let x = 0; x < ow; x++) {
      const src = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
      xs0[x] = Math.floor(src);
      xs1[x] = Math.min(xs0[x]! + 1, width - 1);
      fx[x] = src - xs0[x]!;
    }
    for (let y = 0; y < oh; y++) {
      const src = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
      const y0 = Math.floor(src);
      const y1 = Math.min(y0 + 1, height - 1);
      const fy = src - y0;
      for (let x = 0; x < ow; x++) {
        const a = (y0 * width + xs0[x]!) * 4;
        const b = (y0 * width + xs1[x]!) * 4;
        const cc = (y1 * width + xs0[x]!) * 4;
        const d = (y1 * width + xs1[x]!) * 4;
        const wx = fx[x]!;
        for (let c = 0; c < 3; c++) {
          const top = data[a + c]! + (data[b + c]! - data[a + c]!) * wx;
          const bot = data[cc + c]! + (data[d + c]! - data[cc + c]!) * wx;
          out[(y * ow + x) * 3 + c] = (top + (bot - top) * fy) * scale[c]! + shift[c]!;
        }
      }
    }
  }
  return t;
}
