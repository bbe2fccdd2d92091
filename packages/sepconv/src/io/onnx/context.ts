// The state of one ONNX -> GraphDef lowering: values by ONNX tensor name (constants, or tensors
// computed from the input with their ONNX NCHW shape), the NHWC TF-style nodes emitted so far
// (io/graph-model.ts then folds and maps them onto layers), attribute readers and errors that
// name the ONNX node.
import { ModelFormatError } from '../../errors.js';
import type { GraphNode } from '../graph-model.js';
import type { NamedWeights } from '../weights.js';
import { checkDims, int, MAX_DIM } from './proto.js';

export type Dim = number | null;

export interface Const {
  kind: 'const';
  shape: number[];
  values: Float64Array;
  /** An integer tensor (int64 shapes, indices): Div truncates, as ONNX's integer Div. */
  int?: boolean;
  /** The ONNX data type, where known (initializers, Constant): QuantizeLinear saturates to it. */
  dataType?: number;
}

/** ONNX TensorProto data types that are not integers: float, float16, double. */
export const isIntType = (dataType: number): boolean => dataType !== 1 && dataType !== 10 && dataType !== 11;

/**
 * A tensor computed from the model input. `shape` is its ONNX (NCHW) shape, batch first; rank-4
 * tensors live as NHWC. `chw` marks a Flatten of a [C, H, W] map: ONNX orders its features
 * c,h,w, ours are h,w,c (a Gemm after it gets its weight rows permuted instead of a transpose).
 */
export interface Sym {
  kind: 'sym';
  tf: string;
  shape: Dim[];
  chw?: [number, number, number];
  /** Known >= 0 (after Relu, Clip(0, ..), Sigmoid, ...): zero padding then equals -inf padding for a max. */
  nonNeg?: boolean;
  /**
   * A rank-5 [N, P, Q, H, W] view of an NCHW map (a channel shuffle's Reshape / Transpose, layout.ts): the
   * logical channel u*Q + v is stored in channel chanMap[u*Q + v] of the NHWC tensor `tf`.
   */
  chanMap?: number[];
}

export type Value = Const | Sym;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: any[];
}

export class OnnxNodeError extends ModelFormatError {}

export class Lowering {
  readonly nodes: GraphNode[] = [];
  readonly consts: NamedWeights = new Map();
  readonly values = new Map<string, Value>();
  /** Channel gathers emitted so far (layout.ts), by TF node: node = channels `map` of `tf` (which has `channels`). */
  readonly gathers = new Map<string, { tf: string; map: number[]; channels: number }>();
  readonly #used = new Set<string>();

  constructor(readonly opset: number) {}

  fail(n: OnnxNode, msg: string): never {
    throw new OnnxNodeError(`ONNX node '${n.name}' (${n.opType}): ${msg}`);
  }

  /** A TF node name not used yet (':' and '^' mean something in GraphDef input strings). */
  fresh(base: string): string {
    const clean = base.replace(/[:^]/g, '_') || 'node';
    let name = clean;
    for (let k = 1; this.#used.has(name); k++) name = `${clean}_${k}`;
    this.#used.add(name);
    return name;
  }

  emit(op: string, base: string, inputs: string[], attr: Record<string, any> = {}): string {
    const name = this.fresh(base);
    this.nodes.push({ name, op, input: inputs, attr });
    return name;
  }

  constNode(base: string, values: ArrayLike<number>, shape: number[], int32 = false): string {
    const name = this.fresh(base);
    this.nodes.push({ name, op: 'Const' });
    this.consts.set(name, { shape, values: int32 ? Int32Array.from(values) : Float32Array.from(values) });
    return name;
  }

  /** A sym value of ONNX shape `shape` produced by TF node `tf`. */
  setSym(n: OnnxNode, i: number, tf: string, shape: Dim[], chw?: [number, number, number], nonNeg = false): Sym {
    const v: Sym = { kind: 'sym', tf, shape, ...(chw ? { chw } : {}), ...(nonNeg ? { nonNeg } : {}) };
    this.set(n, i, v);
    return v;
  }

  set(n: OnnxNode, i: number, v: Value): void {
    const out = n.output[i];
    if (out === undefined || out === '') return;
    if (v.kind === 'sym') checkShape(n, this, v.shape);
    this.values.set(out, v);
  }

  /** Input i, or undefined when it is absent ('' or past the end). */
  opt(n: OnnxNode, i: number): Value | undefined {
    const name = n.input[i];
    if (name === undefined || name === '') return undefined;
    const v = this.values.get(name);
    if (!v) this.fail(n, `input '${name}' is not produced by any node, initializer or graph input`);
    return v;
  }

  get(n: OnnxNode, i: number): Value {
    return this.opt(n, i) ?? this.fail(n, `input ${i} is missing`);
  }

  sym(n: OnnxNode, i: number): Sym {
    const v = this.get(n, i);
    if (v.kind !== 'sym') this.fail(n, `input ${i} ('${n.input[i]}') must be computed from the model input; a constant there is not supported`);
    if (v.chanMap && n.opType !== 'Transpose' && n.opType !== 'Reshape' && n.opType !== 'Identity') {
      this.fail(n, `input ${i} is a rank-5 channel grouping ${fmt(v.shape)}; only Transpose and Reshape (a channel shuffle) may read it`);
    }
    return v;
  }

  cst(n: OnnxNode, i: number): Const {
    const v = this.get(n, i);
    if (v.kind !== 'const') this.fail(n, `input ${i} ('${n.input[i]}') must be a constant (an initializer or a foldable subgraph)`);
    return v;
  }

  // ---- attributes (AttributeProto: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7)
  #attr(n: OnnxNode, key: string): any {
    return n.attribute.find((a) => a.name === key);
  }

  has(n: OnnxNode, key: string): boolean {
    return this.#attr(n, key) !== undefined;
  }

  aInt(n: OnnxNode, key: string, def: number): number {
    const a = this.#attr(n, key);
    return a === undefined ? def : int(a.i, `ONNX node '${n.name}' (${n.opType}): attribute ${key}`);
  }

  aInts(n: OnnxNode, key: string): number[] | undefined {
    const a = this.#attr(n, key);
    return a === undefined ? undefined : (a.ints ?? []).map((v: unknown) => int(v, `ONNX node '${n.name}' (${n.opType}): attribute ${key}`));
  }

  aFloats(n: OnnxNode, key: string): number[] | undefined {
    const a = this.#attr(n, key);
    return a === undefined ? undefined : Array.from(a.floats ?? [], Number);
  }

  aFloat(n: OnnxNode, key: string, def: number): number {
    const a = this.#attr(n, key);
    if (a === undefined) return def;
    const v = Number(a.f);
    if (!Number.isFinite(v) && !(a.f === Infinity || a.f === -Infinity)) this.fail(n, `attribute ${key} is not a number`);
    return v;
  }

  aStr(n: OnnxNode, key: string, def: string): string {
    const a = this.#attr(n, key);
    if (a === undefined) return def;
    return typeof a.s === 'string' ? a.s : new TextDecoder().decode(a.s);
  }

  aRaw(n: OnnxNode, key: string): any {
    return this.#attr(n, key);
  }
}

function checkShape(n: OnnxNode, low: Lowering, shape: Dim[]): void {
  const known = shape.filter((d): d is number => d !== null);
  if (known.some((d) => !Number.isSafeInteger(d) || d < 1 || d > MAX_DIM)) low.fail(n, `output shape ${fmt(shape)} has sizes outside [1, ${MAX_DIM}]`);
  try {
    checkDims(known, `ONNX node '${n.name}'`);
  } catch (e) {
    low.fail(n, (e as Error).message);
  }
}

export const fmt = (s: readonly Dim[]): string => `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]`;

/** The NHWC position of ONNX axis `axis` of a rank-`rank` tensor (rank 4 is NCHW; others keep their order). */
export function nhwcAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (rank !== 4) return a;
  return [0, 3, 1, 2][a]!;
}

export function normAxis(low: Lowering, n: OnnxNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) low.fail(n, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Features in ONNX order c,h,w reordered to ours, h,w,c. */
export function chwToHwc(v: ArrayLike<number>, [c, h, w]: [number, number, number], rows = 1): Float64Array {
  const f = c * h * w;
  const out = new Float64Array(f * rows);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const src = ((ch * h + y) * w + x) * rows;
    const dst = ((y * w + x) * c + ch) * rows;
    for (let r = 0; r < rows; r++) out[dst + r] = v[src + r]!;
  }
  return out;
}

/**
 * A constant broadcast against x as NHWC per-channel (or per-feature) values: a scalar, or C values
 * along ONNX's channel axis ([C, 1, 1], [1, C, 1, 1]; [F] / [1, F] for rank-2 x). Undefined otherwise.
 */
export function channelValues(c: Const, x: Sym): Float64Array | undefined {
  const n = c.values.length;
  if (n === 1) return c.values;
  if (c.shape.length > x.shape.length) return undefined;
  const padded = [...Array(x.shape.length - c.shape.length).fill(1), ...c.shape];
  const ch = x.shape[1];
  if (padded[0] !== 1 || ch === null || padded[1] !== ch || padded.slice(2).some((d) => d !== 1)) return undefined;
  return x.chw ? chwToHwc(c.values, x.chw) : c.values;
}

/** Scalars and channel values as TF constants: [] or [C]. */
export function channelShape(v: Float64Array): number[] {
  return v.length === 1 ? [] : [v.length];
}

/** TF 'SAME' pads for one axis: [before, after] (extra at the end, as ONNX SAME_UPPER). */
export function samePads(size: number, k: number, s: number, d: number, lower = false): [number, number] {
  const out = Math.ceil(size / s);
  const need = Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0);
  const small = Math.floor(need / 2);
  return lower ? [need - small, small] : [small, need - small];
}

export const b64 = (s: string): string => btoa(s);
export const tfInts = (v: number[]) => ({ list: { i: v } });
