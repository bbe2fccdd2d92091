// Layout-crossing ops that PyTorch exports write around channels: the channel shuffle (Reshape
// [N, C, H, W] -> [N, G, C/G, H, W], Transpose [0, 2, 1, 3, 4], Reshape back), Split (chunk) and
// Slice of channels or features. No transpose runs: the rank-5 view is bookkeeping (a channel map),
// and the one data movement the graph asks for (a permutation or a selection of channels) runs as a
// channel gather (a TF GatherV2 on the last axis, which graph-ops/layout-image.ts maps onto the
// ChannelGather layer and its wasm kernel). A gather of a gather reads the first one's input with the
// composed indices (ShuffleNetV2's chunk of a shuffled tensor is one zip of the concat's halves); an
// intermediate gather nobody else reads is never converted.
import { formatJson } from '../../errors.js';
import type { Handler } from './conv.js';
import { fmt, normAxis, type Lowering, type OnnxNode, type Sym } from './context.js';

/**
 * Output channel k = input channel idx[k] (channels of an NCHW map, features of [N, F]), as a GatherV2 on
 * the NHWC last axis. When `x` is itself such a gather, the new one reads its input with composed indices.
 */
export function selectChannels(low: Lowering, n: OnnxNode, x: Sym, idx: number[], base: string): string {
  const prev = low.gathers.get(x.tf);
  const [tf, map, c] = prev ? [prev.tf, idx.map((k) => prev.map[k]!), prev.channels] : [x.tf, idx, x.shape[1] as number];
  if (map.length === c && isIdentity(map)) return low.emit('Identity', base, [tf]);
  const out = low.emit('GatherV2', base, [tf, low.constNode(`${base}/indices`, map, [map.length], true), low.constNode(`${base}/axis`, [-1], [], true)]);
  low.gathers.set(out, { tf, map, channels: c });
  return out;
}

const isIdentity = (m: number[]) => m.every((v, i) => v === i);

/** Reshape of an NCHW map into / out of the rank-5 channel grouping; undefined when `out` is neither. */
export function channelGroupReshape(low: Lowering, n: OnnxNode, x: Sym, out: number[]): boolean {
  const rest = x.shape.slice(1) as number[];
  const base = n.name || n.output[0]!;
  if (x.chanMap) {
    const [p, q, h, w] = rest as [number, number, number, number];
    if (out.length === 4 && out.every((d, i) => d === rest[i])) {
      low.set(n, 0, { ...x });
      return true;
    }
    if (out.length !== 3 || out[0] !== p * q || out[1] !== h || out[2] !== w) low.fail(n, `reshaping the channel grouping ${fmt(x.shape)} to ${fmt([x.shape[0]!, ...out])}: only back to [N, ${p * q}, ${h}, ${w}] is supported`);
    const map = x.chanMap;
    const tf = isIdentity(map) ? low.emit('Identity', base, [x.tf]) : selectChannels(low, n, { ...x, shape: [x.shape[0]!, p * q, h, w] }, map, base);
    low.setSym(n, 0, tf, [x.shape[0]!, p * q, h, w], undefined, x.nonNeg);
    return true;
  }
  if (rest.length === 3 && out.length === 4 && out[0]! * out[1]! === rest[0] && out[2] === rest[1] && out[3] === rest[2] && !x.chw) {
    const c = rest[0]!;
    low.set(n, 0, { kind: 'sym', tf: low.emit('Identity', base, [x.tf]), shape: [x.shape[0]!, ...out], chanMap: Array.from({ length: c }, (_, i) => i), ...(x.nonNeg ? { nonNeg: true } : {}) });
    return true;
  }
  return false;
}

/** Transpose: the identity, the channel shuffle's [0, 2, 1, 3, 4] on a channel grouping, or moves of size-1 axes only. */
const Transpose: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const rank = x.shape.length;
  const perm = low.aInts(n, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((v, i) => v !== i)) low.fail(n, `perm ${formatJson(perm)} is not a permutation of ${rank} axes`);
  const base = n.name || n.output[0]!;
  const shape = perm.map((p) => x.shape[p]!);
  if (isIdentity(perm)) {
    low.set(n, 0, { ...x, tf: low.emit('Identity', base, [x.tf]) });
    return;
  }
  if (x.chanMap && perm.join() === '0,2,1,3,4') {
    const [p, q] = [x.shape[1] as number, x.shape[2] as number];
    const map = new Array<number>(p * q);
    for (let u = 0; u < p; u++) for (let v = 0; v < q; v++) map[v * p + u] = x.chanMap[u * q + v]!;
    low.set(n, 0, { kind: 'sym', tf: low.emit('Identity', base, [x.tf]), shape, chanMap: map, ...(x.nonNeg ? { nonNeg: true } : {}) });
    return;
  }
  low.fail(n, `perm ${formatJson(perm)} of ${fmt(x.shape)} would move data across the NCHW -> NHWC layout; only the channel shuffle (Reshape to [N, G, C/G, H, W], perm [0, 2, 1, 3, 4], Reshape back) is supported`);
};

/** Split (attribute sizes before opset 13, an input from 13, num_outputs from 18) along channels / features. */
const Split: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const rank = x.shape.length;
  const axis = normAxis(low, n, low.aInt(n, 'axis', 0), rank);
  if (axis !== 1 || (rank !== 4 && rank !== 2) || x.chw) low.fail(n, `only splitting channels (axis 1 of NCHW) or features (axis 1 of [N, F]) is supported, got axis ${axis} of ${fmt(x.shape)}`);
  const dim = x.shape[1] as number;
  const outs = n.output.length;
  let sizes: number[];
  const given = low.opset >= 13 ? low.opt(n, 1) : undefined;
  if (given) {
    if (given.kind !== 'const') low.fail(n, 'split sizes must be a constant');
    sizes = [...given.values];
  } else if (low.opset < 13 && low.has(n, 'split')) sizes = low.aInts(n, 'split')!;
  else {
    const parts = low.opset >= 18 && low.has(n, 'num_outputs') ? low.aInt(n, 'num_outputs', outs) : outs;
    if (parts < 1 || parts > dim) low.fail(n, `num_outputs ${parts} for an axis of ${dim}`);
    const each = Math.ceil(dim / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
    if (low.opset < 18 && dim % parts !== 0) low.fail(n, `${dim} channels do not split into ${parts} equal parts`);
  }
  if (sizes.length !== outs) low.fail(n, `${sizes.length} split sizes for ${outs} outputs`);
  if (!sizes.every((s) => Number.isInteger(s) && s >= 1) || sizes.reduce((a, b) => a + b, 0) !== dim) low.fail(n, `split sizes ${formatJson(sizes)} must be positive and sum to the axis size ${dim}`);
  let start = 0;
  sizes.forEach((s, i) => {
    const base = `${n.name || n.output[0]!}/${i}`;
    const idx = Array.from({ length: s }, (_, k) => start + k);
    start += s;
    low.setSym(n, i, selectChannels(low, n, x, idx, base), rank === 4 ? [x.shape[0]!, s, x.shape[2]!, x.shape[3]!] : [x.shape[0]!, s], undefined, x.nonNeg);
  });
};

/** Slice of a computed tensor: channels / features with any step; the other axes must be kept whole. */
const Slice: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const rank = x.shape.length;
  const vec = (i: number, key: string): number[] | undefined => {
    if (low.opset < 10) return low.aInts(n, key);
    const v = low.opt(n, i);
    if (v && v.kind !== 'const') low.fail(n, `${key} must be a constant`);
    return v ? [...(v as { values: Float64Array }).values] : undefined;
  };
  const starts = vec(1, 'starts') ?? low.fail(n, 'starts are required');
  const ends = vec(2, 'ends') ?? low.fail(n, 'ends are required');
  const axes = (vec(3, 'axes') ?? starts.map((_, i) => i)).map((a) => normAxis(low, n, a, rank));
  const steps = low.opset >= 10 ? (vec(4, 'steps') ?? starts.map(() => 1)) : starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length || new Set(axes).size !== axes.length) {
    low.fail(n, `starts ${formatJson(starts)}, ends ${formatJson(ends)}, axes ${formatJson(axes)}, steps ${formatJson(steps)} must have one entry per distinct axis`);
  }
  let idx: number[] | undefined;
  axes.forEach((a, i) => {
    const d = x.shape[a];
    const step = steps[i]!;
    if (!Number.isSafeInteger(step) || step === 0) low.fail(n, `step ${step} on axis ${a}`);
    if (d === null || d === undefined) low.fail(n, `slicing axis ${a} of ${fmt(x.shape)} needs its size; pass inputShape`);
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const picked: number[] = [];
    if (step > 0) for (let k = clamp(starts[i]!, 0, d); k < clamp(ends[i]!, 0, d); k += step) picked.push(k);
    else for (let k = clamp(starts[i]!, -1, d - 1); k > clamp(ends[i]!, -1, d - 1); k += step) picked.push(k);
    const whole = picked.length === d && picked.every((v, j) => v === j);
    if (whole) return;
    if (a !== 1 || (rank !== 4 && rank !== 2) || x.chw) low.fail(n, `slicing axis ${a} of ${fmt(x.shape)}: only channels (axis 1 of NCHW) or features (axis 1 of [N, F]) can be sliced`);
    if (picked.length === 0) low.fail(n, `the slice of axis ${a} is empty`);
    idx = picked;
  });
  const base = n.name || n.output[0]!;
  if (!idx) {
    low.setSym(n, 0, low.emit('Identity', base, [x.tf]), x.shape, x.chw, x.nonNeg);
    return;
  }
  const sel: number[] = idx;
  const shape = [...x.shape];
  shape[1] = sel.length;
  low.setSym(n, 0, selectChannels(low, n, x, sel, base), shape, undefined, x.nonNeg);
};

/** The layout ops this module lowers. */
export const LAYOUT_OPS: Record<string, Handler> = { Transpose, Split, Slice };
