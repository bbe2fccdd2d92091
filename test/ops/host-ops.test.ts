// The post-processing (host) ops of graph models against TensorFlow.js (tfjs-converter 4.22, CPU backend),
// through the whole import path: a small TF.js graph model per case, whose computed inputs are slices of
// the one float input (reshaped, cast to int32 / bool where the case says), the op, and its chosen
// outputs; sepconv's loadModel and TF.js's loadGraphModel run the same file on the same random input.
// Swept: every axis (negative ones too), keep_dims, numpy broadcasting, masks, dtypes, and constant
// vs computed operands. Integers and booleans must match exactly, floats to 1e-6 relative.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as sc from 'sepconv';
import { initTfjsCpu, tf } from '../engines/tfjs-layers.js';

type DT = 'float32' | 'int32' | 'bool';
/** A computed operand (a slice of the input, reshaped, cast) or a constant. */
type Arg = { shape: number[]; dtype?: DT; range?: [number, number] } | { shape: number[]; dtype?: DT; value: number[] };
interface Case {
  name: string;
  op: string;
  args: Arg[];
  attr?: Record<string, unknown>;
  outputs?: number;
}

const TF_DT: Record<DT, string> = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' };
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const i = (v: number) => ({ i: String(v) });
const b = (v: boolean) => ({ b: v });
const ints = (...v: number[]) => ({ list: { i: v.map(String) } });

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The TF.js graph model of a case: nodes, weights (every constant), and the input size. */
function build(c: Case) {
  const nodes: any[] = [];
  const specs: { name: string; shape: number[]; dtype: string }[] = [];
  const data: number[][] = [];
  const konst = (name: string, shape: number[], values: number[], dtype: DT) => {
    nodes.push({ name, op: 'Const', attr: { dtype: { type: TF_DT[dtype] }, value: { tensor: { dtype: TF_DT[dtype], tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } } } });
    specs.push({ name, shape, dtype });
    data.push(values);
  };
  const computed = c.args.filter((a) => !('value' in a));
  const total = computed.reduce((t, a) => t + size(a.shape), 0);
  nodes.push({ name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '1' }, { size: String(total) }] } } } });
  let off = 0;
  const refs = c.args.map((a, k) => {
    if ('value' in a) {
      konst(`c${k}`, a.shape, a.value, a.dtype ?? 'float32');
      return `c${k}`;
    }
    konst(`s${k}/begin`, [2], [0, off], 'int32');
    konst(`s${k}/size`, [2], [1, size(a.shape)], 'int32');
    konst(`s${k}/shape`, [a.shape.length], a.shape, 'int32');
    nodes.push({ name: `s${k}`, op: 'Slice', input: ['x', `s${k}/begin`, `s${k}/size`], attr: { T: { type: 'DT_FLOAT' }, Index: { type: 'DT_INT32' } } });
    nodes.push({ name: `r${k}`, op: 'Reshape', input: [`s${k}`, `s${k}/shape`], attr: { T: { type: 'DT_FLOAT' } } });
    off += size(a.shape);
    if ((a.dtype ?? 'float32') === 'float32') return `r${k}`;
    nodes.push({ name: `t${k}`, op: 'Cast', input: [`r${k}`], attr: { SrcT: { type: 'DT_FLOAT' }, DstT: { type: TF_DT[a.dtype!] } } });
    return `t${k}`;
  });
  nodes.push({ name: 'op', op: c.op, input: refs, attr: c.attr ?? {} });
  const bytes = new Uint8Array(data.reduce((t, d) => t + d.length * 4, 0));
  let p = 0;
  specs.forEach((s, k) => {
    const arr = s.dtype === 'float32' ? Float32Array.from(data[k]!) : Int32Array.from(data[k]!);
    bytes.set(new Uint8Array(arr.buffer), p);
    p += arr.byteLength;
  });
  const modelTopology = { node: nodes, library: {}, versions: {} };
  const outputs = Array.from({ length: c.outputs ?? 1 }, (_, k) => (k ? `op:${k}` : 'op'));
  return {
    total,
    outputs,
    modelJson: { format: 'graph-model', modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: specs }] },
    artifacts: { format: 'graph-model', modelTopology, weightSpecs: specs, weightData: bytes.slice().buffer },
    weights: bytes.slice().buffer,
  };
}

/** The input: per computed operand, values in its range (integers when it is cast to int32 / bool). */
function inputOf(c: Case, seed: number): Float32Array {
  const next = rng(seed);
  const out: number[] = [];
  for (const a of c.args) {
    if ('value' in a) continue;
    const [lo, hi] = a.range ?? (a.dtype === 'bool' ? [0, 1.99] : a.dtype === 'int32' ? [-9, 9.99] : [-3, 3]);
    for (let k = 0; k < size(a.shape); k++) {
      const v = lo + (hi - lo) * next();
      out.push(a.dtype && a.dtype !== 'float32' ? Math.floor(v) : v);
    }
  }
  return Float32Array.from(out);
}

const F = (shape: number[], range?: [number, number]): Arg => ({ shape, range });
const I = (shape: number[], range?: [number, number]): Arg => ({ shape, dtype: 'int32', range });
const B = (shape: number[]): Arg => ({ shape, dtype: 'bool' });
const CI = (shape: number[], value: number[]): Arg => ({ shape, dtype: 'int32', value });
const CF = (shape: number[], value: number[]): Arg => ({ shape, value });

const cases: Case[] = [];
const PAIRS: [number[], number[]][] = [
  [[2, 3], [2, 3]],
  [[3, 4], [4]],
  [[2, 1, 5], [3, 1]],
  [[1], [2, 3]],
  [[4, 1], [1, 4]],
];
for (const op of ['AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference', 'Pow', 'FloorDiv', 'FloorMod']) {
  for (const [sa, sb] of PAIRS) {
    const div = ['RealDiv', 'FloorDiv', 'FloorMod'].includes(op);
    cases.push({ name: `${op} float ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, op, args: [F(sa, op === 'Pow' ? [0.1, 3] : undefined), F(sb, div ? [0.5, 3] : op === 'Pow' ? [-2, 2] : undefined)] });
    if (op !== 'RealDiv' && op !== 'Pow') cases.push({ name: `${op} int32 ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, op, args: [I(sa), I(sb, div ? [1, 9.99] : undefined)] });
  }
  cases.push({ name: `${op} float with a constant [2, 1, 3]`, op, args: [F([4, 3], op === 'Pow' ? [0.1, 3] : undefined), CF([2, 1, 3], [1.5, 2, 0.75, 3, 1.25, 2.5])] });
}
for (const op of ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual']) {
  for (const [sa, sb] of PAIRS.slice(0, 3)) cases.push({ name: `${op} int32 ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, op, args: [I(sa, [0, 3.99]), I(sb, [0, 3.99])] });
  cases.push({ name: `${op} float with a scalar`, op, args: [F([3, 4]), CF([], [0.25])] });
}
for (const op of ['LogicalAnd', 'LogicalOr']) cases.push({ name: `${op} bool broadcast`, op, args: [B([2, 3]), B([3])] });
cases.push({ name: 'LogicalNot bool', op: 'LogicalNot', args: [B([2, 5])] });
for (const op of ['Abs', 'Neg', 'Square', 'Exp', 'Tanh', 'Sigmoid', 'Floor', 'Ceil', 'Round', 'Sign', 'Reciprocal', 'Softplus', 'Elu', 'Relu', 'Relu6', 'Expm1', 'Sin', 'Cos', 'Atan', 'Erf']) {
  cases.push({ name: `${op} float [2, 3, 5]`, op, args: [F([2, 3, 5], op === 'Round' ? [-3, 3] : op === 'Relu6' ? [-2, 8] : undefined)] });
}
for (const op of ['Sqrt', 'Rsqrt', 'Log', 'Log1p']) cases.push({ name: `${op} float positive`, op, args: [F([4, 5], [0.05, 9])] });
cases.push({ name: 'Round ties to even', op: 'Round', args: [F([7], [-3.5, 3.5])] }, { name: 'Abs int32', op: 'Abs', args: [I([3, 3])] }, { name: 'Neg int32', op: 'Neg', args: [I([6])] });
for (const op of ['Sum', 'Mean', 'Max', 'Min', 'Prod']) {
  for (const axes of [[0], [1], [-1], [0, 2], [1, -1], [0, 1, 2]]) {
    for (const keep of [false, true]) cases.push({ name: `${op} axes ${JSON.stringify(axes)}${keep ? ' keep_dims' : ''}`, op, args: [F([2, 3, 4], op === 'Prod' ? [0.5, 1.5] : undefined), CI([axes.length], axes)], attr: { keep_dims: b(keep) } });
  }
  cases.push({ name: `${op} int32 axis 1`, op, args: [I([3, 4], op === 'Prod' ? [1, 3.99] : undefined), CI([], [1])], attr: { keep_dims: b(false) } });
}
for (const op of ['All', 'Any']) for (const axes of [[0], [-1]]) cases.push({ name: `${op} bool axes ${JSON.stringify(axes)}`, op, args: [B([3, 4]), CI([1], axes)], attr: { keep_dims: b(true) } });
for (const op of ['ArgMax', 'ArgMin']) {
  for (const axis of [0, 1, 2, -1]) cases.push({ name: `${op} axis ${axis}`, op, args: [F([3, 4, 5]), CI([], [axis])], attr: { output_type: { type: 'DT_INT32' } } });
  cases.push({ name: `${op} int32 ties (first wins)`, op, args: [I([4, 6], [0, 2.99]), CI([], [1])], attr: { output_type: { type: 'DT_INT32' } } });
}
cases.push({ name: 'TopKV2 k=3 sorted, values and indices', op: 'TopKV2', args: [F([2, 7]), CI([], [3])], attr: { sorted: b(true) }, outputs: 2 });
cases.push({ name: 'TopKV2 k=5 of int32 with ties', op: 'TopKV2', args: [I([3, 6], [0, 2.99]), CI([], [5])], attr: { sorted: b(true) }, outputs: 2 });
cases.push({ name: 'TopKV2 k = the whole axis of int32 with ties (every position moves)', op: 'TopKV2', args: [I([2, 9], [0, 3.99]), CI([], [9])], attr: { sorted: b(true) }, outputs: 2 });
for (const axis of [0, 1, 2, -1]) cases.push({ name: `GatherV2 axis ${axis}`, op: 'GatherV2', args: [F([4, 3, 2]), CI([2, 2], [0, 1, 1, 0]), CI([], [axis])], attr: { batch_dims: i(0) } });
cases.push({ name: 'GatherV2 computed indices', op: 'GatherV2', args: [F([5, 3]), I([4], [0, 4.99]), CI([], [0])], attr: { batch_dims: i(0) } });
cases.push({ name: 'GatherV2 batch_dims 1', op: 'GatherV2', args: [F([2, 4, 3]), CI([2, 3], [0, 3, 1, 2, 2, 0]), CI([], [1])], attr: { batch_dims: i(1) } });
cases.push({ name: 'GatherNd full index', op: 'GatherNd', args: [F([3, 4, 2]), CI([3, 3], [0, 1, 1, 2, 3, 0, 1, 0, 1])] });
cases.push({ name: 'GatherNd slices', op: 'GatherNd', args: [F([3, 4, 2]), CI([2, 1], [2, 0])] });
cases.push({ name: 'GatherNd computed indices', op: 'GatherNd', args: [F([3, 4]), I([5, 2], [0, 2.99])] });
for (const to of ['DT_INT32', 'DT_BOOL']) cases.push({ name: `Cast float -> ${to}`, op: 'Cast', args: [F([3, 5])], attr: { SrcT: { type: 'DT_FLOAT' }, DstT: { type: to } } });
cases.push({ name: 'Cast int32 -> float', op: 'Cast', args: [I([7])], attr: { SrcT: { type: 'DT_INT32' }, DstT: { type: 'DT_FLOAT' } } });
for (const axis of [0, 1, 2, -1]) cases.push({ name: `Pack axis ${axis}`, op: 'Pack', args: [F([2, 3]), F([2, 3])], attr: { axis: i(axis), N: i(2) } });
for (const axis of [0, 1, -1]) cases.push({ name: `Unpack axis ${axis}`, op: 'Unpack', args: [F([2, 3, 2])], attr: { axis: i(axis), num: i([2, 3, 2].at(axis)!) }, outputs: [2, 3, 2].at(axis)! });
for (const axis of [0, 1, -1]) cases.push({ name: `ConcatV2 axis ${axis}`, op: 'ConcatV2', args: [F([2, 3, 2]), F([2, 3, 2]), CI([], [axis])], attr: { N: i(2) } });
cases.push({ name: 'ConcatV2 int32 axis 1 of different widths', op: 'ConcatV2', args: [I([2, 1]), I([2, 3]), CI([], [1])], attr: { N: i(2) } });
cases.push({ name: 'Split axis 1 in 2', op: 'Split', args: [CI([], [1]), F([3, 4])], attr: { num_split: i(2) }, outputs: 2 });
cases.push({ name: 'SplitV sizes [1, -1, 2] axis -1', op: 'SplitV', args: [F([2, 6]), CI([3], [1, -1, 2]), CI([], [-1])], attr: { num_split: i(3) }, outputs: 3 });
cases.push({ name: 'Slice with -1 size', op: 'Slice', args: [F([3, 4, 2]), CI([3], [1, 1, 0]), CI([3], [2, -1, 1])] });
const ss = (name: string, begin: number[], end: number[], strides: number[], masks: Record<string, number>) =>
  cases.push({ name: `StridedSlice ${name}`, op: 'StridedSlice', args: [F([4, 5, 3]), CI([begin.length], begin), CI([end.length], end), CI([strides.length], strides)], attr: Object.fromEntries(Object.entries(masks).map(([k, v]) => [k, i(v)])) });
ss('plain', [1, 0, 0], [3, 5, 2], [1, 2, 1], {});
ss('begin/end masks', [1, 1, 1], [3, 4, 2], [1, 1, 1], { begin_mask: 5, end_mask: 2 });
ss('negative strides', [-1, 4, 2], [0, 0, 0], [-1, -2, -1], { end_mask: 1 });
ss('shrink axis', [2, 1, 0], [3, 4, 3], [1, 1, 1], { shrink_axis_mask: 1 });
ss('ellipsis', [0, 1], [0, 2], [1, 1], { ellipsis_mask: 1, shrink_axis_mask: 2 });
ss('new axis', [0, 0, 1], [0, 0, 3], [1, 1, 1], { new_axis_mask: 1, begin_mask: 2, end_mask: 2 });
ss('clamped bounds', [-100, 1, -2], [100, 100, 100], [1, 1, 1], {});
cases.push({ name: 'Reshape to [-1, 6]', op: 'Reshape', args: [F([2, 3, 4]), CI([2], [-1, 6])] });
cases.push({ name: 'Squeeze axis -2', op: 'Squeeze', args: [F([3, 1, 1, 2])], attr: { squeeze_dims: ints(-2) } });
cases.push({ name: 'Squeeze all', op: 'Squeeze', args: [F([1, 3, 1, 2])] });
for (const axis of [0, 2, -1]) cases.push({ name: `ExpandDims ${axis}`, op: 'ExpandDims', args: [F([3, 2]), CI([], [axis])] });
cases.push({ name: 'Transpose [2, 0, 1]', op: 'Transpose', args: [F([2, 3, 4]), CI([3], [2, 0, 1])] });
cases.push({ name: 'Tile [2, 1, 3]', op: 'Tile', args: [F([2, 3, 1]), CI([3], [2, 1, 3])] });
cases.push({ name: 'BroadcastTo [2, 3, 4]', op: 'BroadcastTo', args: [F([3, 1]), CI([3], [2, 3, 4])] });
cases.push({ name: 'Fill with a computed value', op: 'Fill', args: [CI([2], [2, 3]), F([])] });
cases.push({ name: 'SelectV2 broadcast', op: 'SelectV2', args: [B([3, 1]), F([3, 4]), F([4])] });
cases.push({ name: 'Select of one shape', op: 'Select', args: [B([3, 2]), F([3, 2]), F([3, 2])] });
cases.push({ name: 'AddN of three', op: 'AddN', args: [F([2, 3]), F([2, 3]), F([2, 3])], attr: { N: i(3) } });
cases.push({ name: 'Softmax last axis', op: 'Softmax', args: [F([3, 1, 5])] });
for (const [align, half] of [
  [false, false],
  [true, false],
  [false, true],
] as const) {
  for (const [h, w] of [
    [9, 4],
    [3, 11],
  ]) {
    for (const op of ['ResizeBilinear', 'ResizeNearestNeighbor']) {
      cases.push({ name: `${op} 5x7 -> ${h}x${w} align ${align} half ${half}`, op, args: [F([1, 5, 7, 3]), CI([2], [h, w])], attr: { align_corners: b(align), half_pixel_centers: b(half) } });
    }
  }
}

beforeAll(async () => {
  await sc.init();
  await initTfjsCpu();
});

describe('host ops vs TF.js CPU (tfjs-converter), through loadModel', () => {
  for (const [k, c] of cases.entries()) {
    it(c.name, async () => {
      const g = build(c);
      const ours = await sc.loadModel({ modelJson: g.modelJson, weights: g.weights }, { outputs: g.outputs });
      const ref = await tfconv.loadGraphModel(tf.io.fromMemory(g.artifacts as any));
      const xv = inputOf(c, 1000 + k);
      const want = tf.tidy(() => {
        const r = ref.execute(tf.tensor(xv, [1, g.total]), g.outputs);
        return (Array.isArray(r) ? r : [r]).map((t) => ({ shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync() as ArrayLike<number>, Number) }));
      });
      ref.dispose();
      using x = sc.tensor(xv, [1, g.total]);
      const out = ours.predict(x);
      const got = (Array.isArray(out) ? out : [out]).map((t) => ({ shape: [...t.shape], data: Array.from(t.data()) }));
      expect(got.length).toBe(want.length);
      for (const [j, w] of want.entries()) {
        expect(got[j]!.shape, `output ${j} shape`).toEqual(w.shape);
        const exact = w.dtype !== 'float32';
        for (let q = 0; q < w.data.length; q++) {
          const a = got[j]!.data[q]!;
          const e = w.data[q]!;
          if (Number.isNaN(e)) expect(a, `output ${j}[${q}]`).toBeNaN();
          else if (exact) expect(a, `output ${j}[${q}] (${w.dtype})`).toBe(e);
          else expect(Math.abs(a - e), `output ${j}[${q}]: ${a} vs ${e}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e)));
        }
      }
      ours.dispose();
    });
  }
});
