// The roof: peak f32x4 mul+add throughput of this machine under the wasm engine running the bench,
// measured by a tiny hand-assembled wasm kernel (no toolchain needed). Each iteration loads one
// vector from a 1 KiB ring in linear memory and does `acc_i = f32x4.add(acc_i, f32x4.mul(a, b_(i%nb)))`
// on nacc independent accumulators, so the adds form nacc independent chains (enough to cover the
// add latency on two FP add pipes) and the muls are off the chains. Counted as 2 flops per lane per
// mul+add, the same convention as the kernels' GFLOP/s (2 x MACs).

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const str = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const f32const = (x: number) => {
  const b = new Uint8Array(new Float32Array([x]).buffer);
  return [0x43, ...b];
};
const F32X4_SPLAT = 0x13;
const F32X4_EXTRACT = 0x1f;
const V128_LOAD = 0x00;
const F32X4_ADD = 0xe4;
const F32X4_MUL = 0xe6;

/** `(func (export "roof") (param $n i32) (result f32))` and an exported 1-page memory. */
export function roofModuleBytes(nacc = 8, nb = 4): Uint8Array {
  // locals: 0 n, 1 p (i32), 2 a, 3.. b_j, then acc_i (v128)
  const A = 2;
  const B = (j: number) => 3 + j;
  const ACC = (i: number) => 3 + nb + i;
  const body: number[] = [];
  for (let j = 0; j < nb; j++) body.push(...f32const(1 + j / 1024), ...simd(F32X4_SPLAT), ...set(B(j)));
  body.push(0x03, 0x40); // loop
  body.push(...get(1), ...simd(V128_LOAD, 4, 0), ...set(A)); // a = v128.load(p)
  body.push(...get(1), 0x41, ...sleb(16), 0x6a, 0x41, ...sleb(1023), 0x71, ...set(1)); // p = (p + 16) & 1023
  for (let i = 0; i < nacc; i++) {
    body.push(...get(ACC(i)), ...get(A), ...get(B(i % nb)), ...simd(F32X4_MUL), ...simd(F32X4_ADD), ...set(ACC(i)));
  }
  body.push(...get(0), 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b); // n = n - 1 (tee); br_if 0; end loop
  // sum the accumulators into one f32 so nothing is dead
  body.push(...get(ACC(0)));
  for (let i = 1; i < nacc; i++) body.push(...get(ACC(i)), ...simd(F32X4_ADD));
  body.push(...simd(F32X4_EXTRACT, 0), 0x0b);
  const locals = vec([
    [1, I32],
    [1 + nb + nacc, V128],
  ]);
  return oneFunctionModule('roof', [I32], [F32], [...locals, ...body], 1);
}

/** A module of one exported function `name` (params -> results, `func` = locals + body) and an exported memory of `pages`. */
function oneFunctionModule(name: string, params: number[], results: number[], func: number[], pages: number): Uint8Array {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))]])),
    ...section(3, vec([[0]])), // function 0 has type 0
    ...section(5, vec([[0x00, ...uleb(pages)]])), // memory, min `pages`
    ...section(7, vec([[...str(name), 0x00, 0], [...str('memory'), 0x02, 0]])),
    ...section(10, vec([[...uleb(func.length), ...func]])),
  ];
  return new Uint8Array(bytes);
}

export interface RoofResult {
  gflops: number;
  variant: string;
  variants: { variant: string; gflops: number }[];
  seconds: number;
}

export class Roof {
  private fns: { variant: string; fn: (n: number) => number; flopsPerIter: number }[] = [];
  private best = new Map<string, number>();

  constructor(shapes: [number, number][] = [[8, 4], [10, 2], [8, 2], [6, 3]]) {
    for (const [nacc, nb] of shapes) {
      const inst = new WebAssembly.Instance(new WebAssembly.Module(roofModuleBytes(nacc, nb) as Uint8Array<ArrayBuffer>));
      new Float32Array((inst.exports.memory as WebAssembly.Memory).buffer, 0, 256).fill(0.5);
      this.fns.push({ variant: `${nacc} acc x ${nb} b`, fn: inst.exports.roof as (n: number) => number, flopsPerIter: nacc * 8 });
    }
  }

  /** One timed shot of every variant (about `ms` each); keeps the best rate seen. */
  sample(ms = 20): void {
    for (const v of this.fns) {
      let n = 1 << 16;
      for (;;) {
        const t0 = performance.now();
        v.fn(n);
        const dt = performance.now() - t0;
        if (dt >= ms || n > 1 << 30) {
          const g = (v.flopsPerIter * n) / (dt * 1e6);
          this.best.set(v.variant, Math.max(this.best.get(v.variant) ?? 0, g));
          break;
        }
        n = Math.min(n * Math.max(2, Math.ceil((ms * 1.2) / Math.max(dt, 0.05))), 1 << 30);
      }
    }
  }

  result(): RoofResult {
    const variants = [...this.best].map(([variant, gflops]) => ({ variant, gflops }));
    const top = variants.reduce((a, b) => (b.gflops > a.gflops ? b : a), { variant: 'none', gflops: -Infinity });
    return { gflops: top.gflops, variant: top.variant, variants, seconds: 0 };
  }
}

const V128_STORE = 0x0b;

/**
 * `(func (export "stream") (param $src i32) (param $dst i32) (param $n i32))`: copies n x 64 bytes,
 * four v128 load/store pairs per iteration, over a memory of `pages` 64 KiB pages (exported).
 */
export function streamModuleBytes(pages: number): Uint8Array {
  const body: number[] = [0x03, 0x40]; // loop
  for (let i = 0; i < 4; i++) body.push(...get(1), ...get(0), ...simd(V128_LOAD, 4, ...uleb(16 * i)), ...simd(V128_STORE, 4, ...uleb(16 * i)));
  body.push(...get(0), 0x41, ...sleb(64), 0x6a, ...set(0)); // src += 64
  body.push(...get(1), 0x41, ...sleb(64), 0x6a, ...set(1)); // dst += 64
  body.push(...get(2), 0x41, 1, 0x6b, 0x22, 2, 0x0d, 0, 0x0b, 0x0b); // n = n - 1 (tee); br_if 0; end loop; end
  return oneFunctionModule('stream', [I32, I32, I32], [], [...vec([]), ...body], pages);
}

export interface MemoryRoofResult {
  /** Best rate of bytes read + bytes written, GB/s. */
  gbps: number;
  bufferMiB: number;
}

/**
 * The memory roof: a wasm v128 copy between two buffers far larger than the caches, counted as bytes
 * read + bytes written (the same bytes the kernels' intensity counts); the best rate seen.
 */
export class MemoryRoof {
  private fn: (src: number, dst: number, n: number) => void;
  private readonly bytes: number;
  private best = 0;

  constructor(bufferMiB = 64) {
    this.bytes = bufferMiB << 20;
    const pages = (2 * this.bytes) / 65536 + 1;
    const inst = new WebAssembly.Instance(new WebAssembly.Module(streamModuleBytes(pages) as Uint8Array<ArrayBuffer>));
    new Float32Array((inst.exports.memory as WebAssembly.Memory).buffer).fill(0.5);
    this.fn = inst.exports.stream as (src: number, dst: number, n: number) => void;
  }

  sample(): void {
    const n = this.bytes / 64;
    const t0 = performance.now();
    this.fn(65536, 65536 + this.bytes, n);
    const ms = performance.now() - t0;
    this.best = Math.max(this.best, (2 * this.bytes) / (ms * 1e6));
  }

  result(): MemoryRoofResult {
    return { gbps: this.best, bufferMiB: this.bytes >> 20 };
  }
}
