// A Keras functional graph (the zoo's `model_config`, flattened by the package's
// normalizeKerasConfig and shaped by inferGraph) plus its weights, as an NCHW ONNX model:
// the same network with the same weights for onnxruntime-web and onnxruntime-node.
import { OnnxGraph, depthwiseToOihw, hwioToOihw, tfPads } from './builder.js';

export interface FlatLayerLike {
  className: string;
  name: string;
  config: Record<string, any>;
  inputs: string[];
}
export interface LayerInfoLike {
  name: string;
  outputShape: number[];
}

function pair(v: unknown, fallback: number): [number, number] {
  if (v === undefined || v === null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v)) return v.length === 1 ? [Number(v[0]), Number(v[0])] : [Number(v[0]), Number(v[1])];
  throw new Error(`onnx: expected int or pair, got ${JSON.stringify(v)}`);
}

function actName(v: unknown): string {
  if (v === undefined || v === null) return 'linear';
  if (typeof v === 'string') return v;
  const o = v as any;
  return String(o.config?.name ?? o.class_name ?? 'linear').toLowerCase();
}

function zeroPad(v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number') return [[v, v], [v, v]];
  const a = v as any[];
  if (typeof a[0] === 'number') return [[a[0], a[0]], [a[1], a[1]]];
  return [[a[0][0], a[0][1]], [a[1][0], a[1][1]]];
}

/**
 * Converts the graph. `shapes` maps a layer to its NHWC output shape without batch; `weight(name)`
 * returns `<layer>/<weight>` values in Keras layout.
 */
export function kerasToOnnx(layers: FlatLayerLike[], shapes: Map<string, number[]>, output: string, weight: (name: string) => Float32Array | undefined): Uint8Array {
  const g = new OnnxGraph('model');
  const val = new Map<string, string>(); // layer name -> ONNX value name
  const need = (n: string) => {
    const w = weight(n);
    if (!w) throw new Error(`onnx: weight ${n} missing`);
    return w;
  };
  const inShape = (l: FlatLayerLike) => shapes.get(l.inputs[0]!)!;
  const consts = (name: string, data: Float32Array, dims: number[]) => g.init(name, data, dims);
  const toNhwc = (x: string, rank: number) => (rank === 3 ? g.node('Transpose', [x], g.fresh(`${x}_nhwc`), { perm: [0, 2, 3, 1] }) : x);

  for (const l of layers) {
    const c = l.config;
    const x = l.inputs.length ? val.get(l.inputs[0]!)! : '';
    const out = l.name;
    const sh = shapes.get(l.name)!;
    let res: string;
    switch (l.className) {
      case 'InputLayer': {
        const [h, w, ch] = sh as [number, number, number];
        res = g.input(out, [1, ch, h, w]);
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        const [h, w, cin] = inShape(l) as [number, number, number];
        const [kh, kw] = pair(c.kernel_size, 1);
        const [s0, s1] = pair(c.strides, 1);
        const [d0, d1] = pair(c.dilation_rate, 1);
        const padding = String(c.padding ?? 'valid').toLowerCase() as 'same' | 'valid';
        const attrs = { kernel_shape: [kh, kw], strides: [s0, s1], dilations: [d0, d1], pads: tfPads(padding, h, w, kh, kw, s0, s1, d0, d1) };
        const useBias = c.use_bias ?? true;
        const act = actName(c.activation);
        const convOut = act === 'linear' ? out : `${out}/pre`;
        if (l.className === 'Conv2D') {
          const groups = c.groups ?? 1;
          const f = c.filters as number;
          const W = consts(`${out}/W`, hwioToOihw(need(`${l.name}/kernel`), [kh, kw, cin / groups, f]), [f, cin / groups, kh, kw]);
          const ins = [x, W];
          if (useBias) ins.push(consts(`${out}/B`, need(`${l.name}/bias`), [f]));
          g.node('Conv', ins, convOut, { ...attrs, group: groups });
        } else {
          const m = c.depth_multiplier ?? 1;
          const dwW = consts(`${out}/dwW`, depthwiseToOihw(need(`${l.name}/depthwise_kernel`), [kh, kw, cin, m]), [cin * m, 1, kh, kw]);
          if (l.className === 'DepthwiseConv2D') {
            const ins = [x, dwW];
            if (useBias) ins.push(consts(`${out}/B`, need(`${l.name}/bias`), [cin * m]));
            g.node('Conv', ins, convOut, { ...attrs, group: cin });
          } else {
            const f = c.filters as number;
            const mid = g.node('Conv', [x, dwW], `${out}/dw`, { ...attrs, group: cin });
            const pwW = consts(`${out}/pwW`, hwioToOihw(need(`${l.name}/pointwise_kernel`), [1, 1, cin * m, f]), [f, cin * m, 1, 1]);
            const ins = [mid, pwW];
            if (useBias) ins.push(consts(`${out}/B`, need(`${l.name}/bias`), [f]));
            g.node('Conv', ins, convOut, { kernel_shape: [1, 1] });
          }
        }
        res = act === 'linear' ? convOut : g.activation(convOut, act, out);
        break;
      }
      case 'BatchNormalization': {
        const ch = sh[sh.length - 1]!;
        const gamma = c.scale ?? true ? need(`${l.name}/gamma`) : new Float32Array(ch).fill(1);
        const beta = c.center ?? true ? need(`${l.name}/beta`) : new Float32Array(ch);
        res = g.node('BatchNormalization', [x, consts(`${out}/g`, gamma, [ch]), consts(`${out}/b`, beta, [ch]), consts(`${out}/m`, need(`${l.name}/moving_mean`), [ch]), consts(`${out}/v`, need(`${l.name}/moving_variance`), [ch])], out, { epsilon: { float: c.epsilon ?? 1e-3 } });
        break;
      }
      case 'Normalization': {
        const ch = sh[sh.length - 1]!;
        const mean = c.mean != null ? Float32Array.from([c.mean].flat()) : need(`${l.name}/mean`);
        const variance = c.variance != null ? Float32Array.from([c.variance].flat()) : need(`${l.name}/variance`);
        const dims = sh.length === 3 ? [1, ch, 1, 1] : [1, ch];
        const full = (v: Float32Array) => (v.length === ch ? v : new Float32Array(ch).fill(v[0]!));
        const sd = full(variance).map((v) => Math.sqrt(Math.max(v, 1e-7)));
        const sub = g.node('Sub', [x, consts(`${out}/mean`, full(mean), dims)], `${out}/sub`);
        res = g.node('Div', [sub, consts(`${out}/sd`, sd, dims)], out);
        break;
      }
      case 'ReLU': {
        if ((c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) throw new Error(`onnx: ReLU '${l.name}' with slope/threshold not supported`);
        res = c.max_value == null ? g.node('Relu', [x], out) : g.node('Clip', [x, g.scalar(g.fresh('lo'), 0), g.scalar(g.fresh('hi'), c.max_value)], out);
        break;
      }
      case 'Activation':
        res = g.activation(x, actName(c.activation), out);
        break;
      case 'Softmax':
        res = g.node('Softmax', [x], out, { axis: 1 });
        break;
      case 'Dropout':
        res = x;
        break;
      case 'Rescaling': {
        const m = g.node('Mul', [x, g.scalar(g.fresh('scale'), Number(c.scale ?? 1))], `${out}/mul`);
        res = g.node('Add', [m, g.scalar(g.fresh('offset'), Number(c.offset ?? 0))], out);
        break;
      }
      case 'ZeroPadding2D': {
        const [[t, b], [le, r]] = zeroPad(c.padding ?? 1);
        res = g.node('Pad', [x, g.ints64(g.fresh('pads'), [0, 0, t, le, 0, 0, b, r])], out, { mode: 'constant' });
        break;
      }
      case 'Add':
      case 'Multiply': {
        const op = l.className === 'Add' ? 'Add' : 'Mul';
        let acc = x;
        l.inputs.slice(1).forEach((n, i) => {
          acc = g.node(op, [acc, val.get(n)!], i === l.inputs.length - 2 ? out : g.fresh(out));
        });
        res = acc;
        break;
      }
      case 'GlobalAveragePooling2D': {
        const p = g.node('GlobalAveragePool', [x], sh.length === 3 ? out : `${out}/keep`);
        res = sh.length === 3 ? p : g.node('Flatten', [p], out, { axis: 1 });
        break;
      }
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        const [h, w] = inShape(l) as [number, number];
        const [ph, pw] = pair(c.pool_size, 2);
        const [s0, s1] = c.strides == null ? [ph, pw] : pair(c.strides, 1);
        const padding = String(c.padding ?? 'valid').toLowerCase() as 'same' | 'valid';
        const attrs: Record<string, any> = { kernel_shape: [ph, pw], strides: [s0, s1], pads: tfPads(padding, h, w, ph, pw, s0, s1) };
        if (l.className === 'AveragePooling2D') attrs.count_include_pad = 0;
        res = g.node(l.className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [x], out, attrs);
        break;
      }
      case 'Reshape':
      case 'Flatten': {
        const src = inShape(l);
        const nhwc = toNhwc(x, src.length);
        const target = l.className === 'Flatten' ? [1, -1] : [1, ...sh];
        const rs = g.node('Reshape', [nhwc, g.ints64(g.fresh('shape'), target)], sh.length === 3 ? `${out}/nhwc` : out);
        res = sh.length === 3 ? g.node('Transpose', [rs], out, { perm: [0, 3, 1, 2] }) : rs;
        break;
      }
      case 'Dense': {
        const src = inShape(l);
        if (src.length !== 1) throw new Error(`onnx: Dense '${l.name}' over a rank-${src.length} input not supported`);
        const units = c.units as number;
        const ins = [x, consts(`${out}/W`, need(`${l.name}/kernel`), [src[0]!, units])];
        if (c.use_bias ?? true) ins.push(consts(`${out}/B`, need(`${l.name}/bias`), [units]));
        const act = actName(c.activation);
        const pre = g.node('Gemm', ins, act === 'linear' ? out : `${out}/pre`);
        res = act === 'linear' ? pre : g.activation(pre, act, out);
        break;
      }
      default:
        throw new Error(`onnx: layer class ${l.className} ('${l.name}') not supported`);
    }
    val.set(l.name, res);
  }
  const y = val.get(output)!;
  const fin = y === output ? y : g.node('Identity', [y], output);
  g.output(fin);
  return g.encode();
}
