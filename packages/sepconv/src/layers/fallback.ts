// Plain-JS kernels over views of wasm memory, for the few step shapes the wasm ops do not take:
// broadcast add / mul, pools whose pads are as wide as the window, softmax on a non-final step;
// and leakyJS, Keras ReLU / LeakyReLU / PReLU's definition, which the wasm prelu
// kernel (crates/kernels/src/prelu.rs) reproduces bit for bit: it runs only where the data is not whole
// repeats of the slope.
// They allocate nothing in wasm; each takes fresh views right before computing (no wasm call happens
// in between, so memory cannot grow under them).
import { applyActivation } from '../ops/activation.js';
import type { ConvGeometry } from '../ops/geometry.js';
import { applyJsActivation, isKernelActivation } from './activations.js';
import type { StepActivation } from './ir.js';

function act(a: StepActivation, v: number): number {
  if (a === 'softmax') return v;
  return isKernelActivation(a) ? applyActivation(a, v) : applyJsActivation(a, v);
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

/** y = min(x, maxValue) where x >= threshold, else slope * (x - threshold); `slope` cycles over `x`. */
export function leakyJS(x: Float32Array, y: Float32Array, slope: Float32Array, threshold: number, maxValue: number): void {
  const m = slope.length;
  for (let base = 0; base < x.length; base += m) {
    const end = Math.min(m, x.length - base);
    for (let j = 0; j < end; j++) {
      const v = x[base + j]!;
      y[base + j] = v >= threshold ? Math.min(v, maxValue) : slope[j]! * (v - threshold);
    }
  }
}
