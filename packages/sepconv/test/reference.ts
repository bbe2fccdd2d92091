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
