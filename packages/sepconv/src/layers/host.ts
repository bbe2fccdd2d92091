// The host-op layer: one output of a TF post-processing op (ArgMax, TopKV2, GatherNd, FloorDiv, ...)
// that a graph model runs on small tensors, computed in TypeScript (ops/host/) inside the model's
// plan. Its values live in the same arena as every other value and follow the same liveness; they
// have whole TF shapes (batch included), so a model with host ops runs one sample per predict.
import { ShapeError } from '../errors.js';
import { HOST_OPS, HostOpError, type HostArg, type HostArray, type HostAttrs, type HostDType, type PreparedHostOp } from '../ops/host/index.js';
import type { LowerContext } from './ir.js';
import { Layer, symShapeStr, type LayerArgs, type SymShape } from './layer.js';

/** One argument of a host op: a layer input (`full`: it has a whole TF shape, else a per-sample one), or a constant. */
export type HostArgSpec = { input: number; full: boolean; dtype?: HostDType } | { shape: number[]; dtype: HostDType; values: number[] };

/** Options of a `HostOp` layer (what the graph importer writes). */
export interface HostOpArgs extends LayerArgs {
  /** TF op name (a key of the host-op table). */
  op: string;
  attrs: HostAttrs;
  args: HostArgSpec[];
  /** Which of the op's outputs this layer computes. */
  output: number;
}

/** A TF post-processing op computed in TypeScript (see the file comment). */
export class HostOp extends Layer {
  readonly className = 'HostOp';
  readonly op: string;
  readonly attrs: HostAttrs;
  readonly args: HostArgSpec[];
  readonly output: number;
  #consts: (Float64Array | undefined)[];

  constructor(args: HostOpArgs) {
    super(args, 'host_op');
    if (!Object.hasOwn(HOST_OPS, args.op)) throw new ShapeError(this.label, 'a host op sepconv implements', String(args.op));
    this.op = args.op;
    this.attrs = args.attrs;
    this.args = args.args;
    this.output = args.output;
    this.#consts = args.args.map((a) => ('values' in a ? Float64Array.from(a.values) : undefined));
  }

  override get arity(): 1 | 'many' {
    return this.args.filter((a) => 'input' in a).length === 1 ? 1 : 'many';
  }

  /** The op prepared for these input shapes (per-sample shapes of layer inputs read as batch 1). */
  #prepare(inputShapes: readonly SymShape[]): PreparedHostOp {
    const args: HostArg[] = this.args.map((a, i) => {
      if ('values' in a) return { shape: a.shape, dtype: a.dtype, value: this.#consts[i]! };
      const s = inputShapes[a.input];
      if (!s || s.some((d) => d === null)) throw new ShapeError(this.label, 'inputs of known sizes', s ? symShapeStr(s) : 'a missing input');
      return { shape: a.full ? (s as number[]) : [1, ...(s as number[])], dtype: a.dtype ?? 'float32' };
    });
    try {
      const p = HOST_OPS[this.op]!(args, this.attrs);
      if (!p.outs[this.output]) throw new HostOpError(`has ${p.outs.length} outputs, not ${this.output + 1}`);
      return p;
    } catch (e) {
      if (e instanceof HostOpError) throw new ShapeError(this.label, 'inputs its op accepts', `${e.message} (inputs ${inputShapes.map(symShapeStr).join(', ')})`);
      throw e;
    }
  }

  computeOutputShape(inputShapes: SymShape[]): SymShape {
    return [...this.#prepare(inputShapes).outs[this.output]!.shape];
  }

  lower(ctx: LowerContext, inputs: number[]): number {
    const p = this.#prepare(inputs.map((v) => ctx.shape(v)));
    const out = ctx.value(p.outs[this.output]!.shape);
    ctx.full.add(out);
    const dt = p.outs[this.output]!.dtype;
    if (dt !== 'float32') ctx.dtypes.set(out, dt);
    // Arrays reused by every run: the op's inputs (constants fixed, views refreshed per call) and its other outputs.
    const argv: HostArray[] = this.#consts.map((c) => c ?? new Float64Array(0));
    const outv: HostArray[] = p.outs.map((o, k) => (k === this.output ? new Float32Array(0) : new Float64Array(o.shape.reduce((a, b) => a * b, 1))));
    const slots = this.args.map((a, i) => ('input' in a ? [i, a.input] : undefined)).filter((x): x is [number, number] => x !== undefined);
    const k = this.output;
    ctx.emit({
      kind: 'host',
      op: this.op,
      layer: this.name,
      inputs,
      output: out,
      macs: 0,
      run: (ins, o) => {
        for (const [i, j] of slots) argv[i] = ins[j]!;
        outv[k] = o;
        p.run(argv, outv);
      },
    });
    return out;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, op: this.op, attrs: this.attrs, args: this.args, output: this.output };
  }
}
