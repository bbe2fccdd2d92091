// GatherV2 / Split / SplitV of a layer tensor's channels (the last axis, constant indices / sizes) as
// ChannelGather layers (the wasm channel gather); every other form runs on the host as before. The ONNX
// importer lowers Split / Slice of channels and the channel shuffle to GatherV2 on the last axis.
// Kept in the post-processing family's table (built lazily), so an app that imports no model loader
// does not carry the host ops.
import { formatJson } from '../../errors.js';
import { attrI, type GraphNode } from './attrs.js';
import type { Const, GraphContext, Sym, Value } from './context.js';
import { emitHost } from './host-emit.js';

/**
 * A float32 layer tensor read along its last (channel) axis by a constant `axis` (TF axes count the batch:
 * -1 or the per-sample rank): the tensor, else undefined (the op runs on the host instead).
 */
function channelInput(c: GraphContext, n: GraphNode, v: Value, axis: Value): Sym | undefined {
  if (v.kind !== 'sym' || v.full || (v.dtype !== undefined && v.dtype !== 'float32')) return undefined;
  if (axis.kind !== 'const' || axis.values.length !== 1) return undefined;
  const r = v.shape.length;
  const a = axis.values[0]!;
  const ch = v.shape[r - 1];
  if (r < 1 || (a !== -1 && a !== r) || ch === null || ch === undefined) return undefined;
  return c.toLayer(n, v);
}

/** A ChannelGather layer for output k of node n (later outputs are named `name:k`, as host ops' are). */
function gatherLayer(c: GraphContext, n: GraphNode, x: Sym, indices: number[], k = 0): Sym {
  const node = k === 0 ? n : { ...n, name: `${n.name}:${k}` };
  return c.addLayer(node, 'ChannelGather', { indices }, [x], [...x.shape.slice(0, -1), indices.length]);
}

/** GatherV2 of a layer tensor's channels by constant rank-1 indices (batch_dims 0): a ChannelGather layer. */
export function gatherV2(c: GraphContext, n: GraphNode): Value {
  const [x, idx, axis] = [0, 1, 2].map((i) => c.get(n, i)) as [Value, Value, Value];
  const s = channelInput(c, n, x, axis);
  const ch = s?.shape[s.shape.length - 1] as number;
  const batchDims = attrI(n, 'batch_dims', 0);
  if (!s || batchDims !== 0 || idx.kind !== 'const' || idx.shape.length !== 1 || idx.values.length < 1) return emitHost(c, n);
  const list = [...idx.values];
  if (!list.every((i) => Number.isSafeInteger(i) && i >= 0 && i < ch)) c.fail(n, `indices ${formatJson(list.length > 8 ? [...list.slice(0, 8), '...'] : list)} must be from 0 to ${ch - 1}`);
  return gatherLayer(c, n, s, list);
}

/** Split / SplitV of a layer tensor's channels: one ChannelGather layer (a run of channels) per piece. */
export function splitOp(v: boolean) {
  return (c: GraphContext, n: GraphNode): Value => {
    const x = c.get(n, v ? 0 : 1);
    const axis = c.get(n, v ? 2 : 0);
    const s = channelInput(c, n, x, axis);
    if (!s) return emitHost(c, n);
    const ch = s.shape[s.shape.length - 1] as number;
    let sizes: number[];
    if (v) {
      const given = c.get(n, 1);
      if (given.kind !== 'const') return emitHost(c, n);
      sizes = [...(given as Const).values];
      const open = sizes.filter((d) => d === -1).length;
      const known = sizes.filter((d) => d !== -1).reduce((a, b) => a + b, 0);
      if (open > 1 || !sizes.every((d) => d === -1 || (Number.isSafeInteger(d) && d >= 0))) c.fail(n, `size_splits ${formatJson(sizes)} must be sizes >= 0 with at most one -1`);
      if (open) sizes = sizes.map((d) => (d === -1 ? ch - known : d));
    } else {
      const parts = attrI(n, 'num_split', 1);
      if (!Number.isSafeInteger(parts) || parts < 1 || ch % parts !== 0) c.fail(n, `num_split ${formatJson(n.attr?.num_split?.i)} must divide the ${ch} channels`);
      sizes = Array<number>(parts).fill(ch / parts);
    }
    if (sizes.reduce((a, b) => a + b, 0) !== ch || sizes.some((d) => d < 0)) c.fail(n, `split sizes ${formatJson(sizes)} must sum to the ${ch} channels`);
    // An empty piece has no layer: it runs on the host (as a whole node) instead.
    if (sizes.some((d) => d === 0)) return emitHost(c, n);
    let start = 0;
    const outs = sizes.map((d, k) => {
      const piece = gatherLayer(c, n, s, Array.from({ length: d }, (_, i) => start + i), k);
      start += d;
      return piece;
    });
    outs.forEach((o, k) => k > 0 && c.values.set(`${n.name}:${k}`, o));
    return outs[0]!;
  };
}

