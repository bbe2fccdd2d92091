// Gathers: GatherV2 (any axis, batch_dims) and GatherNd. An index outside its axis (negative ones
// included) reads as 0 (TF's GPU rule; TF.js CPU throws), so a predict never fails on data.
import { arity, intValues, normAxis, refuse, sizeOf, type HostOpDef } from './core.js';

/** GatherV2(params, indices, axis) with the batchDims attr. */
export const gatherV2: HostOpDef = (args, attrs) => {
  arity(args, 2, 3);
  const [p, ix] = args as [(typeof args)[0], (typeof args)[0]];
  const axisV = args[2] ? intValues(args[2], 'the axis')[0]! : 0;
  const axis = normAxis(axisV, p!.shape.length);
  let bd = Number(attrs.batchDims ?? 0);
  if (!Number.isSafeInteger(bd)) refuse(`batch_dims must be an integer, got ${JSON.stringify(attrs.batchDims)}`);
  if (bd < 0) bd += ix!.shape.length;
  if (bd < 0 || bd > axis || bd > ix!.shape.length) refuse(`batch_dims ${attrs.batchDims} must be from 0 to min(axis ${axis}, indices rank ${ix!.shape.length})`);
  for (let i = 0; i < bd; i++) if (p!.shape[i] !== ix!.shape[i]) refuse(`params and indices differ in batch dimension ${i}`);
  const shape = [...p!.shape.slice(0, axis), ...ix!.shape.slice(bd), ...p!.shape.slice(axis + 1)];
  const batch = sizeOf(p!.shape.slice(0, bd));
  const outer = sizeOf(p!.shape.slice(bd, axis));
  const len = p!.shape[axis]!;
  const inner = sizeOf(p!.shape.slice(axis + 1));
  const nIdx = sizeOf(ix!.shape.slice(bd));
  return {
    outs: [{ shape, dtype: p!.dtype }],
    run: ([pv, iv], [o]) => {
      let w = 0;
      for (let b = 0; b < batch; b++)
        for (let a = 0; a < outer; a++)
          for (let j = 0; j < nIdx; j++) {
            const k = iv![b * nIdx + j]!;
            const ok = k >= 0 && k < len && Number.isInteger(k);
            const base = ((b * outer + a) * len + k) * inner;
            for (let t = 0; t < inner; t++) o![w++] = ok ? pv![base + t]! : 0;
          }
    },
  };
};

/** GatherNd(params, indices): the last axis of indices addresses the leading axes of params. */
export const gatherNd: HostOpDef = (args) => {
  arity(args, 2);
  const [p, ix] = args as [(typeof args)[0], (typeof args)[0]];
  if (ix!.shape.length < 1) refuse('indices need rank 1 or more');
  const k = ix!.shape[ix!.shape.length - 1]!;
  if (k > p!.shape.length) refuse(`index depth ${k} is more than the params' rank ${p!.shape.length}`);
  const shape = [...ix!.shape.slice(0, -1), ...p!.shape.slice(k)];
  const rows = sizeOf(ix!.shape.slice(0, -1));
  const inner = sizeOf(p!.shape.slice(k));
  const dims = p!.shape.slice(0, k);
  return {
    outs: [{ shape, dtype: p!.dtype }],
    run: ([pv, iv], [o]) => {
      for (let r = 0; r < rows; r++) {
        let off = 0;
        let ok = true;
        for (let d = 0; d < k; d++) {
          const v = iv![r * k + d]!;
          if (!(v >= 0 && v < dims[d]!)) ok = false;
          off = off * dims[d]! + v;
        }
        for (let t = 0; t < inner; t++) o![r * inner + t] = ok ? pv![off * inner + t]! : 0;
      }
    },
  };
};
