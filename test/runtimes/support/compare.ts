import { expect } from 'vitest';
import { DEPTHWISE_CASES, depthwiseInputs } from '../fixtures/workload.mjs';

export interface Output {
  shape: number[];
  data: number[];
}
export interface WorkloadResult {
  backend: { build: string; reason: string };
  depthwise: Record<string, Output>;
  model?: Output;
}

/** |got - want| <= atol + rtol * |want| everywhere; names the first element that is not. */
export function expectClose(what: string, got: Output, want: Output, { rtol = 1e-5, atol = 1e-5 } = {}): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  expect(got.data.length, `${what}: length`).toBe(want.data.length);
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i]!;
    const w = want.data[i]!;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      expect.fail(`${what}: element ${i} is ${g}, expected ${w} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

/** Every output of a workload result against another's (the Node 20 ESM run). */
export function expectSameResults(what: string, got: WorkloadResult, want: WorkloadResult, tol?: { rtol?: number; atol?: number }): void {
  for (const name of Object.keys(want.depthwise)) expectClose(`${what} ${name}`, got.depthwise[name]!, want.depthwise[name]!, tol);
  expect(Boolean(got.model), `${what}: model ran`).toBe(Boolean(want.model));
  if (want.model) expectClose(`${what} model`, got.model!, want.model, { rtol: 1e-4, atol: 1e-5, ...tol });
}

/** Float64 depthwise reference (TF 'same'/'valid' padding, NHWC, [KH, KW, C, M] filter). */
function depthwiseReference(i: number): Output {
  const c = DEPTHWISE_CASES[i]!;
  const { x, filter, bias } = depthwiseInputs(c, 1000 + i);
  const [n, h, w, ch] = c.x as [number, number, number, number];
  const [kh, kw, , m] = c.filter as [number, number, number, number];
  const s = (c.opts as { strides?: number }).strides ?? 1;
  const d = (c.opts as { dilations?: number }).dilations ?? 1;
  const same = c.opts.padding === 'same';
  const ekh = (kh - 1) * d + 1;
  const ekw = (kw - 1) * d + 1;
  const oh = same ? Math.ceil(h / s) : Math.floor((h - ekh) / s) + 1;
  const ow = same ? Math.ceil(w / s) : Math.floor((w - ekw) / s) + 1;
  const padT = same ? Math.floor(Math.max((oh - 1) * s + ekh - h, 0) / 2) : 0;
  const padL = same ? Math.floor(Math.max((ow - 1) * s + ekw - w, 0) / 2) : 0;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let cc = 0; cc < ch; cc++)
          for (let mm = 0; mm < m; mm++) {
            let acc = bias ? bias[cc * m + mm]! : 0;
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * s + ky * d - padT;
                const ix = ox * s + kx * d - padL;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                acc += x[((b * h + iy) * w + ix) * ch + cc]! * filter[((ky * kw + kx) * ch + cc) * m + mm]!;
              }
            if (c.opts.activation === 'relu6') acc = Math.min(Math.max(acc, 0), 6);
            out.push(acc);
          }
  return { shape: [n, oh, ow, ch * m], data: out };
}

/** The depthwise outputs against float64 (tolerance scaled by the tap count, as the package tests). */
export function expectDepthwiseCorrect(what: string, got: WorkloadResult): void {
  DEPTHWISE_CASES.forEach((c, i) => {
    const taps = c.filter[0]! * c.filter[1]!;
    expectClose(`${what} ${c.name} vs float64`, got.depthwise[c.name]!, depthwiseReference(i), { rtol: 1e-5 * taps, atol: 1e-5 * taps });
  });
}
