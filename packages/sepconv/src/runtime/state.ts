import { DisposedTensorError, KernelError, NotInitializedError, OptionError, ShapeError } from '../errors.js';
import type { ThreadPool } from './threads.js';
import type { WasmMemory } from './wasm-types.js';

/** MAX_ELEMENTS of tensor/limits.ts (repeated here: limits.ts imports nothing from the runtime). */
const MAX_ALLOC = 2 ** 30 - 1;

/**
 * The raw kernel exports of one wasm instance (the wasm-bindgen glue's functions).
 * Each op module adds its own functions by interface merging:
 * `declare module '../runtime/state.js' { interface KernelExports { ... } }`.
 */
export interface KernelExports {
  alloc_f32(len: number): number;
  free_f32(ptr: number, len: number): void;
  lanes_name(): string;
}

/** relaxed: simd128 plus relaxed SIMD (fused multiply-add); simd128: wasm SIMD; scalar: no SIMD. */
export type BuildName = 'relaxed' | 'simd128' | 'scalar';

/** Which wasm build `init()` chose and why (what `backend()` returns). */
export interface BackendInfo {
  /** Which wasm build runs. */
  build: BuildName;
  /** Why this build was chosen, in words. */
  reason: string;
  /** Threads ops run on (the calling thread included); present when `init()` was given `threads`. */
  threads?: number;
  /** Why that many threads, in words (e.g. why threads cannot run on this host). */
  threadsReason?: string;
}

/** One initialized wasm instance: its kernels, its memory and which build it is. */
export class Runtime {
  constructor(
    readonly kernels: KernelExports,
    readonly memory: WasmMemory,
    readonly backend: BackendInfo,
    /** The thread pool of a threaded build (undefined: one thread). */
    readonly pool?: ThreadPool,
  ) {}

  /** `backend` with the thread count as it is now (a pool that stopped runs on one thread). */
  info(): BackendInfo {
    const b = { ...this.backend };
    if (this.pool?.stopped !== undefined) {
      b.threads = 1;
      b.threadsReason = `the thread pool stopped (${this.pool.stopped}); ops run on one thread`;
    }
    return b;
  }

  /**
   * Allocates `len` zeroed floats. `len` above MAX_ELEMENTS (2**30 - 1) is a ShapeError (nothing
   * reaches the binding, which would wrap it); memory that cannot grow is a KernelError, and the
   * runtime stays usable.
   */
  alloc(len: number, op = 'alloc'): number {
    if (!(Number.isSafeInteger(len) && len >= 0 && len <= MAX_ALLOC)) {
      throw new ShapeError(op, `a buffer of at most ${MAX_ALLOC} (2**30 - 1) floats (what a wasm32 memory can hold)`, `${len} floats`);
    }
    const ptr = this.kernels.alloc_f32(len);
    if (ptr === 0) throw new KernelError(`${op}: out of wasm memory allocating ${len} floats (${((len * 4) / 2 ** 20).toFixed(1)} MiB); the runtime is still usable`);
    return ptr;
  }

  free(ptr: number, len: number): void {
    this.kernels.free_f32(ptr, len);
  }

  f32(ptr: number, len: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, len);
  }

  /** Copies `data` into a new wasm buffer; the caller frees it. */
  upload(data: Float32Array): number {
    const ptr = this.alloc(data.length);
    this.f32(ptr, data.length).set(data);
    return ptr;
  }

  /** Runs a kernel call, turning an error string thrown by the glue into a KernelError. */
  call<T>(op: string, fn: (k: KernelExports) => T): T {
    try {
      return fn(this.kernels);
    } catch (e) {
      if (typeof e === 'string') throw new KernelError(`${op}: ${e}`);
      if (e instanceof WebAssembly.RuntimeError) throw new KernelError(`${op}: wasm trapped: ${e.message}`);
      throw e;
    }
  }
}

let current: Runtime | undefined;

export function setRuntime(rt: Runtime | undefined): void {
  if (current && current !== rt) current.pool?.stop('a later init() replaced this runtime');
  current = rt;
}

export function runtime(what?: string): Runtime {
  if (!current) throw new NotInitializedError(what);
  return current;
}

/** True while `rt` is the runtime ops run on (a later `init()` retires it). */
export function isCurrent(rt: Runtime): boolean {
  return rt === current;
}

/**
 * Throws DisposedTensorError naming `what` unless `rt` is the current runtime: objects (tensors,
 * packed weights, models) of a runtime that a later `init()` replaced count as disposed.
 */
export function checkCurrent(rt: Runtime, what: string): void {
  if (rt !== current) {
    throw new DisposedTensorError(`${what} (it belongs to a sepconv runtime that a later init() replaced; re-initialising disposes every tensor, packed weight and model of the old runtime)`);
  }
}

/** True once `init()` has completed. */
export function isInitialized(): boolean {
  return current !== undefined;
}

/** Which build runs and why; throws NotInitializedError before `init()`. */
export function backend(): BackendInfo {
  return runtime('backend()').info();
}

/**
 * Stops the current runtime's thread pool, if any: its workers end and free their threads, and
 * ops continue on the calling thread. Call it when done with sepconv in a long-lived page or
 * process that does not exit (a Node process with an idle pool exits on its own). `init()` again
 * to get threads back.
 */
export function terminate(): void {
  current?.pool?.stop('terminate() was called');
}

/** Counts of `threadStats()`. */
export interface ThreadStats {
  /** Ops that ran split over the pool's threads. */
  split: number;
  /** Ops of a threaded runtime small enough to run on the calling thread alone. */
  single: number;
  /** Parts of the split ops, and how many of them the calling thread ran (it takes the parts no worker claimed in time). */
  parts: number;
  partsHere: number;
  /** The pool's current split threshold and polling time (`configureThreads`); 0 without a pool. */
  minWork: number;
  spinMs: number;
}

/** How the current runtime's ops ran since `init()` (all 0 without a thread pool); for tests and tuning. */
export function threadStats(): ThreadStats {
  const pool = runtime('threadStats()').pool;
  const c = pool?.counts;
  return { split: c?.split ?? 0, single: c?.single ?? 0, parts: c?.parts ?? 0, partsHere: c?.partsHere ?? 0, minWork: pool?.minWork ?? 0, spinMs: pool?.spinMs ?? 0 };
}

/** Options of `configureThreads()`. */
export interface ThreadConfig {
  /** Most threads one op may use from now on (1 up to the pool's size; the pool stays started). */
  threads?: number;
  /** Ops below this many multiply-adds (roughly) run on the calling thread alone. */
  minWork?: number;
  /**
   * Milliseconds idle workers poll for the next op before they sleep in `Atomics.wait` (0 to 1000).
   * Default 1 when the threads fit the device's cores, else 0. Polling saves the wake-up (tens of
   * microseconds) between a model's ops; an idle pool sleeps either way.
   */
  spinMs?: number;
}

/**
 * Changes how the current runtime's pool splits ops, without restarting it (no-op without a
 * pool): e.g. `{ threads: 1 }` while the page needs its cores elsewhere, or an A/B of thread
 * counts on the same model. Results stay bit-identical whatever the setting.
 */
export function configureThreads(config: ThreadConfig): void {
  const pool = runtime('configureThreads()').pool;
  if (!pool) return;
  if (config.threads !== undefined) {
    if (!(Number.isSafeInteger(config.threads) && config.threads >= 1)) throw new OptionError('configureThreads', 'threads', 'a positive integer', config.threads);
    pool.limit = config.threads;
  }
  if (config.minWork !== undefined) {
    if (!(config.minWork >= 0)) throw new OptionError('configureThreads', 'minWork', 'a number >= 0', config.minWork);
    pool.minWork = config.minWork;
  }
  if (config.spinMs !== undefined) {
    if (!(config.spinMs >= 0 && config.spinMs <= 1000)) throw new OptionError('configureThreads', 'spinMs', 'a number of milliseconds from 0 to 1000', config.spinMs);
    pool.spinMs = config.spinMs;
  }
}
