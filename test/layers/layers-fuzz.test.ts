// Seeded randomized parity of the public layers (through the built package, 'sepconv' = dist/) against
// @tensorflow/tfjs-layers on the CPU backend: 120 tiny models (1-3 layers, plus residual / squeeze-excite /
// fan-out graphs) sweeping what a trained Keras model may hold: Conv2D / DepthwiseConv2D / SeparableConv2D
// (kernels 1-5 incl. non-square, strides 1-3 incl. non-square, dilation 1-3 with stride 1, same/valid,
// bias on/off, activations, depth multipliers), Max/AveragePooling2D, GlobalAveragePooling2D, Flatten,
// Dense, ZeroPadding2D (asymmetric), BatchNormalization (center/scale off), ReLU (maxValue any) / LeakyReLU /
// PReLU (shared axes or none) / Activation, Dropout, Add, Multiply, Concatenate. Inputs: batch 1-2, H, W in 1..19 (incl. smaller than the kernel), 1-13 channels; 30% of models
// declare [null, null, C]. Each model predicts twice (the other batch size, a new H x W when the input is
// dynamic, and for 30% new weights in between). Same seeded weights in both; tolerance
// max |ours - tfjs| <= 1e-4 * (1 + |tfjs|). Each test's name is its full config (reproducible alone);
// SEPCONV_FUZZ_SEED=<n> runs another seed.
//
// Configs tfjs-layers itself rejects (an error building the model, or a layer output dim < 1) are regenerated.
// A config tfjs accepts but sepconv rejects fails its test (a finding). Activations: the kernels' own
// (relu, relu6, sigmoid, swish) and the ones computed in JS after the kernel (tanh, elu, selu, softplus,
// softsign, hardSigmoid, mish, gelu, gelu_new). Not swept: logSoftmax (sepconv rejects it with an OptionError),
// ReLU negativeSlope / threshold (tfjs-layers has neither; test/layers/relu-general.test.ts checks them against
// their definition), Conv2D groups (tfjs-layers has none).
//
// tfjs quirk worked around: tfjs-layers' DepthwiseConv2D ignores `dilationRate` (call() passes null and
// computeOutputShape() drops it; "TODO(cais): Add support for dilation"), unlike Keras. Dilated depthwise
// cases use `DilatedDepthwiseConv2D` below, the same tfjs layer with the dilation passed to tfjs-core's
// depthwiseConv2d, as Keras does.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';
import { seededWeights, setBoth } from './same-weights.js';

type OpType =
  | 'conv2d'
  | 'depthwiseConv2d'
  | 'separableConv2d'
  | 'maxPooling2d'
  | 'averagePooling2d'
  | 'globalAveragePooling2d'
  | 'zeroPadding2d'
  | 'batchNormalization'
  | 'activation'
  | 'reLU'
  | 'leakyReLU'
  | 'prelu'
  | 'concatenate'
  | 'dense'
  | 'reshape'
  | 'flatten'
  | 'dropout'
  | 'add'
  | 'multiply';

interface Op {
  type: OpType;
  opts: Record<string, unknown>;
}

/** One layer call: `from` are value ids (0 = the model input, k = the output of node k - 1). */
interface GNode {
  op: Op;
  from: number[];
}

interface Case {
  id: number;
  family: string;
  /** [N, H, W, C] of the first predict. */
  input: [number, number, number, number];
  /** The second predict on the same model: the other batch size (and, when `dynamic`, another H x W). */
  input2: [number, number, number, number];
  /** The model input is declared [null, null, C] (a Keras model with free spatial size). */
  dynamic: boolean;
  /** New weights (in both models) between the two predicts. */
  reweight: boolean;
  nodes: GNode[];
  /** Model outputs (value ids); default the last node's. */
  outputs?: number[];
}

// ---------------------------------------------------------------------------------------------
// The reference: tfjs-layers, with dilation passed through for DepthwiseConv2D (see the header).

const DepthwiseBase = Object.getPrototypeOf(tfl.layers.depthwiseConv2d({ kernelSize: 1 })).constructor as any;

class DilatedDepthwiseConv2D extends DepthwiseBase {
  static className = 'DilatedDepthwiseConv2D';
  constructor(args: Record<string, unknown>) {
    super(args);
  }
  call(inputs: any): any {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      let y = tf.depthwiseConv2d(x, this.depthwiseKernel.read(), this.strides, this.padding, 'NHWC', this.dilationRate);
      if (this.useBias) y = tf.add(y, this.bias.read());
      if (this.activation != null) y = this.activation.apply(y);
      return y;
    });
  }
  computeOutputShape(inputShape: any): any {
    const s = Array.isArray(inputShape[0]) ? inputShape[0] : inputShape;
    const len = (n: number | null, i: number): number | null => {
      if (n === null) return null;
      const dk = this.kernelSize[i] + (this.kernelSize[i] - 1) * (this.dilationRate[i] - 1);
      const o = this.padding === 'same' ? n : n - dk + 1;
      return Math.floor((o + this.strides[i] - 1) / this.strides[i]);
    };
    return [s[0], len(s[1], 0), len(s[2], 1), s[3] * this.depthMultiplier];
  }
}

const isDilated = (o: Record<string, unknown>): boolean => {
  const d = o.dilationRate;
  return d !== undefined && (typeof d === 'number' ? d > 1 : (d as number[]).some((v) => v > 1));
};

function theirsLayer(op: Op): any {
  if (op.type === 'depthwiseConv2d' && isDilated(op.opts)) return new DilatedDepthwiseConv2D(op.opts);
  return (tfl.layers as any)[op.type](op.opts);
}

function oursLayer(op: Op): any {
  return (sc.layers as any)[op.type](op.opts);
}

function buildGraph(c: Case, mk: (op: Op) => any, x: any): any {
  const vals = [x];
  for (const n of c.nodes) {
    const ins = n.from.map((i) => vals[i]);
    vals.push(mk(n.op).apply(ins.length === 1 ? ins[0] : ins));
  }
  const outs = (c.outputs ?? [c.nodes.length]).map((i) => vals[i]);
  return outs.length === 1 ? outs[0] : outs;
}

const symShape = (c: Case, s = c.input): (number | null)[] => (c.dynamic ? [null, null, s[3]] : s.slice(1));

function buildTheirs(c: Case, shape = symShape(c)): any {
  const ti = tfl.input({ shape, name: `c${c.id}_in` });
  return tfl.model({ inputs: ti, outputs: buildGraph(c, theirsLayer, ti) });
}

function buildOurs(c: Case): any {
  const inp = sc.input({ shape: symShape(c), name: `c${c.id}_in` });
  return sc.model({ inputs: inp, outputs: buildGraph(c, oursLayer, inp), name: `case${c.id}` });
}

// ---------------------------------------------------------------------------------------------
// The generator.

// Fixed seed; SEPCONV_FUZZ_SEED=<n> explores another one (the test names print the seed in use).
const SEED = Number(process.env.SEPCONV_FUZZ_SEED ?? 20261201);
const next = rng(SEED);
const int = (lo: number, hi: number): number => lo + Math.floor(((next() + 1) / 2) * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
const chance = (p: number): boolean => (next() + 1) / 2 < p;

const KERNELS: (number | [number, number])[] = [1, 2, 3, 3, 4, 5, 5, [1, 3], [3, 1], [5, 2], [2, 5], [1, 5], [3, 5], [4, 1], [2, 3]];
const STRIDES: (number | [number, number])[] = [1, 1, 1, 2, 2, 3, [1, 2], [2, 1], [3, 2], [2, 3], [1, 3]];
const DILATIONS: (number | [number, number])[] = [2, 3, [1, 2], [2, 1], [3, 2], [2, 3]];
const KERNEL_ACTS = ['linear', 'relu', 'relu6', 'sigmoid', 'swish'] as const;
const JS_ACTS = ['tanh', 'elu', 'selu', 'softplus', 'softsign', 'hardSigmoid', 'mish', 'gelu', 'gelu_new'] as const;
const ACTS = [...KERNEL_ACTS, ...KERNEL_ACTS, ...JS_ACTS] as const;
const CHANNELS = [1, 3, 4, 5, 8, 9, 1, 3, 4, 5, 8, 9, 2, 6, 7, 10, 11, 12, 13];

function inputShape(): [number, number, number, number] {
  const h = int(1, 19);
  let w = int(1, 19);
  if (w === h && chance(0.8)) w = h === 19 ? 18 : h + 1;
  return [int(1, 2), h, w, pick(CHANNELS)];
}

/** The window options of a conv-like layer: dilation > 1 only with stride 1 (TensorFlow's rule). */
function windowOpts(): Record<string, unknown> {
  const o: Record<string, unknown> = { kernelSize: pick(KERNELS), padding: pick(['same', 'valid', 'same']) };
  if (chance(0.25)) o.dilationRate = pick(DILATIONS);
  else {
    const s = pick(STRIDES);
    if (s !== 1) o.strides = s;
  }
  o.useBias = chance(0.7);
  o.activation = pick(ACTS);
  return o;
}

function bn(): Op {
  const o: Record<string, unknown> = { epsilon: pick([1e-3, 1e-5, 0.01]) };
  if (chance(0.2)) o.center = false;
  if (chance(0.2)) o.scale = false;
  return { type: 'batchNormalization', opts: o };
}

function actLayer(softmax = false): Op {
  if (chance(0.3)) return { type: 'reLU', opts: chance(0.7) ? { maxValue: pick([6, 6, 6, 1, 3.5]) } : {} };
  if (chance(0.15)) return { type: 'leakyReLU', opts: chance(0.3) ? {} : { alpha: pick([0.01, 0.1, 0.2]) } };
  if (chance(0.15)) return { type: 'prelu', opts: { sharedAxes: pick([[1, 2], [1, 2], null, [1], [2]]) } };
  return { type: 'activation', opts: { activation: pick([...ACTS, ...(softmax ? ['softmax'] : [])]) } };
}

function conv(): Op {
  const o: Record<string, unknown> = { filters: int(1, 17), ...windowOpts() };
  if (chance(0.08)) o.activation = 'softmax'; // a segmentation-style head
  return { type: 'conv2d', opts: o };
}
function dw(): Op {
  return { type: 'depthwiseConv2d', opts: { depthMultiplier: int(1, 3), ...windowOpts() } };
}
function sep(): Op {
  return { type: 'separableConv2d', opts: { filters: int(1, 17), depthMultiplier: int(1, 2), ...windowOpts() } };
}
function pool(): Op {
  const o: Record<string, unknown> = { poolSize: pick([1, 2, 2, 3, 3, 4, 5, [2, 3], [3, 1], [1, 2]]), padding: pick(['same', 'valid']) };
  if (chance(0.6)) o.strides = pick([1, 2, 3, [1, 2], [2, 1], [3, 2]]);
  return { type: chance(0.5) ? 'maxPooling2d' : 'averagePooling2d', opts: o };
}
function zpad(): Op {
  const p = pick([0, 1, 2, 3]);
  const padding = pick([p, [int(0, 3), int(0, 3)], [[int(0, 3), int(0, 3)], [int(0, 3), int(0, 3)]]]);
  return { type: 'zeroPadding2d', opts: { padding } };
}
function dense(acts: readonly string[] = [...ACTS, 'softmax']): Op {
  return { type: 'dense', opts: { units: int(1, 9), activation: pick(acts), useBias: chance(0.7) } };
}
/** A 'same', stride-1 conv keeping `c` channels (a residual branch). */
function sameConv(c: number): Op {
  const o = { kernelSize: pick(KERNELS), padding: 'same', useBias: chance(0.5), activation: pick(ACTS) } as Record<string, unknown>;
  if (chance(0.25)) o.dilationRate = pick(DILATIONS);
  return chance(0.5) ? { type: 'conv2d', opts: { filters: c, ...o } } : { type: 'depthwiseConv2d', opts: o };
}

/** Nodes of a linear chain from the input. */
const chain = (...ops: Op[]): GNode[] => ops.map((op, i) => ({ op, from: [i] }));
const add = (a: number, b: number): GNode => ({ op: { type: 'add', opts: {} }, from: [a, b] });
type Gen = () => Pick<Case, 'input' | 'nodes' | 'outputs'>;

const FAMILIES: [string, number, Gen][] = [
  ['conv', 18, () => ({ input: inputShape(), nodes: chain(conv()) })],
  ['depthwise', 16, () => ({ input: inputShape(), nodes: chain(dw()) })],
  ['separable', 10, () => ({ input: inputShape(), nodes: chain(sep()) })],
  ['pool', 10, () => ({ input: inputShape(), nodes: chain(pool()) })],
  ['pad->conv', 8, () => ({ input: inputShape(), nodes: chain(zpad(), pick([conv(), dw(), dw(), sep()])) })],
  [
    'conv->bn->act',
    10,
    () => {
      const c = pick([conv(), dw(), sep()]);
      if (chance(0.75)) c.opts.activation = 'linear'; // lets the BN (and the activation) fold
      const ops = [c, bn()];
      if (chance(0.7)) ops.push(actLayer());
      return { input: inputShape(), nodes: chain(...ops) };
    },
  ],
  [
    'residual add',
    12,
    () => {
      const inp = inputShape();
      const ops = chance(0.5) ? [sameConv(inp[3]), bn()] : [sameConv(inp[3])];
      const nodes = chain(...ops);
      const r = int(0, 9);
      if (r < 5) nodes.push(add(nodes.length, 0)); // identity shortcut
      else if (r < 7) {
        // a 3-input add (Keras Add takes a list), or a same-shape multiply of two branches
        nodes.push({ op: sameConv(inp[3]), from: [0] });
        nodes.push(r === 5 ? { op: { type: 'add', opts: {} }, from: [ops.length, nodes.length, 0] } : { op: { type: 'multiply', opts: {} }, from: [ops.length, nodes.length] });
      } else {
        // projection shortcut: a 1x1 conv of the input
        nodes.push({ op: { type: 'conv2d', opts: { filters: inp[3], kernelSize: 1, useBias: chance(0.5) } }, from: [0] });
        nodes.push(add(ops.length, nodes.length));
      }
      if (chance(0.5)) nodes.push({ op: actLayer(), from: [nodes.length] }); // ResNet: ReLU after the add
      return { input: inp, nodes };
    },
  ],
  [
    'gap head',
    6,
    () => {
      const ops: Op[] = [pick([conv(), dw(), pool()]), { type: chance(0.7) ? 'globalAveragePooling2d' : 'flatten', opts: {} }];
      if (chance(0.3)) ops.push({ type: 'dropout', opts: { rate: 0.2 } });
      if (chance(0.7)) ops.push(dense());
      return { input: inputShape(), nodes: chain(...ops) };
    },
  ],
  ['bn/act alone', 3, () => ({ input: inputShape(), nodes: chance(0.5) ? chain(bn()) : chain(bn(), actLayer(true)) })],
  [
    'random chain',
    16,
    () => {
      const ops: Op[] = [];
      const len = int(2, 3);
      for (let i = 0; i < len; i++) ops.push(pick([conv, dw, dw, sep, pool, zpad, bn, () => actLayer(true), () => dense(), (): Op => ({ type: 'dropout', opts: { rate: 0.5 } })])());
      return { input: inputShape(), nodes: chain(...ops) };
    },
  ],
  [
    'squeeze-excite',
    5,
    () => {
      const inp = inputShape();
      const c = inp[3];
      const nodes: GNode[] = [
        { op: { type: 'globalAveragePooling2d', opts: {} }, from: [0] },
        { op: { type: 'reshape', opts: { targetShape: [1, 1, c] } }, from: [1] },
        { op: { type: 'conv2d', opts: { filters: Math.max(1, c >> 1), kernelSize: 1, activation: pick(['relu', 'swish']) } }, from: [2] },
        { op: { type: 'conv2d', opts: { filters: c, kernelSize: 1, activation: 'sigmoid' } }, from: [3] },
        // the gate as a multiply (SE) or, now and then, a broadcast add of a [1, 1, C] bias
        { op: { type: chance(0.75) ? 'multiply' : 'add', opts: {} }, from: chance(0.5) ? [0, 4] : [4, 0] },
      ];
      return { input: inp, nodes };
    },
  ],
  [
    'concatenate',
    6,
    () => {
      // Branches of the same H x W joined on the channel axis (Inception / SqueezeNet fire modules), maybe with the input.
      const inp = inputShape();
      const nodes: GNode[] = [{ op: sameConv(inp[3]), from: [0] }];
      nodes.push({ op: { type: 'conv2d', opts: { filters: int(1, 9), kernelSize: pick([1, 3]), padding: 'same', activation: pick(ACTS) } }, from: [0] });
      const from = chance(0.4) ? [1, 0, 2] : [1, 2];
      nodes.push({ op: { type: 'concatenate', opts: chance(0.5) ? {} : { axis: 3 } }, from });
      if (chance(0.5)) nodes.push({ op: pick([conv(), dw(), bn(), actLayer()]), from: [3] });
      return { input: inp, nodes };
    },
  ],
  [
    'fan-out',
    6,
    () => {
      // A conv whose output feeds two consumers (or is also a model output): BN/activation must not fold.
      const inp = inputShape();
      const c = sameConv(inp[3]);
      c.opts.activation = 'linear';
      const nodes: GNode[] = [{ op: c, from: [0] }, { op: bn(), from: [1] }, { op: actLayer(), from: [2] }];
      if (chance(0.5)) return { input: inp, nodes, outputs: [1, 3] };
      nodes.push(add(1, 3));
      return { input: inp, nodes };
    },
  ],
];

let tfReady = false;
/** tfjs-layers accepts the case: it builds, and every layer's output dims are >= 1, for both predict shapes. */
function tfjsAccepts(c: Case): boolean {
  // The declared (maybe [null, null, C]) shape must build too: tfjs' Flatten needs known H and W.
  return [c.input, c.input2].every((s) => tfjsAcceptsShape(c, s.slice(1))) && (!c.dynamic || tfjsAcceptsShape(c, symShape(c)));
}
function tfjsAcceptsShape(c: Case, shape: (number | null)[]): boolean {
  const known = shape.every((d) => d !== null);
  if (!tfReady) {
    tf.env().set('PROD', true);
    tf.setBackend('cpu');
    tfReady = true;
  }
  let t: any;
  try {
    t = buildTheirs(c, shape);
    // Every layer's output, not only the model's (a GlobalAveragePooling2D hides a conv's negative H).
    return !known || t.layers.every((l: any) => (l.outputShape as (number | null)[]).slice(1).every((d) => d !== null && d >= 1));
  } catch (e) {
    if (process.env.FUZZ_DEBUG) console.log(String(e));
    return false;
  } finally {
    t?.dispose();
  }
}

function nameOps(c: Case): void {
  c.nodes.forEach((n, j) => (n.op.opts.name = `c${c.id}_n${j + 1}`));
}

const CASES: Case[] = [];
let rejectedByTfjs = 0;
for (const [family, count, gen] of FAMILIES) {
  for (let k = 0; k < count; k++) {
    for (let tries = 0; ; tries++) {
      if (tries > 200) throw new Error(`generator for ${family} keeps producing configs tfjs rejects`);
      const g = gen();
      const dynamic = chance(0.3);
      const reweight = chance(0.3);
      const [n, h, w, ch] = g.input;
      const input2: Case['input2'] = dynamic ? [3 - n, int(1, 19), int(1, 19), ch] : [3 - n, h, w, ch];
      const c: Case = { id: CASES.length, family, ...g, input2, dynamic, reweight };
      nameOps(c);
      if (tfjsAccepts(c)) {
        CASES.push(c);
        break;
      }
      rejectedByTfjs++;
    }
  }
}

function describeCase(c: Case): string {
  const op = (o: Op): string => {
    const { name: _n, ...rest } = o.opts;
    return Object.keys(rest).length ? `${o.type}${JSON.stringify(rest).replace(/"/g, '')}` : o.type;
  };
  const io = c.dynamic ? `in[null,null,${c.input[3]}] predict [${c.input.join(',')}] then [${c.input2.join(',')}]` : `in[${c.input.join(',')}] then batch ${c.input2[0]}`;
  const linear = c.nodes.every((n, i) => n.from.length === 1 && n.from[0] === i) && !c.outputs;
  const graph = linear
    ? c.nodes.map((n) => op(n.op)).join(' -> ')
    : c.nodes.map((n, i) => `v${i + 1}=${op(n.op)}(${n.from.map((f) => `v${f}`).join(',')})`).join('; ') + (c.outputs ? `; outputs ${c.outputs.map((o) => `v${o}`).join(',')}` : '');
  return `#${c.id} [${c.family}] ${io}${c.reweight ? ' (new weights before the 2nd)' : ''}: ${graph}`;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  await sc.init();
  await tf.setBackend('cpu');
});

describe(`public layers vs tfjs-layers, seeded fuzz (seed ${SEED}, ${CASES.length} cases; ${rejectedByTfjs} configs tfjs rejected, regenerated)`, () => {
  it.each(CASES.map((c) => [describeCase(c), c] as const))('%s', (_name, c) => {
    const t = buildTheirs(c);
    // A config tfjs accepts must build in sepconv too (no catch: a rejection is a finding).
    const m = buildOurs(c);
    try {
      setBoth(m, t, seededWeights(m, 1000 + c.id));
      expect(m.countParams()).toBe(t.countParams());

      // Two predicts on the same model: the second re-plans for the other batch (and spatial) size.
      for (const [k, shape] of [c.input, c.input2].entries()) {
        const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rng(5000 + 2 * c.id + k));
        if (k === 1 && c.reweight) setBoth(m, t, seededWeights(m, 3000 + c.id));
        const wants = tf.tidy(() => {
          const r = t.predict(tf.tensor(x, shape)) as tf.Tensor | tf.Tensor[];
          return (Array.isArray(r) ? r : [r]).map((y) => [y.dataSync().slice(), y.shape] as const);
        });
        using xt = sc.tensor(x, shape);
        const r = m.predict(xt) as sc.Tensor | sc.Tensor[];
        const gots = Array.isArray(r) ? r : [r];
        expect(gots.length).toBe(wants.length);
        for (const [o, [want, wantShape]] of wants.entries()) {
          const what = `predict #${k + 1} on [${shape.join(',')}], output ${o}`;
          const y = gots[o]!;
          expect(y.shape, `${what}: shape`).toEqual(wantShape);
          const got = y.data();
          expect(got.length).toBe(want.length);
          let worst = -1;
          let worstErr = 0;
          for (let i = 0; i < want.length; i++) {
            const err = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!));
            if (!(err <= worstErr)) {
              worstErr = Number.isNaN(err) ? Infinity : err;
              worst = i;
            }
          }
          const where = worst < 0 ? '' : `, worst at flat index ${worst} of [${wantShape.join(',')}]: ours ${got[worst]} vs tfjs ${want[worst]}`;
          expect(worstErr, `${what}${where}`).toBeLessThanOrEqual(1e-4);
        }
      }
    } finally {
      m.dispose();
      t.dispose();
    }
  });
});
