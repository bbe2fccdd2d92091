// Reductions over any axes (Mean / Sum / Max / Min / Prod / All / Any, keep_dims), ArgMax / ArgMin,
// TopKV2 and softmax over the last axis, as TF.js CPU computes them.
import { arity, intValues, normAxis, refuse, sizeOf, stridesOf, toDType, type HostArg, type HostDType, type HostOpDef } from './core.js';

type Acc = { init: number; step: (acc: number, v: number) => number; done?: (acc: number, count: number, dtype: HostDType) => number; bool?: boolean };

const REDUCERS: Record<string, Acc> = {
  Sum: { init: 0, step: (a, v) => a + v },
  // The mean of integers is a float, as TF.js computes it (TF itself truncates).
  Mean: { init: 0, step: (a, v) => a + v, done: (a, n) => a / n },
  Prod: { init: 1, step: (a, v) => a * v },
  Max: { init: -Infinity, step: (a, v) => (Number.isNaN(v) || v > a ? v : a) },
  Min: { init: Infinity, step: (a, v) => (Number.isNaN(v) || v < a ? v : a) },
  All: { init: 1, step: (a, v) => (a && v ? 1 : 0), bool: true },
  Any: { init: 0, step: (a, v) => (a || v ? 1 : 0), bool: true },
};

/** The reduction plan: output shape (keep_dims or not) and, per input element, its output index. */
function reducePlan(x: HostArg, axesArg: HostArg | undefined, keep: boolean): { shape: number[]; map: Int32Array; count: number; outSize: number } {
  const rank = x.shape.length;
  const axes = new Set(intValues(axesArg, 'the reduction axes').map((a) => normAxis(a, Math.max(rank, 1), 'reduction axis')));
  if (rank === 0) axes.clear();
  const outFull = x.shape.map((d, i) => (axes.has(i) ? 1 : d));
  const shape = keep ? outFull : x.shape.filter((_, i) => !axes.has(i));
  const n = sizeOf(x.shape);
  const map = new Int32Array(n);
  const ost = stridesOf(outFull).map((s, i) => (axes.has(i) ? 0 : s));
  const coord = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    map[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d]!++;
      off += ost[d]!;
      if (coord[d]! < x.shape[d]!) break;
      off -= ost[d]! * coord[d]!;
      coord[d] = 0;
    }
  }
  const count = x.shape.reduce((a, d, i) => (axes.has(i) ? a * d : a), 1);
  return { shape, map, count, outSize: sizeOf(outFull) };
}

/** A reduction host op: inputs (x, axes), attr keepDims. */
export function reduceOp(op: string): HostOpDef {
  const r = REDUCERS[op]!;
  return (args, attrs) => {
    arity(args, 2);
    const x = args[0]!;
    const { shape, map, count, outSize } = reducePlan(x, args[1], Boolean(attrs.keepDims));
    const dtype: HostDType = r.bool ? 'bool' : op === 'Mean' ? 'float32' : x.dtype;
    const n = map.length;
    const acc = new Float64Array(outSize);
    return {
      outs: [{ shape, dtype }],
      run: ([xv], [o]) => {
        acc.fill(r.init);
        for (let i = 0; i < n; i++) acc[map[i]!] = r.step(acc[map[i]!]!, xv![i]!);
        for (let j = 0; j < outSize; j++) o![j] = toDType(r.done ? r.done(acc[j]!, count, dtype) : acc[j]!, dtype);
      },
    };
  };
}

/** ArgMax / ArgMin over one axis (the first extreme wins, as in TF.js); int32 indices. */
export function argOp(max: boolean): HostOpDef {
  return (args) => {
    arity(args, 2);
    const x = args[0]!;
    if (x.shape.length === 0) refuse('needs an input of rank 1 or more');
    const [axisV] = intValues(args[1], 'the axis');
    const axis = normAxis(axisV, x.shape.length);
    const outer = sizeOf(x.shape.slice(0, axis));
    const len = x.shape[axis]!;
    const inner = sizeOf(x.shape.slice(axis + 1));
    if (len === 0) refuse('cannot take the arg-extreme of an empty axis');
    const shape = x.shape.filter((_, i) => i !== axis);
    return {
      outs: [{ shape, dtype: 'int32' }],
      run: ([xv], [o]) => {
        for (let a = 0; a < outer; a++)
          for (let b = 0; b < inner; b++) {
            const base = a * len * inner + b;
            let best = xv![base]!;
            let k = 0;
            for (let j = 1; j < len; j++) {
              const v = xv![base + j * inner]!;
              if (max ? v > best : v < best) {
                best = v;
                k = j;
              }
            }
            o![a * inner + b] = k;
          }
      },
    };
  };
}

/** TopKV2 over the last axis: values and int32 indices, largest first, ties by the lower index (TF.js CPU). */
export const topK: HostOpDef = (args) => {
  arity(args, 2);
  const x = args[0]!;
  if (x.shape.length === 0) refuse('needs an input of rank 1 or more');
  const [k] = intValues(args[1], 'k');
  const len = x.shape[x.shape.length - 1]!;
  if (k! < 0 || k! > len) refuse(`k must be from 0 to ${len} (the last axis), got ${k}`);
  const rows = sizeOf(x.shape.slice(0, -1));
  const shape = [...x.shape.slice(0, -1), k!];
  // The best k so far, best first: one pass over each row, an element entering only when it beats the
  // k-th (a detector's 1.3 M scores for k = 100 cost one comparison each, not a sort of the row).
  const bestV = new Float64Array(k!);
  const bestI = new Int32Array(k!);
  // TF.js's order: larger first, ties by the lower index (a later equal value never beats), NaN last.
  const beats = (v: number, w: number): boolean => !Number.isNaN(v) && (Number.isNaN(w) || v > w);
  return {
    outs: [
      { shape, dtype: x.dtype },
      { shape: [...shape], dtype: 'int32' },
    ],
    run: ([xv], [ov, oi]) => {
      for (let r = 0; r < rows; r++) {
        let m = 0;
        for (let j = 0; j < len; j++) {
          const v = xv![r * len + j]!;
          let pos: number;
          if (m < k!) pos = m++;
          else if (k! > 0 && beats(v, bestV[k! - 1]!)) pos = k! - 1;
          else continue;
          while (pos > 0 && beats(v, bestV[pos - 1]!)) {
            bestV[pos] = bestV[pos - 1]!;
            bestI[pos] = bestI[pos - 1]!;
            pos--;
          }
          bestV[pos] = v;
          bestI[pos] = j;
        }
        for (let j = 0; j < k!; j++) {
          ov![r * k! + j] = bestV[j]!;
          oi![r * k! + j] = bestI[j]!;
        }
      }
    },
  };
};

/** Softmax over the last axis (max subtracted first). */
export const softmaxLast: HostOpDef = (args) => {
  arity(args, 1);
  const x = args[0]!;
  const len = x.shape[x.shape.length - 1] ?? 1;
  const rows = sizeOf(x.shape) / Math.max(len, 1);
  return {
    outs: [{ shape: [...x.shape], dtype: 'float32' }],
    run: ([xv], [o]) => {
      for (let r = 0; r < rows; r++) {
        let m = -Infinity;
        for (let j = 0; j < len; j++) m = Math.max(m, xv![r * len + j]!);
        let s = 0;
        for (let j = 0; j < len; j++) s += Math.exp(xv![r * len + j]! - m);
        for (let j = 0; j < len; j++) o![r * len + j] = Math.exp(xv![r * len + j]! - m) / s;
      }
    },
  };
};
