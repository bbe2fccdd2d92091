// ONNX image / layout ops against ONNX Runtime: Resize / Upsample (every coordinate and nearest mode,
// scales or sizes, opsets 7..19), ConvTranspose (pads, output_padding, output_shape, auto_pad,
// dilations, group 1 / grouped / depthwise), DepthToSpace / SpaceToDepth, Pad (constant value,
// reflect, edge, any axis). Same bytes in both engines; NCHW and layout 'nhwc'; 1e-4 of the largest
// magnitude. Hostile attributes give a ModelFormatError naming the node.
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { onnx, ort, toNchw, toNhwc } from '../engines/onnx.js';
import { rng } from '../engines/rng.js';
import { compare, G, type Attr } from './onnx-helpers.js';

const TOL = 1e-4;

beforeAll(async () => {
  await sc.init();
});

async function expectMatch(g: G, out: string, inDims: number[], opset: number, seed: number, label: string): Promise<number> {
  const bytes = g.bytes(inDims, out, opset);
  const r = await compare(bytes, inDims, seed);
  expect(r.err, `${label} (nchw)`).toBeLessThanOrEqual(TOL);
  expect(r.errNhwc, `${label} (nhwc)`).toBeLessThanOrEqual(TOL);
  return Math.max(r.err, r.errNhwc);
}

const f32 = (g: G, v: number[]) => g.f([v.length], 0, 0, v);

describe('ONNX Resize / Upsample against ONNX Runtime', () => {
  it('linear and nearest, every coordinate mode PyTorch exports, scales and sizes, opsets 11..19', async () => {
    const coords = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
    const nearest = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
    const targets: { scales?: number[]; sizes?: number[] }[] = [
      { scales: [1, 1, 2, 2] },
      { scales: [1, 1, 1.5, 0.75] },
      { scales: [1, 1, 0.5, 0.5] },
      { sizes: [1, 3, 11, 7] },
      { sizes: [1, 3, 4, 13] },
      { scales: [1, 1, 3, 1] },
    ];
    let worst = 0;
    let i = 0;
    for (const coord of coords) {
      for (const mode of ['linear', 'nearest']) {
        for (const [t, target] of targets.entries()) {
          i++;
          const g = new G(i);
          const opset = [11, 13, 18, 19][i % 4]!;
          const nm = mode === 'nearest' ? nearest[(i + t) % 4] : undefined;
          const roi = opset < 13 ? f32(g, []) : '';
          const sizes = target.sizes ? g.i64(target.sizes.map((d, k) => (k === 0 ? 2 : d))) : '';
          const ins = target.scales ? [roi, f32(g, target.scales)] : [roi, opset < 13 ? f32(g, []) : '', sizes];
          const y = g.node('Resize', ['x', ...ins], { mode, coordinate_transformation_mode: coord, ...(nm ? { nearest_mode: nm } : {}) });
          const label = JSON.stringify({ coord, mode, nm, target, opset });
          worst = Math.max(worst, await expectMatch(g, y, [2, 3, 6, 5], opset, 200 + i, label));
        }
      }
    }
    console.log(`onnx resize: ${i} cases, worst ${worst.toExponential(2)}`);
  });

  it('Resize-18 with axes [2, 3], Resize-10, Upsample-7 (attribute) and Upsample-9 (input)', async () => {
    const cases: [string, (g: G) => string, number][] = [
      ['Resize-18 axes sizes', (g) => g.node('Resize', ['x', '', '', g.i64([9, 4])], { mode: 'linear', axes: [2, 3] }), 18],
      ['Resize-18 axes scales', (g) => g.node('Resize', ['x', '', f32(g, [2, 3])], { mode: 'nearest', axes: [-2, -1] }), 18],
      ['Resize-10 nearest', (g) => g.node('Resize', ['x', f32(g, [1, 1, 2, 3])], { mode: 'nearest' }), 10],
      ['Resize-10 linear', (g) => g.node('Resize', ['x', f32(g, [1, 1, 2, 1.5])], { mode: 'linear' }), 10],
      ['Upsample-7 nearest', (g) => g.node('Upsample', ['x'], { mode: 'nearest', scales: { floats: [1, 1, 2, 2] } }), 7],
      ['Upsample-9 linear', (g) => g.node('Upsample', ['x', f32(g, [1, 1, 2, 2])], { mode: 'linear' }), 9],
    ];
    for (const [k, [label, make, opset]] of cases.entries()) {
      const g = new G(50 + k);
      await expectMatch(g, make(g), [1, 4, 5, 6], opset, 300 + k, label);
    }
  });

  it('sizes computed by a shape subgraph (Shape -> Gather -> Mul -> Cast -> Concat), folded per input size', async () => {
    const g = new G(7);
    const shape = g.node('Shape', ['x']);
    const hw = g.node('Gather', [shape, g.i64([2, 3])], { axis: 0 });
    const twice = g.node('Mul', [hw, g.i64([2])]);
    const nc = g.node('Gather', [shape, g.i64([0, 1])], { axis: 0 });
    const sizes = g.node('Concat', [nc, twice], { axis: 0 });
    const y = g.node('Resize', ['x', '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' });
    await expectMatch(g, g.conv(y, 3, 4, 3, { pads: [1, 1, 1, 1] }), [1, 3, 5, 7], 13, 9, 'shape subgraph');
  });
});

describe('ONNX ConvTranspose against ONNX Runtime', () => {
  it('strides, dilations, pads, output_padding, output_shape, auto_pad; group 1, grouped, depthwise', async () => {
    const attrs: Record<string, Attr | undefined>[] = [
      {},
      { strides: [2, 2] },
      { strides: [2, 2], pads: [1, 1, 1, 1] },
      { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] },
      { strides: [3, 2], pads: [1, 2, 1, 0] },
      { strides: [2, 2], output_shape: [-1, -1] },
      { strides: [2, 2], auto_pad: 'SAME_UPPER' },
      { strides: [2, 1], auto_pad: 'SAME_LOWER' },
      { strides: [2, 2], auto_pad: 'VALID' },
      { dilations: [2, 2], pads: [1, 0, 0, 1] },
      { strides: [2, 2], dilations: [2, 1], output_padding: [1, 0] },
    ];
    let worst = 0;
    let i = 0;
    for (const [cin, cout, group] of [[3, 5, 1], [4, 4, 4], [6, 4, 2], [8, 8, 1]] as const) {
      for (const k of [1, 2, 3, 4]) {
        let a = attrs[i % attrs.length]!;
        i++;
        const inDims = [1 + (i % 2), cin, 4 + (i % 3), 5];
        // output_shape: the full output less one row (which the pads then take, head first).
        if (a.output_shape) a = { ...a, output_shape: [2 * (inDims[2]! - 1) + k - 1, 2 * (inDims[3]! - 1) + k] };
        const g = new G(i);
        const w = g.f([cin, cout / group, k, k], 1 / Math.sqrt(cin * k));
        const ins = i % 2 ? ['x', w, g.f([cout], 0.2)] : ['x', w];
        const y = g.node('ConvTranspose', ins, { ...(group > 1 ? { group } : {}), kernel_shape: i % 3 ? [k, k] : undefined, ...a });
        const label = JSON.stringify({ cin, cout, group, k, a });
        worst = Math.max(worst, await expectMatch(g, y, inDims, i % 2 ? 11 : 17, 400 + i, label));
      }
    }
    console.log(`onnx convTranspose: ${i} cases, worst ${worst.toExponential(2)}`);
  });
});

describe('ONNX DepthToSpace / SpaceToDepth / Pad against ONNX Runtime', () => {
  it('DepthToSpace DCR and CRD, SpaceToDepth, block sizes 1..3', async () => {
    let i = 0;
    for (const b of [1, 2, 3]) {
      for (const mode of ['DCR', 'CRD']) {
        i++;
        const g = new G(i);
        await expectMatch(g, g.node('DepthToSpace', ['x'], { blocksize: b, mode }), [2, 2 * b * b, 3, 4], 13, 500 + i, `DepthToSpace ${b} ${mode}`);
      }
      const g = new G(10 + b);
      await expectMatch(g, g.node('SpaceToDepth', ['x'], { blocksize: b }), [1, 3, 2 * b, 3 * b], 13, 520 + b, `SpaceToDepth ${b}`);
    }
    const g = new G(30);
    await expectMatch(g, g.node('DepthToSpace', ['x'], { blocksize: 2 }), [1, 8, 3, 3], 9, 530, 'DepthToSpace opset 9');
  });

  it('Pad: constant (any value, any axis), reflect, edge; attribute (opset 2) and input forms, axes (opset 18)', async () => {
    const cases: [string, (g: G) => string, number][] = [
      ['zero spatial', (g) => g.node('Pad', ['x', g.i64([0, 0, 1, 2, 0, 0, 3, 0])]), 13],
      ['constant 0.5 spatial', (g) => g.node('Pad', ['x', g.i64([0, 0, 1, 2, 0, 0, 3, 0]), f32(g, [0.5])]), 13],
      ['zero channels', (g) => g.node('Pad', ['x', g.i64([0, 2, 0, 0, 0, 1, 0, 0])]), 13],
      ['constant -1 channels and H', (g) => g.node('Pad', ['x', g.i64([0, 1, 1, 0, 0, 0, 2, 1]), f32(g, [-1])]), 11],
      ['reflect', (g) => g.node('Pad', ['x', g.i64([0, 0, 2, 1, 0, 0, 1, 3])], { mode: 'reflect' }), 13],
      ['reflect channels', (g) => g.node('Pad', ['x', g.i64([0, 2, 0, 0, 0, 1, 0, 0])], { mode: 'reflect' }), 13],
      ['edge', (g) => g.node('Pad', ['x', g.i64([0, 0, 3, 1, 0, 0, 0, 4])], { mode: 'edge' }), 13],
      ['edge channels', (g) => g.node('Pad', ['x', g.i64([0, 1, 1, 0, 0, 2, 0, 1])], { mode: 'edge' }), 13],
      ['attribute form (opset 2) value 2', (g) => g.node('Pad', ['x'], { pads: [0, 0, 1, 1, 0, 0, 1, 1], value: { f: 2 } }), 7],
      ['attribute form reflect', (g) => g.node('Pad', ['x'], { pads: [0, 0, 1, 2, 0, 0, 2, 1], mode: 'reflect' }), 9],
      ['axes [2, 3] (opset 18)', (g) => g.node('Pad', ['x', g.i64([1, 2, 0, 1]), f32(g, [0.25]), g.i64([2, 3])]), 18],
      ['axes [-3] edge (opset 18)', (g) => g.node('Pad', ['x', g.i64([1, 1]), '', g.i64([-3])], { mode: 'edge' }), 18],
    ];
    for (const [k, [label, make, opset]] of cases.entries()) {
      const g = new G(60 + k);
      await expectMatch(g, make(g), [1, 3, 5, 6], opset, 600 + k, label);
    }
  });
});

describe('hostile attributes of image ops', () => {
  const load = (g: G, out: string, opset: number, inDims = [1, 3, 8, 8]) => sc.loadModel(g.bytes(inDims, out, opset));
  const cases: [string, (g: G) => string, number, RegExp][] = [
    ['huge scales', (g) => g.node('Resize', ['x', '', f32(g, [1, 1, 1e9, 1e9])], { mode: 'nearest' }), 13, /scales/],
    ['zero scale', (g) => g.node('Resize', ['x', '', f32(g, [1, 1, 0, 1])], { mode: 'nearest' }), 13, /scales/],
    ['NaN scale', (g) => g.node('Resize', ['x', '', f32(g, [1, 1, NaN, 1])], { mode: 'nearest' }), 13, /scales/],
    ['channel scale', (g) => g.node('Resize', ['x', '', f32(g, [1, 2, 1, 1])], { mode: 'nearest' }), 13, /only H and W/],
    ['cubic', (g) => g.node('Resize', ['x', '', f32(g, [1, 1, 2, 2])], { mode: 'cubic' }), 13, /cubic/],
    ['negative sizes', (g) => g.node('Resize', ['x', '', '', g.i64([1, 3, -4, 4])]), 13, /sizes/],
    ['wrong-length scales', (g) => g.node('Resize', ['x', '', f32(g, [2, 2])]), 13, /scales/],
    ['pads beyond the size (reflect)', (g) => g.node('Pad', ['x', g.i64([0, 0, 9, 0, 0, 0, 0, 0])], { mode: 'reflect' }), 13, /reflect/],
    ['negative pads', (g) => g.node('Pad', ['x', g.i64([0, 0, -9, 0, 0, 0, 0, 0])]), 13, /negative/],
    ['huge pads', (g) => g.node('Pad', ['x', g.i64([0, 0, 2 ** 40, 0, 0, 0, 0, 0])]), 13, /pads/],
    ['pad axis out of range', (g) => g.node('Pad', ['x', g.i64([1, 1]), '', g.i64([7])]), 18, /axis 7/],
    ['batch pad', (g) => g.node('Pad', ['x', g.i64([1, 0, 0, 0, 0, 0, 0, 0])]), 13, /batch/],
    ['ConvTranspose output_padding >= stride', (g) => g.node('ConvTranspose', ['x', g.f([3, 2, 3, 3])], { strides: [2, 2], output_padding: [2, 0] }), 13, /output_padding/],
    ['ConvTranspose pads eat the output', (g) => g.node('ConvTranspose', ['x', g.f([3, 2, 3, 3])], { pads: [9, 0, 9, 0] }), 13, /pads/],
    ['ConvTranspose channel mismatch', (g) => g.node('ConvTranspose', ['x', g.f([4, 2, 3, 3])]), 13, /input channels/],
    ['ConvTranspose huge stride', (g) => g.node('ConvTranspose', ['x', g.f([3, 2, 3, 3])], { strides: [2 ** 31, 1] }), 13, /strides/],
    ['DepthToSpace indivisible', (g) => g.node('DepthToSpace', ['x'], { blocksize: 2 }), 13, /divisible/],
    ['DepthToSpace huge block', (g) => g.node('DepthToSpace', ['x'], { blocksize: 2 ** 20 }), 13, /blocksize/],
    ['SpaceToDepth indivisible', (g) => g.node('SpaceToDepth', ['x'], { blocksize: 3 }), 13, /divisible/],
  ];
  for (const [label, make, opset, msg] of cases) {
    it(label, async () => {
      const g = new G(1);
      const y = make(g);
      const err = await load(g, y, opset).then(
        () => undefined,
        (e) => e,
      );
      expect(err, label).toBeInstanceOf(sc.ModelFormatError);
      expect(String(err.message)).toMatch(msg);
      expect(String(err.message)).toContain(y);
    });
  }
});

describe('QDQ weights (DequantizeLinear of int8 / uint8 initializers, QuantizeLinear -> DequantizeLinear) against ONNX Runtime', () => {
  const q = (g: G, dataType: number, dims: number[], values: number[]): string => {
    const name = g.fresh('q');
    const data = dataType === 3 ? Int8Array.from(values) : Uint8Array.from(values);
    g.inits.push(onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(data.buffer).slice() }));
    return name;
  };
  it('per-tensor and per-channel (axis 0) scales, int8 and uint8 with zero points, feeding a Conv', async () => {
    for (const [k, variant] of ['int8-per-channel', 'uint8-per-tensor', 'quantize-dequantize'].entries()) {
      const g = new G(80 + k);
      const next = () => g.next();
      const [cout, cin] = [6, 3];
      const size = cout * cin * 9;
      let w: string;
      if (variant === 'int8-per-channel') {
        const wq = q(g, 3, [cout, cin, 3, 3], Array.from({ length: size }, () => Math.round(next() * 127)));
        w = g.node('DequantizeLinear', [wq, g.f([cout], 0, 0, Array.from({ length: cout }, (_, i) => 0.01 + i * 0.003)), q(g, 3, [cout], Array.from({ length: cout }, (_, i) => i - 3))], { axis: 0 });
      } else if (variant === 'uint8-per-tensor') {
        const wq = q(g, 2, [cout, cin, 3, 3], Array.from({ length: size }, () => Math.round(128 + next() * 127)));
        w = g.node('DequantizeLinear', [wq, g.f([], 0, 0, [0.02]), q(g, 2, [], [128])]);
      } else {
        const wf = g.f([cout, cin, 3, 3], 0.5);
        const zp = q(g, 3, [], [2]);
        w = g.node('DequantizeLinear', [g.node('QuantizeLinear', [wf, g.f([], 0, 0, [0.004]), zp]), g.f([], 0, 0, [0.004]), zp]);
      }
      const y = g.node('Conv', ['x', w, g.f([cout], 0.2)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      await expectMatch(g, y, [1, cin, 7, 6], 13, 700 + k, `QDQ ${variant}`);
    }
  });

  it('QDQ on activations (a Quantize / Dequantize pair on a computed tensor) is refused, naming the node', async () => {
    const g = new G(90);
    const zp = q(g, 2, [], [128]);
    const y = g.node('DequantizeLinear', [g.node('QuantizeLinear', ['x', g.f([], 0, 0, [0.1]), zp]), g.f([], 0, 0, [0.1]), zp]);
    const e = await sc.loadModel(g.bytes([1, 3, 4, 4], y, 13)).catch((err) => err);
    expect(e).toBeInstanceOf(sc.ModelFormatError);
    expect(String(e.message)).toMatch(/QuantizeLinear.*only supported on constants/);
  });
});

describe('ONNX channel shuffle, Split and Slice of channels against ONNX Runtime', () => {
  it("ShuffleNetV2's channel shuffle (Reshape -> Transpose [0, 2, 1, 3, 4] -> Reshape), constant and Shape-computed targets, groups 2..4", async () => {
    let i = 0;
    for (const [c, groups] of [[8, 2], [12, 3], [12, 4], [6, 2]] as const) {
      for (const computed of [false, true]) {
        i++;
        const g = new G(900 + i);
        const x = g.node('Relu', [g.conv('x', 3, c, 3, { pads: [1, 1, 1, 1] })]);
        let r1: string;
        let r2: string;
        if (computed) {
          const shape = g.node('Shape', [x]);
          const n = g.node('Gather', [shape, g.i64([0])], { axis: 0 });
          const hw = g.node('Gather', [shape, g.i64([2, 3])], { axis: 0 });
          r1 = g.node('Reshape', [x, g.node('Concat', [n, g.i64([groups, c / groups]), hw], { axis: 0 })]);
          const t = g.node('Transpose', [r1], { perm: [0, 2, 1, 3, 4] });
          r2 = g.node('Reshape', [t, g.node('Concat', [n, g.i64([-1]), hw], { axis: 0 })]);
        } else {
          r1 = g.node('Reshape', [x, g.i64([1, groups, c / groups, 5, 6])]);
          r2 = g.node('Reshape', [g.node('Transpose', [r1], { perm: [0, 2, 1, 3, 4] }), g.i64([1, c, 5, 6])]);
        }
        await expectMatch(g, g.conv(r2, c, 4, 1), [1, 3, 5, 6], i % 2 ? 13 : 11, 950 + i, `shuffle c${c} g${groups} ${computed ? 'computed' : 'constant'}`);
      }
    }
  });

  it('Split of channels (attribute / input / num_outputs / equal) and of features, then Concat; Slice of channels with steps', async () => {
    const cases: [string, number, (g: G, x: string) => string][] = [
      ['Split equal (opset 11)', 11, (g, x) => g.node('Concat', g.node('Split', [x], { axis: 1 }, 'split', 2) && [`${g.nodes.at(-1).output[1]}`, `${g.nodes.at(-1).output[0]}`], { axis: 1 })],
      ['Split attribute sizes (opset 11)', 11, (g, x) => { g.node('Split', [x], { axis: 1, split: [2, 6] }, 'split', 2); const o = g.nodes.at(-1).output; return g.node('Add', [g.conv(o[0], 2, 3, 1), g.conv(o[1], 6, 3, 3, { pads: [1, 1, 1, 1] })]); }],
      ['Split input sizes (opset 13)', 13, (g, x) => { g.node('Split', [x, g.i64([5, 3])], { axis: -3 }, 'split', 2); const o = g.nodes.at(-1).output; return g.node('Concat', [o[1], o[0]], { axis: 1 }); }],
      ['Split num_outputs 3 of 8 (opset 18)', 18, (g, x) => { g.node('Split', [x], { axis: 1, num_outputs: 3 }, 'split', 3); const o = g.nodes.at(-1).output; return g.node('Concat', [o[2], o[0], o[1]], { axis: 1 }); }],
      ['Slice channels 2..7 step 2', 13, (g, x) => g.node('Slice', [x, g.i64([2]), g.i64([7]), g.i64([1]), g.i64([2])])],
      ['Slice channels reversed', 13, (g, x) => g.node('Slice', [x, g.i64([-1]), g.i64([-(2 ** 40)]), g.i64([1]), g.i64([-1])])],
      ['Slice channels (attributes, opset 9)', 9, (g, x) => g.node('Slice', [x], { starts: [1], ends: [5], axes: [1] })],
      ['Slice whole H, channels 0..3', 13, (g, x) => g.node('Slice', [x, g.i64([0, 0]), g.i64([2 ** 40, 3]), g.i64([2, 1])])],
    ];
    for (const [k, [label, opset, make]] of cases.entries()) {
      const g = new G(960 + k);
      const x = g.conv('x', 3, 8, 3, { pads: [1, 1, 1, 1] });
      await expectMatch(g, make(g, x), [1, 3, 5, 6], opset, 970 + k, label);
    }
    const g = new G(980);
    const flat = g.node('Flatten', [g.node('GlobalAveragePool', [g.conv('x', 3, 8, 1)])]);
    g.node('Split', [flat, g.i64([3, 5])], { axis: 1 }, 'fsplit', 2);
    await expectMatch(g, g.nodes.at(-1).output[1], [1, 3, 4, 4], 13, 981, 'Split of features');
  });

  it('transposes that move data, and hostile Split / Slice, are refused naming the node', async () => {
    const cases: [string, (g: G) => string, RegExp][] = [
      ['NCHW -> NHWC transpose', (g) => g.node('Transpose', ['x'], { perm: [0, 2, 3, 1] }), /perm \[0,2,3,1\]/],
      ['not a permutation', (g) => g.node('Transpose', ['x'], { perm: [0, 1, 1, 3] }), /not a permutation/],
      ['split sizes not summing', (g) => { g.node('Split', ['x', g.i64([1, 1])], { axis: 1 }, 'bad_split', 2); return g.nodes.at(-1).output[0]; }, /sum to the axis size 3/],
      ['split axis out of range', (g) => { g.node('Split', ['x'], { axis: 9 }, 'bad_split', 2); return g.nodes.at(-1).output[0]; }, /axis 9/],
      ['split of H', (g) => { g.node('Split', ['x'], { axis: 2 }, 'bad_split', 2); return g.nodes.at(-1).output[0]; }, /only splitting channels/],
      ['slice step 0', (g) => g.node('Slice', ['x', g.i64([0]), g.i64([2]), g.i64([1]), g.i64([0])]), /step 0/],
      ['slice of W', (g) => g.node('Slice', ['x', g.i64([1]), g.i64([3]), g.i64([3])]), /only channels/],
      ['shuffle grouping read by Relu', (g) => g.node('Relu', [g.node('Reshape', ['x', g.i64([1, 3, 1, 4, 4])])]), /channel grouping/],
    ];
    for (const [label, make, msg] of cases) {
      const g = new G(1);
      const y = make(g);
      const e = await sc.loadModel(g.bytes([1, 3, 4, 4], y, 13)).catch((err) => err);
      expect(e, label).toBeInstanceOf(sc.ModelFormatError);
      expect(String(e.message), label).toMatch(msg);
      expect(String(e.message), label).toMatch(/ONNX node '/);
    }
  });
});

describe('ONNX multi-output models against ONNX Runtime', () => {
  it('outputs by name in the graph order (an NCHW map, an [N, F] vector, one value named twice), NCHW and NHWC', async () => {
    const g = new G(1000);
    const feat = g.node('Relu', [g.conv('x', 3, 6, 3, { pads: [1, 1, 1, 1], strides: [2, 2] })]);
    const up = g.node('Resize', [feat, '', f32(g, [1, 1, 2, 2])], { mode: 'linear' });
    const vec = g.node('Flatten', [g.node('GlobalAveragePool', [feat])]);
    const idn = g.node('Identity', [up]);
    const vi = (name: string) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1 } } });
    const graph = onnx.GraphProto.create({
      name: 'multi',
      node: g.nodes,
      initializer: g.inits,
      input: [onnx.ValueInfoProto.create({ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [1, 3, 8, 10].map((d) => ({ dimValue: d })) } } } })],
      output: [vi(vec), vi(up), vi(idn)],
    });
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph })).finish();
    const next = rng(5);
    const x = Float32Array.from({ length: 3 * 8 * 10 }, () => next());
    const session = await ort.InferenceSession.create(bytes);
    const want = await session.run({ x: new ort.Tensor('float32', x, [1, 3, 8, 10]) });
    for (const layout of ['nchw', 'nhwc'] as const) {
      const m = await sc.loadOnnxModel(bytes, { layout });
      expect(m.outputNames).toEqual([vec, up, idn]);
      using xt = layout === 'nchw' ? sc.tensor(x, [1, 3, 8, 10]) : sc.tensor(toNhwc(x, [1, 3, 8, 10]), [1, 8, 10, 3]);
      const ys = m.predict(xt, { copy: true }) as sc.Tensor[];
      expect(ys).toHaveLength(3);
      for (const [k, name] of [vec, up, idn].entries()) {
        const w = want[name].data as Float32Array;
        const y = ys[k]!;
        const got = layout === 'nhwc' && y.shape.length === 4 ? toNchw(y.data(), [...y.shape]) : y.data();
        let e = 0;
        let mx = 0;
        for (let i = 0; i < w.length; i++) (e = Math.max(e, Math.abs(got[i]! - w[i]!))), (mx = Math.max(mx, Math.abs(w[i]!)));
        expect(got.length, `${layout} ${name}`).toBe(w.length);
        expect(e / mx, `${layout} ${name}`).toBeLessThanOrEqual(TOL);
        y.dispose();
      }
      m.dispose();
    }
    await session.release();
  });
});

describe('a decoder-like ONNX block on every wasm build against ONNX Runtime', () => {
  it('ConvTranspose, Resize (linear, nearest), reflect Pad, DepthToSpace, channel shuffle, Split', async () => {
    const g = new G(1100);
    const a = g.node('Relu', [g.conv('x', 3, 8, 3, { strides: [2, 2], pads: [1, 1, 1, 1] })]);
    const up = g.node('ConvTranspose', [a, g.f([8, 8, 4, 4], 0.2), g.f([8], 0.2)], { strides: [2, 2], pads: [1, 1, 1, 1] });
    const shuffled = g.node('Reshape', [g.node('Transpose', [g.node('Reshape', [up, g.i64([1, 2, 4, 16, 20])])], { perm: [0, 2, 1, 3, 4] }), g.i64([1, 8, 16, 20])]);
    g.node('Split', [shuffled, g.i64([4, 4])], { axis: 1 }, 'split', 2);
    const [s0, s1] = g.nodes.at(-1).output as string[];
    const padded = g.node('Pad', [s0!, g.i64([0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'reflect' });
    const b = g.conv(padded, 4, 8, 3);
    const d2s = g.node('DepthToSpace', [b], { blocksize: 2, mode: 'CRD' });
    const lin = g.node('Resize', [s1!, '', g.f([4], 0, 0, [1, 1, 2, 2])], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' });
    const near = g.node('Resize', [d2s, '', g.f([4], 0, 0, [1, 1, 1, 1])], { mode: 'nearest' });
    const y = g.node('Concat', [lin, near], { axis: 1 });
    const bytes = g.bytes([1, 3, 16, 20], y, 13);
    const builds = [...(sc.hostHasRelaxedSimd() ? (['relaxed'] as const) : []), 'simd128', 'scalar'] as const;
    try {
      for (const build of builds) {
        await sc.init({ build });
        const r = await compare(bytes, [1, 3, 16, 20], 1101);
        expect(r.err, `decoder block on ${build}`).toBeLessThanOrEqual(TOL);
        expect(r.errNhwc, `decoder block on ${build} (nhwc)`).toBeLessThanOrEqual(TOL);
        console.log(`onnx decoder block on ${build}: err ${r.err.toExponential(2)} / nhwc ${r.errNhwc.toExponential(2)}`);
      }
    } finally {
      await sc.init();
    }
  });
});
