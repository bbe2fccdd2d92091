// The state one GraphDef -> flat-graph conversion shares between the op families (conv.ts, math.ts,
// shape.ts, pool.ts, ...): values by node name (constants, or tensors computed by layers), the
// layers and weights emitted so far, reader counts (a conv absorbs a following op only when it is its
// sole reader), and the folding helpers (bias / scale / activation into the conv before).
import { clip, formatJson, ModelFormatError, quote } from '../../errors.js';
import { elementCount, isDim, MAX_DIM, MAX_ELEMENTS } from '../../tensor/limits.js';
import { broadcastShape, isOpen, prod, type Dim, type FlatLayer } from '../keras-config.js';
import type { NamedWeights } from '../weights.js';
import { attrInts, attrStr, nodeError, type GraphNode } from './attrs.js';

/** Element types a graph value may have (compute stays float32; the others are post-processing values). */
export type GraphDType = 'float32' | 'int32' | 'bool' | 'uint8';

/** A constant during conversion: values + shape (scalars have shape []). */
export interface Const {
  kind: 'const';
  shape: number[];
  values: Float64Array;
  /** float32 when absent. */
  dtype?: GraphDType;
}

/**
 * A tensor computed at predict time. Layer tensors have per-sample shapes (batch excluded, `null` where
 * the model leaves a size open); `full` marks a post-processing (host) value, whose shape is the whole
 * TF shape (batch included, all sizes known).
 */
export interface Sym {
  kind: 'sym';
  layer: string;
  shape: Dim[];
  full?: boolean;
  /** float32 when absent. */
  dtype?: GraphDType;
}

/** A value of the conversion: a constant or a computed tensor. */
export type Value = Const | Sym;

/** Options of one conversion. */
export interface ConvertOptions {
  outputs?: readonly string[];
  inputShape?: readonly number[];
  name?: string;
  maxGeneratedElements?: number;
}

const srcName = (s: string): string => s.replace(/^\^/, '').replace(/:\d+$/, '');

/** The output index a node input names (`node:1` -> 1, `node` -> 0). */
export const srcIndex = (s: string): number => {
  const m = /:(\d+)$/.exec(s);
  return m ? Number(m[1]) : 0;
};

/** A node's data inputs (control inputs `^x` dropped), as node names. */
export const dataInputs = (n: GraphNode): string[] => (n.input ?? []).filter((s) => !s.startsWith('^')).map(srcName);

/** A node's data inputs as written (`node:k` kept), for ops with several outputs. */
export const dataInputRefs = (n: GraphNode): string[] => (n.input ?? []).filter((s) => !s.startsWith('^'));

/** Source node name of an input reference. */
export { srcName };

/** One conversion's state and helpers (see the file comment). */
export class GraphContext {
  readonly layers: FlatLayer[] = [];
  readonly weights = new Map<string, Float32Array>();
  /** Values by node name; a node with several outputs also sets `name:k` for k >= 1. */
  readonly values = new Map<string, Value>();
  readonly layerOf = new Map<string, FlatLayer>();
  readonly nodeOfLayer = new Map<string, GraphNode>();
  /** How many reachable nodes (and outputs) read each node. */
  readonly readers = new Map<string, number>();

  constructor(
    readonly consts: NamedWeights,
    readonly opts: ConvertOptions,
    /** Charges `elements` created values to the conversion's budget (ModelFormatError past it). */
    readonly charge: (n: GraphNode, elements: number) => void,
    /** A readable, unique layer name for a node. */
    readonly layerName: (nodeName: string) => string,
  ) {}

  fail(n: GraphNode, msg: string): never {
    throw nodeError(n, msg);
  }

  /** A shape from a model file: at most 64 integers in [0, MAX_DIM] (else a ModelFormatError naming the node); returns its element count. */
  checkedShape(n: GraphNode, shape: unknown[], what: string): number {
    if (shape.length > 64 || !shape.every((d) => isDim(d))) this.fail(n, `${what} ${formatJson(shape)} must be at most 64 integers from 0 to ${MAX_DIM}`);
    return elementCount(shape as number[]);
  }

  /** The value of data input `i` (`node:k` picks output k of a multi-output node). */
  get(n: GraphNode, i: number): Value {
    const ref = dataInputRefs(n)[i];
    if (ref === undefined) this.fail(n, `missing input ${i}`);
    const k = srcIndex(ref!);
    const v = k === 0 ? this.values.get(srcName(ref!)) : this.values.get(`${srcName(ref!)}:${k}`);
    if (!v) this.fail(n, `input ${quote(ref!)} has no value (output ${k} of a node with fewer outputs)`);
    return v!;
  }

  constOf(n: GraphNode, i: number): Const {
    const v = this.get(n, i);
    if (v.kind !== 'const') this.fail(n, `input ${i} must be a constant`);
    return v as Const;
  }

  /** Input `i` as a layer tensor (per-sample shape): a host value of batch 1 is read through a Reshape. */
  symOf(n: GraphNode, i: number): Sym {
    const v = this.get(n, i);
    if (v.kind !== 'sym') this.fail(n, `input ${i} must be a tensor computed from the model input`);
    return this.toLayer(n, v as Sym);
  }

  /** Same as `symOf`. */
  layerInput(n: GraphNode, i: number): Sym {
    return this.symOf(n, i);
  }

  readonly #adapted = new Map<string, Sym>();

  /** A layer tensor for `s`: itself, or for a host value with a leading 1 a Reshape layer dropping it (once per value). */
  toLayer(n: GraphNode, s: Sym): Sym {
    if (!s.full) return s;
    const hit = this.#adapted.get(s.layer);
    if (hit) return hit;
    if (s.shape.length < 2 || s.shape[0] !== 1 || !s.shape.every((d) => typeof d === 'number' && d >= 1)) {
      this.fail(n, `a tensor of shape ${formatJson(s.shape)} (computed by post-processing ops) has no batch dimension of 1 for this layer`);
    }
    const t = s.shape.slice(1);
    const a = this.addLayer({ ...n, name: `${n.name}/from_host` }, 'Reshape', { target_shape: t }, [s], t);
    if (s.dtype) a.dtype = s.dtype;
    this.#adapted.set(s.layer, a);
    return a;
  }

  addLayer(n: GraphNode, className: string, config: Record<string, any>, inputs: Sym[], shape: Dim[], w: Record<string, Float32Array> = {}): Sym {
    const name = this.layerName(n.name);
    const l: FlatLayer = { className, name, config: { name, ...config }, inputs: inputs.map((s) => s.layer) };
    this.layers.push(l);
    this.layerOf.set(name, l);
    this.nodeOfLayer.set(name, n);
    for (const [k, v] of Object.entries(w)) this.weights.set(`${name}/${k}`, v);
    return { kind: 'sym', layer: name, shape };
  }

  leakyLayer(n: GraphNode, x: Sym, alpha: number): Sym {
    return this.addLayer(n, 'LeakyReLU', { alpha }, [x], x.shape);
  }

  /** A PReLU from TF's Prelu(x, alpha): alpha per channel ([C] or [1, 1, C]) or of the sample's shape. */
  preluLayer(n: GraphNode, x: Sym, alpha: Const): Sym {
    const size = prod(alpha.shape);
    const perChannel = size === x.shape[x.shape.length - 1];
    if (!perChannel && isOpen(x.shape)) this.fail(n, `a per-element alpha needs known input sizes, got ${formatJson(x.shape)}; pass inputShape`);
    if (!perChannel && size !== prod(x.shape)) this.fail(n, `a per-channel or per-element alpha, got shape ${formatJson(alpha.shape)} for input ${formatJson(x.shape)}`);
    const shared = perChannel ? x.shape.slice(0, -1).map((_, i) => i + 1) : null;
    return this.addLayer(n, 'PReLU', { shared_axes: shared }, [x], x.shape, { alpha: Float32Array.from(alpha.values) });
  }

  padding(n: GraphNode): { pad: 'same' | 'valid'; explicit?: [[number, number], [number, number]] } {
    const p = (attrStr(n, 'padding') ?? 'VALID').toUpperCase();
    if (p === 'SAME') return { pad: 'same' };
    if (p === 'VALID') return { pad: 'valid' };
    if (p === 'EXPLICIT') {
      const e = attrInts(n, 'explicit_paddings') ?? [];
      this.checkPads(n, e);
      return { pad: 'valid', explicit: [[e[2] ?? 0, e[3] ?? 0], [e[4] ?? 0, e[5] ?? 0]] };
    }
    return this.fail(n, `padding '${p}' is not supported`);
  }

  checkNHWC(n: GraphNode): void {
    const f = attrStr(n, 'data_format');
    if (f && f !== 'NHWC') this.fail(n, `data_format ${f} (only NHWC is supported)`);
  }

  tooSmall(...d: Dim[]): boolean {
    return d.some((v) => v !== null && v < 1);
  }

  /** A 4-entry NHWC attr (strides, dilations, ksize): the spatial entries integers in [1, MAX_DIM]. */
  spatialAttr(n: GraphNode, key: string): number[] {
    const v = attrInts(n, key) ?? [1, 1, 1, 1];
    if (v.length !== 4 || !isDim(v[1], 1) || !isDim(v[2], 1)) this.fail(n, `attr '${key}' must be 4 integers with the spatial ones from 1 to ${MAX_DIM}, got ${formatJson(v)}`);
    return v;
  }

  /** Pads from a model file: integers in [0, MAX_DIM]. */
  checkPads(n: GraphNode, v: ArrayLike<number>): void {
    if (!Array.prototype.every.call(v, (d: number) => isDim(d))) this.fail(n, `paddings must be integers from 0 to ${MAX_DIM}, got ${formatJson(Array.from(v))}`);
  }

  /** An axis from a model file: an integer in [lo, hi]. */
  checkAxis(n: GraphNode, v: number | undefined, lo: number, hi: number): number {
    if (!Number.isSafeInteger(v) || v! < lo || v! > hi) this.fail(n, `axis must be an integer from ${lo} to ${hi}, got ${formatJson(v)}`);
    return v!;
  }

  /** A conv/dense layer that can still absorb bias / scale / activation (linear). */
  linearConv(layer: string): FlatLayer | undefined {
    const l = this.layerOf.get(layer);
    return l && ['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(l.className) && (l.config.activation ?? 'linear') === 'linear' ? l : undefined;
  }

  /** The linear conv computing `v`, when node `n` is its sole reader. */
  absorber(n: GraphNode, v: Value): FlatLayer | undefined {
    if (v.kind !== 'sym' || v.full) return undefined;
    const l = this.linearConv(v.layer);
    if (!l) return undefined;
    // The input that carries v (a constant may come first, as in AddV2(3, x)).
    const src = dataInputs(n).find((i) => this.values.get(i) === v);
    if (src === undefined || (this.readers.get(src) ?? 0) !== 1) return undefined;
    return l;
  }

  kernelKey(l: FlatLayer): string {
    return `${l.name}/${l.className === 'DepthwiseConv2D' ? 'depthwise_kernel' : 'kernel'}`;
  }

  outChannels(l: FlatLayer): number {
    const k = this.weights.get(this.kernelKey(l))!;
    const shape = l.config._kernelShape as number[];
    return l.className === 'DepthwiseConv2D' ? shape[2]! * shape[3]! : k.length / prod(shape.slice(0, -1));
  }

  /** Folds y = conv(x) * scale + shift into the conv (scale/shift per output channel or scalar). */
  foldAffine(l: FlatLayer, scale: Float64Array | undefined, shift: Float64Array | undefined): void {
    const c = this.outChannels(l);
    const at = (a: Float64Array, i: number) => (a.length === 1 ? a[0]! : a[i]!);
    const k = this.weights.get(this.kernelKey(l))!;
    if (scale) for (let i = 0; i < k.length; i++) k[i] = k[i]! * at(scale, i % c);
    const bKey = `${l.name}/bias`;
    const b = this.weights.get(bKey) ?? new Float32Array(c);
    for (let i = 0; i < c; i++) b[i] = (scale ? b[i]! * at(scale, i) : b[i]!) + (shift ? at(shift, i) : 0);
    this.weights.set(bKey, b);
    l.config.use_bias = true;
  }

  /** A standalone per-channel (or scalar) affine layer. */
  affineLayer(n: GraphNode, x: Sym, scale: Float64Array, shift: Float64Array): Sym {
    const c = x.shape[x.shape.length - 1]!;
    if (scale.length === 1 && shift.length === 1) return this.addLayer(n, 'Rescaling', { scale: scale[0], offset: shift[0] }, [x], x.shape);
    if ((scale.length !== 1 && scale.length !== c) || (shift.length !== 1 && shift.length !== c)) this.fail(n, `a per-channel constant of ${c} values, got ${scale.length}/${shift.length}`);
    const full = (a: Float64Array) => Float32Array.from({ length: c }, (_, i) => (a.length === 1 ? a[0]! : a[i]!));
    const eps = 1e-12;
    return this.addLayer(n, 'BatchNormalization', { axis: -1, epsilon: eps, center: true, scale: true }, [x], x.shape, {
      gamma: full(scale),
      beta: full(shift),
      moving_mean: new Float32Array(c),
      moving_variance: new Float32Array(c).fill(1 - eps),
    });
  }

  setActivation(l: FlatLayer, act: string): void {
    l.config.activation = act;
  }

  near(v: number | undefined, want: number): boolean {
    return v !== undefined && Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want));
  }

  /** The layer `name` if it is of `className`, passes `test` and its node has one reader. */
  soleLayer(name: string | undefined, className: string, test: (l: FlatLayer) => boolean): FlatLayer | undefined {
    const l = name === undefined ? undefined : this.layerOf.get(name);
    const n = l && this.nodeOfLayer.get(l.name);
    return l && n && l.className === className && test(l) && (this.readers.get(n.name) ?? 0) === 1 ? l : undefined;
  }

  /** A per-channel (or scalar) constant for tensor x. */
  isChannelConst(c: Const, x: Sym): boolean {
    return c.values.length === 1 || (c.values.length === x.shape[x.shape.length - 1] && c.shape.slice(0, -1).every((d) => d === 1));
  }

  /** Broadcasts two constants through `f` (numpy rules), charged to the budget. */
  broadcast(n: GraphNode, a: Const, b: Const, f: (x: number, y: number) => number): Const {
    const rank = Math.max(a.shape.length, b.shape.length);
    const pa = [...Array(rank - a.shape.length).fill(1), ...a.shape];
    const pb = [...Array(rank - b.shape.length).fill(1), ...b.shape];
    if (pa.some((d, i) => d !== pb[i] && d !== 1 && pb[i] !== 1)) this.fail(n, `constants of shapes ${formatJson(a.shape)} and ${formatJson(b.shape)} do not broadcast`);
    const shape = pa.map((d, i) => (d === 1 ? pb[i]! : d));
    const size = elementCount(shape);
    this.charge(n, size);
    const out = new Float64Array(size);
    const idx = (p: number[], flat: number): number => {
      let off = 0;
      let rem = flat;
      let stride = 1;
      for (let d = rank - 1; d >= 0; d--) {
        const coord = rem % shape[d]!;
        rem = Math.floor(rem / shape[d]!);
        off += (p[d] === 1 ? 0 : coord) * stride;
        stride *= p[d]!;
      }
      return off;
    };
    for (let i = 0; i < out.length; i++) out[i] = f(a.values[idx(pa, i)]!, b.values[idx(pb, i)]!);
    return { kind: 'const', shape, values: out };
  }

  /** Broadcast shape of two layer tensors. */
  broadcastShape(a: Dim[], b: Dim[]): Dim[] {
    return broadcastShape(a, b);
  }
}

/** How an op is converted: `run` on computed tensors, `fold` when every input is a constant. */
export interface OpDef {
  /** One line for the generated op list. */
  doc: string;
  run?: (c: GraphContext, n: GraphNode) => Value;
  fold?: (c: GraphContext, n: GraphNode, ins: Const[]) => Const;
}

/** One op family's table: op name -> definition. */
export type OpTable = Record<string, OpDef>;

export { MAX_ELEMENTS, ModelFormatError, clip };
