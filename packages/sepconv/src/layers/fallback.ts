// Plain-JS kernels over views of wasm memory, used by the model executor for step kinds whose wasm
// op core is not available yet. They allocate nothing in wasm; each takes fresh views right before
// computing (no wasm call happens in between, so memory cannot grow under them).
import { applyActivation } from '../ops/activation.js';
import type { ConvGeometry, Pads } from '../ops/geometry.js';
import type { StepActivation } from './ir.js';

function act(a: StepActivation, v: number): number {
  return a === 'softmax' ? v : applyActivation(a, v);
}

/** Softmax over the last axis (rows of `c`), in place. */
export function softmaxRows(y: Float32Array, c: number): void {
  for (let r = 0; r < y.length; r += c) {
    let m = -Infinity;
    for (let i = 0; i < c; i++) m = Math.max(m, y[r + i]!);
    let s = 0;
    for (let i = 0; i < c; i++) {
      const e = Math.exp(y[r + i]! - m);
      y[r + i] = e;
      s += e;
    }
    for (let i = 0; i < c; i++) y[r + i] = y[r + i]! / s;
  }
}

/** General grouped conv, NHWC, filter [KH, KW, Cin/groups, Cout]. */
export function convJS(x: Float32Array, n: number, cin: number, y: Float32Array, f: Float32Array, bias: Float32Array | undefined, g: ConvGeometry, cout: number, groups: number, a: StepActivation): void {
  const cig = cin / groups;
  const cog = cout / groups;
  const acc = new Float64Array(cout);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++) {
        for (let o = 0; o < cout; o++) acc[o] = bias ? bias[o]! : 0;
        for (let ky = 0; ky < g.kernelH; ky++) {
          const iy = oy * g.strideH + ky * g.dilationH - g.pads.top;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < g.kernelW; kx++) {
            const ix = ox * g.strideW + kx * g.dilationW - g.pads.left;
            if (ix < 0 || ix >= g.inW) continue;
            const xb = ((b * g.inH + iy) * g.inW + ix) * cin;
            const fb = (ky * g.kernelW + kx) * cig * cout;
            for (let gi = 0; gi < groups; gi++)
              for (let ci = 0; ci < cig; ci++) {
                const xv = x[xb + gi * cig + ci]!;
                if (xv === 0) continue;
                const fr = fb + ci * cout + gi * cog;
                for (let o = 0; o < cog; o++) acc[gi * cog + o] = acc[gi * cog + o]! + xv * f[fr + o]!;
              }
          }
        }
        const yb = ((b * g.outH + oy) * g.outW + ox) * cout;
        for (let o = 0; o < cout; o++) y[yb + o] = act(a, acc[o]!);
      }
  if (a === 'softmax') softmaxRows(y, cout);
}

/** rows x [K] times [K, N] + bias, activation. */
export function gemmJS(x: Float32Array, rows: number, k: number, y: Float32Array, w: Float32Array, nOut: number, bias: Float32Array | undefined, a: StepActivation): void {
  const acc = new Float64Array(nOut);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < nOut; o++) acc[o] = bias ? bias[o]! : 0;
    for (let i = 0; i < k; i++) {
      const xv = x[r * k + i]!;
      if (xv === 0) continue;
      const wr = i * nOut;
      for (let o = 0; o < nOut; o++) acc[o] = acc[o]! + xv * w[wr + o]!;
    }
    for (let o = 0; o < nOut; o++) y[r * nOut + o] = act(a, acc[o]!);
  }
  if (a === 'softmax') softmaxRows(y, nOut);
}

export function activationJS(x: Float32Array, y: Float32Array, c: number, a: StepActivation): void {
  for (let i = 0; i < x.length; i++) y[i] = act(a, x[i]!);
  if (a === 'softmax') softmaxRows(y, c);
}

/** a + b or a * b; `b` is either a's size, or one C-vector per sample broadcast over `perSample / c` pixels. */
export function binaryJS(op: 'add' | 'mul', a: Float32Array, b: Float32Array, y: Float32Array, n: number, c: number): void {
  if (a.length === b.length) {
    if (op === 'add') for (let i = 0; i < a.length; i++) y[i] = a[i]! + b[i]!;
    else for (let i = 0; i < a.length; i++) y[i] = a[i]! * b[i]!;
    return;
  }
  const per = a.length / n;
  for (let s = 0; s < n; s++)
    for (let p = 0; p < per; p += c)
      for (let i = 0; i < c; i++) {
        const j = s * per + p + i;
        y[j] = op === 'add' ? a[j]! + b[s * c + i]! : a[j]! * b[s * c + i]!;
      }
}

export function gapJS(x: Float32Array, n: number, hw: number, c: number, y: Float32Array): void {
  const acc = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    acc.fill(0);
    for (let p = 0; p < hw; p++) for (let i = 0; i < c; i++) acc[i] = acc[i]! + x[(b * hw + p) * c + i]!;
    for (let i = 0; i < c; i++) y[b * c + i] = acc[i]! / hw;
  }
}

/** TF semantics: average pooling excludes padded cells; max pooling ignores them. */
export function poolJS(mode: 'avg' | 'max', x: Float32Array, n: number, c: number, g: ConvGeometry, y: Float32Array): void {
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let i = 0; i < c; i++) {
          let acc = mode === 'avg' ? 0 : -Infinity;
          let count = 0;
          for (let ky = 0; ky < g.kernelH; ky++) {
            const iy = oy * g.strideH + ky - g.pads.top;
            if (iy < 0 || iy >= g.inH) continue;
            for (let kx = 0; kx < g.kernelW; kx++) {
              const ix = ox * g.strideW + kx - g.pads.left;
              if (ix < 0 || ix >= g.inW) continue;
              const v = x[((b * g.inH + iy) * g.inW + ix) * c + i]!;
              if (mode === 'avg') acc += v;
              else if (v > acc) acc = v;
              count++;
            }
          }
          y[((b * g.outH + oy) * g.outW + ox) * c + i] = mode === 'avg' ? acc / count : acc;
        }
}

export function padJS(x: Float32Array, n: number, h: number, w: number, c: number, p: Pads, y: Float32Array): void {
  const oh = h + p.top + p.bottom;
  const ow = w + p.left + p.right;
  y.fill(0);
  for (let b = 0; b < n; b++)
    for (let iy = 0; iy < h; iy++) {
      const src = ((b * h + iy) * w) * c;
      const dst = ((b * oh + iy + p.top) * ow + p.left) * c;
      y.set(x.subarray(src, src + w * c), dst);
    }
}
