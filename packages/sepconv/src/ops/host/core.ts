// Host ops: small post-processing tensors computed in TypeScript (TF semantics, TF.js CPU as the
// reference). Each op is prepared once for known input shapes (and the values of its constant
// inputs): `prepare` checks the attrs and shapes, returns the output shapes and dtypes, and a `run`
// that reads its inputs and writes its outputs as flat arrays, allocating nothing per call. Values
// are carried as float32 (in the model's arena) or float64 (constant folding) whatever their dtype:
// int32 / uint8 / bool values are exact up to 2**24 in float32.

/** Element types of host values. */
export type HostDType = 'float32' | 'int32' | 'bool' | 'uint8';

/** A flat array a host op reads or writes. */
export type HostArray = Float32Array | Float64Array;

/** What `prepare` knows about one input: its shape and dtype, and its values when it is a constant. */
export interface HostArg {
  shape: number[];
  dtype: HostDType;
  value?: ArrayLike<number>;
}

/** One output of a prepared op. */
export interface HostOut {
  shape: number[];
  dtype: HostDType;
}

/** An op prepared for its input shapes: its outputs and how to compute them. */
export interface PreparedHostOp {
  outs: HostOut[];
  run(ins: readonly HostArray[], outs: readonly HostArray[]): void;
}

/** Attributes of a host op (already read from the graph node), by name. */
export type HostAttrs = Record<string, unknown>;

/** Thrown by `prepare` for attrs or shapes an op refuses; the importer turns it into a ModelFormatError naming the node. */
export class HostOpError extends Error {}

/** Refuses the op with `msg`. */
export function refuse(msg: string): never {
  throw new HostOpError(msg);
}

/** A host op: prepares itself for the inputs it is given. */
export type HostOpDef = (args: HostArg[], attrs: HostAttrs) => PreparedHostOp;

export const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Row-major strides. */
export function stridesOf(s: readonly number[]): number[] {
  const st = new Array<number>(s.length);
  let k = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = k;
    k *= s[i]!;
  }
  return st;
}

/** An axis in [-rank, rank) as [0, rank). */
export function normAxis(axis: unknown, rank: number, what = 'axis'): number {
  const a = Number(axis);
  if (!Number.isSafeInteger(a) || a < -rank || a >= rank) refuse(`${what} must be an integer from ${-rank} to ${rank - 1}, got ${JSON.stringify(axis)}`);
  return a < 0 ? a + rank : a;
}

/** The numpy broadcast of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) refuse(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** For each output element (row-major over `out`), the index into an input of shape `s` broadcast to it. */
export function broadcastIndex(s: readonly number[], out: readonly number[]): Int32Array {
  const n = sizeOf(out);
  const idx = new Int32Array(n);
  const rank = out.length;
  const pad = [...new Array<number>(rank - s.length).fill(1), ...s];
  const st = stridesOf(pad).map((v, i) => (pad[i] === 1 ? 0 : v));
  if (pad.every((d, i) => d === out[i])) {
    for (let i = 0; i < n; i++) idx[i] = i;
    return idx;
  }
  const coord = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d]!++;
      off += st[d]!;
      if (coord[d]! < out[d]!) break;
      off -= st[d]! * coord[d]!;
      coord[d] = 0;
    }
  }
  return idx;
}

/** Rounds a value to its dtype as TF stores it (int32 truncates and wraps, uint8 wraps, bool is 0 / 1). */
export function toDType(v: number, d: HostDType): number {
  if (d === 'float32') return v;
  if (d === 'bool') return v !== 0 && !Number.isNaN(v) ? 1 : 0;
  if (!Number.isFinite(v)) return 0;
  const t = Math.trunc(v);
  return d === 'uint8' ? ((t % 256) + 256) % 256 : t | 0;
}

/** Values of a constant input as integers (shape arguments, axes, sizes); refuses non-integers. */
export function intValues(a: HostArg | undefined, what: string): number[] {
  if (!a?.value) refuse(`${what} must be a constant`);
  const v = Array.from(a!.value!, Number);
  if (!v.every((x) => Number.isSafeInteger(x))) refuse(`${what} must be integers, got ${JSON.stringify(v.slice(0, 8))}`);
  return v;
}

/** Checks the number of inputs. */
export function arity(args: HostArg[], lo: number, hi = lo): void {
  if (args.length < lo || args.length > hi) refuse(`needs ${lo === hi ? lo : `${lo} to ${hi}`} inputs, got ${args.length}`);
}

/** A shape from a model (constant input or attr): integers from 0 to 2**31 - 1, at most 64 of them, at most 2**30 - 1 values. */
export function checkShape(s: number[], what: string): number[] {
  if (s.length > 64 || !s.every((d) => Number.isSafeInteger(d) && d >= 0 && d <= 2147483647)) refuse(`${what} must be at most 64 sizes from 0 to 2147483647, got ${JSON.stringify(s.slice(0, 8))}`);
  let n = 1;
  for (const d of s) n *= d;
  if (n > 2 ** 30 - 1) refuse(`${what} [${s.join(', ')}] has more than 2**30 - 1 values`);
  return s;
}
