// Elementwise host ops with numpy broadcasting: arithmetic, comparisons, logic, select, unary math
// and casts, in every dtype. `binaryKernel` / `unaryKernel` are the one dispatch point per op: a
// wasm kernel for the float32 case plugs in there.
import { arity, broadcastIndex, broadcastShapes, refuse, sizeOf, toDType, type HostArg, type HostArray, type HostDType, type HostOpDef } from './core.js';

type Bin = (a: number, b: number) => number;

/** TF's FloorMod (the result has the divisor's sign), as TF.js computes it. */
const floorMod: Bin = (a, b) => {
  const r = a % b;
  return (a < 0 && b < 0) || (a >= 0 && b >= 0) ? r : (r + b) % b;
};

/** Binary ops: [function, output dtype ('same' as the inputs, or bool)]. */
export const BINARY: Record<string, [Bin, 'same' | 'bool']> = {
  Add: [(a, b) => a + b, 'same'],
  AddV2: [(a, b) => a + b, 'same'],
  BiasAdd: [(a, b) => a + b, 'same'],
  Sub: [(a, b) => a - b, 'same'],
  Mul: [(a, b) => a * b, 'same'],
  RealDiv: [(a, b) => a / b, 'same'],
  Div: [(a, b) => a / b, 'same'],
  DivNoNan: [(a, b) => (b === 0 ? 0 : a / b), 'same'],
  FloorDiv: [(a, b) => Math.floor(a / b), 'same'],
  FloorMod: [floorMod, 'same'],
  Maximum: [(a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), 'same'],
  Minimum: [(a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), 'same'],
  SquaredDifference: [(a, b) => (a - b) * (a - b), 'same'],
  Pow: [(a, b) => a ** b, 'same'],
  Atan2: [Math.atan2, 'same'],
  Equal: [(a, b) => (a === b ? 1 : 0), 'bool'],
  NotEqual: [(a, b) => (a !== b ? 1 : 0), 'bool'],
  Greater: [(a, b) => (a > b ? 1 : 0), 'bool'],
  GreaterEqual: [(a, b) => (a >= b ? 1 : 0), 'bool'],
  Less: [(a, b) => (a < b ? 1 : 0), 'bool'],
  LessEqual: [(a, b) => (a <= b ? 1 : 0), 'bool'],
  LogicalAnd: [(a, b) => (a && b ? 1 : 0), 'bool'],
  LogicalOr: [(a, b) => (a || b ? 1 : 0), 'bool'],
};

/** Unary ops (TF.js CPU definitions). */
export const UNARY: Record<string, (a: number) => number> = {
  Abs: Math.abs,
  Neg: (a) => -a,
  Sqrt: Math.sqrt,
  Rsqrt: (a) => 1 / Math.sqrt(a),
  Square: (a) => a * a,
  Reciprocal: (a) => 1 / a,
  Exp: Math.exp,
  Expm1: Math.expm1,
  Log: Math.log,
  Log1p: Math.log1p,
  Tanh: Math.tanh,
  Sigmoid: (a) => 1 / (1 + Math.exp(-a)),
  Relu: (a) => (a < 0 ? 0 : a),
  Relu6: (a) => (a < 0 ? 0 : a > 6 ? 6 : a),
  Elu: (a) => (a >= 0 ? a : Math.exp(a) - 1),
  Selu: (a) => (a >= 0 ? 1.0507009873554805 * a : 1.7580993408473766 * (Math.exp(a) - 1)),
  Softplus: (a) => (a > 20 ? a : a < -20 ? Math.exp(a) : Math.log1p(Math.exp(a))),
  Softsign: (a) => a / (1 + Math.abs(a)),
  Floor: Math.floor,
  Ceil: Math.ceil,
  // TF rounds half to even.
  Round: (a) => {
    const f = Math.floor(a);
    const d = a - f;
    return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  },
  Sign: (a) => (a > 0 ? 1 : a < 0 ? -1 : a),
  Sin: Math.sin,
  Cos: Math.cos,
  Tan: Math.tan,
  Asin: Math.asin,
  Acos: Math.acos,
  Atan: Math.atan,
  Sinh: Math.sinh,
  Cosh: Math.cosh,
  Erf: (x) => {
    // Abramowitz-Stegun 7.1.26, as TF.js CPU's erf.
    const s = Math.sign(x);
    const v = Math.abs(x);
    const t = 1 / (1 + 0.3275911 * v);
    return s * (1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-v * v));
  },
  LogicalNot: (a) => (a ? 0 : 1),
  IsNan: (a) => (Number.isNaN(a) ? 1 : 0),
  Identity: (a) => a,
  StopGradient: (a) => a,
};

const isFloat = (d: HostDType): boolean => d === 'float32';

/**
 * The loop of one binary op over `n` outputs, inputs read through broadcast index maps (undefined: same
 * shape as the output); a new closure per prepared op, so each call site sees one `f`. The float32 hot path
 * of a wasm kernel would be selected here, once per op.
 */
export function binaryKernel(op: string, f: Bin, dtype: HostDType, ia: Int32Array | undefined, ib: Int32Array | undefined, n: number): (a: HostArray, b: HostArray, out: HostArray) => void {
  void op;
  const wrap = !isFloat(dtype);
  if (!ia && !ib && !wrap)
    return (a, b, out) => {
      for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
    };
  if (!wrap)
    return (a, b, out) => {
      for (let i = 0; i < n; i++) out[i] = f(a[ia ? ia[i]! : i]!, b[ib ? ib[i]! : i]!);
    };
  return (a, b, out) => {
    for (let i = 0; i < n; i++) out[i] = toDType(f(a[ia ? ia[i]! : i]!, b[ib ? ib[i]! : i]!), dtype);
  };
}

/** The loop of one unary op (the dispatch point of its float32 wasm kernel); a new closure per prepared op. */
export function unaryKernel(op: string, f: (a: number) => number, dtype: HostDType, n: number): (x: HostArray, out: HostArray) => void {
  void op;
  if (isFloat(dtype))
    return (x, out) => {
      for (let i = 0; i < n; i++) out[i] = f(x[i]!);
    };
  return (x, out) => {
    for (let i = 0; i < n; i++) out[i] = toDType(f(x[i]!), dtype);
  };
}

/** A binary host op with numpy broadcasting. */
export function binaryOp(op: string): HostOpDef {
  const [f, kind] = BINARY[op]!;
  return (args: HostArg[]) => {
    arity(args, 2);
    const [a, b] = args as [HostArg, HostArg];
    const shape = broadcastShapes(a.shape, b.shape);
    const same = (s: number[]) => s.length === shape.length && s.every((d, i) => d === shape[i]);
    const ia = same(a.shape) ? undefined : broadcastIndex(a.shape, shape);
    const ib = same(b.shape) ? undefined : broadcastIndex(b.shape, shape);
    const inType = a.dtype === 'float32' || b.dtype === 'float32' ? 'float32' : a.dtype;
    const dtype: HostDType = kind === 'bool' ? 'bool' : inType;
    // Integer division rounds as TF's: truncation of the real quotient for Div on ints.
    const g = !isFloat(inType) && (op === 'Div' || op === 'RealDiv') ? (x: number, y: number) => Math.trunc(x / y) : f;
    const loop = binaryKernel(op, g, dtype, ia, ib, sizeOf(shape));
    return { outs: [{ shape, dtype }], run: (ins, outs) => loop(ins[0]!, ins[1]!, outs[0]!) };
  };
}

/** A unary host op. */
export function unaryOp(op: string): HostOpDef {
  const f = UNARY[op]!;
  return (args: HostArg[]) => {
    arity(args, 1);
    const x = args[0]!;
    const dtype: HostDType = op === 'LogicalNot' || op === 'IsNan' ? 'bool' : x.dtype;
    const loop = unaryKernel(op, f, dtype, sizeOf(x.shape));
    return { outs: [{ shape: [...x.shape], dtype }], run: (ins, outs) => loop(ins[0]!, outs[0]!) };
  };
}

/** Cast to the `DstT` attr's dtype (float -> int truncates, as TF). */
export const cast: HostOpDef = (args, attrs) => {
  arity(args, 1);
  const to = (attrs.to ?? 'float32') as HostDType;
  if (!['float32', 'int32', 'bool', 'uint8'].includes(to)) refuse(`cannot cast to ${String(to)}`);
  const n = sizeOf(args[0]!.shape);
  return {
    outs: [{ shape: [...args[0]!.shape], dtype: to }],
    run: ([x], [o]) => {
      for (let i = 0; i < n; i++) o![i] = toDType(x![i]!, to);
    },
  };
};

/** Select / SelectV2: cond ? a : b, broadcast (Select's rank-1 condition picks rows). */
export function selectOp(v2: boolean): HostOpDef {
  return (args) => {
    arity(args, 3);
    const [c, a, b] = args as [HostArg, HostArg, HostArg];
    let cs = c.shape;
    if (!v2 && c.shape.length === 1 && a.shape.length > 1) cs = [c.shape[0]!, ...new Array<number>(a.shape.length - 1).fill(1)];
    const shape = broadcastShapes(broadcastShapes(cs, a.shape), b.shape);
    if (!v2 && !(a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]))) refuse(`Select needs inputs of one shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    const [ic, ia, ib] = [cs, a.shape, b.shape].map((s) => broadcastIndex(s, shape)) as [Int32Array, Int32Array, Int32Array];
    const n = sizeOf(shape);
    const dtype = a.dtype === 'float32' || b.dtype === 'float32' ? 'float32' : a.dtype;
    return {
      outs: [{ shape, dtype }],
      run: ([cv, av, bv], [o]) => {
        for (let i = 0; i < n; i++) o![i] = cv![ic[i]!] ? av![ia[i]!]! : bv![ib[i]!]!;
      },
    };
  };
}

/** AddN of host values (same shapes, or broadcast). */
export const addN: HostOpDef = (args) => {
  if (args.length < 1) refuse('needs at least one input');
  const shape = args.map((a) => a.shape).reduce((x, y) => broadcastShapes(x, y));
  const idx = args.map((a) => broadcastIndex(a.shape, shape));
  const n = sizeOf(shape);
  const dtype = args.some((a) => a.dtype === 'float32') ? 'float32' : args[0]!.dtype;
  return {
    outs: [{ shape, dtype }],
    run: (ins, [o]) => {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < ins.length; k++) s += ins[k]![idx[k]![i]!]!;
        o![i] = s;
      }
    },
  };
};
