// The fast-check arbitraries of the op-level fuzz, shared by the root suite (test/fuzz/ops.fuzz.test.ts, through
// the built package in a child process) and the package's per-build suite (packages/sepconv/test/fuzz/).
import fc from 'fast-check';
import { ALLOC_CAP, LIMIT_INTS, NOT_SIZES, elements, validShape } from './spec.mjs';

export const small = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
const limitInt = fc.constantFrom(...LIMIT_INTS);
const notSize = fc.constantFrom(...NOT_SIZES);
/** A dimension: mostly small, often at a limit, sometimes not a size at all. */
const dim = fc.oneof({ arbitrary: small(0, 6), weight: 6 }, { arbitrary: limitInt, weight: 3 }, { arbitrary: notSize, weight: 1 });
/** Shapes whose products wrap at 2**32 or pass the element limit. */
const wrapShapes = fc.constantFrom<number[]>([2 ** 32 + 8], [65536, 65537], [1, 32768, 32769, 4], [1, 65536, 65536, 1], [2 ** 31, 2], [2 ** 16, 2 ** 16, 2 ** 16], [1, 2 ** 31 - 1, 2 ** 31 - 1, 3], [0, 2 ** 32]);
/** Drawn shapes are either outside the limits (must be refused) or small enough to allocate on CI. */
const drawable = (s: readonly unknown[]) => !validShape(s) || elements(s) <= ALLOC_CAP;
export const shapeArb = fc.oneof({ arbitrary: fc.array(dim, { maxLength: 5 }), weight: 4 }, { arbitrary: wrapShapes, weight: 1 }).filter(drawable);

/** A stride / dilation / pool size option: a number, a pair, or absent. */
const scalarOpt = fc.oneof({ arbitrary: small(1, 3), weight: 6 }, { arbitrary: limitInt, weight: 2 }, { arbitrary: notSize, weight: 1 });
const pairOpt = fc.oneof({ arbitrary: scalarOpt, weight: 4 }, { arbitrary: fc.tuple(scalarOpt, scalarOpt), weight: 2 }, { arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fc.constantFrom([1], [1, 1, 1], 'same'), weight: 1 });
const padVal = fc.oneof({ arbitrary: small(0, 3), weight: 6 }, { arbitrary: limitInt, weight: 2 }, { arbitrary: notSize, weight: 1 });
const convPadding = fc.oneof(
  { arbitrary: fc.constantFrom('same', 'valid'), weight: 6 },
  { arbitrary: fc.tuple(padVal, padVal, padVal, padVal), weight: 3 },
  { arbitrary: fc.constantFrom('SAME', 'causal', 3, [1, 1], undefined), weight: 1 },
);
const pad2d = fc.oneof(padVal, fc.tuple(padVal, padVal), fc.tuple(fc.tuple(padVal, padVal), fc.tuple(padVal, padVal)));

/** An NHWC input: mostly small and valid, sometimes with a dimension at a limit. */
const xShapeArb = fc
  .oneof(
    { arbitrary: fc.tuple(small(1, 2), small(0, 9), small(0, 9), small(1, 5)), weight: 8 },
    { arbitrary: fc.tuple(small(1, 2), dim, dim, small(1, 5)), weight: 2 },
    { arbitrary: wrapShapes, weight: 1 },
  )
  .filter(drawable);

export const opArb = fc
  .record({
    op: fc.constantFrom('depthwise', 'conv', 'maxPool', 'avgPool', 'pad', 'add', 'relu'),
    xShape: xShapeArb,
    kh: fc.oneof({ arbitrary: small(1, 4), weight: 8 }, { arbitrary: dim, weight: 1 }),
    kw: fc.oneof({ arbitrary: small(1, 4), weight: 8 }, { arbitrary: dim, weight: 1 }),
    fOut: small(1, 3),
    channelDelta: fc.oneof({ arbitrary: fc.constant(0), weight: 9 }, { arbitrary: small(1, 2), weight: 1 }),
    bShape: fc.option(xShapeArb, { freq: 4 }),
    strides: pairOpt,
    dilations: pairOpt,
    poolSize: pairOpt,
    padding: convPadding,
    pad: pad2d,
    seed: small(1, 1000),
  })
  .map((r) => {
    const c = Array.isArray(r.xShape) ? r.xShape[3] : 1;
    const fShape = r.op === 'depthwise' || r.op === 'conv' ? [r.kh, r.kw, typeof c === 'number' ? c + r.channelDelta : c, r.fOut] : undefined;
    const opts: Record<string, unknown> =
      r.op === 'depthwise' || r.op === 'conv'
        ? { strides: r.strides, dilations: r.dilations, padding: r.padding }
        : r.op === 'maxPool' || r.op === 'avgPool'
          ? { poolSize: r.poolSize, strides: r.strides, padding: r.padding }
          : r.op === 'pad'
            ? { padding: r.pad }
            : {};
    return { type: 'op', op: r.op, xShape: r.xShape, fShape, bShape: r.op === 'add' ? (r.bShape ?? r.xShape) : undefined, opts, seed: r.seed };
  })
  .filter((c) => !c.fShape || drawable(c.fShape));


/** A change to a tensor's shape / size / dtype after creation, then an op on it. */
export const mutateArb = fc.record({
  mutation: fc.constantFrom('index', 'first', 'push', 'pop', 'splice', 'length', 'reverse', 'fillShape', 'assignShape', 'defineShape', 'assignSize', 'defineSize', 'assignDtype'),
  value: fc.constantFrom(64, 200, 0, 1, 2 ** 31, 2 ** 32 + 1, -1, NaN),
  op: fc.constantFrom('relu', 'add', 'depthwise', 'maxPool', 'pad', 'data'),
  seed: small(1, 1000),
});

/** zeros / fill / tensor of a drawn shape. */
export const shapeCaseArb = fc.record({ dims: shapeArb, ctor: fc.constantFrom('zeros', 'fill', 'tensor') });

// The inputs issues 23 and 29 name, run first by every property (then the drawn cases).
type OpCase = typeof opArb extends fc.Arbitrary<infer T> ? T : never;
const big = [1, 32768, 32769, 4];
export const SHAPE_EXAMPLES: { dims: unknown[]; ctor: 'zeros' | 'fill' | 'tensor' }[] = [
  { dims: [2 ** 32 + 8], ctor: 'zeros' },
  { dims: [65536, 65537], ctor: 'zeros' },
  { dims: [65536, 65537], ctor: 'tensor' },
];
export const OP_EXAMPLES = [
  { type: 'op', op: 'add', xShape: big, fShape: undefined, bShape: big, opts: {}, seed: 1 },
  { type: 'op', op: 'depthwise', xShape: big, fShape: [3, 3, 4, 1], bShape: undefined, opts: { padding: 'same' }, seed: 1 },
  { type: 'op', op: 'maxPool', xShape: big, fShape: undefined, bShape: undefined, opts: { poolSize: 3, strides: 1, padding: 'same' }, seed: 1 },
  { type: 'op', op: 'depthwise', xShape: [1, 6, 6, 3], fShape: [3, 3, 3, 1], bShape: undefined, opts: { dilations: 2 ** 31, padding: 'same' }, seed: 1 },
  { type: 'op', op: 'conv', xShape: [1, 6, 6, 3], fShape: [3, 3, 3, 2], bShape: undefined, opts: { dilations: 2 ** 31, padding: 'same' }, seed: 1 },
  { type: 'op', op: 'depthwise', xShape: [1, 6, 6, 3], fShape: [3, 3, 3, 1], bShape: undefined, opts: { strides: 2 ** 32 + 1, padding: 'same' }, seed: 1 },
  { type: 'op', op: 'depthwise', xShape: [1, 6, 6, 3], fShape: [3, 3, 3, 1], bShape: undefined, opts: { strides: 0 }, seed: 1 },
] as unknown as OpCase[];
export const MUTATE_EXAMPLES: { mutation: string; value: number; op: string; seed: number }[] = [
  { mutation: 'first', value: 64, op: 'add', seed: 1 },
  { mutation: 'splice', value: 200, op: 'relu', seed: 1 },
];
