// Graph-model (GraphDef) cases for layout and image ops: ResizeBilinear, ResizeNearestNeighbor,
// Conv2DBackpropInput, DepthToSpace, SpaceToDepth, MirrorPad. TF semantics (align_corners,
// half_pixel_centers); the ONNX importer, which lowers to these nodes, passes its exact modes in
// private attrs (`_resize`, `_scale`, `_mode`, `_pads`).
import { formatJson } from '../../errors.js';
import { resolveResize, tfResize, type ResizeOptions } from '../../ops/resize.js';
import { isDim, MAX_DIM } from '../../tensor/limits.js';
import type { Dim } from '../keras-config.js';
import { attrB, attrInts, attrStr, type GraphNode } from './attrs.js';
import type { GraphContext, OpTable, Sym } from './context.js';

/** A thin view of the conversion context, so the handlers read as before. */
interface Ctx {
  symOf(n: GraphNode, i: number): Sym;
  constOf(n: GraphNode, i: number): { shape: number[]; values: Float64Array };
  arity(n: GraphNode): number;
  addLayer(n: GraphNode, className: string, config: Record<string, any>, inputs: Sym[], shape: Dim[], w?: Record<string, Float32Array>): Sym;
  fail(n: GraphNode, msg: string): never;
  attrStr(n: GraphNode, key: string): string | undefined;
  attrInts(n: GraphNode, key: string): number[] | undefined;
  attrB(n: GraphNode, key: string): boolean;
  charge(n: GraphNode, elements: number): void;
}

type OpNode = GraphNode;
type OpSym = Sym;
type GraphOpContext = Ctx;
type OpHandler = (ctx: GraphOpContext, n: OpNode) => OpSym;

const image = (ctx: GraphOpContext, n: OpNode, x: OpSym): [Dim, Dim, number] => {
  if (x.shape.length !== 3 || x.shape[2] === null) ctx.fail(n, `an NHWC image input [N, H, W, C] with known channels, got [null, ${x.shape.join(', ')}]`);
  return x.shape as [Dim, Dim, number];
};

const checkNHWC = (ctx: GraphOpContext, n: OpNode): void => {
  const f = ctx.attrStr(n, 'data_format');
  if (f && f !== 'NHWC') ctx.fail(n, `data_format ${f} (only NHWC is supported)`);
};

const resizeOp =
  (kind: 'bilinear' | 'nearest'): OpHandler =>
  (ctx, n) => {
    const x = ctx.symOf(n, 0);
    const [, , c] = image(ctx, n, x);
    let resize;
    try {
      const own = n.attr?._resize;
      resize = own ? resolveResize(n.name, own as ResizeOptions) : tfResize(n.name, kind, { alignCorners: ctx.attrB(n, 'align_corners'), halfPixelCenters: ctx.attrB(n, 'half_pixel_centers') });
    } catch (e) {
      return ctx.fail(n, (e as Error).message);
    }
    const sc = n.attr?._scale;
    if (sc !== undefined) {
      if (!Array.isArray(sc) || sc.length !== 2 || !sc.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= MAX_DIM)) ctx.fail(n, `scales must be 2 finite numbers in (0, ${MAX_DIM}], got ${formatJson(sc)}`);
      const [h, w] = x.shape as [Dim, Dim];
      const out = [h === null ? null : Math.floor(Math.fround(h * sc[0])), w === null ? null : Math.floor(Math.fround(w * sc[1]))];
      if (out.some((d) => d !== null && (d < 1 || d > MAX_DIM))) ctx.fail(n, `scales ${formatJson(sc)} give an output of ${formatJson(out)} for input ${formatJson(x.shape)}`);
      return ctx.addLayer(n, 'Resize', { scale: [sc[0], sc[1]], resize }, [x], [out[0]!, out[1]!, c]);
    }
    const size = [...ctx.constOf(n, 1).values];
    if (size.length !== 2 || !size.every((d) => isDim(d, 1))) ctx.fail(n, `size must be 2 integers from 1 to ${MAX_DIM}, got ${formatJson(size)}`);
    return ctx.addLayer(n, 'Resize', { size, resize }, [x], [size[0]!, size[1]!, c]);
  };

/** The 4-entry NHWC strides / dilations attrs: spatial entries in [1, MAX_DIM], the others 1. */
const nhwcPair = (ctx: GraphOpContext, n: OpNode, key: string): [number, number] => {
  const v = ctx.attrInts(n, key) ?? [1, 1, 1, 1];
  if (v.length !== 4 || !isDim(v[1], 1) || !isDim(v[2], 1) || v[0] !== 1 || v[3] !== 1) ctx.fail(n, `attr '${key}' must be [1, h, w, 1] with h, w from 1 to ${MAX_DIM}, got ${formatJson(v)}`);
  return [v[1]!, v[2]!];
};

/** TF Conv2DBackpropInput(input_sizes, filter [KH, KW, Cout, Cin], out_backprop): a transposed conv to input_sizes. */
const Conv2DBackpropInput: OpHandler = (ctx, n) => {
  checkNHWC(ctx, n);
  const sizes = [...ctx.constOf(n, 0).values];
  const f = ctx.constOf(n, 1);
  const x = ctx.symOf(n, 2);
  const [h, w, cin] = image(ctx, n, x);
  if (f.shape.length !== 4 || !f.shape.every((d) => isDim(d, 1))) ctx.fail(n, `filter of shape [KH, KW, Cout, Cin], got ${formatJson(f.shape)}`);
  const [kh, kw, cout, fcin] = f.shape as [number, number, number, number];
  if (fcin !== cin) ctx.fail(n, `filter ${formatJson(f.shape)} does not fit ${cin} input channels`);
  if (sizes.length !== 4 || !sizes.slice(1).every((d) => isDim(d, 1)) || sizes[3] !== cout) ctx.fail(n, `input_sizes must be [N, H, W, ${cout}] of positive integers, got ${formatJson(sizes)}`);
  if (h === null || w === null) ctx.fail(n, `a transposed conv needs known input sizes, got ${formatJson(x.shape)}; pass inputShape`);
  const [oh, ow] = [sizes[1]!, sizes[2]!];
  const s = nhwcPair(ctx, n, 'strides');
  const d = nhwcPair(ctx, n, 'dilations');
  const k = [kh, kw];
  const p = (ctx.attrStr(n, 'padding') ?? 'VALID').toUpperCase();
  const pads: number[] = [];
  const opad: number[] = [];
  const own = n.attr?._pads as number[] | undefined;
  for (const [i, [inp, out]] of [[h, oh], [w, ow]].entries()) {
    const eff = (k[i]! - 1) * d[i]! + 1;
    const full = (inp! - 1) * s[i]! + eff;
    let before: number;
    let after: number;
    if (own !== undefined) {
      if (!Array.isArray(own) || own.length !== 4 || !own.every((v) => isDim(v))) ctx.fail(n, `pads must be 4 integers from 0 to ${MAX_DIM}, got ${formatJson(own)}`);
      [before, after] = [own[i * 2]!, own[i * 2 + 1]!];
    } else if (p === 'VALID') [before, after] = [0, 0];
    else if (p === 'SAME') {
      // The forward conv of the output (size out) with SAME gives the input: its pads, the extra at the end.
      const total = Math.max((inp! - 1) * s[i]! + eff - out!, 0);
      before = Math.floor(total / 2);
      after = total - before;
    } else if (p === 'EXPLICIT') {
      const e = ctx.attrInts(n, 'explicit_paddings') ?? [];
      if (e.length !== 8 || !e.every((v) => isDim(v)) || e[0] || e[1] || e[6] || e[7]) ctx.fail(n, `explicit_paddings must pad only H and W, got ${formatJson(e)}`);
      [before, after] = [e[2 + i * 2]!, e[3 + i * 2]!];
    } else return ctx.fail(n, `padding '${p}' is not supported`);
    const extra = out! - (full - before - after);
    if (extra < 0 || extra >= Math.max(s[i]!, d[i]!)) {
      ctx.fail(n, `output ${oh}x${ow} does not fit a ${kh}x${kw} transposed conv (strides ${s.join('x')}, dilations ${d.join('x')}, padding ${p}) of input ${h}x${w}`);
    }
    pads.push(before, after);
    opad.push(extra);
  }
  ctx.charge(n, f.values.length);
  return ctx.addLayer(
    n,
    'Conv2DTranspose',
    { filters: cout, kernel_size: k, strides: s, dilation_rate: d, padding: pads, output_padding: opad, activation: 'linear', use_bias: false },
    [x],
    [oh, ow, cout],
    { kernel: Float32Array.from(f.values) },
  );
};

const depthSpace =
  (toSpace: boolean): OpHandler =>
  (ctx, n) => {
    checkNHWC(ctx, n);
    const x = ctx.symOf(n, 0);
    const [h, w, c] = image(ctx, n, x);
    const b = Number(n.attr?.block_size?.i);
    if (!Number.isSafeInteger(b) || b < 1 || b > 2 ** 15) ctx.fail(n, `block_size must be an integer from 1 to 32768, got ${formatJson(n.attr?.block_size?.i)}`);
    const mode = n.attr?._mode ?? 'DCR';
    if (mode !== 'DCR' && mode !== 'CRD') ctx.fail(n, `mode must be 'DCR' or 'CRD', got ${formatJson(mode)}`);
    if (toSpace) {
      if (c % (b * b) !== 0) ctx.fail(n, `${c} channels are not divisible by block_size^2 = ${b * b}`);
      const out = [h === null ? null : h * b, w === null ? null : w * b, c / (b * b)];
      if (out.some((d) => d !== null && d > MAX_DIM)) ctx.fail(n, `the output ${formatJson(out)} is too large`);
      return ctx.addLayer(n, 'DepthToSpace', { block_size: b, mode }, [x], out);
    }
    if ((h !== null && h % b !== 0) || (w !== null && w % b !== 0)) ctx.fail(n, `height and width ${formatJson(x.shape.slice(0, 2))} must be divisible by block_size ${b}`);
    if (c * b * b > MAX_DIM) ctx.fail(n, `the output has more than ${MAX_DIM} channels`);
    return ctx.addLayer(n, 'SpaceToDepth', { block_size: b }, [x], [h === null ? null : h / b, w === null ? null : w / b, c * b * b]);
  };

/** TF MirrorPad (REFLECT / SYMMETRIC); the ONNX importer also sends CONSTANT (value: input 2) and EDGE. */
const MirrorPad: OpHandler = (ctx, n) => {
  const x = ctx.symOf(n, 0);
  const p = ctx.constOf(n, 1);
  const rank = x.shape.length + 1;
  const v = [...p.values];
  if (v.length !== rank * 2 || !v.every((d) => isDim(d))) ctx.fail(n, `paddings must be [${rank}, 2] integers from 0 to ${MAX_DIM}, got ${formatJson(v)}`);
  if (v[0] || v[1]) ctx.fail(n, 'padding the batch dimension is not supported');
  const m = (ctx.attrStr(n, 'mode') ?? '').toUpperCase();
  const mode = { REFLECT: 'reflect', SYMMETRIC: 'symmetric', CONSTANT: 'constant', EDGE: 'edge' }[m];
  if (!mode) ctx.fail(n, `mode must be REFLECT or SYMMETRIC, got ${formatJson(m)}`);
  const value = mode === 'constant' && ctx.arity(n) > 2 ? ctx.constOf(n, 2).values[0] ?? 0 : 0;
  const paddings = x.shape.map((_, i) => [v[2 + i * 2]!, v[3 + i * 2]!] as [number, number]);
  const out = x.shape.map((d, i) => {
    if (d === null) return null;
    const [b, a] = paddings[i]!;
    const limit = mode === 'reflect' ? d - 1 : mode === 'symmetric' ? d : Infinity;
    if (b > limit || a > limit) ctx.fail(n, `${m} paddings [${b}, ${a}] exceed ${limit} on axis ${i + 1} of size ${d}`);
    const o = d + b + a;
    if (o > MAX_DIM) ctx.fail(n, `padding axis ${i + 1} to ${o} is too large`);
    return o;
  });
  if (mode === 'edge' && Math.max(...v) > 256) ctx.fail(n, `EDGE pads of at most 256, got ${Math.max(...v)}`);
  return ctx.addLayer(n, 'PadND', { paddings, mode, constant_value: value }, [x], out);
};

const view = (c: GraphContext): Ctx => ({
  symOf: (n, i) => c.layerInput(n, i),
  constOf: (n, i) => c.constOf(n, i),
  arity: (n) => (n.input ?? []).filter((s) => !s.startsWith('^')).length,
  addLayer: (n, cls, config, ins, shape, w) => c.addLayer(n, cls, config, ins, shape, w),
  fail: (n, msg) => c.fail(n, msg),
  attrStr,
  attrInts,
  attrB,
  charge: (n, k) => c.charge(n, k),
});

const def = (doc: string, h: OpHandler) => ({ doc, run: (c: GraphContext, n: GraphNode) => h(view(c), n) });

/** The layout / image family: TF ops by name. */
export const LAYOUT_IMAGE_OPS: OpTable = {
  ResizeBilinear: /* @__PURE__ */ def('bilinear resize (align_corners, half_pixel_centers)', resizeOp('bilinear')),
  ResizeNearestNeighbor: /* @__PURE__ */ def('nearest-neighbour resize (align_corners, half_pixel_centers)', resizeOp('nearest')),
  Conv2DBackpropInput: /* @__PURE__ */ def('transposed conv (SAME / VALID / EXPLICIT, strides, dilations)', Conv2DBackpropInput),
  DepthToSpace: /* @__PURE__ */ def('depth to space (NHWC)', depthSpace(true)),
  SpaceToDepth: /* @__PURE__ */ def('space to depth (NHWC)', depthSpace(false)),
  MirrorPad: /* @__PURE__ */ def('reflect / symmetric padding of any axes but the batch', MirrorPad),
};
