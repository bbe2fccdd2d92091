// Plain float64 references for the wasm-facing tests (independent of the Rust references).
import { applyActivation, type ActivationName } from '../src/ops/activation.js';
import type { ConvGeometry } from '../src/ops/geometry.js';

export function depthwiseReference(
  x: Float32Array,
  [n, , , c]: readonly number[],
  filter: Float32Array,
  m: number,
  g: ConvGeometry,
  bias: Float32Array | undefined,
  act: ActivationName,
): Float64Array {
  const oc = c! * m;
  const out = new Float64Array(n! * g.outH * g.outW * oc);
  for (let b = 0; b < n!; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let ch = 0; ch < c!; ch++)
          for (let j = 0; j < m; j++) {
            const o = ch * m + j;
            let acc = bias ? bias[o]! : 0;
            for (let ky = 0; ky < g.kernelH; ky++)
              for (let kx = 0; kx < g.kernelW; kx++) {
                const iy = oy * g.strideH + ky * g.dilationH - g.pads.top;
                const ix = ox * g.strideW + kx * g.dilationW - g.pads.left;
                if (iy < 0 || ix < 0 || iy >= g.inH || ix >= g.inW) continue;
                acc += x[((b * g.inH + iy) * g.inW + ix) * c! + ch]! * filter[(ky * g.kernelW + kx) * oc + o]!;
              }
            out[((b * g.outH + oy) * g.outW + ox) * oc + o] = applyActivation(act, acc);
          }
  return out;
}

/** C[m, n] = act(A[m, k] * B[k, n] + bias), float64; pointwise conv and dense. */
export function gemmReference(a: Float32Array, m: number, k: number, b: Float32Array, n: number, bias: Float32Array | undefined, act: ActivationName): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = bias ? bias[j]! : 0;
      for (let kk = 0; kk < k; kk++) acc += a[i * k + kk]! * b[kk * n + j]!;
      out[i * n + j] = applyActivation(act, acc);
    }
  return out;
}

/** Grouped conv, NHWC, filter [KH, KW, Cin/groups, Cout], float64. */
export function convReference(
  x: Float32Array,
  [n, , , cin]: readonly number[],
  filter: Float32Array,
  cout: number,
  groups: number,
  g: ConvGeometry,
  bias: Float32Array | undefined,
  act: ActivationName,
): Float64Array {
  const cg = cin! / groups;
  const ng = cout / groups;
  const out = new Float64Array(n! * g.outH * g.outW * cout);
  for (let b = 0; b < n!; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let o = 0; o < cout; o++) {
          const gi = Math.floor(o / ng);
          let acc = bias ? bias[o]! : 0;
          for (let ky = 0; ky < g.kernelH; ky++)
            for (let kx = 0; kx < g.kernelW; kx++) {
              const iy = oy * g.strideH + ky * g.dilationH - g.pads.top;
              const ix = ox * g.strideW + kx * g.dilationW - g.pads.left;
              if (iy < 0 || ix < 0 || iy >= g.inH || ix >= g.inW) continue;
              const px = ((b * g.inH + iy) * g.inW + ix) * cin!;
              for (let ci = 0; ci < cg; ci++) acc += x[px + gi * cg + ci]! * filter[((ky * g.kernelW + kx) * cg + ci) * cout + o]!;
            }
          out[((b * g.outH + oy) * g.outW + ox) * cout + o] = applyActivation(act, acc);
        }
  return out;
}

/** Avg (padding excluded, TensorFlow) or max pooling, NHWC. */
export function poolReference(x: Float32Array, [n, , , c]: readonly number[], g: ConvGeometry, max: boolean): Float64Array {
  const out = new Float64Array(n! * g.outH * g.outW * c!);
  for (let b = 0; b < n!; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let ch = 0; ch < c!; ch++) {
          let acc = max ? -Infinity : 0;
          let count = 0;
          for (let ky = 0; ky < g.kernelH; ky++)
            for (let kx = 0; kx < g.kernelW; kx++) {
              const iy = oy * g.strideH + ky - g.pads.top;
              const ix = ox * g.strideW + kx - g.pads.left;
              if (iy < 0 || ix < 0 || iy >= g.inH || ix >= g.inW) continue;
              const v = x[((b * g.inH + iy) * g.inW + ix) * c! + ch]!;
              acc = max ? Math.max(acc, v) : acc + v;
              count++;
            }
          out[((b * g.outH + oy) * g.outW + ox) * c! + ch] = max ? acc : acc / count;
        }
  return out;
}

/** Deformable depthwise conv, float64: bilinear samples at position + offset (zero outside), times the mask. */
export function deformableDepthwiseReference(
  x: Float32Array,
  [n, , , c]: readonly number[],
  offsets: Float32Array,
  mask: Float32Array | undefined,
  groups: number,
  filter: Float32Array,
  m: number,
  g: ConvGeometry,
  bias: Float32Array | undefined,
  act: ActivationName,
): Float64Array {
  const oc = c! * m;
  const taps = g.kernelH * g.kernelW;
  const at = (b: number, y: number, xx: number, ch: number) => (y < 0 || xx < 0 || y >= g.inH || xx >= g.inW ? 0 : x[((b * g.inH + y) * g.inW + xx) * c! + ch]!);
  const out = new Float64Array(n! * g.outH * g.outW * oc);
  for (let b = 0; b < n!; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++) {
        const pixel = (b * g.outH + oy) * g.outW + ox;
        for (let ch = 0; ch < c!; ch++)
          for (let j = 0; j < m; j++) {
            const o = ch * m + j;
            const grp = Math.floor(ch / (c! / groups));
            let acc = bias ? bias[o]! : 0;
            for (let t = 0; t < taps; t++) {
              const k = (pixel * groups + grp) * taps + t;
              const py = oy * g.strideH + Math.floor(t / g.kernelW) * g.dilationH - g.pads.top + offsets[2 * k]!;
              const px = ox * g.strideW + (t % g.kernelW) * g.dilationW - g.pads.left + offsets[2 * k + 1]!;
              if (!(py > -1 && px > -1 && py < g.inH && px < g.inW)) continue;
              const [y0, x0] = [Math.floor(py), Math.floor(px)];
              const [ly, lx] = [py - y0, px - x0];
              const v = (1 - ly) * (1 - lx) * at(b, y0, x0, ch) + (1 - ly) * lx * at(b, y0, x0 + 1, ch) + ly * (1 - lx) * at(b, y0 + 1, x0, ch) + ly * lx * at(b, y0 + 1, x0 + 1, ch);
              acc += v * (mask ? mask[k]! : 1) * filter[t * oc + o]!;
            }
            out[pixel * oc + o] = applyActivation(act, acc);
          }
      }
  return out;
}

/** Transposed conv, float64: x [N, H, W, Cin], filter [KH, KW, Cout, Cin], every input value scattered to where each tap lands. */
export function convTransposeReference(
  x: Float32Array,
  [n, h, w, cin]: readonly number[],
  filter: Float32Array,
  cout: number,
  g: { outH: number; outW: number; kernelH: number; kernelW: number; strideH: number; strideW: number; dilationH: number; dilationW: number; padTop: number; padLeft: number },
  bias: Float32Array | undefined,
  act: ActivationName,
): Float64Array {
  const out = new Float64Array(n! * g.outH * g.outW * cout);
  for (let b = 0; b < n!; b++)
    for (let iy = 0; iy < h!; iy++)
      for (let ix = 0; ix < w!; ix++)
        for (let ky = 0; ky < g.kernelH; ky++) {
          const oy = iy * g.strideH + ky * g.dilationH - g.padTop;
          if (oy < 0 || oy >= g.outH) continue;
          for (let kx = 0; kx < g.kernelW; kx++) {
            const ox = ix * g.strideW + kx * g.dilationW - g.padLeft;
            if (ox < 0 || ox >= g.outW) continue;
            for (let co = 0; co < cout; co++) {
              let acc = 0;
              for (let ci = 0; ci < cin!; ci++) acc += x[((b * h! + iy) * w! + ix) * cin! + ci]! * filter[((ky * g.kernelW + kx) * cout + co) * cin! + ci]!;
              out[((b * g.outH + oy) * g.outW + ox) * cout + co]! += acc;
            }
          }
        }
  for (let i = 0; i < out.length; i++) out[i] = applyActivation(act, out[i]! + (bias ? bias[i % cout]! : 0));
  return out;
}
