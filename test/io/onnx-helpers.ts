// Hand-built ONNX graphs with seeded random weights, run in ONNX Runtime (onnxruntime-node) and in
// sepconv (NCHW default and layout 'nhwc'); the error is max |sepconv - ORT| / max |ORT|.
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';
import { onnx, ort, toNchw, toNhwc } from '../engines/onnx.js';

export type Attr = number | number[] | string | { f: number } | { floats: number[] };

function attr(name: string, v: Attr): any {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return onnx.AttributeProto.create({ name, type: T.INT, i: v });
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  if ('f' in v) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.f });
  return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: v.floats });
}

/** A small NCHW graph builder: input 'x', seeded random initializers. */
export class G {
  nodes: any[] = [];
  inits: any[] = [];
  #n = 0;
  readonly next: () => number;

  constructor(seed: number) {
    this.next = rng(seed);
  }

  fresh(p: string): string {
    return `${p}_${this.#n++}`;
  }

  /** A float initializer: given values, or seeded uniform in [offset - scale, offset + scale). */
  f(dims: number[], scale = 0.5, offset = 0, values?: ArrayLike<number>): string {
    const size = dims.reduce((a, b) => a * b, 1);
    const data = values ? Float32Array.from(values) : Float32Array.from({ length: size }, () => offset + this.next() * scale);
    const name = this.fresh('w');
    this.inits.push(onnx.TensorProto.create({ name, dataType: 1, dims, rawData: new Uint8Array(data.buffer).slice() }));
    return name;
  }

  i64(values: number[], dims = [values.length]): string {
    const name = this.fresh('i');
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.inits.push(onnx.TensorProto.create({ name, dataType: 7, dims, rawData: new Uint8Array(data.buffer).slice() }));
    return name;
  }

  node(opType: string, inputs: string[], attrs: Record<string, Attr | undefined> = {}, name?: string, nOut = 1): string {
    const out = Array.from({ length: nOut }, () => this.fresh(opType.toLowerCase()));
    const attribute = Object.entries(attrs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => attr(k, v!));
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: out, attribute, name: name ?? out[0] }));
    return out[0]!;
  }

  /** conv (OIHW weights, bias) with seeded weights. */
  conv(x: string, cin: number, cout: number, k: number, attrs: Record<string, Attr | undefined> = {}, bias = true): string {
    const group = typeof attrs.group === 'number' ? attrs.group : 1;
    const w = this.f([cout, cin / group, k, k], 1 / Math.sqrt((cin / group) * k * k));
    return this.node('Conv', bias ? [x, w, this.f([cout], 0.2)] : [x, w], { kernel_shape: [k, k], ...attrs });
  }

  bn(x: string, c: number): string {
    return this.node('BatchNormalization', [x, this.f([c], 0.3, 1), this.f([c], 0.3), this.f([c], 0.3), this.f([c], 0.4, 0.8)], { epsilon: { f: 1e-3 } });
  }

  bytes(inDims: number[], out: string, opset: number, extraInputs: any[] = []): Uint8Array {
    const vi = (name: string, dims?: (number | string)[]) =>
      onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}) } } });
    const graph = onnx.GraphProto.create({ name: 'g', node: this.nodes, initializer: this.inits, input: [vi('x', inDims), ...extraInputs], output: [vi(out)] });
    const irVersion = opset >= 21 ? 10 : opset >= 19 ? 9 : opset >= 15 ? 8 : opset >= 13 ? 7 : opset >= 11 ? 6 : opset >= 9 ? 4 : 3;
    return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion, opsetImport: [{ domain: '', version: opset }], graph, producerName: 'sepconv-test' })).finish();
  }
}

/** Moves every initializer of a model into one external data file; returns both files. */
export function externalize(bytes: Uint8Array, location: string): { model: Uint8Array; data: Uint8Array } {
  const m = onnx.ModelProto.decode(bytes);
  const parts: Uint8Array[] = [];
  let off = 0;
  for (const t of m.graph.initializer) {
    const raw: Uint8Array = t.rawData;
    // Aligned as onnx's external-data writer does (4 KiB pages not needed; 16 bytes keeps offsets non-trivial).
    const pad = (16 - (off % 16)) % 16;
    if (pad) parts.push(new Uint8Array(pad));
    off += pad;
    t.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(off) },
      { key: 'length', value: String(raw.length) },
    ];
    t.dataLocation = 1;
    parts.push(raw);
    off += raw.length;
    t.rawData = new Uint8Array(0);
  }
  const data = new Uint8Array(off);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { model: onnx.ModelProto.encode(m).finish(), data };
}

export interface Compared {
  err: number;
  errNhwc: number;
  shape: number[];
}

const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i]! - want[i]!));
  return e / Math.max(maxAbs(want), 1e-30);
}

/** Runs `bytes` on a seeded input in ORT and in sepconv (both layouts); `source` replaces the bytes for sepconv's loaders. */
export async function compare(bytes: Uint8Array, inDims: number[], seed: number, src?: unknown, opts: { fetch?: (url: string) => Promise<Response>; source?: unknown } = {}): Promise<Compared> {
  const source = opts.source ?? src ?? bytes;
  const load = { ...(opts.fetch ? { fetch: opts.fetch } : {}) };
  const next = rng(seed);
  const x = Float32Array.from({ length: inDims.reduce((a, b) => a * b, 1) }, () => next());
  const session = await ort.InferenceSession.create(bytes);
  const res = await session.run({ x: new ort.Tensor('float32', x, inDims) });
  const o = res[session.outputNames[0]];
  const want = o.data as Float32Array;
  const wantDims = (o.dims as number[]).map(Number);
  await session.release();

  const m = await sc.loadModel(source as any, load);
  const xt = sc.tensor(x, inDims);
  const y = m.predict(xt) as sc.Tensor;
  const shape = [...y.shape];
  const err = shape.join() === wantDims.join() ? relErr(y.data(), want) : Infinity;
  xt.dispose();
  m.dispose();

  const [n, c, h, w] = inDims as [number, number, number, number];
  const m2 = await sc.loadOnnxModel(source as any, { ...load, layout: 'nhwc' });
  const xn = sc.tensor(toNhwc(x, inDims), [n, h, w, c]);
  const y2 = m2.predict(xn) as sc.Tensor;
  const got2 = y2.shape.length === 4 ? toNchw(y2.data(), [...y2.shape]) : y2.data();
  const errNhwc = relErr(got2, want);
  xn.dispose();
  m2.dispose();
  return { err, errNhwc, shape };
}
