// Pooling: AvgPool / MaxPool (NHWC, SAME / VALID) and the spatial Mean a classifier head writes.
import { formatJson } from '../../errors.js';
import { convOut, type Dim } from '../keras-config.js';
import { attrB, type GraphNode } from './attrs.js';
import type { GraphContext, OpTable, Value } from './context.js';
import { emitHost } from './host-emit.js';

function pool(c: GraphContext, n: GraphNode): Value {
  c.checkNHWC(n);
  const x = c.layerInput(n, 0);
  const k = c.spatialAttr(n, 'ksize');
  const s = c.spatialAttr(n, 'strides');
  const { pad } = c.padding(n);
  const [h, w, ch] = x.shape as [Dim, Dim, number];
  const oh = convOut(h, k[1]!, s[1]!, 1, pad);
  const ow = convOut(w, k[2]!, s[2]!, 1, pad);
  if (c.tooSmall(oh, ow)) c.fail(n, `input ${formatJson(x.shape)} is smaller than the pool`);
  return c.addLayer(n, n.op === 'AvgPool' ? 'AveragePooling2D' : 'MaxPooling2D', { pool_size: [k[1], k[2]], strides: [s[1], s[2]], padding: pad }, [x], [oh, ow, ch]);
}

/** Hook for reductions a layer cannot express (set by the post-processing family). */
const reduceFallback: { run?: (c: GraphContext, n: GraphNode) => Value } = { run: emitHost };

function mean(c: GraphContext, n: GraphNode): Value {
  const v = c.get(n, 0);
  if (v.kind === 'sym' && v.full && reduceFallback.run) return reduceFallback.run(c, n);
  const xv = c.symOf(n, 0);
  const axes = [...c.constOf(n, 1).values].map((a) => (a < 0 ? a + 4 : a)).sort();
  if (xv.full || xv.shape.length !== 3 || axes.join() !== '1,2') {
    if (reduceFallback.run) return reduceFallback.run(c, n);
    c.fail(n, `only the spatial mean (axes [1, 2]) of an NHWC tensor is supported, got axes ${formatJson(axes)}`);
  }
  const keep = attrB(n, 'keep_dims');
  const ch = xv.shape[2]!;
  return c.addLayer(n, 'GlobalAveragePooling2D', { keepdims: keep }, [xv], keep ? [1, 1, ch] : [ch]);
}

/** The pooling family. */
export const POOL_OPS: OpTable = {
  AvgPool: { doc: 'average pool (NHWC)', run: pool },
  MaxPool: { doc: 'max pool (NHWC)', run: pool },
  Mean: { doc: 'mean over any axes (the spatial mean of an NHWC tensor is a global average pool)', run: mean },
};
