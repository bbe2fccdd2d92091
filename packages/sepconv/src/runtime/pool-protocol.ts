import type { WasmMemory, WasmModule } from './wasm-types.js';

// The shared control block between the calling thread and the pool's workers (a SharedArrayBuffer of
// its own, beside the wasm memory). One job at a time: the caller writes the export's id and
// arguments, bumps GEN and wakes the workers. The job's parts are then CLAIMED, one at a time, by
// whichever thread is free: the caller and the workers alike. A worker the OS has descheduled (other
// processes on the cores) therefore never holds the op up: the caller runs the parts nobody took. The
// parts are fixed output blocks, so who runs which part does not change a bit of the result.

/** Most threads `threads: 'auto'` picks (beyond this, per-op barriers eat the gain on these op sizes). */
export const AUTO_THREADS_CAP = 8;
/** Most threads `threads: n` takes (the kernels' split limit, sepconv_kernels::split::MAX_PARTS). */
export const MAX_THREADS = 64;

/** Int32 slots of the control block. */
// GEN is a sequence lock: odd while the caller writes a job, even (the job's id) once it is ready.
export const GEN = 0; // job counter; workers Atomics.wait on it while idle
export const PENDING = 1; // parts of the current job not yet done (the caller waits for 0)
export const FN = 2; // index into PART_EXPORTS
export const PARTS = 3; // parts of the job
export const NARGS = 4;
export const ERROR_FROM = 5; // 0, or 1 + the index of the first part that failed on a worker
export const STOP = 6; // 1: workers leave their loop
export const ERROR_LEN = 7;
export const SPIN_US = 8; // how long workers poll for the next job before they sleep (set by the caller)
export const CLAIM = 9; // (job tag << 7) | next unclaimed part: see claimPart
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
  'mul_channels_run_part',
] as const;

/** The tag of job `gen` in the CLAIM slot (24 bits of the even job counter). */
export const jobTag = (gen: number): number => (gen >>> 1) & 0xffffff;

/**
 * Claims the next part of job `tag`: its index, or -1 when every part is taken or the job is no
 * longer `tag` (a thread that read a job and then lost its core must not run a part of the next one
 * with the old arguments: the tag and the counter change in one compare-exchange).
 */
export function claimPart(ctl: Int32Array, tag: number, parts: number): number {
  for (;;) {
    const v = Atomics.load(ctl, CLAIM);
    const next = v & 127;
    if (v >>> 7 !== tag || next >= parts) return -1;
    if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) === v) return next;
  }
}

/** The message that starts a worker. */
export interface StartMessage {
  /** The threaded build's WebAssembly.Module. */
  module: WasmModule;
  /** Its shared WebAssembly.Memory. */
  memory: WasmMemory;
  control: SharedArrayBuffer;
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

/** Waits until `ctl[at]` is no longer `value`: polls for the pool's SPIN_US first, then sleeps in Atomics.wait. */
function pollThenWait(ctl: Int32Array, at: number, value: number): void {
  if (spinWhile(ctl, at, value, Atomics.load(ctl, SPIN_US) / 1000) === value) Atomics.wait(ctl, at, value);
}

/**
 * A worker's loop: poll, then sleep in Atomics.wait, until the job counter moves; claim and run parts
 * of the job while any are left, count each one done, wake the caller after the last. Returns on STOP.
 */
export function serve(control: SharedArrayBuffer, exports: Record<string, unknown>): void {
  const ctl = new Int32Array(control);
  const args = new Float64Array(control, ARGS_BYTE, MAX_ARGS);
  const fns = PART_EXPORTS.map((name) => exports[name] as PartFn);
  // 0, not a load of GEN: the caller may post the first job between this worker's ready message and
  // this line, and a load would then skip that job.
  let seen = 0;
  for (;;) {
    // Poll a little first (the next op of a running model is usually a few us away), then sleep.
    pollThenWait(ctl, GEN, seen);
    if (Atomics.load(ctl, STOP)) return;
    const gen = Atomics.load(ctl, GEN);
    if (gen === seen) continue;
    if (gen & 1) {
      // The caller is writing the next job (a few stores): wait for it to be ready.
      pollThenWait(ctl, GEN, gen);
      continue;
    }
    // Read the job, then check nothing rewrote it meanwhile (this worker may lag a job behind).
    const parts = Atomics.load(ctl, PARTS);
    const fn = Atomics.load(ctl, FN);
    const n = Atomics.load(ctl, NARGS);
    const a: number[] = [];
    for (let i = 0; i < n; i++) a.push(args[i]!);
    if (Atomics.load(ctl, GEN) !== gen) continue;
    seen = gen;
    const tag = jobTag(gen);
    for (let part = claimPart(ctl, tag, parts); part >= 0; part = claimPart(ctl, tag, parts)) {
      try {
        fns[fn]!(...a, part, parts);
      } catch (e) {
        if (Atomics.compareExchange(ctl, ERROR_FROM, 0, part + 1) === 0) {
          // The kernel's own text: the caller throws it as the single-thread call would.
          const text = (typeof e === 'string' ? e : e instanceof Error ? e.message : String(e)).slice(0, ERROR_CHARS);
          const out = new Uint16Array(control, ERROR_BYTE, ERROR_CHARS);
          for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
          Atomics.store(ctl, ERROR_LEN, text.length);
        }
      }
      if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
    }
  }
}
