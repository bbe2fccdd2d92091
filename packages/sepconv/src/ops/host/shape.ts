// Shape, slice and join host ops: Reshape / Squeeze / ExpandDims (copies), Transpose, Tile,
// BroadcastTo, Fill, Range, Pack / Unpack, Split / SplitV, Slice, StridedSlice with every mask,
// ConcatV2 on any axis, Shape and Size.
import { arity, broadcastIndex, checkShape, intValues, normAxis, refuse, sizeOf, stridesOf, type HostArg, type HostDType, type HostOpDef, type PreparedHostOp } from './core.js';

const copy =
  (n: number): PreparedHostOp['run'] =>
  ([x], [o]) => {
    for (let i = 0; i < n; i++) o![i] = x![i]!;
  };

/** Reshape(x, shape): one -1 allowed. */
export const reshape: HostOpDef = (args) => {
  arity(args, 2);
  const x = args[0]!;
  const t = intValues(args[1], 'the target shape');
  const n = sizeOf(x.shape);
  const known = t.filter((d) => d !== -1);
  if (t.filter((d) => d === -1).length > 1 || !known.every((d) => d >= 0)) refuse(`a target shape of sizes and at most one -1, got [${t.join(', ')}]`);
  const k = sizeOf(known);
  const u = t.indexOf(-1);
  if (u >= 0) {
    if (k === 0 || n % k !== 0) refuse(`cannot reshape ${n} values to [${t.join(', ')}]`);
    t[u] = n / k;
  }
  if (sizeOf(t) !== n) refuse(`cannot reshape [${x.shape.join(', ')}] (${n} values) to [${t.join(', ')}]`);
  return { outs: [{ shape: checkShape(t, 'the target shape'), dtype: x.dtype }], run: copy(n) };
};

/** Squeeze (squeezeDims attr: the axes, or every size-1 axis). */
export const squeeze: HostOpDef = (args, attrs) => {
  arity(args, 1);
  const x = args[0]!;
  const dims = ((attrs.squeezeDims as number[] | undefined) ?? []).map((d) => normAxis(d, x.shape.length, 'squeeze axis'));
  for (const d of dims) if (x.shape[d] !== 1) refuse(`axis ${d} has size ${x.shape[d]}, not 1`);
  const shape = x.shape.filter((d, i) => (dims.length ? !dims.includes(i) : d !== 1));
  return { outs: [{ shape, dtype: x.dtype }], run: copy(sizeOf(x.shape)) };
};

/** ExpandDims(x, axis). */
export const expandDims: HostOpDef = (args) => {
  arity(args, 2);
  const x = args[0]!;
  const [a] = intValues(args[1], 'the axis');
  const axis = normAxis(a, x.shape.length + 1);
  const shape = [...x.shape];
  shape.splice(axis, 0, 1);
  return { outs: [{ shape, dtype: x.dtype }], run: copy(sizeOf(x.shape)) };
};

/** Output index -> input index of a general strided gather over `shape` (start + coord * step per axis). */
function strided(inShape: number[], outShape: number[], start: number[], step: number[]): Int32Array {
  const st = stridesOf(inShape);
  const n = sizeOf(outShape);
  const idx = new Int32Array(n);
  const rank = outShape.length;
  const coord = new Array<number>(rank).fill(0);
  let off = start.reduce((a, s, i) => a + s * st[i]!, 0);
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d]!++;
      off += step[d]! * st[d]!;
      if (coord[d]! < outShape[d]!) break;
      off -= step[d]! * st[d]! * coord[d]!;
      coord[d] = 0;
    }
  }
  return idx;
}

const gatherRun =
  (idx: Int32Array): PreparedHostOp['run'] =>
  ([x], [o]) => {
    for (let i = 0; i < idx.length; i++) o![i] = x![idx[i]!]!;
  };

/** Transpose(x, perm). */
export const transpose: HostOpDef = (args) => {
  arity(args, 2);
  const x = args[0]!;
  const perm = intValues(args[1], 'the permutation');
  const r = x.shape.length;
  if (perm.length !== r || new Set(perm.map((p) => normAxis(p, r, 'permutation entry'))).size !== r) refuse(`a permutation of ${r} axes, got [${perm.join(', ')}]`);
  const p = perm.map((v) => (v < 0 ? v + r : v));
  const shape = p.map((a) => x.shape[a]!);
  const st = stridesOf(x.shape);
  // Iterate the output; the input offset moves by the permuted strides.
  const n = sizeOf(shape);
  const idx = new Int32Array(n);
  const coord = new Array<number>(r).fill(0);
  const pst = p.map((a) => st[a]!);
  let off = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    for (let d = r - 1; d >= 0; d--) {
      coord[d]!++;
      off += pst[d]!;
      if (coord[d]! < shape[d]!) break;
      off -= pst[d]! * coord[d]!;
      coord[d] = 0;
    }
  }
  return { outs: [{ shape, dtype: x.dtype }], run: gatherRun(idx) };
};

/** Tile(x, multiples). */
export const tile: HostOpDef = (args) => {
  arity(args, 2);
  const x = args[0]!;
  const m = intValues(args[1], 'the multiples');
  if (m.length !== x.shape.length || m.some((v) => v < 0)) refuse(`one non-negative multiple per axis (${x.shape.length}), got [${m.join(', ')}]`);
  const shape = checkShape(x.shape.map((d, i) => d * m[i]!), 'the tiled shape');
  const st = stridesOf(x.shape);
  const n = sizeOf(shape);
  const idx = new Int32Array(n);
  const st2 = stridesOf(shape);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = 0;
    for (let d = 0; d < shape.length; d++) {
      const c = Math.floor(rem / st2[d]!);
      rem -= c * st2[d]!;
      off += (c % x.shape[d]!) * st[d]!;
    }
    idx[i] = off;
  }
  return { outs: [{ shape, dtype: x.dtype }], run: gatherRun(idx) };
};

/** BroadcastTo(x, shape). */
export const broadcastTo: HostOpDef = (args) => {
  arity(args, 2);
  const x = args[0]!;
  const shape = checkShape(intValues(args[1], 'the shape'), 'the shape');
  const pad = [...new Array<number>(Math.max(0, shape.length - x.shape.length)).fill(1), ...x.shape];
  if (pad.length !== shape.length || pad.some((d, i) => d !== 1 && d !== shape[i])) refuse(`[${x.shape.join(', ')}] does not broadcast to [${shape.join(', ')}]`);
  return { outs: [{ shape, dtype: x.dtype }], run: gatherRun(broadcastIndex(x.shape, shape)) };
};

/** Fill(dims, value). */
export const fill: HostOpDef = (args) => {
  arity(args, 2);
  const shape = checkShape(intValues(args[0], 'the dims'), 'the dims');
  if (args[1]!.shape.length !== 0) refuse('the value must be a scalar');
  const n = sizeOf(shape);
  return {
    outs: [{ shape, dtype: args[1]!.dtype }],
    run: ([, v], [o]) => {
      o!.fill(v![0]!, 0, n);
    },
  };
};

/** Range(start, limit, delta). */
export const range: HostOpDef = (args) => {
  arity(args, 3);
  const [s, l, d] = args.map((a, i) => {
    if (!a.value || a.shape.length !== 0) refuse(`input ${i} must be a constant scalar`);
    return Number(a.value![0]);
  }) as [number, number, number];
  if (d === 0 || !Number.isFinite(s + l + d)) refuse('delta must be non-zero and the bounds finite');
  const n = Math.max(0, Math.ceil((l - s) / d));
  checkShape([n], 'the range');
  const dtype: HostDType = args.some((a) => a.dtype === 'float32') ? 'float32' : 'int32';
  return {
    outs: [{ shape: [n], dtype }],
    run: (_i, [o]) => {
      for (let i = 0; i < n; i++) o![i] = s + i * d;
    },
  };
};

/** Pack (stack) along a new axis. */
export const pack: HostOpDef = (args, attrs) => {
  if (args.length < 1) refuse('needs at least one input');
  const s0 = args[0]!.shape;
  for (const a of args) if (a.shape.length !== s0.length || a.shape.some((d, i) => d !== s0[i])) refuse(`inputs of one shape, got [${s0.join(', ')}] and [${a.shape.join(', ')}]`);
  const axis = normAxis(attrs.axis ?? 0, s0.length + 1);
  const shape = [...s0];
  shape.splice(axis, 0, args.length);
  const outer = sizeOf(s0.slice(0, axis));
  const inner = sizeOf(s0.slice(axis));
  const k = args.length;
  return {
    outs: [{ shape, dtype: args[0]!.dtype }],
    run: (ins, [o]) => {
      for (let a = 0; a < outer; a++) for (let j = 0; j < k; j++) for (let t = 0; t < inner; t++) o![(a * k + j) * inner + t] = ins[j]![a * inner + t]!;
    },
  };
};

/** ConcatV2(x1..xn, axis) on any axis. */
export const concat: HostOpDef = (args) => {
  if (args.length < 2) refuse('needs at least one tensor and the axis');
  const parts = args.slice(0, -1);
  const r = parts[0]!.shape.length;
  const [a] = intValues(args[args.length - 1], 'the axis');
  const axis = normAxis(a, Math.max(r, 1));
  for (const p of parts) if (p.shape.length !== r || p.shape.some((d, i) => i !== axis && d !== parts[0]!.shape[i])) refuse(`inputs [${parts.map((q) => q.shape.join(', ')).join('], [')}] differ outside axis ${axis}`);
  const shape = [...parts[0]!.shape];
  shape[axis] = parts.reduce((t, p) => t + p.shape[axis]!, 0);
  checkShape(shape, 'the concatenation');
  const outer = sizeOf(shape.slice(0, axis));
  const rows = parts.map((p) => sizeOf(p.shape.slice(axis)));
  const total = sizeOf(shape.slice(axis));
  const dtype = parts.some((p) => p.dtype === 'float32') ? 'float32' : parts[0]!.dtype;
  return {
    outs: [{ shape, dtype }],
    run: (ins, [o]) => {
      for (let q = 0; q < outer; q++) {
        let w = q * total;
        for (let j = 0; j < rows.length; j++) {
          const len = rows[j]!;
          const src = ins[j]!;
          for (let t = 0; t < len; t++) o![w++] = src[q * len + t]!;
        }
      }
    },
  };
};

/** Splits along `axis` into pieces of `sizes` (one output per piece). */
function splitInto(x: HostArg, axis: number, sizes: number[]): PreparedHostOp {
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const len = x.shape[axis]!;
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  return {
    outs: sizes.map((s) => ({ shape: x.shape.map((d, i) => (i === axis ? s : d)), dtype: x.dtype })),
    run: ([xv], outs) => {
      sizes.forEach((s, j) => {
        const o = outs[j];
        if (!o) return;
        for (let a = 0; a < outer; a++) for (let t = 0; t < s * inner; t++) o[a * s * inner + t] = xv![(a * len + starts[j]!) * inner + t]!;
      });
    },
  };
}

/** Unpack along `axis` into `num` outputs. */
export const unpack: HostOpDef = (args, attrs) => {
  arity(args, 1);
  const x = args[0]!;
  if (x.shape.length === 0) refuse('cannot unpack a scalar');
  const axis = normAxis(attrs.axis ?? 0, x.shape.length);
  const num = Number(attrs.num ?? x.shape[axis]);
  if (num !== x.shape[axis]) refuse(`num ${attrs.num} differs from the axis size ${x.shape[axis]}`);
  const p = splitInto(x, axis, new Array<number>(num).fill(1));
  return { outs: p.outs.map((o) => ({ shape: o.shape.filter((_, i) => i !== axis), dtype: o.dtype })), run: p.run };
};

/** Split(axis, x) into numSplit equal pieces. */
export const split: HostOpDef = (args, attrs) => {
  arity(args, 2);
  const x = args[1]!;
  const [a] = intValues(args[0], 'the axis');
  const axis = normAxis(a, x.shape.length);
  const k = Number(attrs.numSplit);
  if (!Number.isSafeInteger(k) || k < 1 || x.shape[axis]! % k !== 0) refuse(`num_split must divide axis ${axis} (${x.shape[axis]}), got ${JSON.stringify(attrs.numSplit)}`);
  return reorder(splitInto(x, axis, new Array<number>(k).fill(x.shape[axis]! / k)), 1);
};

/** SplitV(x, sizes, axis): one -1 size takes the rest. */
export const splitV: HostOpDef = (args) => {
  arity(args, 3);
  const x = args[0]!;
  const sizes = intValues(args[1], 'the sizes');
  const [a] = intValues(args[2], 'the axis');
  const axis = normAxis(a, x.shape.length);
  const len = x.shape[axis]!;
  const u = sizes.indexOf(-1);
  const known = sizes.filter((s) => s !== -1).reduce((p, q) => p + q, 0);
  if (sizes.filter((s) => s === -1).length > 1 || sizes.some((s) => s < -1)) refuse(`sizes must be non-negative with at most one -1, got [${sizes.join(', ')}]`);
  if (u >= 0) sizes[u] = len - known;
  if (sizes.reduce((p, q) => p + q, 0) !== len || sizes.some((s) => s < 0)) refuse(`sizes [${sizes.join(', ')}] do not add up to axis ${axis} (${len})`);
  return splitInto(x, axis, sizes);
};

/** `run` of a prepared op whose data input is input `k` (Split reads (axis, x)). */
function reorder(p: PreparedHostOp, k: number): PreparedHostOp {
  return { outs: p.outs, run: (ins, outs) => p.run([ins[k]!], outs) };
}

/** Slice(x, begin, size): size -1 takes the rest. */
export const slice: HostOpDef = (args) => {
  arity(args, 3);
  const x = args[0]!;
  const b = intValues(args[1], 'begin');
  const s = intValues(args[2], 'size');
  const r = x.shape.length;
  if (b.length !== r || s.length !== r) refuse(`begin and size need ${r} entries, got [${b.join(', ')}] and [${s.join(', ')}]`);
  const size = s.map((v, i) => (v === -1 ? x.shape[i]! - b[i]! : v));
  if (b.some((v, i) => v < 0 || v > x.shape[i]!) || size.some((v, i) => v < 0 || b[i]! + v > x.shape[i]!)) refuse(`slice begin [${b.join(', ')}] size [${s.join(', ')}] is outside [${x.shape.join(', ')}]`);
  return { outs: [{ shape: size, dtype: x.dtype }], run: gatherRun(strided(x.shape, size, b, size.map(() => 1))) };
};

const bit = (m: number, i: number): boolean => ((m >>> i) & 1) === 1;

/** StridedSlice(x, begin, end, strides) with begin / end / ellipsis / new_axis / shrink_axis masks (TF semantics). */
export const stridedSlice: HostOpDef = (args, attrs) => {
  arity(args, 4);
  const x = args[0]!;
  const [b, e, st] = [1, 2, 3].map((k) => intValues(args[k], ['begin', 'end', 'strides'][k - 1]!)) as [number[], number[], number[]];
  const m = (k: string): number => {
    const v = Number(attrs[k] ?? 0);
    if (!Number.isSafeInteger(v) || v < 0 || v >= 2 ** 31) refuse(`${k} must be a non-negative 32-bit integer, got ${JSON.stringify(attrs[k])}`);
    return v;
  };
  const [bm, em, ell, na, sh] = ['beginMask', 'endMask', 'ellipsisMask', 'newAxisMask', 'shrinkAxisMask'].map(m) as [number, number, number, number, number];
  const n = b.length;
  if (e.length !== n || st.length !== n) refuse(`begin, end and strides need one length, got ${b.length}, ${e.length}, ${st.length}`);
  if (n > 64) refuse('at most 64 slice entries');
  if ((ell & (ell - 1)) !== 0) refuse('at most one ellipsis');
  // Expand the spec to one entry per input axis (plus new axes).
  type Dim = { begin: number; end: number; stride: number; bm: boolean; em: boolean; shrink: boolean; newAxis: boolean };
  const spec: Dim[] = [];
  const realAfterEll = (i0: number) => {
    let k = 0;
    for (let i = i0; i < n; i++) if (!bit(na, i)) k++;
    return k;
  };
  let axisCount = 0;
  for (let i = 0; i < n; i++) {
    if (bit(ell, i)) {
      const fill = x.shape.length - axisCount - realAfterEll(i + 1);
      for (let k = 0; k < fill; k++) spec.push({ begin: 0, end: 0, stride: 1, bm: true, em: true, shrink: false, newAxis: false });
      axisCount += Math.max(0, fill);
      continue;
    }
    const d: Dim = { begin: b[i]!, end: e[i]!, stride: st[i]!, bm: bit(bm, i), em: bit(em, i), shrink: bit(sh, i), newAxis: bit(na, i) };
    spec.push(d);
    if (!d.newAxis) axisCount++;
  }
  while (axisCount < x.shape.length) {
    spec.push({ begin: 0, end: 0, stride: 1, bm: true, em: true, shrink: false, newAxis: false });
    axisCount++;
  }
  if (axisCount > x.shape.length) refuse(`slice of ${axisCount} axes for an input of rank ${x.shape.length}`);
  const start: number[] = [];
  const step: number[] = [];
  const outDims: number[] = [];
  const finalShape: number[] = [];
  let ax = 0;
  for (const d of spec) {
    if (d.newAxis) {
      finalShape.push(1);
      continue;
    }
    const len = x.shape[ax++]!;
    if (!Number.isSafeInteger(d.stride) || d.stride === 0) refuse(`strides must be non-zero integers, got [${st.join(', ')}]`);
    if (d.shrink) {
      const i = d.begin < 0 ? d.begin + len : d.begin;
      if (i < 0 || i >= len) refuse(`index ${d.begin} is outside an axis of ${len}`);
      start.push(i);
      step.push(1);
      outDims.push(1);
      continue;
    }
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let lo: number;
    let hi: number;
    if (d.stride > 0) {
      lo = d.bm ? 0 : clamp(d.begin < 0 ? d.begin + len : d.begin, 0, len);
      hi = d.em ? len : clamp(d.end < 0 ? d.end + len : d.end, 0, len);
    } else {
      lo = d.bm ? len - 1 : clamp(d.begin < 0 ? d.begin + len : d.begin, -1, len - 1);
      hi = d.em ? -1 : clamp(d.end < 0 ? d.end + len : d.end, -1, len - 1);
    }
    const cnt = Math.max(0, d.stride > 0 ? Math.ceil((hi - lo) / d.stride) : Math.ceil((lo - hi) / -d.stride));
    start.push(cnt > 0 ? lo : 0);
    step.push(d.stride);
    outDims.push(cnt);
    finalShape.push(cnt);
  }
  return { outs: [{ shape: finalShape, dtype: x.dtype }], run: gatherRun(strided(x.shape, outDims, start, step)) };
};

/** Shape(x) as int32. */
export const shapeOp: HostOpDef = (args) => {
  arity(args, 1);
  const s = args[0]!.shape;
  return { outs: [{ shape: [s.length], dtype: 'int32' }], run: (_i, [o]) => s.forEach((d, i) => (o![i] = d)) };
};

/** Size(x) as an int32 scalar. */
export const sizeOp: HostOpDef = (args) => {
  arity(args, 1);
  const n = sizeOf(args[0]!.shape);
  return { outs: [{ shape: [], dtype: 'int32' }], run: (_i, [o]) => (o![0] = n) };
};

/** Identity / Cast-free copy. */
export const identity: HostOpDef = (args) => {
  arity(args, 1);
  return { outs: [{ shape: [...args[0]!.shape], dtype: args[0]!.dtype }], run: copy(sizeOf(args[0]!.shape)) };
};
