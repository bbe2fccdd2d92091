// One "chain" of convolutions (a single op, a depthwise-separable pair, a 5x1 + 1x5 pair) run by
// each engine on the same weights. The kernel bench and the seed's table are made of these.
import * as sc from './sepconv.js';
import { ourBuild, type Engines, type EngineId, type OurBuild } from './engines/index.js';
import { nhwcToNchw, onnxConvChain, onnxDeformModel, type ConvSpec } from './onnx/builder.js';
import { randn } from './rng.js';

export interface Chain {
  input: number[];
  convs: ConvSpec[];
  /** convs = [K x 1 depthwise, 1 x K depthwise]: sepconv runs it with its spatially separable kernel when it has one. */
  spatial?: boolean;
  /**
   * With `spatial`: sepconv runs the pair as a two-DepthwiseConv2D model through `predict()` instead of the
   * kernel, 'fused' (the planner's Kx1 -> 1xK rule, one spatial step) or 'unfused' (the rule off: two depthwise steps).
   */
  model?: 'fused' | 'unfused';
  /** convs = [one depthwise conv], run deformable: offsets NHWC [N, OH, OW, G*KH*KW*2] and an optional mask [N, OH, OW, G*KH*KW]. */
  deform?: { offsetGroups: number; offsets: Float32Array; mask?: Float32Array };
  /** convs = [one conv whose filter is [KH, KW, Cout, Cin]], run transposed (TF conv2dTranspose) to NHWC `output`. */
  transpose?: { output: number[] };
  /** No convs: a TF bilinear resize (halfPixelCenters) of the input to NHWC `output`. */
  resize?: { output: number[] };
  /**
   * No convs: one general op on the input (issue 25 item 3): a binary op with a seeded `b` of shape `b`
   * (broadcast), a unary op, a reduction over `axes`, or softmax / logSoftmax over `axis`.
   */
  general?: { kind: 'binary' | 'unary' | 'reduce' | 'softmax'; op: string; b?: number[]; axes?: number[]; axis?: number };
}

/** Output shape of a `general` chain. */
export function generalOutShape(ch: Chain): number[] {
  const g = ch.general!;
  if (g.kind === 'binary') {
    const a = ch.input;
    const b = g.b!;
    const r = Math.max(a.length, b.length);
    return Array.from({ length: r }, (_, i) => Math.max(a[i + a.length - r] ?? 1, b[i + b.length - r] ?? 1));
  }
  if (g.kind === 'reduce') return ch.input.filter((_, i) => !g.axes!.includes(i));
  return ch.input;
}

export interface Impl {
  run: () => unknown;
  before?: () => unknown;
  /** NHWC output of one run, for the cross-engine check. */
  output: () => Promise<Float32Array>;
  dispose: () => void | Promise<void>;
}

export type Built = Impl | { na: string };

export function outShape(input: number[], s: ConvSpec): number[] {
  const [n, h, w, c] = input as [number, number, number, number];
  const g = sc.convGeometry('bench', h, w, [s.filterShape[0]!, s.filterShape[1]!], s.strides ?? [1, 1], s.dilations ?? [1, 1], s.padding);
  return [n, g.outH, g.outW, s.depthwise ? c * s.filterShape[3]! : s.filterShape[3]!];
}

export function chainMacs(ch: Chain): number {
  // General ops: one operation per input value (reductions, softmax) or output value (elementwise).
  if (ch.general) return Math.max(ch.input.reduce((a, b) => a * b, 1), generalOutShape(ch).reduce((a, b) => a * b, 1));
  // A bilinear resize: three lerps (a multiply-add each) per output value.
  if (ch.resize) return 3 * ch.resize.output.reduce((a, b) => a * b, 1);
  if (ch.transpose) {
    const [n, h, w, cin] = ch.input as [number, number, number, number];
    const [kh, kw, cout] = ch.convs[0]!.filterShape as [number, number, number];
    return n * h * w * cin * kh * kw * cout;
  }
  let shape = ch.input;
  let macs = 0;
  for (const s of ch.convs) {
    const o = outShape(shape, s);
    const [kh, kw] = s.filterShape as [number, number];
    macs += s.depthwise ? o[1]! * o[2]! * kh * kw * o[3]! : o[1]! * o[2]! * kh * kw * s.filterShape[2]! * o[3]!;
    shape = o;
  }
  return macs * ch.input[0]!;
}

/** Bytes touched at least once: input, every output, every filter (f32). */
export function chainBytes(ch: Chain): number {
  let shape = ch.input;
  let n = shape.reduce((a, b) => a * b, 1);
  if (ch.resize) return 4 * (n + ch.resize.output.reduce((a, b) => a * b, 1));
  if (ch.general) return 4 * (n + (ch.general.b ?? []).reduce((a, b) => a * b, ch.general.b ? 1 : 0) + generalOutShape(ch).reduce((a, b) => a * b, 1));
  if (ch.transpose) return 4 * (n + ch.transpose.output.reduce((a, b) => a * b, 1) + ch.convs[0]!.filter.length);
  for (const s of ch.convs) {
    shape = outShape(shape, s);
    n += shape.reduce((a, b) => a * b, 1) + s.filter.length;
  }
  return 4 * n;
}

/** A conv spec with seeded He-scaled weights and a small bias. */
export function convSpec(input: number[], o: { k: [number, number]; cout?: number; depthwise?: boolean; stride?: number; activation?: string; padding?: 'same' | 'valid'; noBias?: boolean }, seed: number): ConvSpec {
  const cin = input[3]!;
  const filterShape = o.depthwise ? [o.k[0], o.k[1], cin, 1] : [o.k[0], o.k[1], cin, o.cout!];
  const fanIn = o.depthwise ? o.k[0] * o.k[1] : o.k[0] * o.k[1] * cin;
  const n = filterShape.reduce((a, b) => a * b, 1);
  const cout = o.depthwise ? cin : o.cout!;
  return {
    input,
    filter: randn(n, seed, Math.sqrt(3 / fanIn)),
    filterShape,
    depthwise: o.depthwise ?? false,
    strides: [o.stride ?? 1, o.stride ?? 1],
    padding: o.padding ?? 'same',
    ...(o.noBias ? {} : { bias: randn(cout, seed + 1, 0.1) }),
    activation: o.activation ?? 'relu6',
  };
}

/** Builds `chain` for one engine; `{ na }` says why it cannot run there. */
export async function buildChain(e: Engines, id: EngineId, ch: Chain, seed: number): Promise<Built> {
  if (!e.has(id)) return { na: e.info.get(id)?.error ?? 'engine not loaded' };
  const x = randn(ch.input.reduce((a, b) => a * b, 1), seed);
  try {
    const build = ourBuild(id);
    if (build) return buildOurs(e, build, ch, x);
    // The kernel table's TF.js is its fastest kernel path: tf.fused.* with bias + activation (tfjs-wasm).
    if (id === 'tfjs-wasm-layers') return { na: 'kernels run through tf.fused.* (the TF.js wasm column); tfjs-layers is a whole-model path' };
    if (id === 'tfjs-wasm' || id === 'tfjs-cpu') return buildTf(e, id === 'tfjs-wasm' ? 'wasm' : 'cpu', ch, x);
    return await buildOrt(e, id as 'ort-web' | 'ort-node', ch, x);
  } catch (err) {
    return { na: `setup failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function buildOurs(e: Engines, build: OurBuild, ch: Chain, xData: Float32Array): Built {
  const use = () => e.useSepconv(build);
  use();
  const dw = sc.depthwiseOps;
  const PackedGemm = sc.gemmOps.PackedGemmWeights;
  const runPointwise = sc.fn(sc.gemmOps, 'runPointwise') ?? sc.fn(sc.convOps, 'runPointwise');
  const PackedConv = sc.convOps.PackedConvWeights;
  const runConv2d = sc.fn(sc.convOps, 'runConv2d');
  const steps: (() => void)[] = [];
  const owned: { dispose(): void }[] = [];
  const x = sc.tensor(xData, ch.input);
  owned.push(x);
  // `run` writes `last`; every tensor and packed weight in `owned` is freed by dispose.
  const impl = (run: () => void, last: sc.Tensor): Impl => ({
    run,
    before: use,
    output: async () => {
      use();
      run();
      return last.data();
    },
    dispose: () => {
      use();
      for (const t of owned.reverse()) t.dispose();
    },
  });
  if (ch.spatial && ch.model) {
    if (!sc.fusionRules) return { na: 'the spatial-pair fusion rule (layers/exec.ts fusionRules) not landed yet' };
    return buildOursModel(use, ch, ch.model, x, owned);
  }
  const PackedSpatial = sc.spatialOps.PackedSpatialWeights;
  const runSpatial = sc.fn(sc.spatialOps, 'runSpatial');
  if (ch.spatial && PackedSpatial && runSpatial) {
    const [v, h] = ch.convs as [ConvSpec, ConvSpec];
    const c = ch.input[3]!;
    const packed = PackedSpatial.pack(v.filter, h.filter, v.filterShape[0], h.filterShape[1], c, 1, h.bias);
    owned.push(packed);
    const g = sc.spatialOps.spatialGeometry('bench', ch.input, [v.filterShape[0]!, h.filterShape[1]!], { padding: h.padding });
    const out = sc.Tensor.alloc(outShape(ch.input, { ...h, filterShape: [v.filterShape[0]!, h.filterShape[1]!, c, 1] }), 'bench');
    owned.push(out);
    return impl(() => runSpatial(x, packed, g, h.activation as any, 'bench', out), out);
  }
  if (ch.general) {
    const g = ch.general;
    const f = sc.fn(sc.api, g.kind);
    const softmaxInto = sc.fn(sc.api, 'softmaxInto');
    if (!f || !softmaxInto) return { na: 'ops/binary.ts, unary.ts, reduce.ts not landed yet' };
    const out = sc.Tensor.alloc(generalOutShape(ch), 'bench');
    owned.push(out);
    if (g.kind === 'binary') {
      const b = sc.tensor(randn(g.b!.reduce((p, q) => p * q, 1), 7), g.b!);
      owned.push(b);
      return impl(() => f(g.op, x, b, out), out);
    }
    if (g.kind === 'unary') return impl(() => f(g.op, x, {}, out), out);
    if (g.kind === 'reduce') return impl(() => f(g.op, x, { axes: g.axes }, out), out);
    return impl(() => softmaxInto(x, g.axis!, out, g.op === 'logSoftmax'), out);
  }
  if (ch.resize) {
    const runResize = sc.fn(sc.api, 'runResize');
    const tfResize = sc.fn(sc.api, 'tfResize');
    if (!runResize || !tfResize) return { na: 'ops/resize.ts not landed yet' };
    const o = ch.resize.output;
    const r = tfResize('bench', 'bilinear', { halfPixelCenters: true });
    const out = sc.Tensor.alloc(o, 'bench');
    owned.push(out);
    return impl(() => runResize(x, [o[1]!, o[2]!], r, 'bench', out), out);
  }
  if (ch.transpose) {
    const PackedT = sc.api.PackedConvTransposeWeights;
    const runT = sc.fn(sc.api, 'runConv2dTranspose');
    const geomT = sc.fn(sc.api, 'conv2dTransposeGeometry');
    if (!PackedT || !runT || !geomT) return { na: 'ops/conv-transpose.ts not landed yet' };
    const s = ch.convs[0]!;
    const o = ch.transpose.output;
    const packed = PackedT.pack(s.filter, s.filterShape, s.bias);
    const g = geomT('bench', ch.input, [o[1]!, o[2]!], [s.filterShape[0]!, s.filterShape[1]!], { strides: s.strides, padding: s.padding });
    const out = sc.Tensor.alloc(o, 'bench');
    owned.push(packed, out);
    return impl(() => runT(x, packed, g, s.activation as any, 'bench', out), out);
  }
  const runDeform = sc.fn(sc.deformOps, 'runDeformableDepthwise');
  if (ch.deform) {
    if (!runDeform) return { na: 'ops/deformable.ts not landed yet' };
    const s = ch.convs[0]!;
    const o = outShape(ch.input, s);
    const taps = s.filterShape[0]! * s.filterShape[1]!;
    const g = sc.convGeometry('bench', ch.input[1]!, ch.input[2]!, [s.filterShape[0]!, s.filterShape[1]!], s.strides ?? [1, 1], s.dilations ?? [1, 1], s.padding);
    const packed = dw.PackedDepthwiseWeights.pack(s.filter, s.filterShape, s.bias);
    const offsets = sc.tensor(ch.deform.offsets, [o[0]!, o[1]!, o[2]!, ch.deform.offsetGroups * taps * 2]);
    const mask = ch.deform.mask && sc.tensor(ch.deform.mask, [o[0]!, o[1]!, o[2]!, ch.deform.offsetGroups * taps]);
    const out = sc.Tensor.alloc(o, 'bench');
    owned.push(packed, offsets, ...(mask ? [mask] : []), out);
    return impl(() => runDeform(x, offsets, mask, packed, g, ch.deform!.offsetGroups, s.activation as any, 'bench', out), out);
  }
  let cur: sc.Tensor = x;
  let shape = ch.input;
  for (const s of ch.convs) {
    const o = outShape(shape, s);
    const out = sc.Tensor.alloc(o, 'bench');
    owned.push(out);
    const input = cur;
    const [kh, kw] = s.filterShape as [number, number];
    const act = s.activation as any;
    if (s.depthwise) {
      const packed = dw.PackedDepthwiseWeights.pack(s.filter, s.filterShape, s.bias);
      owned.push(packed);
      const g = dw.depthwiseGeometry('bench', shape, [kh, kw], { strides: s.strides, padding: s.padding, dilations: s.dilations });
      steps.push(() => dw.runDepthwise(input, packed, g, act, 'bench', out));
    } else if (kh === 1 && kw === 1 && (s.strides ?? [1, 1]).every((v) => v === 1) && runPointwise && PackedGemm) {
      const packed = PackedGemm.pack(s.filter, s.filterShape[2], s.filterShape[3], s.bias);
      owned.push(packed);
      steps.push(() => runPointwise(input, packed, act, 'bench', out));
    } else if (runConv2d && PackedConv) {
      const packed = PackedConv.pack(s.filter, s.filterShape, s.bias, 1);
      owned.push(packed);
      const g = sc.convGeometry('bench', shape[1]!, shape[2]!, [kh, kw], s.strides ?? [1, 1], s.dilations ?? [1, 1], s.padding);
      steps.push(() => runConv2d(input, packed, g, act, 'bench', out));
    } else {
      for (const t of owned.reverse()) t.dispose();
      return { na: kh === 1 && kw === 1 ? 'ops/gemm.ts (runPointwise) not landed yet' : 'ops/conv.ts (runConv2d) not landed yet' };
    }
    cur = out;
    shape = o;
  }
  return impl(() => {
    for (const f of steps) f();
  }, cur);
}

/** The K x 1 + 1 x K chain as a two-layer model run by `predict()`, planned with the pair rule on or off. */
function buildOursModel(use: () => void, ch: Chain, mode: 'fused' | 'unfused', x: sc.Tensor, owned: { dispose(): void }[]): Built {
  const [v, h] = ch.convs as [ConvSpec, ConvSpec];
  const inp = sc.input({ shape: ch.input.slice(1) });
  const mid = sc.layers.depthwiseConv2d({ kernelSize: [v.filterShape[0]!, 1], strides: v.strides, padding: v.padding as 'same' | 'valid', useBias: !!v.bias, activation: v.activation as any, name: 'v' }).apply(inp);
  const y = sc.layers.depthwiseConv2d({ kernelSize: [1, h.filterShape[1]!], strides: h.strides, padding: h.padding as 'same' | 'valid', useBias: !!h.bias, activation: h.activation as any, name: 'h' }).apply(mid);
  const m = sc.model({ inputs: inp, outputs: y });
  owned.push(m);
  const w = new Map<string, Float32Array>([['v/depthwise_kernel', v.filter], ['h/depthwise_kernel', h.filter]]);
  if (v.bias) w.set('v/bias', v.bias);
  if (h.bias) w.set('h/bias', h.bias);
  m.setWeights(w);
  // The plan is built at the first predict: with the rule as this row wants it, checked in the plan.
  sc.fusionRules.spatialPairs = mode === 'fused';
  try {
    const kinds = m.describePlan().map((s) => s.kind).join(',');
    if (kinds !== (mode === 'fused' ? 'spatial' : 'depthwise,depthwise')) throw new Error(`model path ${mode}: planned ${kinds}`);
    m.predict(x);
  } finally {
    sc.fusionRules.spatialPairs = true;
  }
  const run = () => m.predict(x);
  return {
    run,
    before: use,
    output: async () => {
      use();
      return (run() as sc.Tensor).data().slice();
    },
    dispose: () => {
      use();
      for (const t of owned.reverse()) t.dispose();
    },
  };
}

function buildTf(e: Engines, backend: 'wasm' | 'cpu', ch: Chain, xData: Float32Array): Built {
  if (ch.deform) throw new Error('TF.js has no deformable convolution');
  const tf = e.tf;
  const use = () => e.useTf(backend);
  use();
  const x = (ch.general ? tf.tensor(xData, ch.input) : tf.tensor4d(xData, ch.input)) as ReturnType<typeof tf.tensor4d>;
  const ws = ch.convs.map((s) => ({ f: tf.tensor4d(s.filter, s.filterShape), b: s.bias ? tf.tensor1d(s.bias) : undefined, s }));
  const t = ch.transpose;
  const rs = ch.resize;
  const gen = ch.general;
  const gb = gen?.b ? tf.tensor(randn(gen.b.reduce((p, q) => p * q, 1), 7), gen.b) : undefined;
  const tfOps = tf as unknown as Record<string, (...a: unknown[]) => ReturnType<typeof tf.add>>;
  const once = () => {
    if (gen) {
      if (gen.kind === 'binary') return tfOps[gen.op]!(x, gb);
      if (gen.kind === 'unary') return tfOps[gen.op]!(x);
      if (gen.kind === 'reduce') return tfOps[gen.op]!(x, gen.axes);
      // TF.js's softmax / logSoftmax take the last axis only; other axes as a converted model runs them (its ops).
      if (gen.axis === -1 || gen.axis === ch.input.length - 1) return tfOps[gen.op]!(x);
      return tf.tidy(() => {
        const m = tf.sub(x, tf.max(x, gen.axis, true));
        const e = tf.exp(m);
        return gen.op === 'logSoftmax' ? tf.sub(m, tf.log(tf.sum(e, gen.axis, true))) : tf.div(e, tf.sum(e, gen.axis, true));
      });
    }
    if (rs) return tf.image.resizeBilinear(x, [rs.output[1]!, rs.output[2]!], false, true);
    if (t) {
      // TF.js has no fused transposed conv: bias and activation are separate ops, as in a converted model.
      const { f, b, s } = ws[0]!;
      return tf.tidy(() => {
        let y = tf.conv2dTranspose(x, f, t.output as [number, number, number, number], s.strides ?? [1, 1], s.padding);
        if (b) y = tf.add(y, b);
        if (s.activation === 'relu') return tf.relu(y);
        if (s.activation !== 'linear') throw new Error(`tfjs transposed-conv activation ${s.activation} not mapped`);
        return y;
      });
    }
    let y = x;
    for (const { f, b, s } of ws) {
      const args = { x: y, filter: f, strides: s.strides ?? [1, 1], pad: s.padding, dilations: s.dilations ?? [1, 1], bias: b, activation: s.activation === 'relu6' || s.activation === 'relu' || s.activation === 'linear' ? s.activation : 'linear' };
      if (args.activation !== s.activation) throw new Error(`tfjs fused activation ${s.activation} not mapped`);
      const next = s.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
      if (y !== x) y.dispose();
      y = next;
    }
    return y;
  };
  return {
    run: () => once().dispose(),
    before: use,
    output: async () => {
      use();
      const y = once();
      const d = y.dataSync().slice();
      y.dispose();
      return d;
    },
    dispose: () => {
      use();
      x.dispose();
      gb?.dispose();
      for (const w of ws) {
        w.f.dispose();
        w.b?.dispose();
      }
    },
  };
}

async function buildOrt(e: Engines, id: 'ort-web' | 'ort-node', ch: Chain, xData: Float32Array): Promise<Built> {
  if (ch.transpose) return { na: 'no ConvTranspose in the ONNX chain builder' };
  if (ch.resize) return { na: 'no Resize in the ONNX chain builder' };
  if (ch.general) return { na: 'no general ops in the ONNX chain builder' };
  const ort = id === 'ort-web' ? e.ortWeb : e.ortNode;
  const bytes = ch.deform ? onnxDeformModel(ch.input, outShape(ch.input, ch.convs[0]!), ch.convs[0]!, ch.deform) : onnxConvChain(ch.input, ch.convs);
  const opts = id === 'ort-web'
    ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }
    : { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 };
  const session = await ort.InferenceSession.create(bytes, opts);
  const [n, h, w, c] = ch.input as [number, number, number, number];
  const x = new ort.Tensor('float32', nhwcToNchw(xData, ch.input), [n, c, h, w]);
  const run = async () => {
    const r = await session.run({ x });
    return r.y;
  };
  return {
    run: async () => {
      const y = await run();
      y.dispose?.();
    },
    output: async () => {
      const y = await run();
      const [yn, yc, yh, yw] = y.dims as number[];
      const d = y.data as Float32Array;
      const out = new Float32Array(d.length);
      for (let b = 0; b < yn!; b++)
        for (let ci = 0; ci < yc!; ci++)
          for (let yy = 0; yy < yh!; yy++)
            for (let xx = 0; xx < yw!; xx++) out[((b * yh! + yy) * yw! + xx) * yc! + ci] = d[((b * yc! + ci) * yh! + yy) * yw! + xx]!;
      return out;
    },
    dispose: async () => {
      await session.release();
    },
  };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
