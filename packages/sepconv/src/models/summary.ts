// Cost accounting: per-layer params, MACs and activation bytes, the seed's comparison of each
// depthwise-separable layer with the standard conv it replaces, and per-layer profiles.
import { Conv2D, DepthwiseConv2D, type SeparableParts } from '../layers/conv.js';
import type { Step } from '../layers/ir.js';
import { stepLayers } from '../layers/exec.js';
import type { Layer, Node } from '../layers/layer.js';
import { Activation, InputLayer } from '../layers/misc.js';
import { BatchNormalization } from '../layers/norm.js';

/** The seed's comparison: a depthwise-separable layer against the KxK standard conv with the same in/out channels. */
export interface SeparableComparison {
  kernel: [number, number];
  inChannels: number;
  outChannels: number;
  /** Depth multiplier (the formula assumes 1). */
  multiplier: number;
  /** Set when the pair is two layers (DepthwiseConv2D ... 1x1 Conv2D): the depthwise one. */
  depthwiseLayer?: string;
  /** Depthwise + pointwise kernel params (no bias/BN), and their MACs. */
  params: number;
  macs: number;
  /** K*K*C_in*C_out and OH*OW*K*K*C_in*C_out. */
  standardParams: number;
  standardMacs: number;
  /** params / standardParams and macs / standardMacs, measured. */
  paramRatio: number;
  macRatio: number;
  /** 1/C_out + 1/K^2 (equals the measured ratios when the multiplier is 1). */
  formula: number;
}

/** One layer of `Model.summary()`: its inputs, output shape, parameters and MACs. */
export interface SummaryRow {
  name: string;
  className: string;
  /** Names of the layers feeding this one. */
  inbound: string[];
  /** Per-sample output shape (batch excluded). */
  outputShape: number[];
  /** Weights of the layer (Keras count); 0 on later applications of a shared layer. */
  params: number;
  /** Multiply-adds per sample (conv/dense only). */
  macs: number;
  /** float32 bytes of the output, per sample. */
  activationBytes: number;
  separable?: SeparableComparison;
}

/** What `Model.summary()` returns: one row per layer and the totals; `toString()` prints the table. */
export interface SummaryReport {
  name: string;
  rows: SummaryRow[];
  totalParams: number;
  totalMacs: number;
  /** Sum of every layer's output bytes (per sample). */
  totalActivationBytes: number;
  /** The planned arena for batch 1 (liveness-shared activations, after fusion). */
  arenaBytes: number;
  /** Steps the model runs after fusion. */
  steps: number;
  toString(): string;
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const shape = (s: number[]): string => `[null, ${s.join(', ')}]`;

export function compare(parts: SeparableParts, out: number[], depthwiseLayer?: string): SeparableComparison {
  const [kh, kw] = parts.kernel;
  const k2 = kh * kw;
  const { inChannels: cin, outChannels: cout, multiplier: m } = parts;
  const pixels = out[0]! * out[1]!;
  const params = k2 * cin * m + cin * m * cout;
  const standardParams = k2 * cin * cout;
  return {
    kernel: [kh, kw],
    inChannels: cin,
    outChannels: cout,
    multiplier: m,
    ...(depthwiseLayer ? { depthwiseLayer } : {}),
    params,
    macs: pixels * params,
    standardParams,
    standardMacs: pixels * standardParams,
    paramRatio: params / standardParams,
    macRatio: params / standardParams,
    formula: 1 / cout + 1 / k2,
  };
}

function hasParts(l: Layer): l is Layer & { separableParts(s: number[]): SeparableParts } {
  return typeof (l as { separableParts?: unknown }).separableParts === 'function';
}

function isPointwise(l: Layer): l is Conv2D {
  return l instanceof Conv2D && l.kernelSize[0] === 1 && l.kernelSize[1] === 1 && l.strides[0] === 1 && l.strides[1] === 1 && l.groups === 1;
}

export function buildSummary(name: string, nodes: readonly Node[], shapes: Map<Node, number[]>, arenaBytes: number, steps: number): SummaryReport {
  const consumers = new Map<Node, number>();
  for (const n of nodes) for (const i of n.inputs) consumers.set(i.node!, (consumers.get(i.node!) ?? 0) + 1);
  const seen = new Set<Layer>();
  const rows: SummaryRow[] = [];
  for (const n of nodes) {
    const out = shapes.get(n)!;
    const ins = n.inputs.map((t) => shapes.get(t.node!)!);
    const first = !seen.has(n.layer);
    seen.add(n.layer);
    const row: SummaryRow = {
      name: n.layer.name,
      className: n.layer.className,
      inbound: n.inputs.map((t) => t.node!.layer.name),
      outputShape: [...out],
      params: first ? n.layer.countParams() : 0,
      macs: n.layer instanceof InputLayer ? 0 : n.layer.macs(ins, out),
      activationBytes: out.reduce((a, b) => a * b, 1) * 4,
    };
    if (hasParts(n.layer)) row.separable = compare(n.layer.separableParts(ins[0]!), out);
    else if (isPointwise(n.layer)) {
      // Walk back through single-consumer BN / activation nodes to a DepthwiseConv2D.
      let p = n.inputs[0]!.node!;
      while ((p.layer instanceof BatchNormalization || p.layer instanceof Activation) && consumers.get(p) === 1) p = p.inputs[0]!.node!;
      if (p.layer instanceof DepthwiseConv2D && consumers.get(p) === 1) {
        const dwIn = shapes.get(p.inputs[0]!.node!)!;
        row.separable = compare({ kernel: p.layer.kernelSize, inChannels: dwIn[2]!, outChannels: n.layer.filters, multiplier: p.layer.depthMultiplier }, out, p.layer.name);
      }
    }
    rows.push(row);
  }
  const totalParams = rows.reduce((a, r) => a + r.params, 0);
  const totalMacs = rows.reduce((a, r) => a + r.macs, 0);
  const totalActivationBytes = rows.reduce((a, r) => a + (r.className === 'InputLayer' ? 0 : r.activationBytes), 0);
  const report: SummaryReport = {
    name,
    rows,
    totalParams,
    totalMacs,
    totalActivationBytes,
    arenaBytes,
    steps,
    toString: () => summaryTable(report),
  };
  return report;
}

function table(head: string[], body: string[][], right: boolean[]): string {
  // A loop, not Math.max(...rows): spreading a 100k-row model's cells overflows the argument stack.
  const widths = head.map((h, i) => body.reduce((w, r) => Math.max(w, r[i]!.length), h.length));
  const line = (cells: string[]): string => cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [line(head), rule, ...body.map(line), rule].join('\n');
}

export function summaryTable(r: SummaryReport): string {
  const head = ['Layer (type)', 'Output shape', 'Params', 'MACs', 'Act. bytes', 'Std conv params', 'Std conv MACs', 'Ratio', '1/Cout+1/K^2'];
  const body = r.rows.map((x) => [
    `${x.name} (${x.className})`,
    shape(x.outputShape),
    fmt(x.params),
    fmt(x.macs),
    fmt(x.activationBytes),
    x.separable ? fmt(x.separable.standardParams) : '',
    x.separable ? fmt(x.separable.standardMacs) : '',
    x.separable ? x.separable.macRatio.toFixed(4) : '',
    x.separable ? x.separable.formula.toFixed(4) : '',
  ]);
  return [
    `Model: ${r.name}`,
    table(head, body, [false, false, true, true, true, true, true, true, true]),
    `Total params: ${fmt(r.totalParams)}`,
    `Total MACs: ${fmt(r.totalMacs)} (${(r.totalMacs / 1e6).toFixed(1)} M per sample)`,
    `Activation bytes (sum of layer outputs): ${fmt(r.totalActivationBytes)}`,
    `Planned arena (batch 1, after fusion, liveness-shared): ${fmt(r.arenaBytes)} bytes, ${r.steps} steps`,
  ].join('\n');
}

/** One layer of `Model.profile()`: mean time per predict spent in its steps. */
export interface ProfileRow {
  name: string;
  className: string;
  /** Mean milliseconds per predict spent in this layer's steps. */
  ms: number;
  /** Multiply-adds per predict (batch included). */
  macs: number;
  /** 2 * MACs / time. */
  gflops: number;
  /** Layers whose work was fused into this one's steps (folded BN, activations). */
  fused: string[];
}

/** What `Model.profile()` returns: per-layer times, averaged over the runs; `toString()` prints the table. */
export interface ProfileReport {
  name: string;
  rows: ProfileRow[];
  /** Mean wall milliseconds per predict. */
  totalMs: number;
  totalMacs: number;
  gflops: number;
  toString(): string;
}

export function buildProfile(name: string, steps: readonly Step[], ms: number[], totalMs: number, batch: number, classes: Map<string, string>): ProfileReport {
  const rows = new Map<string, ProfileRow>();
  steps.forEach((s, i) => {
    let row = rows.get(s.layer);
    if (!row) {
      row = { name: s.layer, className: classes.get(s.layer) ?? '', ms: 0, macs: 0, gflops: 0, fused: [] };
      rows.set(s.layer, row);
    }
    row.ms += ms[i]!;
    row.macs += s.macs * batch;
    for (const l of stepLayers(s)) if (l !== s.layer && !row.fused.includes(l)) row.fused.push(l);
  });
  const list = [...rows.values()];
  for (const r of list) r.gflops = r.ms > 0 ? (2 * r.macs) / (r.ms * 1e6) : 0;
  const totalMacs = list.reduce((a, r) => a + r.macs, 0);
  const report: ProfileReport = {
    name,
    rows: list,
    totalMs,
    totalMacs,
    gflops: totalMs > 0 ? (2 * totalMacs) / (totalMs * 1e6) : 0,
    toString: () =>
      [
        `Profile: ${name} (batch ${batch})`,
        table(
          ['Layer (type)', 'ms', 'MACs', 'GFLOP/s', 'fused'],
          list.map((r) => [`${r.name} (${r.className})`, r.ms.toFixed(3), fmt(r.macs), r.gflops.toFixed(2), r.fused.join(', ')]),
          [false, true, true, true, false],
        ),
        `Total: ${totalMs.toFixed(3)} ms, ${fmt(totalMacs)} MACs, ${report.gflops.toFixed(2)} GFLOP/s`,
      ].join('\n'),
  };
  return report;
}
