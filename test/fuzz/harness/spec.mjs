// The fuzz suite's own statement of what is valid (HELPERS.md's shared limits, independent of the package's
// code) and plain float64 references for the window ops. Shared by the test files (to draw cases) and the
// case runner (to judge outcomes). Plain JS so the runner process can import it without a transform.

export const MAX_DIM = 2 ** 31 - 1;
export const MAX_ELEMENTS = 2 ** 30 - 1;
/** Valid tensors above this many elements are not drawn (they are legal, but would allocate GiBs on CI). */
export const ALLOC_CAP = 1 << 20;
/** "Every error message is bounded (say 1 KB)": this leaves room for the op / file prefix around it. */
export const MESSAGE_CAP = 2048;

/** Integers around the limits and values that are not sizes at all. */
export const LIMIT_INTS = [0, 1, 2, 3, 5, 32768, 32769, 65536, 65537, 2 ** 30 - 1, 2 ** 30, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 2 ** 53];
export const NOT_SIZES = [-1, -(2 ** 31), NaN, 1.5, Infinity, -Infinity, 2 ** 53 + 2, '3', null, undefined, true, 3n, [2], { $: 'valueOf3' }];
// ({ $: 'valueOf3' } travels to the runner as a token and becomes { valueOf: () => 3 } there.)

export const isDim = (d) => Number.isSafeInteger(d) && d >= 0 && d <= MAX_DIM;
export const isPositiveDim = (d) => isDim(d) && d >= 1;

/** Product of a shape, or Infinity when a dim is not valid (so it is "not allocatable"). */
export function elements(shape) {
  if (!Array.isArray(shape) || !shape.every(isDim)) return Infinity;
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

/** A shape the library must accept: every dim valid, element count <= MAX_ELEMENTS. */
export const validShape = (shape) => elements(shape) <= MAX_ELEMENTS;

/** Pair option -> [h, w] or undefined when not a valid value >= 1 (an absent option, undefined or null, -> fallback). */
export function pairOf(v, fallback) {
  if (v === undefined || v === null) return [fallback, fallback];
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : undefined;
  return p && p.every(isPositiveDim) ? p : undefined;
}

/**
 * TensorFlow's window geometry for one op call, or { invalid: why } when an option is not valid by the shared
 * limits, or { empty: true } when it is valid but the output has no elements (then the op may return an
 * empty tensor or throw a SepconvError).
 */
export function windowGeometry(xShape, kernel, strides, dilations, padding) {
  const [, inH, inW] = xShape;
  const k = kernel;
  if (!k || !k.every(isPositiveDim)) return { invalid: 'kernel' };
  if (!strides) return { invalid: 'strides' };
  if (!dilations) return { invalid: 'dilations' };
  let top, bottom, left, right, outH, outW;
  if (padding === 'valid' || padding === 'same') {
    const axis = (input, kk, s, d) => {
      const span = (kk - 1) * d + 1;
      if (padding === 'valid') return { out: input >= span ? Math.floor((input - span) / s) + 1 : 0, before: 0, after: 0 };
      const out = Math.ceil(input / s);
      const needed = Math.max((Math.max(out, 1) - 1) * s + span - input, 0);
      return { out, before: Math.floor(needed / 2), after: needed - Math.floor(needed / 2) };
    };
    const a = axis(inH, k[0], strides[0], dilations[0]);
    const b = axis(inW, k[1], strides[1], dilations[1]);
    [outH, top, bottom, outW, left, right] = [a.out, a.before, a.after, b.out, b.before, b.after];
  } else if (Array.isArray(padding) && padding.length === 4 && padding.every(isDim)) {
    [top, bottom, left, right] = padding;
    const out = (input, b, a, kk, s, d) => {
      const span = (kk - 1) * d + 1;
      const padded = input + b + a;
      return padded >= span ? Math.floor((padded - span) / s) + 1 : 0;
    };
    outH = out(inH, top, bottom, k[0], strides[0], dilations[0]);
    outW = out(inW, left, right, k[1], strides[1], dilations[1]);
  } else return { invalid: 'padding' };
  const g = { inH, inW, kernelH: k[0], kernelW: k[1], strideH: strides[0], strideW: strides[1], dilationH: dilations[0], dilationW: dilations[1], top, left, outH, outW };
  // 'same' pads derived beyond MAX_DIM (huge dilations): the output is still defined (taps outside the image
  // read zeros), so either the reference's answer or a typed refusal is fine - like any valid call.
  if (!(outH >= 1 && outW >= 1)) return { ...g, empty: true, why: 'no output' };
  return g;
}

/**
 * Float64 reference of a window op over NHWC x: 'depthwise' (filter [KH, KW, C, M]), 'conv' (filter
 * [KH, KW, C, O]), 'max' / 'avg' pooling (TF: padding excluded from the average and the max).
 */
export function windowReference(kind, x, [n, , , c], filter, fShape, g) {
  const oc = kind === 'depthwise' ? c * fShape[3] : kind === 'conv' ? fShape[3] : c;
  const out = new Float64Array(n * g.outH * g.outW * oc);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let o = 0; o < oc; o++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let ky = 0; ky < g.kernelH; ky++)
            for (let kx = 0; kx < g.kernelW; kx++) {
              const iy = oy * g.strideH + ky * g.dilationH - g.top;
              const ix = ox * g.strideW + kx * g.dilationW - g.left;
              if (iy < 0 || ix < 0 || iy >= g.inH || ix >= g.inW) continue;
              const at = ((b * g.inH + iy) * g.inW + ix) * c;
              if (kind === 'depthwise') {
                const m = fShape[3];
                acc += x[at + Math.floor(o / m)] * filter[(ky * g.kernelW + kx) * oc + o];
              } else if (kind === 'conv') {
                for (let ci = 0; ci < c; ci++) acc += x[at + ci] * filter[((ky * g.kernelW + kx) * c + ci) * oc + o];
              } else if (kind === 'max') acc = Math.max(acc, x[at + o]);
              else {
                acc += x[at + o];
                count++;
              }
            }
          out[((b * g.outH + oy) * g.outW + ox) * oc + o] = kind === 'avg' ? (count ? acc / count : 0) : acc;
        }
  return { out, shape: [n, g.outH, g.outW, oc] };
}

/** Largest |got - want| / (1 + |want|); Infinity on a length mismatch or NaN. */
export function relErr(got, want) {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** mulberry32 in [-1, 1), as test/engines/rng.ts. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

export const randomData = (n, seed) => {
  const next = rng(seed);
  return Float32Array.from({ length: n }, next);
};
