// ResizeBilinear / ResizeNearestNeighbor on NHWC tensors as host ops (TF semantics with align_corners
// and half_pixel_centers, as TF.js CPU computes them): the importer's path for post-processing
// tensors and for graphs whose resize has no layer kernel.
import { arity, checkShape, intValues, refuse, type HostOpDef } from './core.js';

/** Resize of images [B, H, W, C] to the constant size [newH, newW]; attrs alignCorners, halfPixelCenters. */
export function resizeOp(bilinear: boolean): HostOpDef {
  return (args, attrs) => {
    arity(args, 2);
    const x = args[0]!;
    if (x.shape.length !== 4) refuse(`images of rank 4 [batch, height, width, channels], got [${x.shape.join(', ')}]`);
    const size = intValues(args[1], 'the size');
    if (size.length !== 2 || size.some((d) => d < 1)) refuse(`a size [height, width] of positive integers, got [${size.join(', ')}]`);
    const align = Boolean(attrs.alignCorners);
    const half = Boolean(attrs.halfPixelCenters);
    if (align && half) refuse('align_corners and half_pixel_centers cannot both be set');
    const [b, h, w, c] = x.shape as [number, number, number, number];
    const [nh, nw] = size as [number, number];
    const shape = checkShape([b, nh, nw, c], 'the resized shape');
    const scale = (inSize: number, outSize: number) => (align && outSize > 1 ? inSize - 1 : inSize) / (align && outSize > 1 ? outSize - 1 : outSize);
    const sy = scale(h, nh);
    const sx = scale(w, nw);
    // Per output row / column: the two source indices and the weight of the second (bilinear), or the one source (nearest).
    const axis = (n: number, len: number, s: number) => {
      const i0 = new Int32Array(n);
      const i1 = new Int32Array(n);
      const f = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        if (bilinear) {
          const src = half ? s * (k + 0.5) - 0.5 : s * k;
          const lo = Math.max(0, Math.floor(src));
          i0[k] = Math.min(len - 1, lo);
          i1[k] = Math.min(len - 1, Math.ceil(src));
          f[k] = src - lo;
        } else {
          const src = half ? s * (k + 0.5) : s * k;
          let j = Math.min(len - 1, align ? Math.round(src) : Math.floor(src));
          if (half) j = Math.max(0, j);
          i0[k] = j;
        }
      }
      return { i0, i1, f };
    };
    const ry = axis(nh, h, sy);
    const rx = axis(nw, w, sx);
    return {
      outs: [{ shape, dtype: x.dtype === 'float32' || bilinear ? 'float32' : x.dtype }],
      run: ([xv], [o]) => {
        let q = 0;
        for (let n = 0; n < b; n++) {
          const base = n * h * w * c;
          for (let y = 0; y < nh; y++) {
            const t = base + ry.i0[y]! * w * c;
            const u = base + ry.i1[y]! * w * c;
            const fy = ry.f[y]!;
            for (let xx = 0; xx < nw; xx++) {
              const l = rx.i0[xx]! * c;
              const r = rx.i1[xx]! * c;
              const fx = rx.f[xx]!;
              for (let ch = 0; ch < c; ch++) {
                if (!bilinear) {
                  o![q++] = xv![t + l + ch]!;
                  continue;
                }
                const tl = xv![t + l + ch]!;
                const top = tl + (xv![t + r + ch]! - tl) * fx;
                const bl = xv![u + l + ch]!;
                const bottom = bl + (xv![u + r + ch]! - bl) * fx;
                o![q++] = top + (bottom - top) * fy;
              }
            }
          }
        }
      },
    };
  };
}
