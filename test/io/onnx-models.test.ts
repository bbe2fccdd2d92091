// ONNX import of whole blocks against ONNX Runtime: MobileNetV2-like (conv-bn-relu6, depthwise,
// inverted residual Add, GAP, Gemm head) and MobileNetV3-like (hard-swish, squeeze-excite with
// HardSigmoid, ReduceMean) at opsets 11 and 18; external data files (.onnx + .data) by file map and
// by path, confined to the model's directory; every unsupported op listed in one error;
// truncated / malformed files rejected with ModelFormatError, the runtime usable afterwards.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { rng } from '../engines/rng.js';
import { onnx } from '../engines/onnx.js';
import { compare, externalize, G } from './onnx-helpers.js';

const TOL = 1e-4;

beforeAll(async () => {
  await sc.init();
});

/** conv + BN + activation (relu6 as Clip: attributes before opset 11, inputs from 11). */
function cbr(g: G, x: string, cin: number, cout: number, k: number, opset: number, act: 'relu6' | 'hswish' | 'none', attrs: Record<string, any> = {}): string {
  const y = g.bn(g.conv(x, cin, cout, k, { pads: k > 1 ? [k >> 1, k >> 1, k >> 1, k >> 1] : [0, 0, 0, 0], ...attrs }, false), cout);
  if (act === 'relu6') return opset < 11 ? g.node('Clip', [y], { min: { f: 0 }, max: { f: 6 } }) : g.node('Clip', [y, g.f([], 0, 0, [0]), g.f([], 0, 0, [6])]);
  if (act === 'hswish') return opset >= 14 ? g.node('HardSwish', [y]) : g.node('Div', [g.node('Mul', [y, g.node('Clip', [g.node('Add', [y, g.f([], 0, 0, [3])]), g.f([], 0, 0, [0]), g.f([], 0, 0, [6])])]), g.f([], 0, 0, [6])]);
  return y;
}

/** MobileNetV2: stem, two inverted residual blocks (one with the Add), 1x1 head, GAP, Flatten, Gemm. */
function mobilenetV2(seed: number, opset: number): { g: G; out: string } {
  const g = new G(seed);
  let x = cbr(g, 'x', 3, 8, 3, opset, 'relu6', { strides: [2, 2] });
  const block = (inp: string, cin: number, cout: number, stride: number): string => {
    const e = cbr(g, inp, cin, cin * 4, 1, opset, 'relu6');
    const d = cbr(g, e, cin * 4, cin * 4, 3, opset, 'relu6', { group: cin * 4, strides: [stride, stride] });
    const p = cbr(g, d, cin * 4, cout, 1, opset, 'none');
    return stride === 1 && cin === cout ? g.node('Add', [inp, p]) : p;
  };
  x = block(x, 8, 8, 1);
  x = block(x, 8, 12, 2);
  x = cbr(g, x, 12, 32, 1, opset, 'relu6');
  const flat = g.node('Flatten', [g.node('GlobalAveragePool', [x])]);
  return { g, out: g.node('Gemm', [flat, g.f([10, 32], 0.3), g.f([10], 0.1)], { transB: 1 }) };
}

/** MobileNetV3: hard-swish stem, depthwise + SE (GAP -> conv -> relu -> conv -> HardSigmoid -> Mul), residual, ReduceMean head. */
function mobilenetV3(seed: number, opset: number): { g: G; out: string } {
  const g = new G(seed);
  const x = cbr(g, 'x', 3, 16, 3, opset, 'hswish', { strides: [2, 2] });
  const e = cbr(g, x, 16, 32, 1, opset, 'hswish');
  const d = cbr(g, e, 32, 32, 5, opset, 'hswish', { group: 32 });
  const s = g.node('GlobalAveragePool', [d]);
  const s1 = g.node('Relu', [g.conv(s, 32, 8, 1)]);
  const gate = g.node('HardSigmoid', [g.conv(s1, 8, 32, 1)], { alpha: { f: 1 / 6 }, beta: { f: 0.5 } });
  const se = g.node('Mul', [d, gate]);
  const p = cbr(g, se, 32, 16, 1, opset, 'none');
  const r = g.node('Add', [x, p]);
  const head = cbr(g, r, 16, 48, 1, opset, 'hswish');
  const pooled = opset >= 18 ? g.node('ReduceMean', [head, g.i64([2, 3])], { keepdims: 1 }) : g.node('ReduceMean', [head], { axes: [2, 3], keepdims: 1 });
  const h2 = g.node(opset >= 14 ? 'HardSwish' : 'Relu', [g.conv(pooled, 48, 64, 1)]);
  const flat = g.node('Flatten', [h2]);
  return { g, out: g.node('Gemm', [flat, g.f([64, 10], 0.2), g.f([10], 0.1)]) };
}

// Every wasm build this host runs (relaxed needs relaxed SIMD); the default build is restored after.
const BUILDS = (): ('relaxed' | 'simd128' | 'scalar')[] => [...(sc.hostHasRelaxedSimd() ? (['relaxed'] as const) : []), 'simd128', 'scalar'];

async function onEveryBuild(bytes: Uint8Array, dims: number[], seed: number, label: string): Promise<number[]> {
  let shape: number[] = [];
  try {
    for (const build of BUILDS()) {
      await sc.init({ build });
      const r = await compare(bytes, dims, seed);
      expect(r.err, `${label} on ${build}`).toBeLessThanOrEqual(TOL);
      expect(r.errNhwc, `${label} on ${build} (nhwc)`).toBeLessThanOrEqual(TOL);
      console.log(`onnx ${label} on ${build}: err ${r.err.toExponential(2)} / nhwc ${r.errNhwc.toExponential(2)}`);
      shape = r.shape;
    }
  } finally {
    await sc.init();
  }
  return shape;
}

describe('ONNX MobileNet-like blocks against ONNX Runtime, on every build', () => {
  for (const opset of [9, 11, 18]) {
    it(`MobileNetV2-like at opset ${opset}`, async () => {
      const { g, out } = mobilenetV2(opset, opset);
      expect(await onEveryBuild(g.bytes([2, 3, 32, 30], out, opset), [2, 3, 32, 30], 1, `MobileNetV2-like opset ${opset}`)).toEqual([2, 10]);
    });
  }
  for (const opset of [11, 14, 18]) {
    it(`MobileNetV3-like (SE, hard-swish) at opset ${opset}`, async () => {
      const { g, out } = mobilenetV3(100 + opset, opset);
      expect(await onEveryBuild(g.bytes([1, 3, 33, 28], out, opset), [1, 3, 33, 28], 2, `MobileNetV3-like opset ${opset}`)).toEqual([1, 10]);
    });
  }

  it('a feature-map output comes back NCHW (and NHWC with layout nhwc)', async () => {
    const g = new G(5);
    const x = cbr(g, 'x', 3, 6, 3, 13, 'relu6', { strides: [2, 2] });
    const r = await compare(g.bytes([2, 3, 10, 12], x, 13), [2, 3, 10, 12], 3);
    expect(r.shape).toEqual([2, 6, 5, 6]);
    expect(r.err).toBeLessThanOrEqual(TOL);
    expect(r.errNhwc).toBeLessThanOrEqual(TOL);
  });
});

describe('ONNX external data', () => {
  const { g, out } = mobilenetV2(7, 13);
  const bytes = g.bytes([1, 3, 16, 16], out, 13);

  it('loads .onnx + .data from a file map and from a path, matching ORT on the inline model', async () => {
    const { model, data } = externalize(bytes, 'weights.data');
    expect(model.length).toBeLessThan(bytes.length / 2);
    const r = await compare(bytes, [1, 3, 16, 16], 4, { 'net.onnx': model, 'weights.data': data });
    expect(r.err).toBeLessThanOrEqual(TOL);
    expect(r.errNhwc).toBeLessThanOrEqual(TOL);
    const dir = mkdtempSync(join(tmpdir(), 'sepconv-onnx-'));
    writeFileSync(join(dir, 'net.onnx'), model);
    writeFileSync(join(dir, 'weights.data'), data);
    const r2 = await compare(bytes, [1, 3, 16, 16], 4, join(dir, 'net.onnx'));
    expect(r2.err).toBeLessThanOrEqual(TOL);
  });

  it('by URL: the data file is fetched beside the model (query dropped), nothing outside its directory is fetched', async () => {
    const { model, data } = externalize(bytes, 'sub/weights.data');
    const served = new Map<string, Uint8Array>([
      ['https://models.example/nets/v2/net.onnx', model],
      ['https://models.example/nets/v2/sub/weights.data', data],
    ]);
    const asked: string[] = [];
    const fetch = async (url: string): Promise<Response> => {
      asked.push(url);
      const b = served.get(url.replace(/\?.*$/, ''));
      return b ? new Response(b) : new Response('not found', { status: 404 });
    };
    const r = await compare(bytes, [1, 3, 16, 16], 5, undefined, { fetch, source: 'https://models.example/nets/v2/net.onnx?v=3' });
    expect(r.err).toBeLessThanOrEqual(TOL);
    expect(asked).toContain('https://models.example/nets/v2/sub/weights.data');
    const evil = externalize(bytes, '../../secrets.data').model;
    served.set('https://models.example/nets/v2/evil.onnx', evil);
    asked.length = 0;
    const e = await sc.loadModel('https://models.example/nets/v2/evil.onnx', { fetch }).catch((err) => err);
    expect(e).toBeInstanceOf(sc.ModelFormatError);
    expect(String(e.message)).toMatch(/leaves the model's directory/);
    expect(asked).toEqual(['https://models.example/nets/v2/evil.onnx']);
  });

  it('refuses locations outside the model directory, missing files and short files, naming the initializer', async () => {
    for (const loc of ['../weights.data', '/etc/passwd', 'a/../../x.data', 'https://example.com/w.data', 'C:\\w.data']) {
      const { model, data } = externalize(bytes, loc);
      const e = await sc.loadOnnxModel({ 'net.onnx': model, 'weights.data': data }).catch((err) => err);
      expect(e, loc).toBeInstanceOf(sc.ModelFormatError);
      expect(String(e.message), loc).toMatch(/must name a file beside the model/);
    }
    const { model, data } = externalize(bytes, 'weights.data');
    const missing = await sc.loadOnnxModel({ 'net.onnx': model }).catch((err) => err);
    expect(missing).toBeInstanceOf(sc.ModelFormatError);
    expect(String(missing.message)).toMatch(/weights\.data/);
    const short = await sc.loadOnnxModel({ 'net.onnx': model, 'weights.data': data.subarray(0, data.length - 8) }).catch((err) => err);
    expect(short).toBeInstanceOf(sc.ModelFormatError);
    expect(String(short.message)).toMatch(/initializer 'w_\d+'.*external data 'weights\.data' has \d+ bytes/);
    const bare = await sc.loadOnnxModel(model).catch((err) => err);
    expect(bare).toBeInstanceOf(sc.ModelFormatError);
    expect(String(bare.message)).toMatch(/external data 'weights\.data' cannot be read from this source/);
  });
});

describe('ONNX errors', () => {
  it('lists every unsupported op at once, with node name, op type and domain', async () => {
    const g = new G(1);
    const a = g.node('Erf', ['x'], {}, 'my_erf');
    const b = g.node('Conv', [a, g.f([4, 3, 3, 3])], { kernel_shape: [3, 3] }, 'fine_conv');
    const c = g.node('Einsum', [b], { equation: 'nchw->nchw' }, 'my_einsum');
    const d = g.node('Relu', [c], {}, 'relu');
    g.nodes.push({ ...g.nodes.at(-1), opType: 'FancyOp', domain: 'com.example', name: 'custom_node', input: [d], output: ['z'] });
    const e = await sc.loadModel(g.bytes([1, 3, 8, 8], 'z', 13)).catch((err) => err);
    expect(e).toBeInstanceOf(sc.ModelFormatError);
    const msg = String(e.message);
    expect(msg).toMatch(/3 node\(s\)/);
    expect(msg).toMatch(/my_erf \(Erf, domain 'ai\.onnx'\)/);
    expect(msg).toMatch(/my_einsum \(Einsum, domain 'ai\.onnx'\)/);
    expect(msg).toMatch(/custom_node \(FancyOp, domain 'com\.example'\)/);
    expect(msg).not.toMatch(/fine_conv|relu/);
    expect(sc.SUPPORTED_ONNX_OPS).toContain('Conv');
    expect(sc.SUPPORTED_ONNX_OPS).not.toContain('Erf');
  });

  it('truncated, corrupt or empty bytes, a graph with a dangling input, bad dims: ModelFormatError; runtime stays usable', async () => {
    const { g, out } = mobilenetV2(3, 13);
    const bytes = g.bytes([1, 3, 16, 16], out, 13);
    const bad: [string, Uint8Array][] = [
      ['truncated', bytes.subarray(0, Math.floor(bytes.length * 0.6))],
      ['truncated header', bytes.subarray(0, 3)],
      ['random', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)],
      ['empty', new Uint8Array(0)],
    ];
    for (const [label, b] of bad) {
      const e = await sc.loadModel(b).catch((err) => err);
      expect(e, label).toBeInstanceOf(sc.ModelFormatError);
    }
    const g2 = new G(2);
    g2.node('Relu', ['nowhere'], {}, 'dangling');
    const e2 = await sc.loadModel(g2.bytes([1, 3, 4, 4], 'relu_0', 13)).catch((err) => err);
    expect(e2).toBeInstanceOf(sc.ModelFormatError);
    expect(String(e2.message)).toMatch(/dangling.*'nowhere'/);
    // A weight whose dims overflow the element limit.
    const g3 = new G(3);
    const w = g3.f([1], 0, 0, [1]);
    g3.inits.at(-1).dims = [65536, 65536];
    const e3 = await sc.loadModel(g3.bytes([1, 3, 4, 4], g3.node('Add', ['x', w]), 13)).catch((err) => err);
    expect(e3).toBeInstanceOf(sc.ModelFormatError);
    expect(String(e3.message)).toMatch(/initializer 'w_0'.*more than 1073741823 elements/);
    // Still usable.
    const r = await compare(bytes, [1, 3, 16, 16], 9);
    expect(r.err).toBeLessThanOrEqual(TOL);
  });

  it('300 seeded corruptions of a valid model (bytes flipped, cut, spliced) load or fail with a SepconvError, never another error', async () => {
    const { g, out } = mobilenetV3(77, 13);
    const bytes = g.bytes([1, 3, 16, 16], out, 13);
    const next = rng(1234);
    const pick = (n: number) => Math.floor(((next() + 1) / 2) * n);
    let loaded = 0;
    for (let i = 0; i < 300; i++) {
      const b = new Uint8Array(bytes); // a copy (protobufjs gives a Node Buffer, whose slice() is a view)
      const kind = i % 3;
      if (kind === 0) for (let k = 0; k < 1 + pick(4); k++) b[pick(b.length)] = pick(256);
      const mutated = kind === 1 ? b.subarray(0, pick(b.length)) : kind === 2 ? Uint8Array.from([...b.subarray(0, pick(b.length)), ...b.subarray(pick(b.length))]) : b;
      try {
        const m = await sc.loadOnnxModel(mutated);
        loaded++;
        m.dispose();
      } catch (e) {
        expect(e, `case ${i}: ${(e as Error)?.stack}`).toBeInstanceOf(sc.SepconvError);
      }
    }
    console.log(`onnx corruption fuzz: ${loaded} of 300 still loaded, the rest failed typed`);
  });

  it('open input sizes (dim_param H, W) load once and run at several sizes', async () => {
    const { g, out } = mobilenetV2(11, 13);
    const bytes = g.bytes([1, 3, 16, 16], out, 13);
    const m0 = onnx.ModelProto.decode(bytes);
    m0.graph.input[0].type.tensorType.shape.dim = [{ dimParam: 'N' }, { dimValue: 3 }, { dimParam: 'H' }, { dimParam: 'W' }];
    const open = onnx.ModelProto.encode(m0).finish();
    for (const dims of [[1, 3, 16, 16], [2, 3, 21, 18]]) {
      const fixed = onnx.ModelProto.decode(open);
      fixed.graph.input[0].type.tensorType.shape.dim = dims.map((d) => ({ dimValue: d }));
      const ref = onnx.ModelProto.encode(fixed).finish();
      const r = await compare(ref, dims, 12, open);
      expect(r.err, JSON.stringify(dims)).toBeLessThanOrEqual(TOL);
      expect(r.errNhwc, JSON.stringify(dims)).toBeLessThanOrEqual(TOL);
    }
  });

  it('attributes and sizes past the shared limits (MAX_DIM 2^31-1, MAX_ELEMENTS 2^30-1) are ModelFormatErrors naming the node', async () => {
    const cases: [string, (g: G) => string, RegExp][] = [
      ['stride 2^31', (g) => g.node('Conv', ['x', g.f([4, 3, 1, 1])], { kernel_shape: [1, 1], strides: [2 ** 31, 1] }, 'big_stride'), /big_stride.*strides/],
      ['kernel_shape 0', (g) => g.node('MaxPool', ['x'], { kernel_shape: [0, 2] }, 'zero_kernel'), /zero_kernel.*kernel_shape/],
      ['dilated span', (g) => g.node('Conv', ['x', g.f([4, 3, 2, 2])], { kernel_shape: [2, 2], dilations: [2 ** 31 - 1, 2] }, 'wide_dil'), /wide_dil.*spans more than 2147483647/],
      ['pads 2^40', (g) => g.node('Conv', ['x', g.f([4, 3, 1, 1])], { kernel_shape: [1, 1], pads: [2 ** 40, 0, 0, 0] }, 'huge_pad'), /huge_pad.*pads/],
      ['output of 2^30+ elements', (g) => g.node('Pad', ['x', g.i64([0, 0, 40000, 40000, 0, 0, 40000, 40000])], {}, 'big_out'), /big_out.*more than 1073741823 elements/],
    ];
    for (const [label, make, re] of cases) {
      const g = new G(1);
      const e = await sc.loadModel(g.bytes([1, 3, 8, 8], make(g), 13)).catch((err) => err);
      expect(e, label).toBeInstanceOf(sc.ModelFormatError);
      expect(String(e.message), label).toMatch(re);
    }
  });

  it('a wrong input layout or rank is a ShapeError', async () => {
    const { g, out } = mobilenetV2(4, 13);
    const m = await sc.loadModel(g.bytes([1, 3, 16, 16], out, 13));
    const x = sc.tensor(new Float32Array(3 * 16 * 16), [1, 16, 16, 3]);
    expect(() => m.predict(x)).toThrow(sc.ShapeError);
    const x3 = sc.tensor(new Float32Array(3 * 16 * 16), [3, 16, 16]);
    expect(() => m.predict(x3)).toThrow(sc.ShapeError);
    x.dispose();
    x3.dispose();
    m.dispose();
  });
});
