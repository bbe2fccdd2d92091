// Image and layout ops: Resize / Upsample (every coordinate mode PyTorch's interpolate exports,
// scales or sizes, nearest_mode variants), ConvTranspose (auto_pad, pads, output_padding,
// output_shape, group 1 / grouped / depthwise), DepthToSpace / SpaceToDepth, and Pad beyond zero
// spatial padding (constant value, reflect, edge, any axis). They lower to the TF-style nodes of
// io/graph-ops/layout-image.ts, with ONNX's exact modes in private attrs.
import { formatJson } from '../../errors.js';
import type { CoordinateTransformationMode, NearestRounding } from '../../ops/resize.js';
import { MAX_ELEMENTS } from '../../tensor/limits.js';
import type { Handler } from './conv.js';
import { fmt, nhwcAxis, tfInts, type Const, type Dim, type Lowering, type OnnxNode, type Sym } from './context.js';
import { MAX_DIM } from './proto.js';

const COORD_MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** The NCHW [N, C, H, W] entries of a per-axis Resize input, `axes` (opset 18) filling the rest with `fill`. */
function perAxis(low: Lowering, n: OnnxNode, v: number[], axes: number[] | undefined, fill: number[], what: string): number[] {
  if (!axes) {
    if (v.length !== 4) low.fail(n, `${what} ${formatJson(v)}: 4 values for an NCHW input`);
    return v;
  }
  if (v.length !== axes.length) low.fail(n, `${what} ${formatJson(v)} do not match axes ${formatJson(axes)}`);
  const out = [...fill];
  axes.forEach((a, i) => {
    const k = a < 0 ? a + 4 : a;
    if (!Number.isInteger(k) || k < 0 || k > 3) low.fail(n, `axis ${a} is out of range for rank 4`);
    out[k] = v[i]!;
  });
  return out;
}

/** Resize (opset 10+) and Upsample (7-9): linear or nearest over H and W of an NCHW map. */
const resize: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  if (x.shape.length !== 4) low.fail(n, `an NCHW input, got ${fmt(x.shape)}`);
  const upsample = n.opType === 'Upsample';
  const modeAttr = low.aStr(n, 'mode', 'nearest');
  const mode = modeAttr === 'bilinear' ? 'linear' : modeAttr;
  if (mode !== 'nearest' && mode !== 'linear') low.fail(n, `mode '${modeAttr}': only 'nearest' and 'linear' are supported`);
  let coord = 'asymmetric';
  let nearest = 'floor';
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  let keepScale: [number, number] | undefined;
  if (upsample || low.opset < 11) {
    // Upsample and Resize-10: asymmetric coordinates, nearest rounds down; scales only.
    if (upsample && low.opset < 9) scales = low.aFloats(n, 'scales');
    else scales = [...low.cst(n, 1).values];
    if (!scales) low.fail(n, 'scales are required');
    if (mode === 'nearest' && scales.some((s) => s < 1)) low.fail(n, `scales ${formatJson(scales)}: nearest downsampling before opset 11 is not supported`);
  } else {
    coord = low.aStr(n, 'coordinate_transformation_mode', 'half_pixel');
    nearest = low.aStr(n, 'nearest_mode', 'round_prefer_floor');
    if (!COORD_MODES.includes(coord)) low.fail(n, `coordinate_transformation_mode '${coord}' is not supported (${COORD_MODES.join(', ')})`);
    if (!NEAREST_MODES.includes(nearest)) low.fail(n, `nearest_mode '${nearest}' is not one of ${NEAREST_MODES.join(', ')}`);
    const policy = low.aStr(n, 'keep_aspect_ratio_policy', 'stretch');
    if (!['stretch', 'not_larger', 'not_smaller'].includes(policy)) low.fail(n, `keep_aspect_ratio_policy '${policy}' is not one of stretch, not_larger, not_smaller`);
    const axes = low.aInts(n, 'axes');
    const sc = low.opt(n, 2);
    const sz = low.opt(n, 3);
    if (sc && sc.kind !== 'const') low.fail(n, 'scales must be a constant (or a shape subgraph folded for the input size)');
    if (sz && sz.kind !== 'const') low.fail(n, 'sizes must be a constant (or a shape subgraph folded for the input size)');
    const scv = sc ? [...(sc as Const).values] : [];
    const szv = sz ? [...(sz as Const).values] : [];
    if (scv.length && szv.length) low.fail(n, 'scales and sizes are both given');
    if (scv.length) scales = perAxis(low, n, scv, axes, [1, 1, 1, 1], 'scales');
    else if (szv.length) sizes = perAxis(low, n, szv, axes, x.shape.map((d) => d ?? -1), 'sizes');
    else low.fail(n, 'neither scales nor sizes is given');
    if (sizes && policy !== 'stretch') {
      // One scale for every resized axis (ONNX's reference: the min / max of size / input over `axes`, all
      // four by default), sizes round(scale * input) half up; the coordinate transform uses that scale.
      if (x.shape.some((d) => d === null)) low.fail(n, `keep_aspect_ratio_policy '${policy}' needs known input sizes; pass inputShape`);
      const on = (axes ?? [0, 1, 2, 3]).map((a) => (a < 0 ? a + 4 : a));
      const ratios = on.map((a) => sizes![a]! / (x.shape[a] as number));
      const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      sizes = x.shape.map((d, a) => (on.includes(a) ? Math.floor(s * (d as number) + 0.5) : (d as number)));
      keepScale = [s, s];
    }
    if (low.aInt(n, 'antialias', 0) !== 0) {
      const down = scales ? scales.some((s) => s < 1) : sizes!.some((s, i) => i > 1 && x.shape[i] !== null && s < x.shape[i]!);
      if (down) low.fail(n, 'antialias=1 when downsampling is not supported');
    }
  }
  const tfOp = mode === 'linear' ? 'ResizeBilinear' : 'ResizeNearestNeighbor';
  const base = n.name || n.output[0]!;
  const own = { mode, coordinateTransformationMode: coord as CoordinateTransformationMode, nearestMode: nearest as NearestRounding, float32Coordinates: true };
  if (scales) {
    if (scales.length !== 4) low.fail(n, `scales ${formatJson(scales)}: 4 values for an NCHW input`);
    if (!scales.every((s) => Number.isFinite(s) && s > 0 && s <= MAX_DIM)) low.fail(n, `scales ${formatJson(scales)} must be finite numbers in (0, ${MAX_DIM}]`);
    if (scales[0] !== 1 || scales[1] !== 1) low.fail(n, `scales ${formatJson(scales)}: only H and W can be resized`);
    const [sh, sw] = [Math.fround(scales[2]!), Math.fround(scales[3]!)];
    const out: Dim[] = [x.shape[2]!, x.shape[3]!].map((d, i) => (d === null ? null : Math.floor(Math.fround(d * [sh, sw][i]!))));
    if (out.some((d) => d !== null && (d < 1 || d > MAX_DIM))) low.fail(n, `scales ${formatJson(scales)} give an output of ${fmt(out)} for input ${fmt(x.shape)}`);
    checkSize(low, n, [x.shape[1]!, ...out]);
    const tf = low.emit(tfOp, base, [x.tf], { _resize: { ...own, scales: [sh, sw] }, _scale: [sh, sw] });
    low.setSym(n, 0, tf, [x.shape[0]!, x.shape[1]!, out[0]!, out[1]!], undefined, x.nonNeg);
    return;
  }
  const s = sizes!;
  if (!s.every((d, i) => i < 2 || (Number.isInteger(d) && d >= 1 && d <= MAX_DIM))) low.fail(n, `sizes ${formatJson(s)} must be integers from 1 to ${MAX_DIM}`);
  if ((s[0] !== -1 && s[0] !== 1 && x.shape[0] !== null && s[0] !== x.shape[0]) || (s[1] !== x.shape[1] && s[1] !== -1)) low.fail(n, `sizes ${formatJson(s)}: only H and W can be resized (input ${fmt(x.shape)})`);
  checkSize(low, n, [x.shape[1]!, s[2]!, s[3]!]);
  const size = low.constNode(`${base}/size`, [s[2]!, s[3]!], [2], true);
  const tf = low.emit(tfOp, base, [x.tf, size], { _resize: keepScale ? { ...own, scales: keepScale.map(Math.fround) } : own });
  low.setSym(n, 0, tf, [x.shape[0]!, x.shape[1]!, s[2]!, s[3]!], undefined, x.nonNeg);
};

function checkSize(low: Lowering, n: OnnxNode, s: Dim[]): void {
  const k = s.reduce<number>((a, d) => a * (d ?? 1), 1);
  if (k > MAX_ELEMENTS) low.fail(n, `the output ${fmt(s)} has more than ${MAX_ELEMENTS} elements per sample`);
}

/** ConvTranspose: W [Cin, Cout/group, KH, KW] -> [KH, KW, Cout, Cin] (groups as a block-diagonal filter). */
const ConvTranspose: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const f = low.cst(n, 1);
  const bias = low.opt(n, 2);
  if (x.shape.length !== 4) low.fail(n, `only 2-D (NCHW) inputs are supported, got ${fmt(x.shape)}`);
  if (f.shape.length !== 4) low.fail(n, `only 2-D transposed convolutions are supported, got a weight of shape ${formatJson(f.shape)}`);
  const [cin, cog, kh, kw] = f.shape as [number, number, number, number];
  const group = low.aInt(n, 'group', 1);
  const c = x.shape[1];
  if (c !== cin || group < 1 || cin % group !== 0) low.fail(n, `weight ${formatJson(f.shape)} with group ${group} does not fit ${c} input channels`);
  const cout = cog * group;
  const kernel = low.aInts(n, 'kernel_shape') ?? [kh, kw];
  if (kernel.length !== 2 || kernel[0] !== kh || kernel[1] !== kw) low.fail(n, `kernel_shape ${formatJson(kernel)} does not match the weight ${formatJson(f.shape)}`);
  const inRange = (v: number) => Number.isInteger(v) && v >= 1 && v <= MAX_DIM;
  const strides = low.aInts(n, 'strides') ?? [1, 1];
  const dil = low.aInts(n, 'dilations') ?? [1, 1];
  if (strides.length !== 2 || !strides.every(inRange)) low.fail(n, `strides ${formatJson(strides)}: two values in [1, ${MAX_DIM}]`);
  if (dil.length !== 2 || !dil.every(inRange)) low.fail(n, `dilations ${formatJson(dil)}: two values in [1, ${MAX_DIM}]`);
  const adj = low.aInts(n, 'output_padding') ?? [0, 0];
  if (adj.length !== 2 || adj.some((v, i) => !Number.isInteger(v) || v < 0 || v >= Math.max(strides[i]!, dil[i]!))) {
    low.fail(n, `output_padding ${formatJson(adj)}: two values each below max(stride, dilation) of its axis`);
  }
  const [h, w] = [x.shape[2]!, x.shape[3]!];
  if (h === null || w === null) low.fail(n, `a transposed conv needs known input sizes, got ${fmt(x.shape)}; pass inputShape`);
  const auto = low.aStr(n, 'auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(auto)) low.fail(n, `auto_pad '${auto}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const given = low.aInts(n, 'output_shape');
  let outShape: number[] | undefined;
  if (given) {
    const g = given.length === 4 ? given.slice(2) : given;
    if (g.length !== 2 || !g.every(inRange)) low.fail(n, `output_shape ${formatJson(given)}: [H, W] of sizes in [1, ${MAX_DIM}]`);
    outShape = g;
  }
  const explicit = low.aInts(n, 'pads');
  if (explicit && (explicit.length !== 4 || explicit.some((v) => !Number.isInteger(v) || v < 0 || v > MAX_DIM))) low.fail(n, `pads ${formatJson(explicit)}: 4 values in [0, ${MAX_DIM}]`);
  const pads: number[] = [];
  const out: number[] = [];
  for (const i of [0, 1]) {
    const [size, k, s, d, a] = [[h, w][i]!, [kh, kw][i]!, strides[i]!, dil[i]!, adj[i]!];
    const full = (size - 1) * s + (k - 1) * d + 1 + a;
    if (outShape && auto === 'NOTSET' && explicit && explicit.some((v) => v !== 0)) low.fail(n, 'both output_shape and pads are given');
    let head: number;
    let tail: number;
    if (outShape || auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
      // ONNX Runtime's rule (checked against it): the total padding from the target size; an odd one goes
      // first with output_shape (unless SAME_LOWER), and last with auto_pad SAME_UPPER alone.
      const target = outShape ? outShape[i]! : size * s;
      // A target past the full output: the rows beyond are output padding (ONNX's negative total padding).
      const total = full - target;
      if (total < 0) {
        if (a - total >= Math.max(s, d)) low.fail(n, `output_shape ${formatJson(given)} is larger than the full transposed output ${full} along axis ${i + 2} by ${-total} (at most ${Math.max(s, d) - 1 - a} more)`);
        adj[i] = a - total;
        pads.push(0, 0);
        out.push(target);
        continue;
      }
      const headFirst = outShape ? auto !== 'SAME_LOWER' : auto === 'SAME_LOWER';
      head = headFirst ? total - Math.floor(total / 2) : Math.floor(total / 2);
      tail = total - head;
    } else if (auto === 'VALID' || !explicit) [head, tail] = [0, 0];
    else [head, tail] = [explicit[i]!, explicit[i + 2]!];
    const o = full - head - tail;
    if (o < 1) low.fail(n, `pads ${formatJson([head, tail])} leave no output along axis ${i + 2} (input ${fmt(x.shape)})`);
    if (outShape && o !== outShape[i]) low.fail(n, `output_shape ${formatJson(given)} is larger than the full transposed output ${full} along axis ${i + 2}`);
    pads.push(head, tail);
    out.push(o);
  }
  // [Cin, Cout/g, KH, KW] -> [KH, KW, Cout, Cin], zeros between groups.
  const cig = cin / group;
  const total = kh * kw * cout * cin;
  if (total > MAX_ELEMENTS || total > 2 ** 26) low.fail(n, `the expanded ${kh}x${kw}x${cout}x${cin} filter is too large`);
  const fw = new Float32Array(total);
  const taps = kh * kw;
  for (let ci = 0; ci < cin; ci++) {
    const g = Math.floor(ci / cig);
    for (let j = 0; j < cog; j++) {
      const co = g * cog + j;
      for (let t = 0; t < taps; t++) fw[(t * cout + co) * cin + ci] = f.values[(ci * cog + j) * taps + t]!;
    }
  }
  const base = n.name || n.output[0]!;
  checkSize(low, n, [cout, out[0]!, out[1]!]);
  const sizesNode = low.constNode(`${base}/output_sizes`, [1, out[0]!, out[1]!, cout], [4], true);
  let tf = low.emit('Conv2DBackpropInput', base, [sizesNode, low.constNode(`${base}/filter`, fw, [kh, kw, cout, cin]), x.tf], {
    strides: tfInts([1, strides[0]!, strides[1]!, 1]),
    dilations: tfInts([1, dil[0]!, dil[1]!, 1]),
    _pads: [pads[0], pads[1], pads[2], pads[3]],
  });
  if (bias) {
    if (bias.kind !== 'const' || bias.values.length !== cout) low.fail(n, `bias must be a constant of ${cout} values`);
    tf = low.emit('BiasAdd', `${base}/bias_add`, [tf, low.constNode(`${base}/bias`, bias.values, [cout])]);
  }
  low.setSym(n, 0, tf, [x.shape[0]!, cout, out[0]!, out[1]!]);
};

const depthSpace =
  (toSpace: boolean): Handler =>
  (low: Lowering, n: OnnxNode) => {
    const x = low.sym(n, 0);
    if (x.shape.length !== 4) low.fail(n, `an NCHW input, got ${fmt(x.shape)}`);
    const b = low.aInt(n, 'blocksize', 0);
    if (b < 1 || b > 2 ** 15) low.fail(n, `blocksize ${b}: an integer from 1 to 32768`);
    const [c, h, w] = [x.shape[1]!, x.shape[2]!, x.shape[3]!];
    if (c === null) low.fail(n, 'unknown channels');
    const mode = low.aStr(n, 'mode', 'DCR');
    if (mode !== 'DCR' && mode !== 'CRD') low.fail(n, `mode '${mode}' is not DCR or CRD`);
    if (!toSpace && mode !== 'DCR') low.fail(n, `mode '${mode}': SpaceToDepth runs in DCR order only`);
    let shape: Dim[];
    if (toSpace) {
      if (c % (b * b) !== 0) low.fail(n, `${c} channels are not divisible by blocksize^2 = ${b * b}`);
      shape = [x.shape[0]!, c / (b * b), h === null ? null : h * b, w === null ? null : w * b];
    } else {
      if ((h !== null && h % b !== 0) || (w !== null && w % b !== 0)) low.fail(n, `height and width ${fmt([h, w])} are not divisible by blocksize ${b}`);
      shape = [x.shape[0]!, c * b * b, h === null ? null : h / b, w === null ? null : w / b];
    }
    const tf = low.emit(toSpace ? 'DepthToSpace' : 'SpaceToDepth', n.name || n.output[0]!, [x.tf], { block_size: { i: b }, _mode: mode });
    low.setSym(n, 0, tf, shape, undefined, x.nonNeg);
  };

/**
 * Pad of any axes but the batch: constant (any value), reflect, edge. Pads as an attribute before
 * opset 11, an input from 11; axes from 18. Zero padding of H and W alone keeps TF's Pad (which a
 * conv can absorb).
 */
export const Pad: Handler = (low: Lowering, n: OnnxNode) => {
  const x = low.sym(n, 0);
  const rank = x.shape.length;
  const mode = low.aStr(n, 'mode', 'constant');
  if (!['constant', 'reflect', 'edge'].includes(mode)) low.fail(n, `mode '${mode}' is not one of constant, reflect, edge`);
  let pads: number[];
  let value = 0;
  if (low.opset < 11) {
    pads = low.aInts(n, low.opset < 2 ? 'paddings' : 'pads') ?? [];
    value = low.aFloat(n, 'value', 0);
  } else {
    pads = [...low.cst(n, 1).values];
    const v = low.opt(n, 2);
    if (v && (v.kind !== 'const' || v.values.length > 1)) low.fail(n, 'constant_value must be a scalar constant');
    if (v && (v as Const).values.length) value = (v as Const).values[0]!;
    const axesV = low.opt(n, 3);
    if (axesV) {
      if (axesV.kind !== 'const') low.fail(n, 'axes must be a constant');
      const axes = [...axesV.values].map((a) => {
        const k = a < 0 ? a + rank : a;
        if (!Number.isInteger(k) || k < 0 || k >= rank) low.fail(n, `axis ${a} is out of range for rank ${rank}`);
        return k;
      });
      if (pads.length !== 2 * axes.length) low.fail(n, `pads ${formatJson(pads)}: ${2 * axes.length} values for axes ${formatJson(axes)}`);
      const full = new Array(2 * rank).fill(0);
      axes.forEach((a, i) => {
        full[a] = pads[i];
        full[a + rank] = pads[i + axes.length];
      });
      pads = full;
    }
  }
  if (pads.length !== 2 * rank || pads.some((p) => !Number.isInteger(p))) low.fail(n, `pads ${formatJson(pads)}: ${2 * rank} integers for an input of rank ${rank}`);
  if (pads.some((p) => p < 0)) low.fail(n, `negative pads ${formatJson(pads)} (cropping) are not supported`);
  if (pads.some((p) => p > MAX_DIM)) low.fail(n, `pads ${formatJson(pads)} exceed ${MAX_DIM}`);
  if (pads[0] || pads[rank]) low.fail(n, `pads ${formatJson(pads)}: padding the batch axis is not supported`);
  if (x.chw && pads.some((p) => p)) low.fail(n, 'padding a flattened CHW map is not supported');
  if (Number.isNaN(value)) low.fail(n, 'a NaN constant_value is not supported');
  const shape = x.shape.map((d, i) => {
    if (d === null) return null;
    const [b, a] = [pads[i]!, pads[i + rank]!];
    if (mode === 'reflect' && (b > d - 1 || a > d - 1)) low.fail(n, `reflect pads [${b}, ${a}] exceed ${d - 1} on axis ${i} of size ${d}`);
    if (d + b + a > MAX_DIM) low.fail(n, `padding axis ${i} to ${d + b + a} is too large`);
    return d + b + a;
  });
  checkSize(low, n, shape.slice(1));
  if (mode === 'edge' && Math.max(...pads) > 256) low.fail(n, `edge pads of at most 256, got ${Math.max(...pads)}`);
  const base = n.name || n.output[0]!;
  const nonNeg = x.nonNeg && (mode !== 'constant' || value >= 0);
  if (rank === 4 && mode === 'constant' && value === 0 && !pads[1] && !pads[5]) {
    const p = low.constNode(`${base}/pads`, [0, 0, pads[2]!, pads[6]!, pads[3]!, pads[7]!, 0, 0], [4, 2], true);
    low.setSym(n, 0, low.emit('Pad', base, [x.tf, p]), shape, undefined, nonNeg);
    return;
  }
  // NHWC order of the per-axis pairs.
  const nhwc: number[] = new Array(2 * rank).fill(0);
  for (let a = 0; a < rank; a++) {
    const t = nhwcAxis(a, rank);
    nhwc[2 * t] = pads[a]!;
    nhwc[2 * t + 1] = pads[a + rank]!;
  }
  const p = low.constNode(`${base}/paddings`, nhwc, [rank, 2], true);
  const ins = [x.tf, p];
  if (mode === 'constant') ins.push(low.constNode(`${base}/value`, [value], []));
  low.setSym(n, 0, low.emit('MirrorPad', base, ins, { mode: { s: btoa(mode.toUpperCase()) } }), shape, x.chw, nonNeg);
};

/** The image / layout ops this module lowers. */
export const IMAGE_OPS: Record<string, Handler> = {
  Resize: resize,
  Upsample: resize,
  ConvTranspose,
  DepthToSpace: /* @__PURE__ */ depthSpace(true),
  SpaceToDepth: /* @__PURE__ */ depthSpace(false),
  Pad,
};

export type { Sym };
