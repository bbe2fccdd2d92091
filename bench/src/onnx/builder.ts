// A small ONNX graph builder (onnx-proto), NCHW, opset 13 (HardSwish needs 14: we declare 14).
import { createRequire } from 'node:module';
const require_ = createRequire(import.meta.url);
const { onnx } = require_('onnx-proto');

type Attr = number | number[] | string | { floats: number[] } | { float: number };

export class OnnxGraph {
  private nodes: any[] = [];
  private inits: any[] = [];
  private inputs: any[] = [];
  private outputs: any[] = [];
  private n = 0;

  constructor(readonly name = 'sepconv_bench') {}

  fresh(prefix: string): string {
    return `${prefix}__${this.n++}`;
  }

  input(name: string, dims: number[]): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  output(name: string, dims?: number[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  init(name: string, data: Float32Array | BigInt64Array | Int32Array, dims: number[]): string {
    const dataType = data instanceof Float32Array ? 1 : data instanceof BigInt64Array ? 7 : 6;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.inits.push(onnx.TensorProto.create({ name, dataType, dims, rawData: bytes }));
    return name;
  }

  ints64(name: string, values: number[]): string {
    return this.init(name, BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]);
  }

  scalar(name: string, v: number): string {
    return this.init(name, new Float32Array([v]), []);
  }

  node(opType: string, inputs: string[], outputs: string[] | string, attrs: Record<string, Attr | undefined> = {}, name?: string): string {
    const outs = Array.isArray(outputs) ? outputs : [outputs];
    const attribute = Object.entries(attrs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => attr(k, v!));
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: outs, attribute, name: name ?? outs[0] }));
    return outs[0]!;
  }

  /** Opset 14 (HardSwish); DeformConv needs 19. */
  encode(opset = 14): Uint8Array {
    const graph = onnx.GraphProto.create({ name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs });
    const model = onnx.ModelProto.create({ irVersion: opset >= 19 ? 9 : 7, opsetImport: [{ domain: '', version: opset }], graph, producerName: 'sepconv-bench' });
    return onnx.ModelProto.encode(model).finish();
  }

  /** Activation by Keras name, applied to `x`; returns the output name. */
  activation(x: string, act: string | undefined, out?: string): string {
    const o = out ?? this.fresh(x);
    switch (act ?? 'linear') {
      case 'linear':
        return out ? this.node('Identity', [x], o) : x;
      case 'relu':
        return this.node('Relu', [x], o);
      case 'relu6':
        return this.node('Clip', [x, this.scalar(this.fresh('zero'), 0), this.scalar(this.fresh('six'), 6)], o);
      case 'sigmoid':
        return this.node('Sigmoid', [x], o);
      case 'swish':
      case 'silu': {
        const s = this.node('Sigmoid', [x], this.fresh(`${x}_sig`));
        return this.node('Mul', [x, s], o);
      }
      case 'hardSwish':
      case 'hard_swish':
        return this.node('HardSwish', [x], o);
      case 'softmax':
        return this.node('Softmax', [x], o, { axis: 1 });
      case 'tanh':
        return this.node('Tanh', [x], o);
      default:
        throw new Error(`onnx: activation ${act} not supported`);
    }
  }
}

function valueInfo(name: string, dims?: number[]): any {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: 1, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } },
  });
}

function attr(name: string, v: Attr): any {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return onnx.AttributeProto.create({ name, type: T.INT, i: v });
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  if ('float' in v) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.float });
  return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: v.floats });
}

/** TF layout [KH, KW, Cin/groups, Cout] to ONNX [Cout, Cin/groups, KH, KW]. */
export function hwioToOihw(w: Float32Array, [kh, kw, ci, co]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < ci!; i++)
        for (let o = 0; o < co!; o++) out[((o * ci! + i) * kh! + y) * kw! + x] = w[((y * kw! + x) * ci! + i) * co! + o]!;
  return out;
}

/** TF depthwise [KH, KW, C, M] to ONNX grouped conv weights [C*M, 1, KH, KW] (group = C). */
export function depthwiseToOihw(w: Float32Array, [kh, kw, c, m]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let ch = 0; ch < c!; ch++)
        for (let j = 0; j < m!; j++) out[((ch * m! + j) * kh! + y) * kw! + x] = w[((y * kw! + x) * c! + ch) * m! + j]!;
  return out;
}

/** TF 'same' pads (extra at the end), as ONNX [top, left, bottom, right]. */
export function tfPads(padding: 'same' | 'valid', inH: number, inW: number, kh: number, kw: number, sh: number, sw: number, dh = 1, dw = 1): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const ax = (n: number, k: number, s: number, d: number) => {
    const out = Math.ceil(n / s);
    const need = Math.max((out - 1) * s + (k - 1) * d + 1 - n, 0);
    return [Math.floor(need / 2), need - Math.floor(need / 2)];
  };
  const [t, b] = ax(inH, kh, sh, dh);
  const [l, r] = ax(inW, kw, sw, dw);
  return [t!, l!, b!, r!];
}

/** NHWC data to NCHW. */
export function nhwcToNchw(x: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n!; b++)
    for (let y = 0; y < h!; y++)
      for (let xx = 0; xx < w!; xx++)
        for (let ch = 0; ch < c!; ch++) out[((b * c! + ch) * h! + y) * w! + xx] = x[((b * h! + y) * w! + xx) * c! + ch]!;
  return out;
}

export interface ConvSpec {
  /** NHWC input shape [N, H, W, Cin]. */
  input: number[];
  /** TF-layout filter: [KH, KW, Cin/groups, Cout], or depthwise [KH, KW, C, M] when depthwise. */
  filter: Float32Array;
  filterShape: number[];
  depthwise?: boolean;
  strides?: [number, number];
  dilations?: [number, number];
  padding: 'same' | 'valid';
  bias?: Float32Array;
  activation?: string;
}

/** Adds one conv (+ bias + activation) reading `x`; returns the output name. */
export function addConv(g: OnnxGraph, name: string, x: string, s: ConvSpec): string {
  const [kh, kw] = s.filterShape as [number, number];
  const [, h, w, cin] = s.input as [number, number, number, number];
  const [sh, sw] = s.strides ?? [1, 1];
  const [dh, dw] = s.dilations ?? [1, 1];
  const group = s.depthwise ? cin : 1;
  const cout = s.depthwise ? cin * s.filterShape[3]! : s.filterShape[3]!;
  const weights = s.depthwise ? depthwiseToOihw(s.filter, s.filterShape) : hwioToOihw(s.filter, s.filterShape);
  const wName = g.init(`${name}/W`, weights, [cout, s.depthwise ? 1 : s.filterShape[2]!, kh, kw]);
  const ins = [x, wName];
  if (s.bias) ins.push(g.init(`${name}/B`, s.bias, [cout]));
  const convOut = s.activation && s.activation !== 'linear' ? `${name}/conv` : name;
  g.node('Conv', ins, convOut, {
    kernel_shape: [kh, kw],
    strides: [sh, sw],
    dilations: [dh, dw],
    pads: tfPads(s.padding, h, w, kh, kw, sh, sw, dh, dw),
    group,
  });
  return convOut === name ? name : g.activation(convOut, s.activation, name);
}

/** A graph of convs in sequence (one or two: the kernel bench's single ops and separable pairs). */
export function onnxConvChain(input: number[], convs: ConvSpec[]): Uint8Array {
  const g = new OnnxGraph();
  const [n, h, w, c] = input as [number, number, number, number];
  let x = g.input('x', [n, c, h, w]);
  convs.forEach((s, i) => {
    x = addConv(g, i === convs.length - 1 ? 'y' : `conv${i}`, x, s);
  });
  g.output('y');
  return g.encode();
}

/** One depthwise DeformConv (opset 19) with constant offsets / mask (NHWC in, converted), + activation; `output` is NHWC. */
export function onnxDeformModel(input: number[], output: number[], s: ConvSpec, d: { offsetGroups: number; offsets: Float32Array; mask?: Float32Array }): Uint8Array {
  const g = new OnnxGraph('deform');
  const [n, h, w, c] = input as [number, number, number, number];
  const [kh, kw] = s.filterShape as [number, number];
  const [sh, sw] = s.strides ?? [1, 1];
  const [dh, dw] = s.dilations ?? [1, 1];
  const pads = tfPads(s.padding, h, w, kh, kw, sh, sw, dh, dw);
  const [, oh, ow] = output as [number, number, number];
  const taps = kh * kw;
  const x = g.input('x', [n, c, h, w]);
  const wName = g.init('W', depthwiseToOihw(s.filter, s.filterShape), [c, 1, kh, kw]);
  const off = g.init('offsets', nhwcToNchw(d.offsets, [n, oh, ow, d.offsetGroups * taps * 2]), [n, d.offsetGroups * taps * 2, oh, ow]);
  const ins = [x, wName, off, g.init('B', s.bias ?? new Float32Array(c), [c])];
  if (d.mask) ins.push(g.init('mask', nhwcToNchw(d.mask, [n, oh, ow, d.offsetGroups * taps]), [n, d.offsetGroups * taps, oh, ow]));
  const act = s.activation && s.activation !== 'linear';
  g.node('DeformConv', ins, act ? 'conv' : 'y', { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads, group: c, offset_group: d.offsetGroups });
  if (act) g.activation('conv', s.activation, 'y');
  g.output('y');
  return g.encode(19);
}

/** A 1-node model, used to make ORT-web instantiate its wasm at load time. */
export function onnxIdentityModel(): Uint8Array {
  const g = new OnnxGraph('identity');
  g.input('x', [1]);
  g.node('Identity', ['x'], 'y');
  g.output('y', [1]);
  return g.encode();
}
