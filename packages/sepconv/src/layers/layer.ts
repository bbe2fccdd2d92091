import { DTypeError, ModelFormatError, OptionError, ShapeError } from '../errors.js';
import { shapeStr } from '../ops/validate.js';
import { elementCount, isDim, MAX_DIM, MAX_ELEMENTS } from '../tensor/limits.js';
import type { LowerContext } from './ir.js';

/** A per-sample shape (no batch dimension); `null` where a size is only known at predict time. */
export type SymShape = (number | null)[];

/** Options every layer accepts. */
export interface LayerArgs {
  /** Unique within a model; weights are named `<name>/<weight>`. Default: Keras-style `conv2d_3`. */
  name?: string;
  /** Per-sample input shape (Keras `input_shape`), for the first layer of a `sequential`. */
  inputShape?: readonly (number | null)[];
  /** Accepted for Keras config compatibility; sepconv does inference only. */
  trainable?: boolean;
  /** Accepted for Keras config compatibility; sepconv computes float32. */
  dtype?: string;
}

export type Initializer = 'zeros' | 'ones' | 'glorotUniform' | Float32Array;

export interface WeightDef {
  /** Local name (`kernel`, `bn1/gamma`, ...); the full name is `<layer>/<local>`. */
  name: string;
  shape: number[];
  init: Initializer;
}

/** A layer weight's name (Keras-style, `<layer>/<weight>`) and shape. */
export interface WeightSpec {
  name: string;
  shape: number[];
}

/** Weights by Keras-style name (`conv1/kernel`), as `setWeights` takes them and `getWeights` returns them. */
export type WeightMap = Record<string, Float32Array> | Map<string, Float32Array>;

/** Bumped on every weight change anywhere, so built models know to repack. */
let weightEpoch = 0;
export function currentWeightEpoch(): number {
  return weightEpoch;
}

const nameCounters = new Map<string, number>();

/** Keras-style unique default names: `conv2d`, `conv2d_1`, ... */
export function uniqueName(prefix: string): string {
  const n = nameCounters.get(prefix) ?? 0;
  nameCounters.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Glorot-uniform init, seeded by the weight's full name (deterministic). */
function glorot(fullName: string, shape: number[]): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  let fanIn: number;
  let fanOut: number;
  if (shape.length === 2) [fanIn, fanOut] = shape as [number, number];
  else if (shape.length >= 3) {
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    fanIn = shape[shape.length - 2]! * receptive;
    fanOut = shape[shape.length - 1]! * receptive;
  } else fanIn = fanOut = Math.sqrt(size);
  const limit = Math.sqrt(6 / Math.max(fanIn + fanOut, 1));
  let a = hashString(fullName);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * limit;
  }
  return out;
}

function initValues(fullName: string, def: WeightDef): Float32Array {
  const size = def.shape.reduce((a, b) => a * b, 1);
  if (def.init instanceof Float32Array) return def.init.slice();
  if (def.init === 'zeros') return new Float32Array(size);
  if (def.init === 'ones') return new Float32Array(size).fill(1);
  return glorot(fullName, def.shape);
}

/** A node of the functional graph: one application of a layer to its inputs. */
export interface Node {
  layer: Layer;
  inputs: SymbolicTensor[];
  output: SymbolicTensor;
}

/** The output of `input()` or `layer.apply()`: a shape and where it comes from, no data. */
export class SymbolicTensor {
  /** Per-sample shape (Keras `shape[1:]`); a frozen copy, so a built graph cannot be reshaped from outside. */
  readonly shape: SymShape;

  constructor(
    shape: SymShape,
    readonly node: Node | undefined,
    readonly name: string,
  ) {
    this.shape = Object.freeze([...shape]) as SymShape;
  }

  toString(): string {
    return `SymbolicTensor(${this.name}, [null, ${this.shape.map((d) => (d === null ? 'null' : d)).join(', ')}])`;
  }
}

/**
 * Checks a layer's per-sample output shape against the shared limits when the model is built: every
 * known size an integer from 0 to MAX_DIM, and at most MAX_ELEMENTS values per sample when all are known.
 */
export function checkSymShape(label: string, s: SymShape): void {
  if (!s.every((d) => d === null || isDim(d))) {
    throw new ShapeError(label, `an output shape of sizes from 0 to ${MAX_DIM} (2**31 - 1)`, symShapeStr(s));
  }
  if (s.every((d) => d !== null) && elementCount(s as number[]) > MAX_ELEMENTS) {
    throw new ShapeError(label, `an output of at most ${MAX_ELEMENTS} (2**30 - 1) values per sample (what a wasm32 memory can hold)`, symShapeStr(s));
  }
}

export function symShapeStr(s: SymShape): string {
  return `[${s.map((d) => (d === null ? 'null' : d)).join(', ')}]`;
}

/** Base of every layer. Subclasses define shapes, weights, MACs and how they lower to steps. */
export abstract class Layer {
  abstract readonly className: string;
  readonly name: string;
  readonly inputShape: SymShape | undefined;
  #defs: WeightDef[] | undefined;
  #values = new Map<string, Float32Array>();
  #buildShapes: SymShape[] | undefined;
  #version = 0;

  protected constructor(args: LayerArgs, defaultPrefix: string) {
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name.length === 0)) {
      throw new OptionError(defaultPrefix, 'name', 'a non-empty string', args.name);
    }
    this.name = args.name ?? uniqueName(defaultPrefix);
    this.inputShape = args.inputShape ? [...args.inputShape] : undefined;
  }

  /** `name (ClassName)`, how errors name the layer. */
  get label(): string {
    return `${this.name} (${this.className})`;
  }

  /** How many inputs `apply` takes: 1, or 'many' for merge layers. */
  get arity(): 1 | 'many' {
    return 1;
  }

  get built(): boolean {
    return this.#defs !== undefined;
  }

  /** Shapes the layer was built for (the first application). */
  get buildShapes(): SymShape[] | undefined {
    return this.#buildShapes;
  }

  /** The layer's weights for these input shapes (empty for weightless layers). */
  protected weightDefs(_inputShapes: SymShape[]): WeightDef[] {
    return [];
  }

  /** Output shape for these input shapes; throws ShapeError naming the layer when they do not fit. */
  abstract computeOutputShape(inputShapes: SymShape[]): SymShape;

  /** Emits this layer's primitive steps; returns the output value id. */
  abstract lower(ctx: LowerContext, inputs: number[]): number;

  /** Multiply-adds per sample (conv/dense only, as the papers count). */
  macs(_inputShapes: number[][], _outputShape: number[]): number {
    return 0;
  }

  /** Keras-style config (the options the layer was made with, defaults filled in). */
  abstract getConfig(): Record<string, unknown>;

  /** Creates the weights on first use; later uses must fit the same weight shapes. */
  build(inputShapes: SymShape[]): void {
    const defs = this.weightDefs(inputShapes);
    if (this.#defs) {
      const same = defs.length === this.#defs.length && defs.every((d, i) => d.name === this.#defs![i]!.name && shapeStr(d.shape) === shapeStr(this.#defs![i]!.shape));
      if (!same) {
        throw new ShapeError(
          this.label,
          `inputs ${this.#buildShapes!.map(symShapeStr).join(', ')} as when the layer was first applied (its weights have that shape)`,
          inputShapes.map(symShapeStr).join(', '),
        );
      }
      return;
    }
    for (const d of defs) {
      if (!d.shape.every((x) => Number.isInteger(x) && x >= 0)) {
        throw new ShapeError(this.label, `known channel counts to create weight \`${d.name}\``, `inputs ${inputShapes.map(symShapeStr).join(', ')}`);
      }
    }
    this.#defs = defs;
    this.#buildShapes = inputShapes.map((s) => [...s]);
    // Initial values are made on first read: a model whose weights are loaded never pays for them.
  }

  #value(local: string): Float32Array | undefined {
    let v = this.#values.get(local);
    if (!v) {
      const def = this.#defs?.find((d) => d.name === local);
      if (!def) return undefined;
      v = initValues(`${this.name}/${def.name}`, def);
      this.#values.set(local, v);
    }
    return v;
  }

  protected requireBuilt(what: string): WeightDef[] {
    if (!this.#defs) {
      throw new ShapeError(this.label, `a built layer for ${what} (apply it, or give the model an input shape)`, 'an unbuilt layer');
    }
    return this.#defs;
  }

  /** Applies the layer to symbolic inputs, growing the functional graph. */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    for (const [i, t] of list.entries()) {
      if (!(t instanceof SymbolicTensor)) {
        throw new DTypeError(
          this.label,
          `a SymbolicTensor (from input() or layer.apply()) as input ${i}`,
          t === null ? 'null' : typeof t === 'object' ? ((t as object).constructor?.name ?? 'object') : typeof t,
        );
      }
    }
    if (this.arity === 1 && list.length !== 1) throw new ShapeError(this.label, 'exactly one input', `${list.length} inputs`);
    if (this.arity === 'many' && list.length < 2) throw new ShapeError(this.label, 'a list of at least 2 inputs', `${list.length} input(s)`);
    const shapes = list.map((t) => t.shape);
    const out = this.computeOutputShape(shapes);
    checkSymShape(this.label, out);
    this.build(shapes);
    const node: Node = { layer: this, inputs: list, output: undefined as unknown as SymbolicTensor };
    node.output = new SymbolicTensor(out, node, this.name);
    return node.output;
  }

  /** Full names and shapes of the weights, in Keras order. */
  weightSpecs(): WeightSpec[] {
    return (this.#defs ?? []).map((d) => ({ name: `${this.name}/${d.name}`, shape: [...d.shape] }));
  }

  /** Copies of the weights, in `weightSpecs()` order. */
  getWeights(): Float32Array[] {
    return (this.#defs ?? []).map((d) => this.#value(d.name)!.slice());
  }

  /**
   * Sets weights: an array in `weightSpecs()` order, or a map by local (`kernel`) or full (`conv1/kernel`) name.
   * Validates every name and shape before changing anything.
   */
  setWeights(weights: Float32Array[] | WeightMap): void {
    const defs = this.requireBuilt('setWeights()');
    const updates = new Map<string, Float32Array>();
    if (Array.isArray(weights)) {
      if (weights.length !== defs.length) {
        throw new ModelFormatError(`${this.label}: setWeights() expected ${defs.length} arrays (${defs.map((d) => d.name).join(', ')}), got ${weights.length}`);
      }
      defs.forEach((d, i) => updates.set(d.name, weights[i]!));
    } else {
      const entries = weights instanceof Map ? [...weights.entries()] : Object.entries(weights);
      const prefix = `${this.name}/`;
      for (const [k, v] of entries) {
        const local = k.startsWith(prefix) ? k.slice(prefix.length) : k;
        if (!defs.some((d) => d.name === local)) {
          throw new ModelFormatError(`${this.label}: unknown weight name \`${k}\` (this layer has ${defs.map((d) => `${prefix}${d.name}`).join(', ') || 'no weights'})`);
        }
        updates.set(local, v);
      }
    }
    for (const [local, v] of updates) checkWeight(`${this.name}/${local}`, defs.find((d) => d.name === local)!.shape, v);
    for (const [local, v] of updates) this.#values.set(local, Float32Array.from(v));
    this.#version++;
    weightEpoch++;
  }

  /** Bumped by every setWeights() on this layer (models compare it to know when to repack). */
  get weightsVersion(): number {
    return this.#version;
  }

  /** The stored weight (no copy): for lowering and packing, not for users. */
  weight(local: string): Float32Array {
    const v = this.#value(local);
    if (!v) throw new ShapeError(this.label, `a weight \`${local}\``, 'none (layer not built?)');
    return v;
  }

  hasWeight(local: string): boolean {
    return this.#defs?.some((d) => d.name === local) ?? false;
  }

  /** Keras count: every weight, trainable or not (BN moving stats, Normalization mean/variance/count). */
  countParams(): number {
    return (this.#defs ?? []).reduce((a, d) => a + d.shape.reduce((x, y) => x * y, 1), 0);
  }

  toString(): string {
    return `${this.className}(${this.name})`;
  }
}

/** Validates one weight array against its spec; ShapeError names the weight. */
export function checkWeight(fullName: string, shape: number[], v: unknown): void {
  if (!(v instanceof Float32Array)) {
    throw new DTypeError(fullName, 'a Float32Array', v === null ? 'null' : typeof v === 'object' ? ((v as object).constructor?.name ?? 'object') : typeof v);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (v.length !== size) {
    throw new ShapeError(fullName, `${size} values for shape ${shapeStr(shape)}`, `${v.length} values`);
  }
}
