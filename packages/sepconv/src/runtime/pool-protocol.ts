import type { WasmMemory, WasmModule } from './wasm-types.js';

// The shared control block between the calling thread and the pool's workers (a SharedArrayBuffer of
// its own, beside the wasm memory). One job at a time: the caller writes the export's id and
// arguments, bumps GEN and wakes the workers; each runs its part, and the last one wakes the caller.

/** Most threads `threads: 'auto'` picks (beyond this, per-op barriers eat the gain on these op sizes). */
export const AUTO_THREADS_CAP = 8;
/** Most threads `threads: n` takes (the kernels' split limit, sepconv_kernels::split::MAX_PARTS). */
export const MAX_THREADS = 64;

/** Int32 slots of the control block. */
// GEN is a sequence lock: odd while the caller writes a job, even (the job's id) once it is ready.
export const GEN = 0; // job counter; workers Atomics.wait on it while idle
export const PENDING = 1; // worker parts not yet done in the current job
export const FN = 2; // index into PART_EXPORTS
export const PARTS = 3; // parts of the job (the caller runs part 0)
export const NARGS = 4;
export const ERROR_FROM = 5; // 0, or 1 + the index of the first worker whose part failed
export const STOP = 6; // 1: workers leave their loop
export const ERROR_LEN = 7;
export const SPIN_US = 8; // how long workers poll for the next job before they sleep (set by the caller)
/** Float64 arguments start at this byte offset; at most MAX_ARGS of them. */
export const ARGS_BYTE = 64;
export const MAX_ARGS = 32;
/** The first worker error's text (UTF-16 code units) starts here. */
export const ERROR_BYTE = ARGS_BYTE + MAX_ARGS * 8;
export const ERROR_CHARS = 1024;
export const CONTROL_BYTES = ERROR_BYTE + ERROR_CHARS * 2;

/** The threaded builds' `*_part` exports, by id (the same list in the caller and the workers). */
export const PART_EXPORTS = [
  'gemm_run_part',
  'depthwise_conv2d_part',
  'conv2d_part',
  'pool2d_part',
  'expand_depthwise_part',
  'add_run_part',
  'mul_run_part',
  'activation_run_part',
] as const;

/** The message that starts a worker. */
export interface StartMessage {
  /** The threaded build's WebAssembly.Module. */
  module: WasmModule;
  /** Its shared WebAssembly.Memory. */
  memory: WasmMemory;
  control: SharedArrayBuffer;
  /** This worker's part number (1-based: the caller runs part 0). */
  part: number;
}

/** A worker's answer to the start message. */
export type ReadyMessage = { ok: true } | { ok: false; error: string };

type PartFn = (...args: number[]) => void;

/**
 * How long (ms) a worker keeps polling the job counter after its last job before it sleeps in
 * Atomics.wait, when the pool's threads fit the device's cores (more threads than cores: 0, they
 * would poll on a core another thread needs). A model's ops come one after another with a little JS
 * between them; a sleeping worker takes a futex wake to start the next one (measured 30-70 us on a
 * 2-core KVM guest: more than a small op's whole part), a polling worker well under a microsecond.
 * After this long without a job the worker sleeps: an idle pool burns no CPU. Measured with
 * `node bench/run.mjs --threads` (its "barrier" rows: spin 0 vs this).
 */
export const SPIN_MS = 1;
/** Polls between clock reads while spinning (a clock read costs about what 50 loads of the counter do). */
const SPIN_CHECK = 256;

/**
 * Polls `ctl[at]` until it differs from `value` or `ms` passed; returns the value last read. The caller
 * then blocks in Atomics.wait if nothing changed. Pure loads: no store, no cache-line ping-pong with
 * the thread that will write it.
 */
export function spinWhile(ctl: Int32Array, at: number, value: number, ms: number): number {
  if (ms <= 0) return Atomics.load(ctl, at);
  const end = performance.now() + ms;
  for (;;) {
    for (let i = 0; i < SPIN_CHECK; i++) {
      const v = Atomics.load(ctl, at);
      if (v !== value) return v;
    }
    if (performance.now() >= end) return Atomics.load(ctl, at);
  }
}

/**
 * A worker's loop: sleep in Atomics.wait until the job counter moves, run this worker's part of the
 * job when the job has that many parts, count down, wake the caller when last. Returns on STOP.
 */
export function serve(control: SharedArrayBuffer, part: number, exports: Record<string, unknown>): void {
  const ctl = new Int32Array(control);
  const args = new Float64Array(control, ARGS_BYTE, MAX_ARGS);
  const fns = PART_EXPORTS.map((name) => exports[name] as PartFn);
  // 0, not a load of GEN: the caller may post the first job between this worker's ready message and
  // this line, and a load would then skip that job (and the caller would wait for it forever).
  let seen = 0;
  for (;;) {
    // Poll a little first (the next op of a running model is usually a few us away), then sleep.
    if (spinWhile(ctl, GEN, seen, Atomics.load(ctl, SPIN_US) / 1000) === seen) Atomics.wait(ctl, GEN, seen);
    if (Atomics.load(ctl, STOP)) return;
    const gen = Atomics.load(ctl, GEN);
    if (gen === seen) continue;
    if (gen & 1) {
      // The caller is writing the next job (a few stores): wait for it to be ready.
      if (spinWhile(ctl, GEN, gen, Atomics.load(ctl, SPIN_US) / 1000) === gen) Atomics.wait(ctl, GEN, gen);
      continue;
    }
    // Read the job, then check nothing rewrote it meanwhile (a worker that sat out the last job can
    // lag behind the caller, which writes the next one as soon as the last one's parts are done).
    const parts = Atomics.load(ctl, PARTS);
    const fn = Atomics.load(ctl, FN);
    const n = Atomics.load(ctl, NARGS);
    const a: number[] = [];
    for (let i = 0; i < n; i++) a.push(args[i]!);
    if (Atomics.load(ctl, GEN) !== gen) continue;
    seen = gen;
    if (part >= parts) continue;
    try {
      fns[fn]!(...a, part, parts);
    } catch (e) {
      if (Atomics.compareExchange(ctl, ERROR_FROM, 0, part) === 0) {
        const text = (typeof e === 'string' ? e : e instanceof Error ? e.message : String(e)).slice(0, ERROR_CHARS);
        const out = new Uint16Array(control, ERROR_BYTE, ERROR_CHARS);
        for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
        Atomics.store(ctl, ERROR_LEN, text.length);
      }
    }
    if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
  }
}
