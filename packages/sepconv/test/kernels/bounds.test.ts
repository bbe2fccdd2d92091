// Issue 23, part 1, on the wasm side: sizes that wrap at 2^32 in wasm32's usize reach the raw kernel
// exports (as they did through the ops before TypeScript checked them), and each call must fail with a
// KernelError (the error string the crate returns, not a trap) while touching nothing: canary buffers
// allocated around the call, and the call's own input and output, keep their contents, and a correct
// depthwise conv runs afterwards. Also handles that are freed or of another kind, and buffers that are
// null or run past the end of memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depthwiseConv2d, KernelError, tensor } from '../../src/entry/node.js';
import { depthwiseGeometry } from '../../src/ops/depthwise.js';
import { runtime, type Runtime } from '../../src/runtime/state.js';
import { depthwiseReference } from '../reference.js';
import { expectClose, initForTest, randomArray, rng, TEST_BUILD } from '../helpers.js';

/** The raw exports this file calls, with numbers as the glue takes them. */
type Raw = Record<string, (...args: number[]) => number | undefined>;

let rt: Runtime;
let raw: Raw;
const live: [number, number][] = [];

beforeAll(async () => {
  const info = await initForTest();
  expect(info.build).toBe(TEST_BUILD);
  rt = runtime();
  raw = rt.kernels as unknown as Raw;
});

afterAll(() => {
  for (const [p, n] of live.splice(0)) rt.free(p, n);
});

/** A buffer of `len` floats filled with a seeded pattern; freed after the file. */
function buffer(len: number, seed: number): number {
  const p = rt.alloc(len);
  live.push([p, len]);
  rt.f32(p, len).set(randomArray(len, rng(seed)));
  return p;
}

/** Copies of every buffer allocated so far, to compare after a call. */
function snapshot(): Float32Array[] {
  return live.map(([p, n]) => rt.f32(p, n).slice());
}

function expectUnchanged(before: Float32Array[]): void {
  for (let i = 0; i < before.length; i++) {
    const [p, n] = live[i]!;
    const now = rt.f32(p, n);
    const want = before[i]!;
    let first = -1;
    for (let j = 0; j < n && first < 0; j++) if (!Object.is(now[j], want[j])) first = j;
    expect(first, `buffer ${i} (${n} floats at ${p}) changed at element ${first}`).toBe(-1);
  }
}

/** Canaries (a small tensor and a 4 MiB one) around the call's buffers; returns the call's buffers. */
function around(lens: number[], seed: number): number[] {
  buffer(4096, seed);
  const ptrs = lens.map((n, i) => buffer(n, seed + 1 + i));
  buffer(4096, seed + 50);
  buffer(1 << 20, seed + 51);
  return ptrs;
}

/** Runs `call` and expects a KernelError from the crate's checks (not a trap) naming `needle`, with every buffer intact. */
function expectRefused(op: string, needle: RegExp, call: (k: Raw) => unknown): void {
  const before = snapshot();
  let error: unknown;
  try {
    rt.call(op, () => call(raw));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(KernelError);
  const message = (error as Error).message;
  expect(message).not.toMatch(/trapped|unreachable|out of bounds/);
  expect(message).toMatch(needle);
  expectUnchanged(before);
}

function packDepthwise(kh: number, kw: number, c: number): number {
  const [w] = around([kh * kw * c], 900 + c);
  return rt.call('pack', () => raw.depthwise_pack!(w!, 0, kh, kw, c, 1)!);
}

// [1, 32768, 32769, C]: 4 channels make 2^32 + 2^17 values, 131072 once wrapped to 32 bits; the glue
// passes a length the way the ops did (the true count, wrapped by the i32 conversion).
const [H, W] = [32768, 32769];
const wrapped = (c: number) => (H * W * c) % 2 ** 32;

describe(`sizes that wrap at 2^32 through the ${TEST_BUILD} wasm exports`, () => {
  it('depthwise_conv2d on [1, 32768, 32769, 4] fails and writes nothing', () => {
    const handle = packDepthwise(3, 3, 4);
    expect(wrapped(4)).toBe(131072);
    const [x, y] = around([wrapped(4), wrapped(4)], 1);
    expectRefused('depthwise', /input of 1 x 32768 x 32769 x \d values exceeds/, (k) =>
      k.depthwise_conv2d!(handle, x!, H * W * 4, y!, H * W * 4, 1, H, W, 1, 1, 1, 1, 1, 1, 1, 1, 0),
    );
    raw.depthwise_free!(handle);
  });

  it('pool2d (max) on [1, 32768, 32769, 4] fails and writes nothing', () => {
    const [x, y] = around([wrapped(4), wrapped(4)], 2);
    expectRefused('maxPool', /exceeds/, (k) => k.pool2d!(x!, H * W * 4, y!, H * W * 4, 1, H, W, 4, 2, 2, 1, 1, 0, 1, 0, 1, 1));
  });

  it('conv2d on [1, 32768, 32769, 4] fails and writes nothing', () => {
    const [wt] = around([3 * 3 * 4 * 4], 3);
    const handle = rt.call('pack', () => raw.conv_pack!(wt!, 0, 3, 3, 4, 4, 1)!);
    const [x, y] = around([wrapped(4), wrapped(4)], 4);
    expectRefused('conv2d', /exceeds|too large/, (k) => k.conv2d!(handle, x!, H * W * 4, y!, H * W * 4, 1, H, W, 1, 1, 1, 1, 1, 1, 1, 1, 0));
    raw.conv_free!(handle);
  });

  it('expand_depthwise on [1, 32768, 32769, 4] -> 8 channels fails and writes nothing', () => {
    const [pwW] = around([4 * 8], 5);
    const pw = rt.call('pack', () => raw.gemm_pack!(pwW!, 0, 4, 8)!);
    const dw = packDepthwise(3, 3, 8);
    const ringLen = 3 * W * 8;
    const [x, y, ring] = around([wrapped(4), wrapped(8), ringLen], 6);
    expectRefused('expandDepthwise', /exceeds/, (k) =>
      k.expand_depthwise!(pw, 0, dw, x!, H * W * 4, y!, H * W * 8, ring!, ringLen, 1, H, W, 1, 1, 1, 1, 1, 1, 0),
    );
    raw.gemm_free!(pw);
    raw.depthwise_free!(dw);
  });

  it('spatial_conv2d on [1, 32768, 32769, 4] fails and writes nothing', () => {
    const [v, h] = around([3 * 4, 3 * 4], 7);
    const handle = rt.call('pack', () => raw.spatial_pack!(v!, h!, 0, 3, 3, 4, 1)!);
    const [x, y] = around([wrapped(4), wrapped(4)], 8);
    expectRefused('spatial', /exceeds/, (k) => k.spatial_conv2d!(handle, x!, H * W * 4, y!, H * W * 4, 1, H, W, 1, 1, 1, 1, 1, 1, 0));
    raw.spatial_free!(handle);
  });

  it('global_avg_pool, pad_run and mul_channels_run with wrapping sizes fail and write nothing', () => {
    const [x, y] = around([wrapped(4), 4], 9);
    expectRefused('globalAvgPool', /exceeds/, (k) => k.global_avg_pool!(x!, H * W * 4, y!, 4, 1, H * W, 4));
    const [a, b] = around([wrapped(4), wrapped(4)], 10);
    expectRefused('pad', /exceeds/, (k) => k.pad_run!(a!, H * W * 4, b!, H * W * 4, 1, H, W, 4, 0, 0, 0, 0, 0));
    // 2^16 groups x 2^16 channels = 2^32: a scale of 0 values once wrapped.
    const [s, t, u] = around([16, 16, 16], 11);
    expectRefused('mulChannels', /exceeds/, (k) => k.mul_channels_run!(s!, t!, u!, 16, 2 ** 16, 2 ** 16));
  });

  it('dilations 2^31 (a span that wraps to 1) fail instead of computing a wrong result', () => {
    const handle = packDepthwise(3, 3, 4);
    const [x, y] = around([8 * 8 * 4, 8 * 8 * 4], 12);
    // 'same' pads for dilation 2^31: (3 - 1) * 2^31 + 1 - 1 = 2^32, half on each side.
    const p = 2 ** 31;
    expectRefused('depthwise', /dilation height 2147483648 exceeds/, (k) =>
      k.depthwise_conv2d!(handle, x!, 256, y!, 256, 1, 8, 8, 1, 1, p, p, p, p, p, p, 0),
    );
    raw.depthwise_free!(handle);
  });
});

describe(`handles and buffers the ${TEST_BUILD} wasm exports refuse`, () => {
  it('a freed handle, a handle of another kind and a made-up one', () => {
    const [x, y] = around([5 * 5 * 8, 5 * 5 * 8], 20);
    const call = (handle: number) => (k: Raw) => k.depthwise_conv2d!(handle, x!, 200, y!, 200, 1, 5, 5, 1, 1, 1, 1, 1, 1, 1, 1, 0);
    const freed = packDepthwise(3, 3, 8);
    raw.depthwise_free!(freed);
    expectRefused('depthwise', /not live/, call(freed));
    raw.depthwise_free!(freed); // a second free is a no-op
    const [gw] = around([8 * 8], 21);
    const gemm = rt.call('pack', () => raw.gemm_pack!(gw!, 0, 8, 8)!);
    expectRefused('depthwise', /is a gemm handle, not a depthwise handle/, call(gemm));
    expectRefused('depthwise', /not live/, call(x!));
    raw.gemm_free!(gemm);
  });

  it('a depthwise handle packed for 8 channels with an input of 16', () => {
    const handle = packDepthwise(3, 3, 8);
    const [x, y] = around([5 * 5 * 16, 5 * 5 * 16], 22);
    expectRefused('depthwise', /input has 400 values, expected 200/, (k) =>
      k.depthwise_conv2d!(handle, x!, 400, y!, 400, 1, 5, 5, 1, 1, 1, 1, 1, 1, 1, 1, 0),
    );
    raw.depthwise_free!(handle);
  });

  it('a null buffer, and one that runs past the end of memory', () => {
    const handle = packDepthwise(3, 3, 4);
    const [x, y] = around([8 * 8 * 4, 8 * 8 * 4], 23);
    expectRefused('depthwise', /not a float32 buffer/, (k) => k.depthwise_conv2d!(handle, 0, 256, y!, 256, 1, 8, 8, 1, 1, 1, 1, 1, 1, 1, 1, 0));
    const end = rt.memory.buffer.byteLength;
    expectRefused('depthwise', /runs past the end of memory/, (k) =>
      k.depthwise_conv2d!(handle, x!, 256, end - 512, 256, 1, 8, 8, 1, 1, 1, 1, 1, 1, 1, 1, 0),
    );
    raw.depthwise_free!(handle);
  });

  it('the runtime still computes a correct depthwise conv afterwards', () => {
    const next = rng(99);
    const xs = [1, 9, 7, 12] as const;
    const xd = randomArray(9 * 7 * 12, next);
    const fd = randomArray(3 * 3 * 12, next);
    using x = tensor(xd, [...xs]);
    using f = tensor(fd, [3, 3, 12, 1]);
    using y = depthwiseConv2d(x, f, { padding: 'same' });
    const g = depthwiseGeometry('test', xs, [3, 3], { padding: 'same' });
    expectClose(y.data(), depthwiseReference(xd, xs, fd, 1, g, undefined, 'linear'), { scale: 3 });
  });
});
