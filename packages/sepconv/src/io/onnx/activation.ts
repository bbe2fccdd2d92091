// Activations: Relu / Sigmoid / Tanh / Elu / Softplus / Softsign / Softmax one to one; Clip,
// HardSigmoid and HardSwish written as the relu6 patterns the graph lowering folds into the conv
// before them; LeakyRelu, PRelu.
import { formatJson } from '../../errors.js';
import type { Handler } from './conv.js';
import { channelValues, fmt, normAxis, type Lowering, type OnnxNode, type Sym } from './context.js';

const unary = (op: string, nonNeg = false): Handler => (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  low.setSym(n, 0, low.emit(op, n.name || n.output[0]!, [x.tf]), x.shape, x.chw, nonNeg);
};

const scalar = (low: Lowering, base: string, v: number): string => low.constNode(base, [v], []);

/** x * a + b as TF nodes (skipping identities). */
function affine(low: Lowering, n: OnnxNode, tf: string, a: number, b: number, tag: string): string {
  let t = tf;
  if (a !== 1) t = low.emit('Mul', `${n.name}/${tag}_mul`, [t, scalar(low, `${n.name}/${tag}_scale`, a)]);
  if (b !== 0) t = low.emit('AddV2', `${n.name}/${tag}_add`, [t, scalar(low, `${n.name}/${tag}_shift`, b)]);
  return t;
}

/** clip(x, lo, hi) from relu / relu6: exact for (0, inf) and (0, 6), otherwise shifted and scaled onto relu6. */
function clip(low: Lowering, n: OnnxNode, x: Sym, lo: number, hi: number): string {
  if (!(lo <= hi)) low.fail(n, `min ${lo} > max ${hi}`);
  if (lo === -Infinity && hi === Infinity) return low.emit('Identity', n.name || n.output[0]!, [x.tf]);
  if (lo === -Infinity || !Number.isFinite(lo)) low.fail(n, `clip with min ${lo} and max ${hi} is not supported (only a finite min)`);
  if (hi === Infinity) return affine(low, n, low.emit('Relu', `${n.name}/relu`, [affine(low, n, x.tf, 1, -lo, 'pre')]), 1, lo, 'post');
  if (lo === 0 && hi === 6) return low.emit('Relu6', n.name || n.output[0]!, [x.tf]);
  if (hi === lo) low.fail(n, `clip to a single value ${lo} is not supported`);
  const s = 6 / (hi - lo);
  return affine(low, n, low.emit('Relu6', `${n.name}/relu6`, [affine(low, n, x.tf, s, -lo * s, 'pre')]), 1 / s, lo, 'post');
}

export const Clip: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  let lo = -Infinity;
  let hi = Infinity;
  if (low.opset < 11) {
    lo = low.aFloat(n, 'min', -3.4028234663852886e38);
    hi = low.aFloat(n, 'max', 3.4028234663852886e38);
  } else {
    const a = low.opt(n, 1);
    const b = low.opt(n, 2);
    for (const v of [a, b]) if (v && (v.kind !== 'const' || v.values.length !== 1)) low.fail(n, 'min and max must be scalar constants');
    if (a) lo = (a as { values: Float64Array }).values[0]!;
    if (b) hi = (b as { values: Float64Array }).values[0]!;
  }
  // float32's extremes (the defaults) mean unbounded.
  if (lo <= -3.4e38) lo = -Infinity;
  if (hi >= 3.4e38) hi = Infinity;
  low.setSym(n, 0, clip(low, n, x, lo, hi), x.shape, x.chw, lo >= 0);
};

export const HardSigmoid: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const alpha = low.aFloat(n, 'alpha', 0.2);
  const beta = low.aFloat(n, 'beta', 0.5);
  if (!(alpha > 0)) low.fail(n, `alpha ${alpha}: only a positive slope is supported`);
  // max(0, min(1, a x + b)) = relu6(6 a x + 6 b) / 6.
  const r = low.emit('Relu6', `${n.name}/relu6`, [affine(low, n, x.tf, 6 * alpha, 6 * beta, 'pre')]);
  low.setSym(n, 0, affine(low, n, r, 1 / 6, 0, 'post'), x.shape, x.chw, true);
};

export const HardSwish: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  // x * relu6(x + 3) / 6: the pattern the graph lowering turns into one hard_swish.
  const r = low.emit('Relu6', `${n.name}/relu6`, [low.emit('AddV2', `${n.name}/add3`, [x.tf, scalar(low, `${n.name}/three`, 3)])]);
  const m = low.emit('Mul', `${n.name}/mul`, [x.tf, r]);
  low.setSym(n, 0, low.emit('RealDiv', n.name || n.output[0]!, [m, scalar(low, `${n.name}/six`, 6)]), x.shape, x.chw);
};

export const LeakyRelu: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  low.setSym(n, 0, low.emit('LeakyRelu', n.name || n.output[0]!, [x.tf], { alpha: { f: low.aFloat(n, 'alpha', 0.01) } }), x.shape, x.chw);
};

export const PRelu: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const slope = low.cst(n, 1);
  const v = channelValues(slope, x);
  if (!v) low.fail(n, `a scalar or per-channel slope, got shape ${formatJson(slope.shape)} for input ${fmt(x.shape)}`);
  const c = x.shape[1]!;
  const full = v.length === 1 ? new Float64Array(c).fill(v[0]!) : v;
  low.setSym(n, 0, low.emit('Prelu', n.name || n.output[0]!, [x.tf, low.constNode(`${n.name}/slope`, full, [c])]), x.shape, x.chw);
};

export const Elu: Handler = (low: Lowering, n: OnnxNode) => {
  if (low.aFloat(n, 'alpha', 1) !== 1) low.fail(n, `alpha ${low.aFloat(n, 'alpha', 1)}: only alpha 1 is supported`);
  unary('Elu')(low, n);
};

export const Softmax: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const rank = x.shape.length;
  const axis = normAxis(low, n, low.aInt(n, 'axis', low.opset >= 13 ? -1 : 1), rank);
  // Before opset 13 the input is flattened to 2-D at `axis`: the same as a last-axis softmax only for rank 2.
  const channel = rank === 4 && axis === 1 && (low.opset >= 13 || (x.shape[2] === 1 && x.shape[3] === 1));
  if (!((rank === 2 && axis === 1) || channel)) low.fail(n, `softmax over axis ${axis} of ${fmt(x.shape)} (opset ${low.opset}) is not supported; only over features / channels`);
  if (x.chw) low.fail(n, 'softmax of a flattened CHW map keeps ONNX feature order only through a Gemm; not supported');
  low.setSym(n, 0, low.emit('Softmax', n.name || n.output[0]!, [x.tf]), x.shape);
};

export const ACTIVATION_OPS: Record<string, Handler> = {
  Relu: /* @__PURE__ */ unary('Relu', true),
  Sigmoid: /* @__PURE__ */ unary('Sigmoid', true),
  Tanh: /* @__PURE__ */ unary('Tanh'),
  Softplus: /* @__PURE__ */ unary('Softplus', true),
  Softsign: /* @__PURE__ */ unary('Softsign'),
  Elu,
  Clip,
  HardSigmoid,
  HardSwish,
  LeakyRelu,
  PRelu,
  Softmax,
};
