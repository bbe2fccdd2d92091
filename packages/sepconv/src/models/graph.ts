// The functional graph and the model: `input()`, `layer.apply()`, `model({ inputs, outputs })`,
// `sequential([...])`. A model lowers its graph to steps, fuses, plans one arena per input shape and
// packs weights once; `predict` then runs without allocating wasm memory.
import { DisposedTensorError, DTypeError, ModelFormatError, OptionError, ShapeError } from '../errors.js';
import { shapeStr } from '../ops/validate.js';
import { checkCurrent, isCurrent, runtime, type Runtime } from '../runtime/state.js';
import { checkElements, checkShape, isDim, MAX_DIM } from '../tensor/limits.js';
import { rawView, Tensor, type DType } from '../tensor/tensor.js';
import { fuse, fuseExpandDepthwise, ioShapes, prepareRunner, WeightCache, type Runner } from '../layers/exec.js';
import { LowerContext, type Lowered, type Step } from '../layers/ir.js';
import { checkSymShape, checkWeight, Layer, uniqueName, SymbolicTensor, symShapeStr, type Node, type SymShape, type WeightMap, type WeightSpec } from '../layers/layer.js';
import { InputLayer } from '../layers/misc.js';
import { planArena, type ArenaPlan, type Interval } from './arena.js';
import { buildProfile, buildSummary, type ProfileReport, type SummaryReport } from './summary.js';

/** Options of `input()`: the per-sample shape of a model input. */
export interface InputArgs {
  /** Per-sample shape, e.g. [224, 224, 3]; `null` for sizes given at predict time. */
  shape: readonly (number | null)[];
  name?: string;
}

/** A symbolic model input (Keras `Input`). */
export function input(args: InputArgs): SymbolicTensor {
  if (!args || !Array.isArray(args.shape) || !args.shape.every((d) => d === null || isDim(d, 1))) {
    throw new OptionError('input', 'shape', `a per-sample shape of integers from 1 to ${MAX_DIM} (2**31 - 1) or null, e.g. [224, 224, 3]`, args?.shape);
  }
  checkSymShape(`input${args.name ? ` ${args.name}` : ''}`, args.shape);
  const layer = new InputLayer({ shape: [...args.shape], name: args.name });
  const node: Node = { layer, inputs: [], output: undefined as unknown as SymbolicTensor };
  node.output = new SymbolicTensor([...args.shape], node, layer.name);
  return node.output;
}

/** What a built model holds in wasm memory (see `Model.memoryStats()`). */
export interface MemoryStats {
  /** Size of the whole wasm linear memory. */
  wasmHeapBytes: number;
  /** The activation arena of the current plan (one buffer, liveness-shared). */
  arenaBytes: number;
  /** What the same activations would take with one buffer each. */
  unsharedActivationBytes: number;
  /** Packed weights (BN folded in), in wasm or JS memory. */
  packedWeightBytes: number;
  /** The input shape the current plan is for, if any. */
  plannedInputShape: number[] | undefined;
}

/** Options of `Model.predict()`. */
export interface PredictOptions {
  /** Return an owned copy instead of a view of the model's arena (which the next predict overwrites). */
  copy?: boolean;
}

/** A graph's nodes in execution order and its layers, with sets for lookups (no linear searches). */
interface GraphIndex {
  nodes: Node[];
  seen: Set<Node>;
  layers: Layer[];
  layerSet: Set<Layer>;
  names: Map<string, Layer>;
}

const emptyGraph = (): GraphIndex => ({ nodes: [], seen: new Set(), layers: [], layerSet: new Set(), names: new Map() });

interface Plan {
  inputShapes: number[][];
  /** The batch size the plan is for. */
  batch: number;
  low: Lowered;
  arena: ArenaPlan;
  arenaPtr: number;
  runners: Runner[];
  /** Per step, its input and output views (external inputs are refreshed per call). */
  ins: Tensor[][];
  outs: Tensor[];
  /** [step, input index, model input index, shape] of the views into model inputs. */
  external: [number, number, number, number[]][];
  /** Per model output: value id, batch shape and dtype; `external` when it is a model input. */
  outputViews: { ptr: number; shape: number[]; input?: number; dtype: DType }[];
}

/** What a forgotten (never disposed) model holds in wasm memory; freed when the model is collected. */
interface Held {
  cache: WeightCache;
  arena: { rt: Runtime | undefined; ptr: number; size: number };
}

const modelGuard =
  typeof FinalizationRegistry === 'undefined'
    ? undefined
    : new FinalizationRegistry<Held>(({ cache, arena }) => {
        cache.dispose();
        if (arena.ptr && arena.rt) arena.rt.free(arena.ptr, arena.size);
      });

function describe(x: unknown): string {
  return x === null ? 'null' : typeof x === 'object' ? ((x as object).constructor?.name ?? 'object') : typeof x;
}

/** A graph of layers from inputs to outputs. */
export class Model {
  readonly name: string;
  #inputs: SymbolicTensor[] = [];
  #outputs: SymbolicTensor[] = [];
  /** The graph's nodes and layers with their lookup sets (`#nodes` and `#layers` are its arrays). */
  #graph: GraphIndex = emptyGraph();
  #nodes: Node[] = this.#graph.nodes;
  #layers: Layer[] = this.#graph.layers;
  #plan: Plan | undefined;
  #cache = new WeightCache();
  #rt: Runtime | undefined;
  #disposed = false;
  #returned: Tensor[] = [];
  #multiOut = false;
  #packedVersions = -1;
  #held: Held = { cache: this.#cache, arena: { rt: undefined, ptr: 0, size: 0 } };

  #outputNames: string[] | undefined;

  constructor(args: ModelArgs | undefined, name?: string) {
    this.name = args?.name ?? name ?? uniqueName('model');
    modelGuard?.register(this, this.#held, this);
    if (args) this.setGraph(args.inputs, args.outputs);
    if (args?.outputNames !== undefined) {
      const n = args.outputNames;
      if (!Array.isArray(n) || n.length !== this.#outputs.length || !n.every((s) => typeof s === 'string')) {
        throw new OptionError('model', 'outputNames', `${this.#outputs.length} strings (one per output)`, n);
      }
      this.#outputNames = [...n];
    }
  }

  /**
   * The name of each output, in the order `predict` returns them: for an imported graph model, the
   * graph's node names (its signature's order); else each output tensor's name.
   */
  get outputNames(): string[] {
    return this.#outputNames ? [...this.#outputNames] : this.#outputs.map((t) => t.name);
  }

  protected setGraph(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[]): void {
    const multiOut = Array.isArray(outputs);
    const ins = Array.isArray(inputs) ? inputs : [inputs];
    const outs = Array.isArray(outputs) ? outputs : [outputs];
    for (const t of [...ins, ...outs]) {
      if (!(t instanceof SymbolicTensor)) throw new DTypeError(this.name, 'SymbolicTensors for inputs and outputs', describe(t));
    }
    for (const t of ins) {
      if (!(t.node?.layer instanceof InputLayer)) throw new ModelFormatError(`${this.name}: model inputs must come from input(); ${t.name} does not`);
    }
    const graph = emptyGraph();
    this.#collect(ins, [...ins, ...outs], graph);
    this.#multiOut = multiOut;
    this.#inputs = ins;
    this.#outputs = outs;
    this.#graph = graph;
    this.#nodes = graph.nodes;
    this.#layers = graph.layers;
    this.#dropPlan();
  }

  /**
   * Grows a single-output graph by the nodes `output` depends on that it lacks (a Sequential's `add()`),
   * checking only those: linear in the new nodes, where `setGraph` walks the whole graph again.
   */
  protected extendGraph(output: SymbolicTensor): void {
    if (!(output instanceof SymbolicTensor)) throw new DTypeError(this.name, 'a SymbolicTensor for the output', describe(output));
    const g = this.#graph;
    const added = emptyGraph();
    this.#collect(this.#inputs, [output], added, g);
    for (const n of added.nodes) {
      g.nodes.push(n);
      g.seen.add(n);
    }
    for (const l of added.layers) {
      g.layers.push(l);
      g.layerSet.add(l);
      g.names.set(l.name, l);
    }
    this.#outputs = [output];
    this.#dropPlan();
  }

  /**
   * Appends to `into` every node `roots` depend on, inputs before the nodes that read them (depth-first, the
   * order of the recursive walk, with an explicit stack so a graph of any depth fits), skipping the nodes
   * `base` already holds. Throws before `base` is touched: a ModelFormatError names the node that reads an
   * input the model does not list, closes a cycle, or repeats a layer name.
   */
  #collect(ins: SymbolicTensor[], roots: SymbolicTensor[], into: GraphIndex, base?: GraphIndex): void {
    const inputNodes = new Set(ins.map((t) => t.node));
    const done = (n: Node): boolean => into.seen.has(n) || (base?.seen.has(n) ?? false);
    const onPath = new Set<Node>();
    const stack: { n: Node; next: number }[] = [];
    const enter = (t: SymbolicTensor, reader: Node | undefined): void => {
      const n = t instanceof SymbolicTensor ? t.node : undefined;
      if (!n || !(n.layer instanceof Layer) || !Array.isArray(n.inputs)) {
        const who = reader ? `layer \`${reader.layer.name}\`` : 'the model';
        throw new ModelFormatError(`${this.name}: ${who} reads \`${t instanceof SymbolicTensor ? t.name : describe(t)}\`, which is not a tensor from input() or layer.apply()`);
      }
      if (done(n)) return;
      if (onPath.has(n)) throw new ModelFormatError(`${this.name}: the graph has a cycle through layer \`${n.layer.name}\``);
      if (n.layer instanceof InputLayer && !inputNodes.has(n)) {
        throw new ModelFormatError(`${this.name}: the outputs depend on input \`${n.layer.name}\`, which is not among the model's inputs`);
      }
      onPath.add(n);
      stack.push({ n, next: 0 });
    };
    for (const t of roots) {
      enter(t, undefined);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        if (top.next < top.n.inputs.length) {
          enter(top.n.inputs[top.next++]!, top.n);
          continue;
        }
        stack.pop();
        onPath.delete(top.n);
        into.seen.add(top.n);
        into.nodes.push(top.n);
      }
    }
    for (const n of into.nodes) {
      if (into.layerSet.has(n.layer) || base?.layerSet.has(n.layer)) continue;
      const other = into.names.get(n.layer.name) ?? base?.names.get(n.layer.name);
      if (other && other !== n.layer) throw new ModelFormatError(`${this.name}: two layers are named \`${n.layer.name}\` (${other.className} and ${n.layer.className}); layer names must be unique`);
      into.names.set(n.layer.name, n.layer);
      into.layers.push(n.layer);
      into.layerSet.add(n.layer);
    }
  }

  protected get hasGraph(): boolean {
    return this.#outputs.length > 0;
  }

  /** The layers in graph order (InputLayers included for functional models, as in Keras). */
  get layers(): Layer[] {
    return [...this.#layers];
  }

  get inputs(): SymbolicTensor[] {
    return [...this.#inputs];
  }

  get outputs(): SymbolicTensor[] {
    return [...this.#outputs];
  }

  /** Graph nodes in execution order (for summaries and importers). */
  get nodes(): readonly Node[] {
    return this.#nodes;
  }

  getLayer(name: string): Layer {
    const l = this.#graph.names.get(name);
    if (!l) throw new ModelFormatError(`${this.name}: no layer named \`${name}\` (layers: ${this.#layers.map((x) => x.name).join(', ')})`);
    return l;
  }

  protected checkLive(what: string): void {
    if (this.#disposed) throw new DisposedTensorError(`${this.name}.${what}: model`);
  }

  /** A model that packed weights or planned an arena belongs to that runtime; after a later init() it is disposed. */
  #checkRuntime(what: string): void {
    if (this.#rt && !isCurrent(this.#rt)) checkCurrent(this.#rt, `${this.name}.${what}: model`);
  }

  /** Full names (`<layer>/<weight>`) and shapes of every weight, layer by layer. */
  weightSpecs(): WeightSpec[] {
    this.checkLive('weightSpecs()');
    return this.#layers.flatMap((l) => l.weightSpecs());
  }

  /** Every weight by full name (copies). */
  getWeights(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    for (const l of this.#layers) {
      const specs = l.weightSpecs();
      l.getWeights().forEach((w, i) => m.set(specs[i]!.name, w));
    }
    return m;
  }

  /**
   * Sets weights from a map by full name. Every name must exist and every shape fit (ShapeError names the
   * weight); names the map lacks are an error unless `allowMissing`, extra names unless `allowExtra`.
   * Nothing changes unless everything validates. Packed weights are rebuilt at the next predict.
   */
  setWeights(weights: WeightMap | Float32Array[], options: { allowMissing?: boolean; allowExtra?: boolean } = {}): void {
    this.checkLive('setWeights()');
    if (Array.isArray(weights)) {
      // Keras `model.set_weights(list)`: every weight, in weightSpecs() order.
      const specs = this.weightSpecs();
      const list = weights;
      if (list.length !== specs.length) {
        throw new ModelFormatError(`${this.name}.setWeights(): expected ${specs.length} arrays in weightSpecs() order, got ${list.length}`);
      }
      weights = new Map(specs.map((s, i) => [s.name, list[i]!]));
    }
    if (!(weights instanceof Map) && (weights === null || typeof weights !== 'object')) {
      throw new DTypeError(`${this.name}.setWeights()`, 'a Map or record of Float32Arrays by weight name', describe(weights));
    }
    const entries = weights instanceof Map ? [...weights.entries()] : Object.entries(weights);
    const specs = this.weightSpecs();
    const byName = new Map(specs.map((s) => [s.name, s]));
    const extra = entries.filter(([k]) => !byName.has(k)).map(([k]) => k);
    if (extra.length && !options.allowExtra) {
      throw new ModelFormatError(`${this.name}.setWeights(): unknown weight name(s) ${extra.map((e) => `\`${e}\``).join(', ')} (expected names like \`${specs[0]?.name ?? 'layer/kernel'}\`)`);
    }
    const given = new Set(entries.map(([k]) => k));
    const missing = specs.filter((s) => !given.has(s.name)).map((s) => s.name);
    if (missing.length && !options.allowMissing) {
      throw new ModelFormatError(`${this.name}.setWeights(): missing weight(s) ${missing.map((e) => `\`${e}\``).join(', ')}`);
    }
    for (const [k, v] of entries) if (byName.has(k)) checkWeight(k, byName.get(k)!.shape, v);
    // The layer that owns each weight name (the first in graph order, as a search would find).
    const owner = new Map<string, Layer>();
    for (const l of this.#layers) for (const s of l.weightSpecs()) if (s.name.startsWith(`${l.name}/`) && !owner.has(s.name)) owner.set(s.name, l);
    const perLayer = new Map<Layer, Map<string, Float32Array>>();
    for (const [k, v] of entries) {
      if (!byName.has(k)) continue;
      const layer = owner.get(k)!;
      if (!perLayer.has(layer)) perLayer.set(layer, new Map());
      perLayer.get(layer)!.set(k, v);
    }
    for (const [layer, m] of perLayer) layer.setWeights(m);
  }

  /** Keras count: every weight (BN moving stats and Normalization mean/variance/count included). */
  countParams(): number {
    return this.#layers.reduce((a, l) => a + l.countParams(), 0);
  }

  /** Lowers the graph for concrete per-sample input shapes, fused (pure: no wasm). */
  lower(inputShapes: number[][]): Lowered {
    const ctx = new LowerContext();
    const ids = new Map<SymbolicTensor, number>();
    const inputs = this.#inputs.map((t, i) => {
      const id = ctx.value(inputShapes[i]!);
      ids.set(t, id);
      return id;
    });
    for (const n of this.#nodes) {
      if (n.layer instanceof InputLayer) continue;
      ids.set(n.output, n.layer.lower(ctx, n.inputs.map((t) => ids.get(t)!)));
    }
    const low: Lowered = { steps: ctx.steps, shapes: ctx.shapes, inputs, outputs: this.#outputs.map((t) => ids.get(t)!), full: ctx.full, dtypes: ctx.dtypes };
    fuse(low);
    fuseExpandDepthwise(low);
    return low;
  }

  /** Concrete per-sample shapes of every node's output for these input shapes (validates them). */
  inferShapes(inputShapes: number[][]): Map<Node, number[]> {
    const shapes = new Map<SymbolicTensor, SymShape>();
    const out = new Map<Node, number[]>();
    this.#inputs.forEach((t, i) => {
      const want = t.shape;
      const got = inputShapes[i]!;
      if (got.length !== want.length || want.some((d, j) => d !== null && d !== got[j])) {
        throw new ShapeError(t.node!.layer.label, `an input of shape [N, ${symShapeStr(want).slice(1)}`, shapeStr(got));
      }
      shapes.set(t, got);
    });
    for (const n of this.#nodes) {
      const s = n.layer instanceof InputLayer ? shapes.get(n.output)! : n.layer.computeOutputShape(n.inputs.map((t) => shapes.get(t)!));
      shapes.set(n.output, s);
      out.set(n, s as number[]);
    }
    return out;
  }

  /** Resolves the per-sample input shapes (given, or from the graph when fully known). */
  protected staticInputShapes(given?: readonly (readonly number[])[] | readonly number[]): number[][] {
    if (given !== undefined) {
      const list = Array.isArray(given[0]) ? (given as number[][]) : [given as number[]];
      return list.map((s) => [...s]);
    }
    return this.#inputs.map((t) => {
      if (t.shape.some((d) => d === null)) {
        throw new ShapeError(t.node!.layer.label, 'a known input shape (pass one, e.g. summary([224, 224, 3]))', symShapeStr(t.shape));
      }
      return t.shape as number[];
    });
  }

  #dropPlan(): void {
    const p = this.#plan;
    if (!p) return;
    for (const t of this.#returned) t.dispose();
    this.#returned = [];
    if (p.arenaPtr) this.#rt!.free(p.arenaPtr, p.arena.size);
    this.#held.arena.ptr = 0;
    this.#plan = undefined;
  }

  #buildPlan(xs: Tensor[]): Plan {
    const rt = (this.#rt ??= runtime(`${this.name}.predict()`));
    const n = xs[0]!.shape[0]!;
    const inputShapes = xs.map((x) => x.shape.slice(1));
    this.inferShapes(inputShapes);
    const low = this.lower(inputShapes);
    const { steps, shapes } = low;
    // Host (post-processing) values have whole TF shapes, written for one sample.
    if (low.full?.size && n !== 1) throw new ShapeError(`${this.name}.predict()`, 'one sample per call (this model post-processes its outputs with TF ops that see the whole batch)', `a batch of ${n}`);
    // Every value and scratch this plan allocates fits the shared limits (ShapeError naming the layer).
    for (const s of steps) {
      checkShape(`${this.name}: layer ${s.layer}`, [n, ...shapes[s.output]!], 'an output shape');
      if (s.kind === 'expandDepthwise') checkElements(`${this.name}: layer ${s.layer}`, 'a scratch buffer', s.scratch);
    }
    const external = new Set(low.inputs);
    const { root, aliasCopies, life } = lifetimes(low, n);
    const arena = planArena(life);
    checkElements(`${this.name}.predict()`, 'an activation arena', arena.size);
    const arenaPtr = arena.size > 0 ? rt.alloc(arena.size, `${this.name}.predict()`) : 0;
    Object.assign(this.#held.arena, { rt, ptr: arenaPtr, size: arena.size });
    const ptrOf = (v: number): number => arenaPtr + arena.offsets.get(root[v]!)! * 4;
    try {
      const runners: Runner[] = [];
      const ins: Tensor[][] = [];
      const outs: Tensor[] = [];
      const ext: [number, number, number, number[]][] = [];
      steps.forEach((s, i) => {
        const io = ioShapes(s, shapes, n);
        const scratch = s.kind === 'expandDepthwise' ? Tensor.borrow([s.scratch], arenaPtr + arena.offsets.get(scratchId(low, i))! * 4, rt) : undefined;
        runners.push(s.kind === 'alias' && !aliasCopies.has(s) ? () => {} : prepareRunner(s, shapes, n, this.#cache, scratch));
        ins.push(
          s.inputs.map((v, j) => {
            if (external.has(root[v]!)) {
              ext.push([i, j, low.inputs.indexOf(root[v]!), io.ins[j]!]);
              return undefined as unknown as Tensor;
            }
            return Tensor.borrow(io.ins[j]!, ptrOf(v), rt);
          }),
        );
        outs.push(Tensor.borrow(io.out, ptrOf(s.output), rt));
      });
      const outputViews = low.outputs.map((o) => {
        const shape = low.full?.has(o) ? [...shapes[o]!] : [n, ...shapes[o]!];
        const dtype: DType = low.dtypes?.get(o) ?? 'float32';
        return external.has(root[o]!) ? { ptr: 0, shape, input: low.inputs.indexOf(root[o]!), dtype } : { ptr: ptrOf(o), shape, dtype };
      });
      return { inputShapes, batch: n, low, arena, arenaPtr, runners, ins, outs, external: ext, outputViews };
    } catch (e) {
      if (arenaPtr) rt.free(arenaPtr, arena.size);
      this.#held.arena.ptr = 0;
      throw e;
    }
  }

  #validateInputs(x: unknown, op: string): Tensor[] {
    const xs = Array.isArray(x) ? (x as Tensor[]) : [x as Tensor];
    if (!Array.isArray(xs) || xs.length !== this.#inputs.length) {
      throw new ShapeError(`${this.name}.${op}`, `${this.#inputs.length} input tensor(s)`, Array.isArray(xs) ? `${xs.length}` : describe(x));
    }
    xs.forEach((t, i) => {
      const layer = this.#inputs[i]!.node!.layer;
      if (!(t instanceof Tensor)) throw new DTypeError(layer.label, 'a sepconv Tensor', describe(t));
      t.ptr(layer.label);
      const want = this.#inputs[i]!.shape;
      if (t.rank !== want.length + 1 || want.some((d, j) => d !== null && d !== t.shape[j + 1])) {
        throw new ShapeError(layer.label, `an input of shape [N, ${symShapeStr(want).slice(1)}`, shapeStr(t.shape));
      }
    });
    if (xs.some((t) => t.shape[0] !== xs[0]!.shape[0])) throw new ShapeError(`${this.name}.${op}`, 'inputs with the same batch size', xs.map((t) => shapeStr(t.shape)).join(', '));
    return xs;
  }

  #versions(): number {
    let v = 0;
    for (const l of this.#layers) v += l.weightsVersion;
    return v;
  }

  #ensurePlan(xs: Tensor[]): Plan {
    // Weights of this model changed since packing (versions only grow, so the sum moves): repack.
    const v = this.#versions();
    if (v !== this.#packedVersions) {
      this.#dropPlan();
      this.#cache.dispose();
      this.#packedVersions = v;
    }
    const p = this.#plan;
    const fits =
      p !== undefined &&
      p.inputShapes.length === xs.length &&
      xs.every((x, i) => x.shape[0] === p.batch && x.shape.length === p.inputShapes[i]!.length + 1 && p.inputShapes[i]!.every((d, j) => d === x.shape[j + 1]));
    if (fits) return p;
    this.#dropPlan();
    this.#plan = this.#buildPlan(xs);
    return this.#plan;
  }

  #run(p: Plan, xs: Tensor[], timings?: Float64Array): void {
    const rt = this.#rt!;
    for (const [si, j, mi, shape] of p.external) p.ins[si]![j] = Tensor.borrow(shape, xs[mi]!.ptr(), rt);
    try {
      if (timings) {
        for (let i = 0; i < p.runners.length; i++) {
          const t0 = performance.now();
          p.runners[i]!(p.ins[i]!, p.outs[i]!);
          timings[i] = timings[i]! + performance.now() - t0;
        }
      } else {
        for (let i = 0; i < p.runners.length; i++) p.runners[i]!(p.ins[i]!, p.outs[i]!);
      }
    } finally {
      for (const [si, j] of p.external) {
        p.ins[si]![j]!.dispose();
        p.ins[si]![j] = undefined as unknown as Tensor;
      }
    }
  }

  /**
   * Runs the model. The first call at an input shape lowers, fuses, packs weights (once per model) and plans
   * the arena; later calls at that shape allocate no wasm memory. The result is a view of the arena, valid until
   * the next predict or dispose (using it later throws DisposedTensorError); pass `{ copy: true }` to own it.
   */
  predict(x: Tensor | Tensor[], options: PredictOptions = {}): Tensor | Tensor[] {
    this.checkLive('predict()');
    this.#checkRuntime('predict()');
    this.#ensureGraph(x);
    let xs = this.#validateInputs(x, 'predict()');
    // Feeding a previous output back in: copy it out of the arena first (this predict overwrites it).
    const copies: Tensor[] = [];
    if (this.#returned.length) {
      xs = xs.map((t) => {
        if (!this.#returned.includes(t)) return t;
        const c = Tensor.alloc(t.shape, `${this.name}.predict`);
        rawView(c).set(rawView(t));
        copies.push(c);
        return c;
      });
    }
    try {
      const p = this.#ensurePlan(xs);
      for (const t of this.#returned) t.dispose();
      this.#returned.length = 0;
      this.#run(p, xs);
      const rt = this.#rt!;
      const outs = p.outputViews.map((o) => {
        const ptr = o.input === undefined ? o.ptr : xs[o.input]!.ptr();
        if (options.copy || o.input !== undefined) {
          const t = Tensor.alloc(o.shape, `${this.name}.predict`, o.dtype);
          rawView(t).set(rt.f32(ptr, t.size));
          return t;
        }
        const v = Tensor.borrow(o.shape, ptr, rt, this, o.dtype);
        this.#returned.push(v);
        return v;
      });
      return this.#multiOut ? outs : outs[0]!;
    } finally {
      for (const c of copies) c.dispose();
    }
  }

  /** Sequential models build their graph lazily from the first input; functional ones have it already. */
  protected ensureGraphFor(_shape: number[]): void {}

  #ensureGraph(x: unknown): void {
    if (this.hasGraph) return;
    const t = Array.isArray(x) ? x[0] : x;
    if (t instanceof Tensor) this.ensureGraphFor(t.shape.slice(1));
    if (!this.hasGraph) throw new ShapeError(this.name, 'a model with layers and a known input shape', 'an empty model');
  }

  /**
   * Per-layer output shape, params, MACs and activation bytes, with totals; for depthwise-separable layers
   * (and DepthwiseConv2D -> 1x1 Conv2D pairs) the equivalent standard conv and the seed's 1/C_out + 1/K^2.
   * `inputShape` (per sample) is needed only when the model's input has unknown sizes.
   */
  summary(inputShape?: readonly number[] | readonly (readonly number[])[]): SummaryReport {
    this.checkLive('summary()');
    if (!this.hasGraph && inputShape) this.ensureGraphFor([...(Array.isArray(inputShape[0]) ? (inputShape[0] as number[]) : (inputShape as number[]))]);
    if (!this.hasGraph) throw new ShapeError(this.name, 'a known input shape for summary() (pass one, or give the first layer inputShape)', 'none');
    const shapes = this.staticInputShapes(inputShape);
    const low = this.lower(shapes);
    const arena = planArena(lifetimes(low, 1).life);
    return buildSummary(this.name, this.#nodes, this.inferShapes(shapes), arena.size * 4, low.steps.length);
  }

  /**
   * Times each layer over `runs` predicts (after one warm-up) and reports ms next to its MACs, as achieved
   * GFLOP/s (2 FLOPs per MAC). BN and activations folded into a conv are timed with it.
   */
  profile(x: Tensor | Tensor[], options: { runs?: number } = {}): ProfileReport {
    this.checkLive('profile()');
    this.#checkRuntime('profile()');
    this.#ensureGraph(x);
    const runs = options.runs ?? 5;
    if (!Number.isInteger(runs) || runs < 1) throw new OptionError(`${this.name}.profile()`, 'runs', 'a positive integer', options.runs);
    const xs = this.#validateInputs(x, 'profile()');
    const p = this.#ensurePlan(xs);
    for (const t of this.#returned) t.dispose();
    this.#returned.length = 0;
    this.#run(p, xs);
    const timings = new Float64Array(p.runners.length);
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) this.#run(p, xs, timings);
    const total = (performance.now() - t0) / runs;
    const batch = xs[0]!.shape[0]!;
    return buildProfile(
      this.name,
      p.low.steps,
      Array.from(timings, (t) => t / runs),
      total,
      batch,
      new Map(this.#layers.map((l) => [l.name, l.className])),
    );
  }

  memoryStats(): MemoryStats {
    this.checkLive('memoryStats()');
    this.#checkRuntime('memoryStats()');
    const rt = this.#rt ?? runtime(`${this.name}.memoryStats()`);
    const p = this.#plan;
    return {
      wasmHeapBytes: rt.memory.buffer.byteLength,
      arenaBytes: p ? p.arena.size * 4 : 0,
      unsharedActivationBytes: p ? p.arena.unshared * 4 : 0,
      packedWeightBytes: this.#cache.bytes,
      plannedInputShape: p ? [p.batch, ...p.inputShapes[0]!] : undefined,
    };
  }

  /** Frees the arena and every packed weight; the model (and any predict output view) is unusable afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#dropPlan();
    this.#cache.dispose();
    modelGuard?.unregister(this);
    this.#disposed = true;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The steps the model runs for an input shape after fusion, for inspection and tests. */
  describePlan(inputShape?: readonly number[]): { kind: string; layer: string; activation?: string; shape: number[] }[] {
    const low = this.lower(this.staticInputShapes(inputShape));
    return low.steps.map((s) => ({ kind: s.kind, layer: s.layer, activation: 'activation' in s ? s.activation : undefined, shape: low.shapes[s.output]! }));
  }
}

/** Options of `model()`: its inputs and outputs (symbolic tensors) and a name. */
export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
  /** Names for the outputs (default: the output tensors' names), as `Model.outputNames` reports them. */
  outputNames?: string[];
}

/** A functional model (Keras `Model(inputs, outputs)`). */
export function model(args: ModelArgs): Model {
  if (!args || typeof args !== 'object') throw new OptionError('model', 'args', '{ inputs, outputs, name? }', args);
  return new Model(args);
}

/** Options of `sequential()`. */
export interface SequentialArgs {
  /** Per-sample input shape; else the first layer's `inputShape`, else the first predict's input. */
  inputShape?: readonly (number | null)[];
  name?: string;
}

/** A linear stack of layers (Keras `Sequential`); the graph is built once the input shape is known. */
export class Sequential extends Model {
  readonly #stack: Layer[] = [];
  #inputShape: SymShape | undefined;

  constructor(layerList: Layer[] = [], args: SequentialArgs = {}) {
    super(undefined, args.name ?? uniqueName('sequential'));
    this.#inputShape = args.inputShape ? [...args.inputShape] : undefined;
    for (const l of layerList) this.add(l);
  }

  add(layer: Layer): void {
    this.checkLive('add()');
    if (!(layer instanceof Layer)) throw new DTypeError(`${this.name}.add()`, 'a Layer', describe(layer));
    this.#stack.push(layer);
    const shape = this.#inputShape ?? this.#stack[0]!.inputShape;
    try {
      // A built graph grows by the new layer alone (rebuilding it per add() made N adds quadratic).
      if (this.hasGraph) this.extendGraph(layer.apply(this.outputs[0]!));
      else if (shape) this.#build(shape);
    } catch (e) {
      this.#stack.pop();
      throw e;
    }
  }

  #build(shape: SymShape): void {
    let x = input({ shape, name: `${this.name}_input` });
    const inp = x;
    for (const l of this.#stack) x = l.apply(x);
    this.setGraph(inp, x);
  }

  protected override ensureGraphFor(shape: number[]): void {
    if (!this.hasGraph && this.#stack.length) this.#build(shape);
  }

  /** Keras: a Sequential's layers exclude its InputLayer. */
  override get layers(): Layer[] {
    return [...this.#stack];
  }
}

/** A model that runs `layerList` one after another (as `tf.sequential`); `add()` appends more. */
export function sequential(layerList: Layer[] = [], args: SequentialArgs = {}): Sequential {
  if (!Array.isArray(layerList)) throw new OptionError('sequential', 'layers', 'an array of layers', layerList);
  return new Sequential(layerList, args);
}

/** Arena id of step `i`'s scratch (after every value id). */
const scratchId = (low: Lowered, i: number): number => low.shapes.length + i;

/**
 * Lifetimes of the arena's buffers for batch `n`: one per value (alias steps share their input's memory,
 * unless that is a model input: then they copy), plus each step's scratch for that step alone.
 */
function lifetimes(low: Lowered, n: number): { root: number[]; aliasCopies: Set<Step>; life: Interval[] } {
  const { steps, shapes } = low;
  const external = new Set(low.inputs);
  const root = shapes.map((_, i) => i);
  const aliasCopies = new Set<Step>();
  for (const s of steps) {
    if (s.kind !== 'alias') continue;
    const r = root[s.inputs[0]!]!;
    if (external.has(r)) aliasCopies.add(s);
    else root[s.output] = r;
  }
  const life = new Map<number, Interval>();
  steps.forEach((s, i) => {
    for (const v of s.inputs) {
      const iv = life.get(root[v]!);
      if (iv) iv.last = Math.max(iv.last, i);
    }
    const r = root[s.output]!;
    if (!life.has(r)) life.set(r, { id: r, size: n * shapes[r]!.reduce((a, b) => a * b, 1), first: i, last: i });
    if (s.kind === 'expandDepthwise') life.set(scratchId(low, i), { id: scratchId(low, i), size: s.scratch, first: i, last: i });
  });
  for (const o of low.outputs) {
    const iv = life.get(root[o]!);
    if (iv) iv.last = steps.length;
  }
  return { root, aliasCopies, life: [...life.values()] };
}
