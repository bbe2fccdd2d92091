// Elementwise math: bias / scale / shift by constants (folded into the conv before, else an affine
// layer), sums and products of computed tensors, activations (folded into the conv's epilogue),
// clip-to-relu6, and the hard-swish / swish patterns the converters write out.
import { formatJson } from '../../errors.js';
import { attrF, type GraphNode } from './attrs.js';
import { dataInputs, type Const, type GraphContext, type OpDef, type OpTable, type Sym, type Value } from './context.js';
import { emitHost } from './host-emit.js';
import type { FlatLayer } from '../keras-config.js';

/** Activation ops and the layer activation each becomes (folded into the op before it where it can). */
export const ACT: Record<string, string> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Sigmoid: 'sigmoid',
  Softmax: 'softmax',
  Tanh: 'tanh',
  Elu: 'elu',
  Selu: 'selu',
  Softplus: 'softplus',
  Softsign: 'softsign',
};

const constBinary: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  AddV2: (a, b) => a + b,
  BiasAdd: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  RealDiv: (a, b) => a / b,
  Maximum: Math.max,
  Minimum: Math.min,
};
const constUnary: Record<string, (a: number) => number> = {
  Rsqrt: (a) => 1 / Math.sqrt(a),
  Sqrt: Math.sqrt,
  Square: (a) => a * a,
  Relu: (a) => Math.max(a, 0),
  Relu6: (a) => Math.min(Math.max(a, 0), 6),
  Sigmoid: (a) => 1 / (1 + Math.exp(-a)),
};

const foldBinary =
  (op: string) =>
  (c: GraphContext, n: GraphNode, ins: Const[]): Const => {
    if (ins.length !== 2) c.fail(n, `needs 2 inputs, got ${ins.length}`);
    return c.broadcast(n, ins[0]!, ins[1]!, constBinary[op]!);
  };
const foldUnary =
  (op: string) =>
  (c: GraphContext, n: GraphNode, ins: Const[]): Const => {
    if (ins.length !== 1) c.fail(n, `needs 1 input, got ${ins.length}`);
    const a = ins[0]!;
    c.charge(n, a.values.length);
    return { kind: 'const', shape: a.shape, values: a.values.map(constUnary[op]!) };
  };

// Hard-swish written out, x * relu6(x + 3) / 6 (Keras' MobileNetV3: x * (relu6(x + 3) * (1/6));
// PyTorch exports: (x * relu6(x + 3)) / 6), becomes one hard_swish activation, folded into the conv
// before it when it can be. Each link must be the sole reader of the one before.
/** relu6(x + 3) as [Rescaling(1, +3), Activation relu6]: x's node and the two layers, or undefined. */
function relu6Shifted(c: GraphContext, name: string | undefined): { x: string; chain: FlatLayer[] } | undefined {
  const act = c.soleLayer(name, 'Activation', (l) => l.config.activation === 'relu6');
  const add = c.soleLayer(act?.inputs[0], 'Rescaling', (l) => c.near(l.config.scale, 1) && c.near(l.config.offset, 3));
  const x = add && dataInputs(c.nodeOfLayer.get(add.name)!).find((i) => c.values.get(i)?.kind === 'sym');
  return x && act && add ? { x, chain: [act, add] } : undefined;
}

/** The hard-swish of x's node: the pattern's layers dropped, hard_swish on x's conv or as a layer of its own. */
function hardSwish(c: GraphContext, n: GraphNode, x: string, chain: FlatLayer[]): Sym {
  for (const l of chain) {
    c.layers.splice(c.layers.indexOf(l), 1);
    c.layerOf.delete(l.name);
  }
  const xs = c.values.get(x) as Sym;
  const conv = c.linearConv(xs.layer);
  // x is read twice by the pattern (x + 3 and the product) and by nothing else.
  if (conv && (c.readers.get(x) ?? 0) === 2) {
    c.setActivation(conv, 'hard_swish');
    return xs;
  }
  return c.addLayer(n, 'Activation', { activation: 'hard_swish' }, [xs], xs.shape);
}

/** x * (relu6(x + 3) * (1/6)), given the product's two operands. */
function hardSwishOfProduct(c: GraphContext, n: GraphNode, a: Sym, b: Sym): Sym | undefined {
  for (const [x, h] of [[a, b], [b, a]] as const) {
    const scaled = c.soleLayer(h.layer, 'Rescaling', (l) => c.near(l.config.scale, 1 / 6) && c.near(l.config.offset, 0));
    const r = scaled && relu6Shifted(c, scaled.inputs[0]);
    if (r && (c.values.get(r.x) as Sym | undefined)?.layer === x.layer) return hardSwish(c, n, r.x, [scaled, ...r.chain]);
  }
  return undefined;
}

/** (x * relu6(x + 3)) scaled by 1/6, given the product's value. */
function hardSwishOfScaled(c: GraphContext, n: GraphNode, m: Sym): Sym | undefined {
  const mul = c.soleLayer(m.layer, 'Multiply', (l) => l.inputs.length === 2);
  if (!mul) return undefined;
  for (const [xi, ri] of [[0, 1], [1, 0]] as const) {
    const r = relu6Shifted(c, mul.inputs[ri]);
    if (r && (c.values.get(r.x) as Sym | undefined)?.layer === mul.inputs[xi]) return hardSwish(c, n, r.x, [mul, ...r.chain]);
  }
  return undefined;
}

/** Two computed tensors: Add / Mul as layers (swish and hard-swish recognised); undefined for the others (host ops). */
function binaryOfTensors(c: GraphContext, n: GraphNode, a: Sym, b: Sym): Value | undefined {
  if (a.full || b.full) return undefined;
  if (n.op === 'Add' || n.op === 'AddV2') return c.addLayer(n, 'Add', {}, [a, b], c.broadcastShape(a.shape, b.shape));
  if (n.op === 'Mul') {
    // x * sigmoid(x) is swish.
    const sig = [a, b].map((v) => c.layerOf.get(v.layer)).find((l) => l?.className === 'Activation' && l.config.activation === 'sigmoid');
    const other = sig && (sig.name === a.layer ? b : a);
    if (sig && other && sig.inputs[0] === other.layer && (c.readers.get(dataInputs(n)[a === other ? 1 : 0]!) ?? 0) === 1) {
      sig.config.activation = 'swish';
      return { kind: 'sym', layer: sig.name, shape: other.shape };
    }
    return hardSwishOfProduct(c, n, a, b) ?? c.addLayer(n, 'Multiply', {}, [a, b], c.broadcastShape(a.shape, b.shape));
  }
  return undefined;
}

/** Binary op of a computed tensor and a constant: folded into the conv before, or an affine / activation layer. */
function binaryWithConst(c: GraphContext, n: GraphNode, a: Value, b: Value): Value | undefined {
  const x = (a.kind === 'sym' ? a : b) as Sym;
  const k = (a.kind === 'const' ? a : b) as Const;
  if (x.full) return undefined;
  if (n.op === 'Maximum' || n.op === 'Minimum') {
    // clip_by_value(x, 0, 6) after a ReLU, as Keras' ReLU(max_value=6) exports: Minimum(relu(x), 6) is relu6,
    // Maximum(x, 0) is relu (nothing to do on a ReLU'd tensor).
    const v = k.values.length === 1 ? k.values[0]! : NaN;
    const prevLayer = c.layerOf.get(x.layer);
    const act = prevLayer && ['Conv2D', 'DepthwiseConv2D', 'Dense', 'Activation'].includes(prevLayer.className) ? (prevLayer.config.activation as string) : undefined;
    const src = dataInputs(n).find((i) => c.values.get(i) === x);
    const sole = src !== undefined && (c.readers.get(src) ?? 0) === 1;
    if (n.op === 'Maximum' && v === 0 && (act === 'relu' || act === 'relu6')) return x;
    if (n.op === 'Maximum' && v === 0) {
      const l = c.absorber(n, x);
      if (l) {
        c.setActivation(l, 'relu');
        return x;
      }
      return c.addLayer(n, 'Activation', { activation: 'relu' }, [x], x.shape);
    }
    if (n.op === 'Minimum' && v === 6 && act === 'relu' && sole) {
      c.setActivation(prevLayer!, 'relu6');
      return x;
    }
    if (n.op === 'Minimum' && v === 6 && (act === 'relu6' || act === 'relu')) return act === 'relu6' ? x : c.addLayer(n, 'Activation', { activation: 'relu6' }, [x], x.shape);
    return undefined;
  }
  if (!c.isChannelConst(k, x)) return undefined;
  if (n.op === 'RealDiv' && a.kind === 'const') return undefined;
  if (k.values.length === 1 && ((n.op === 'Mul' && c.near(k.values[0], 1 / 6)) || (n.op === 'RealDiv' && a === x && c.near(k.values[0], 6)))) {
    const hs = hardSwishOfScaled(c, n, x);
    if (hs) return hs;
  }
  const one = new Float64Array([1]);
  let scale: Float64Array | undefined;
  let shift: Float64Array | undefined;
  if (n.op === 'Mul') scale = k.values;
  else if (n.op === 'RealDiv') scale = k.values.map((v) => 1 / v);
  else if (n.op === 'Sub') {
    if (a.kind === 'const') {
      scale = new Float64Array([-1]);
      shift = k.values;
    } else shift = k.values.map((v) => -v);
  } else shift = k.values;
  const l = c.absorber(n, x);
  const prev = c.layerOf.get(x.layer);
  if (l) {
    c.foldAffine(l, scale, shift);
    return x;
  }
  if (prev?.className === 'Rescaling' && k.values.length === 1 && (c.readers.get(dataInputs(n)[a === x ? 0 : 1]!) ?? 0) === 1) {
    // (x * s0 + o0) * s + o: one Rescaling.
    const s = scale?.[0] ?? 1;
    prev.config.scale = prev.config.scale * s;
    prev.config.offset = prev.config.offset * s + (shift?.[0] ?? 0);
    return x;
  }
  return c.affineLayer(n, x, scale ?? one, shift ?? new Float64Array([0]));
}

/** Hook for ops a layer cannot express (set by the post-processing family): runs them on the host. */
const hostFallback: { run?: (c: GraphContext, n: GraphNode) => Value } = { run: emitHost };

/** A host value with a leading 1 (a batch of one) read as a layer tensor, for ops the layers do in wasm; else undefined. */
function asLayer(c: GraphContext, n: GraphNode, v: Value): Value | undefined {
  if (v.kind !== 'sym' || !v.full) return v;
  if (v.dtype && v.dtype !== 'float32') return undefined;
  return v.shape.length >= 2 && v.shape[0] === 1 && v.shape.every((d) => typeof d === 'number' && d >= 1) ? c.toLayer(n, v) : undefined;
}

function binary(c: GraphContext, n: GraphNode): Value {
  let a = c.get(n, 0);
  let b = c.get(n, 1);
  let v = a.kind === 'sym' && b.kind === 'sym' ? binaryOfTensors(c, n, a, b) : binaryWithConst(c, n, a, b);
  if (v) return v;
  // Float tensors that post-processing ops produced with a batch of one (a resize, an unstacked input):
  // a layer does the op in wasm when it can (an add of two tensors of one shape, an affine of a channel constant).
  const la = asLayer(c, n, a);
  const lb = asLayer(c, n, b);
  if (la && lb && (la !== a || lb !== b)) {
    const same = la.kind === 'sym' && lb.kind === 'sym' && la.shape.join() === lb.shape.join();
    if (la.kind === 'const' || lb.kind === 'const' || same) {
      v = la.kind === 'sym' && lb.kind === 'sym' ? binaryOfTensors(c, n, la, lb) : binaryWithConst(c, n, la, lb);
      if (v) return v;
    }
  }
  a = c.get(n, 0);
  b = c.get(n, 1);
  if (hostFallback.run) return hostFallback.run(c, n);
  if (a.kind === 'sym' && b.kind === 'sym') return c.fail(n, `${n.op} of two computed tensors is not supported`);
  const k = (a.kind === 'const' ? a : b) as Const;
  const x = (a.kind === 'sym' ? a : b) as Sym;
  if (n.op === 'Maximum' || n.op === 'Minimum') return c.fail(n, `${n.op} with a constant is supported as clip(relu(x), 0, 6) only, got ${n.op}(x, ${formatJson(Array.from(k.values.slice(0, 4)))})`);
  if (n.op === 'RealDiv' && a.kind === 'const') return c.fail(n, 'dividing a constant by a tensor is not supported');
  return c.fail(n, `a scalar or per-channel constant, got shape ${formatJson(k.shape)} for input ${formatJson(x.shape)}`);
}

function activation(c: GraphContext, n: GraphNode): Value {
  const x = c.get(n, 0);
  if (x.kind === 'sym' && x.full && hostFallback.run) return hostFallback.run(c, n);
  const l = n.op === 'Softmax' ? undefined : c.absorber(n, x);
  if (l) {
    c.setActivation(l, ACT[n.op]!);
    return x;
  }
  const s = c.symOf(n, 0);
  return c.addLayer(n, 'Activation', { activation: ACT[n.op] }, [s], s.shape);
}

function clipByValue(c: GraphContext, n: GraphNode): Value {
  // relu6 written as clip(x, 0, 6) (some TF1 exports).
  const lo = c.constOf(n, 1).values;
  const hi = c.constOf(n, 2).values;
  if (lo.length !== 1 || hi.length !== 1 || lo[0] !== 0 || (hi[0] !== 6 && hi[0] !== Infinity)) c.fail(n, `only clip(x, 0, 6) (relu6) is supported, got clip(x, ${lo[0]}, ${hi[0]})`);
  const act = hi[0] === 6 ? 'relu6' : 'relu';
  const x = c.get(n, 0);
  const l = c.absorber(n, x);
  if (l) {
    c.setActivation(l, act);
    return x;
  }
  const s = c.symOf(n, 0);
  return c.addLayer(n, 'Activation', { activation: act }, [s], s.shape);
}

function addN(c: GraphContext, n: GraphNode): Value {
  // Sum of N computed tensors (TF's arithmetic optimizer writes residual sums this way): one Add layer.
  if (dataInputs(n).some((_, i) => (c.get(n, i) as Sym).full) && hostFallback.run) return hostFallback.run(c, n);
  const parts = dataInputs(n).map((_, i) => c.symOf(n, i));
  if (parts.length < 2) return parts[0] ?? c.fail(n, 'needs at least one input');
  return c.addLayer(n, 'Add', {}, parts, parts.map((p) => p.shape).reduce((x, y) => c.broadcastShape(x, y)));
}

const bin = (doc: string, op: string): OpDef => ({ doc, run: binary, fold: foldBinary(op) });
const act = (doc: string, op: string): OpDef => ({ doc, run: activation, ...(constUnary[op] ? { fold: foldUnary(op) } : {}) });

/** The elementwise-math family. */
export const MATH_OPS: OpTable = /* @__PURE__ */ mathOps();

// Built by a (pure) call so that bundles of apps that never import a graph model drop the table.
function mathOps(): OpTable {
  return {
  BiasAdd: bin('per-channel bias, folded into the conv before it', 'BiasAdd'),
  Add: bin('sum; with a constant folded into the conv before it, of two tensors broadcast', 'Add'),
  AddV2: bin('as Add', 'AddV2'),
  AddN: { doc: 'sum of N tensors', run: addN },
  Sub: bin('difference; with a constant folded as a shift', 'Sub'),
  Mul: bin('product; with a constant folded as a scale; x * sigmoid(x) is swish, x * relu6(x + 3) / 6 hard-swish', 'Mul'),
  RealDiv: bin('quotient; by a constant folded as a scale', 'RealDiv'),
  Maximum: bin('elementwise max; max(x, 0) is relu', 'Maximum'),
  Minimum: bin('elementwise min; min(relu(x), 6) is relu6', 'Minimum'),
  Relu: act('activation, folded into the conv epilogue', 'Relu'),
  Relu6: act('activation, folded into the conv epilogue', 'Relu6'),
  Sigmoid: act('activation, folded into the conv epilogue', 'Sigmoid'),
  Softmax: act('softmax over the last axis', 'Softmax'),
  Tanh: act('activation', 'Tanh'),
  Elu: act('activation', 'Elu'),
  Selu: act('activation', 'Selu'),
  Softplus: act('activation', 'Softplus'),
  Softsign: act('activation', 'Softsign'),
  ClipByValue: { doc: 'clip(x, 0, 6) as relu6', run: clipByValue },
  LeakyRelu: { doc: 'leaky relu (alpha attr)', run: (c, n) => c.leakyLayer(n, c.symOf(n, 0), attrF(n, 'alpha', 0.2)) },
  Prelu: { doc: 'parametric relu, alpha per channel or per element', run: (c, n) => c.preluLayer(n, c.symOf(n, 0), c.constOf(n, 1)) },
  Rsqrt: { doc: '1 / sqrt(x)', fold: foldUnary('Rsqrt') },
  Sqrt: { doc: 'square root', fold: foldUnary('Sqrt') },
  Square: { doc: 'x * x', fold: foldUnary('Square') },
  };
}
