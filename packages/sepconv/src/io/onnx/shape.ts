// Shape ops. On computed tensors: Flatten / Reshape / Squeeze / Unsqueeze between [N, C, H, W] and
// [N, F] (a Flatten of an H, W > 1 map keeps ONNX's c,h,w feature order by marking the value; the
// Gemm after it permutes its weight rows), channel Concat, Identity, Dropout. On constants (shape
// subgraphs, folded per input size): Shape, Gather, Unsqueeze, Squeeze, Concat, Slice, Reshape,
// Cast, arithmetic.
import { prod } from '../keras-config.js';
import type { Handler } from './conv.js';
import { channelGroupReshape } from './layout.js';
import { fmt, isIntType, normAxis, type Const, type Lowering, type OnnxNode, type Sym } from './context.js';

const isConst = (v: unknown): v is Const => (v as Const | undefined)?.kind === 'const';

/** Reshape of a computed tensor to ONNX target `t` (0 copies, -1 infers); the batch dimension is kept. */
function reshapeSym(low: Lowering, n: OnnxNode, x: Sym, t: number[], allowZero = false): void {
  const rest = x.shape.slice(1);
  if (rest.some((d) => d === null)) low.fail(n, `reshaping ${fmt(x.shape)} needs known sizes; pass inputShape`);
  const per = prod(rest);
  if (t.length < 1) low.fail(n, 'an empty target shape');
  const b = t[0]!;
  if (!(b === -1 || b === 1 || (b === 0 && !allowZero) || b === x.shape[0])) low.fail(n, `target ${JSON.stringify(t)} changes the batch dimension`);
  const out = t.slice(1).map((d, i) => (d === 0 && !allowZero ? (x.shape[i + 1] ?? low.fail(n, `target ${JSON.stringify(t)} copies a dimension the input lacks`)) : d)) as number[];
  const unknown = out.filter((d) => d === -1).length;
  if (unknown > 1 || (unknown === 1 && b === -1)) low.fail(n, `target ${JSON.stringify(t)} has more than one -1 besides the batch`);
  if (unknown === 1) out[out.indexOf(-1)] = per / prod(out.filter((d) => d !== -1));
  if (!out.every((d) => Number.isInteger(d) && d >= 1) || prod(out) !== per) low.fail(n, `cannot reshape ${fmt(x.shape)} to ${JSON.stringify(t)}`);
  toShape(low, n, x, out);
}

/** Moves x to per-sample ONNX shape `out` (same element count) where layouts allow it exactly. */
function toShape(low: Lowering, n: OnnxNode, x: Sym, out: number[]): void {
  if (channelGroupReshape(low, n, x, out)) return;
  const rest = x.shape.slice(1) as number[];
  const name = n.name || n.output[0]!;
  const same = out.length === rest.length && out.every((d, i) => d === rest[i]);
  if (same) {
    low.setSym(n, 0, low.emit('Identity', name, [x.tf]), x.shape, x.chw);
    return;
  }
  const target = (s: number[]) => low.constNode(`${n.name}/shape`, [-1, ...s], [s.length + 1], true);
  if (rest.length === 3 && out.length === 1) {
    const [c, h, w] = rest as [number, number, number];
    const chw: [number, number, number] | undefined = c > 1 && h * w > 1 ? [c, h, w] : undefined;
    low.setSym(n, 0, low.emit('Reshape', name, [x.tf, target(out)]), [x.shape[0]!, out[0]!], chw);
    return;
  }
  if (rest.length === 1 && out.length === 3 && out[1] === 1 && out[2] === 1 && !x.chw) {
    low.setSym(n, 0, low.emit('Reshape', name, [x.tf, target([1, 1, out[0]!])]), [x.shape[0]!, ...out]);
    return;
  }
  low.fail(n, `reshaping ${fmt(x.shape)} to ${fmt([x.shape[0]!, ...out])} would need a transpose to NCHW order; only [N, C, H, W] <-> [N, F] is supported`);
}

const axesOf = (low: Lowering, n: OnnxNode, i: number): number[] | undefined => {
  if (low.opset >= 13) {
    const a = low.opt(n, i);
    if (a && !isConst(a)) low.fail(n, 'axes must be a constant');
    return a ? [...(a as Const).values] : undefined;
  }
  return low.aInts(n, 'axes');
};

/** The shape after Squeeze / Unsqueeze of `shape` by `axes`. */
function squeezed(low: Lowering, n: OnnxNode, shape: readonly (number | null)[], axes: number[] | undefined, unsqueeze: boolean): (number | null)[] {
  if (unsqueeze) {
    if (!axes) low.fail(n, 'axes are required');
    const rank = shape.length + axes.length;
    const norm = axes.map((a) => normAxis(low, n, a, rank));
    const out: (number | null)[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : shape[k++]!);
    return out;
  }
  const norm = (axes ?? shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => normAxis(low, n, a, shape.length));
  if (norm.some((a) => shape[a] !== 1)) low.fail(n, `squeezing axes ${JSON.stringify(axes)} of ${fmt(shape)}: only size-1 axes can be squeezed`);
  return shape.filter((_, i) => !norm.includes(i));
}

const squeezeOp = (unsqueeze: boolean): Handler => (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const out = squeezed(low, n, x.shape, axesOf(low, n, 1), unsqueeze);
  if (out.length < 1 || out[0] !== x.shape[0]) low.fail(n, 'squeezing or inserting before the batch dimension is not supported');
  toShape(low, n, x, out.slice(1) as number[]);
};

export const Flatten: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  if (normAxis(low, n, low.aInt(n, 'axis', 1), x.shape.length + 1) !== 1) low.fail(n, `axis ${low.aInt(n, 'axis', 1)}: only flattening after the batch axis (axis 1) is supported`);
  reshapeSym(low, n, x, [0, -1]);
};

export const Reshape: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const t = low.opset >= 5 ? [...low.cst(n, 1).values] : (low.aInts(n, 'shape') ?? []);
  reshapeSym(low, n, x, t, low.aInt(n, 'allowzero', 0) !== 0);
};

export const Concat: Handler = (low: Lowering, n: OnnxNode) => {
  const parts = n.input.map((_, i) => low.sym(n, i));
  const rank = parts[0]!.shape.length;
  const axis = normAxis(low, n, low.aInt(n, 'axis', 1), rank);
  if (axis !== 1 || (rank !== 4 && rank !== 2)) low.fail(n, `only concatenation along channels (axis 1 of NCHW or [N, F]) is supported, got axis ${axis} of ${fmt(parts[0]!.shape)}`);
  if (parts.some((p) => p.chw || p.shape.length !== rank)) low.fail(n, `inputs ${parts.map((p) => fmt(p.shape)).join(', ')}: equal ranks, no flattened CHW maps`);
  const shape = [...parts[0]!.shape];
  shape[1] = parts.reduce<number>((a, p) => a + (p.shape[1] ?? NaN), 0);
  const axisConst = low.constNode(`${n.name}/axis`, [-1], [], true);
  low.setSym(n, 0, low.emit('ConcatV2', n.name || n.output[0]!, [...parts.map((p) => p.tf), axisConst]), shape);
};

const passThrough: Handler = (low: Lowering, n: OnnxNode) => {
  if (n.opType === 'Dropout' && n.output[1]) low.fail(n, 'the mask output is not supported');
  low.set(n, 0, low.get(n, 0));
};

export const Shape: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  if (x.shape.slice(1).some((d) => d === null)) low.fail(n, `the shape of ${fmt(x.shape)} is known only at predict time; pass inputShape`);
  // The batch size reads as 1 (a Reshape that keeps it accepts 1 there).
  const full = [x.shape[0] ?? 1, ...(x.shape.slice(1) as number[])];
  const r = full.length;
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const v = full.slice(clampIdx(low.aInt(n, 'start', 0)), clampIdx(low.aInt(n, 'end', r)));
  low.set(n, 0, { kind: 'const', shape: [v.length], values: Float64Array.from(v), int: true });
};

export const SHAPE_OPS: Record<string, Handler> = {
  Flatten,
  Reshape,
  Squeeze: /* @__PURE__ */ squeezeOp(false),
  Unsqueeze: /* @__PURE__ */ squeezeOp(true),
  Concat,
  Identity: passThrough,
  Dropout: passThrough,
  Shape,
};

// ---------------------------------------------------------------------------------------------
// Constant folding

const strides = (s: readonly number[]) => s.map((_, i) => prod(s.slice(i + 1)));

function broadcast(low: Lowering, n: OnnxNode, a: Const, b: Const, f: (x: number, y: number) => number): Const {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...Array(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...Array(rank - b.shape.length).fill(1), ...b.shape];
  if (pa.some((d, i) => d !== pb[i] && d !== 1 && pb[i] !== 1)) low.fail(n, `constants ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} do not broadcast`);
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const [sa, sb, so] = [strides(pa), strides(pb), strides(shape)];
  const out = new Float64Array(prod(shape));
  for (let i = 0; i < out.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      const c = Math.floor(i / so[d]!) % shape[d]!;
      if (pa[d] !== 1) ia += c * sa[d]!;
      if (pb[d] !== 1) ib += c * sb[d]!;
    }
    out[i] = f(a.values[ia]!, b.values[ib]!);
  }
  return { kind: 'const', shape, values: out, int: a.int === true && b.int === true };
}


type Fold = (low: Lowering, n: OnnxNode, ins: Const[]) => Const;

function gather(low: Lowering, n: OnnxNode, [data, idx]: Const[]): Const {
  const rank = data!.shape.length;
  const axis = normAxis(low, n, low.aInt(n, 'axis', 0), rank);
  const dim = data!.shape[axis]!;
  const outer = prod(data!.shape.slice(0, axis));
  const inner = prod(data!.shape.slice(axis + 1));
  const ids = [...idx!.values].map((v) => {
    const k = v < 0 ? v + dim : v;
    if (!Number.isInteger(k) || k < 0 || k >= dim) low.fail(n, `index ${v} is out of range for a dimension of ${dim}`);
    return k;
  });
  const out = new Float64Array(outer * ids.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) for (const k of ids) for (let b = 0; b < inner; b++) out[o++] = data!.values[(a * dim + k) * inner + b]!;
  return { kind: 'const', shape: [...data!.shape.slice(0, axis), ...idx!.shape, ...data!.shape.slice(axis + 1)], values: out, int: data!.int };
}

function concatConst(low: Lowering, n: OnnxNode, ins: Const[]): Const {
  const rank = ins[0]!.shape.length;
  const axis = normAxis(low, n, low.aInt(n, 'axis', 0), rank);
  if (ins.some((c) => c.shape.length !== rank || c.shape.some((d, i) => i !== axis && d !== ins[0]!.shape[i]))) low.fail(n, 'constants differ outside the concatenation axis');
  const outer = prod(ins[0]!.shape.slice(0, axis));
  const parts: number[] = [];
  for (let a = 0; a < outer; a++) for (const c of ins) {
    const len = prod(c.shape.slice(axis));
    for (let j = 0; j < len; j++) parts.push(c.values[a * len + j]!);
  }
  const shape = [...ins[0]!.shape];
  shape[axis] = ins.reduce((s, c) => s + c.shape[axis]!, 0);
  return { kind: 'const', shape, values: Float64Array.from(parts), int: ins.every((c) => c.int) };
}

function sliceConst(low: Lowering, n: OnnxNode, ins: Const[]): Const {
  const data = ins[0]!;
  if (data.shape.length !== 1) low.fail(n, 'only 1-D constant slices are folded');
  const get = (i: number, key: string): number[] | undefined => (low.opset >= 10 ? (ins[i] ? [...ins[i]!.values] : undefined) : low.aInts(n, key));
  const starts = get(1, 'starts') ?? [0];
  const ends = get(2, 'ends') ?? [Infinity];
  const steps = low.opset >= 10 ? (get(4, 'steps') ?? [1]) : [1];
  const len = data.values.length;
  const step = steps[0]!;
  if (step === 0) low.fail(n, 'a step of 0');
  const clampS = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + len : v, lo), hi);
  const out: number[] = [];
  if (step > 0) for (let k = clampS(starts[0]!, 0, len); k < clampS(ends[0]!, 0, len); k += step) out.push(data.values[k]!);
  else for (let k = clampS(starts[0]!, -1, len - 1); k > clampS(ends[0]!, -1, len - 1); k += step) out.push(data.values[k]!);
  return { kind: 'const', shape: [out.length], values: Float64Array.from(out), int: data.int };
}

function reshapeConst(low: Lowering, n: OnnxNode, [x, s]: Const[]): Const {
  const t = [...s!.values].map((d, i) => (d === 0 && !low.aInt(n, 'allowzero', 0) ? x!.shape[i]! : d));
  const u = t.indexOf(-1);
  if (u >= 0) t[u] = x!.values.length / prod(t.filter((d) => d !== -1));
  if (prod(t) !== x!.values.length || !t.every((d) => Number.isInteger(d) && d >= 0)) low.fail(n, `cannot reshape constant ${JSON.stringify(x!.shape)} to ${JSON.stringify([...s!.values])}`);
  return { kind: 'const', shape: t, values: x!.values, int: x!.int };
}

function castConst(low: Lowering, n: OnnxNode, [x]: Const[]): Const {
  const to = low.aInt(n, 'to', 1);
  // Float types keep values (float16/float32 rounding aside); integer types truncate; bool is != 0.
  const f = to === 1 ? Math.fround : to === 10 || to === 11 ? (v: number) => v : to === 9 ? (v: number) => (v !== 0 ? 1 : 0) : Math.trunc;
  return { kind: 'const', shape: x!.shape, values: x!.values.map(f), int: isIntType(to) };
}

/** Saturation range of a QuantizeLinear output type (uint8 when no zero point says otherwise). */
const Q_RANGE: Record<number, [number, number]> = { 2: [0, 255], 3: [-128, 127], 4: [0, 65535], 5: [-32768, 32767], 6: [-(2 ** 31), 2 ** 31 - 1] };

/** Scale / zero point of (De)QuantizeLinear broadcast over `x`: a scalar, or 1-D along `axis`. */
function perAxisQ(low: Lowering, n: OnnxNode, x: Const, q: Const | undefined, what: string): (i: number) => number {
  if (!q || q.values.length === 1) {
    const v = q?.values[0] ?? 0;
    return () => v;
  }
  if (low.aInt(n, 'block_size', 0) !== 0) low.fail(n, 'blocked quantization (block_size) is not supported');
  const rank = x.shape.length;
  const axis = normAxis(low, n, low.aInt(n, 'axis', 1), rank);
  if (q.shape.length !== 1 || q.values.length !== x.shape[axis]) low.fail(n, `${what} of shape ${JSON.stringify(q.shape)} does not match axis ${axis} of ${JSON.stringify(x.shape)}`);
  const inner = prod(x.shape.slice(axis + 1));
  const dim = x.shape[axis]!;
  return (i) => q.values[Math.floor(i / inner) % dim]!;
}

/** DequantizeLinear on a constant (QDQ weights): (x - zero_point) * scale, per tensor or per axis, in float32. */
function dequantize(low: Lowering, n: OnnxNode, [x, scale, zp]: Const[]): Const {
  const s = perAxisQ(low, n, x!, scale, 'scale');
  const z = perAxisQ(low, n, x!, zp, 'zero_point');
  return { kind: 'const', shape: x!.shape, values: x!.values.map((v, i) => Math.fround((v - z(i)) * s(i))), dataType: 1 };
}

/** QuantizeLinear on a constant: saturate(round_half_even(x / scale) + zero_point) to the zero point's type. */
function quantize(low: Lowering, n: OnnxNode, [x, scale, zp]: Const[]): Const {
  const type = zp?.dataType ?? low.aInt(n, 'output_dtype', 2) ?? 2;
  const range = Q_RANGE[type === 0 ? 2 : type];
  if (!range) low.fail(n, `quantizing to data type ${type} is not supported (uint8, int8, uint16, int16, int32 are)`);
  const s = perAxisQ(low, n, x!, scale, 'scale');
  const z = perAxisQ(low, n, x!, zp, 'zero_point');
  const roundEven = (v: number) => {
    const r = Math.round(v);
    return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  const values = x!.values.map((v, i) => Math.min(range![1], Math.max(range![0], roundEven(Math.fround(v / s(i))) + z(i))));
  return { kind: 'const', shape: x!.shape, values, int: true, dataType: type === 0 ? 2 : type };
}

export const FOLD: Record<string, Fold> = {
  DequantizeLinear: dequantize,
  QuantizeLinear: quantize,
  Add: (low, n, [a, b]) => broadcast(low, n, a!, b!, (x, y) => x + y),
  Sub: (low, n, [a, b]) => broadcast(low, n, a!, b!, (x, y) => x - y),
  Mul: (low, n, [a, b]) => broadcast(low, n, a!, b!, (x, y) => x * y),
  // Integer Div truncates (ONNX, as C); a zero divisor there is an error, not Infinity.
  Div: (low, n, [a, b]) =>
    a!.int && b!.int
      ? broadcast(low, n, a!, b!, (x, y) => (y === 0 ? low.fail(n, 'integer division by zero') : Math.trunc(x / y)))
      : broadcast(low, n, a!, b!, (x, y) => x / y),
  Identity: (_l, _n, [x]) => x!,
  Dropout: (_l, _n, [x]) => x!,
  Cast: castConst,
  Gather: gather,
  Concat: concatConst,
  Slice: sliceConst,
  Reshape: reshapeConst,
  Shape: (_l, _n, [x]) => ({ kind: 'const', shape: [x!.shape.length], values: Float64Array.from(x!.shape), int: true }),
  Squeeze: (low, n, [x]) => {
    const axes = low.opset >= 13 ? (n.input[1] ? [...(low.cst(n, 1).values)] : undefined) : low.aInts(n, 'axes');
    return { kind: 'const', shape: squeezed(low, n, x!.shape, axes, false) as number[], values: x!.values, int: x!.int };
  },
  Unsqueeze: (low, n, [x]) => {
    const axes = low.opset >= 13 ? [...low.cst(n, 1).values] : low.aInts(n, 'axes');
    return { kind: 'const', shape: squeezed(low, n, x!.shape, axes, true) as number[], values: x!.values, int: x!.int };
  },
  Sqrt: (_l, _n, [x]) => ({ kind: 'const', shape: x!.shape, values: x!.values.map(Math.sqrt) }),
  Reciprocal: (_l, _n, [x]) => ({ kind: 'const', shape: x!.shape, values: x!.values.map((v) => 1 / v) }),
  Neg: (_l, _n, [x]) => ({ kind: 'const', shape: x!.shape, values: x!.values.map((v) => -v), int: x!.int }),
  Floor: (_l, _n, [x]) => ({ kind: 'const', shape: x!.shape, values: x!.values.map(Math.floor), int: x!.int }),
  Ceil: (_l, _n, [x]) => ({ kind: 'const', shape: x!.shape, values: x!.values.map(Math.ceil), int: x!.int }),
};
