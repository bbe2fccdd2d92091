// The thread pool of the threaded builds and the per-op split: each splittable kernel export of a
// threaded runtime is wrapped so that, above a measured size, the calling thread and the workers
// each run one part of it (`*_part` exports, split by output in sepconv_kernels::split), with one
// barrier per op. Exports without a part (ops added later) run unchanged on the calling thread.
import { WorkerError } from '../errors.js';
import {
  ARGS_BYTE,
  CLAIM,
  claimPart,
  jobTag,
  CONTROL_BYTES,
  ERROR_BYTE,
  ERROR_CHARS,
  ERROR_FROM,
  ERROR_LEN,
  FN,
  GEN,
  MAX_ARGS,
  NARGS,
  PART_EXPORTS,
  PARTS,
  PENDING,
  SPIN_MS,
  SPIN_US,
  spinWhile,
  STOP,
  type ReadyMessage,
  type StartMessage,
} from './pool-protocol.js';
import { AUTO_THREADS_CAP } from './pool-protocol.js';
import type { WasmMemory, WasmModule } from './wasm-types.js';
import { Runtime, setRuntime, type BackendInfo, type KernelExports } from './state.js';

export { AUTO_THREADS_CAP, MAX_THREADS } from './pool-protocol.js';

/**
 * Work below which an op runs on the calling thread alone, in pointwise multiply-adds (each family's
 * `work` below converts its size to what a pointwise GEMM does in the same time on one thread). With
 * polling workers (SPIN_MS) one barrier costs a few microseconds; `node bench/run.mjs --threads`
 * (its "threshold" rows, every family forced to split at small sizes) puts the break-even of 2
 * threads at 50-100 k pointwise MACs (16 px x 64 -> 64 = 64 k: x1.0; 144 px: x0.7). Ops at about
 * this size or larger gain.
 */
export const MIN_PARALLEL_WORK = 1 << 16;

/** A worker as the pool needs it: Node's worker_threads Worker or a Web Worker, adapted by the host entry. */
export interface PoolWorker {
  postMessage(message: StartMessage): void;
  /** Calls `ready` with the worker's first message; `failed` when it errors or exits. */
  listen(ready: (m: ReadyMessage) => void, failed: (why: string) => void): void;
  /** Lets the process exit while this worker is idle (Node); no-op in browsers. */
  unref(): void;
  terminate(): void;
}

/** What a host entry gives the loader to run threads: why not, or how to start a worker. */
export interface ThreadHost {
  /** Undefined when threads can run here, else why not (shown in `backend().threadsReason`). */
  unavailable(): string | undefined;
  /** The device's core count (navigator.hardwareConcurrency / os.availableParallelism()). */
  cores(): number;
  /** Starts one worker running dist/worker.js. */
  spawn(): PoolWorker;
  /** The threaded builds' wasm-bindgen glue factory (only the entries with threads import it). */
  createBindings(): any;
  /** `attachThreads` with this host (the entries with threads pass it in, so the others bundle no pool code). */
  attach(c: AttachContext): Promise<BackendInfo>;
  /** True when the calling thread may block in Atomics.wait (Node, workers); browsers' main thread spins. */
  canBlock: boolean;
}

type Wrapped = (...args: number[]) => unknown;

/** Activation codes (sepconv_kernels::activation::Activation::ALL) whose pass is an exp per value. */
const EXP_ACTIVATIONS = new Set([4, 5]);

/**
 * Per splittable export: its part export's id and its work from its arguments, in pointwise-MAC
 * equivalents. The factors are one-thread throughputs relative to the pointwise GEMM (bench/RESULTS.md
 * profile: GEMM ~15 MAC/ns; a depthwise tap, a pool tap and an add about 3-4x slower per value; swish /
 * sigmoid (exp, divide) ~15x): a rough size is enough, the threshold is a break-even, not a cliff.
 */
const SPLITS: Record<string, { id: number; work: (a: number[]) => number }> = {
  // (handle, in, inLen, out, outLen, rows, act)
  gemm_run: { id: 0, work: (a) => a[4]! * (a[2]! / Math.max(1, a[5]!)) },
  // (handle, in, inLen, out, outLen, batch, inH, inW, ...): taps unknown here, 9 assumed
  depthwise_conv2d: { id: 1, work: (a) => a[4]! * 9 },
  conv2d: { id: 2, work: (a) => a[4]! * 9 * (a[2]! / Math.max(1, a[5]! * a[6]! * a[7]!)) },
  // (in, inLen, out, outLen, batch, inH, inW, C, poolH, poolW, ...)
  pool2d: { id: 3, work: (a) => a[3]! * a[8]! * a[9]! * 3 },
  // (pw, pwAct, dw, in, inLen, out, outLen, ring, ringLen, batch, inH, inW, ...)
  expand_depthwise: { id: 4, work: (a) => a[6]! * (9 * 3 + a[4]! / Math.max(1, a[9]! * a[10]! * a[11]!)) },
  // (a, b, out, len, ...) and (in, out, len, act)
  add_run: { id: 5, work: (a) => a[3]! * 4 },
  mul_run: { id: 6, work: (a) => a[3]! * 4 },
  activation_run: { id: 7, work: (a) => a[2]! * (EXP_ACTIVATIONS.has(a[3]!) ? 15 : 4) },
  // (a, scale, out, len, channels, groups): the squeeze-excite scale
  mul_channels_run: { id: 8, work: (a) => a[3]! * 4 },
};

/** The pool of one threaded runtime: `size` workers plus the calling thread. */
export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  /** Why the pool stopped (undefined while it runs). */
  stopped: string | undefined;
  /** Set by a worker's error/exit event; the next op reports it and the runtime goes on with one thread. */
  private broken: string | undefined;
  /** Ops that ran split, and ops that ran on the calling thread alone (tests check the split happens). */
  readonly counts = { split: 0, single: 0, partsHere: 0, parts: 0 };
  minWork = MIN_PARALLEL_WORK;
  /** Most threads one op is split over (`configureThreads({ threads })`); at most the pool's size. */
  limit = Infinity;

  private constructor(
    private readonly workers: PoolWorker[],
    private readonly control: SharedArrayBuffer,
    private readonly canBlock: boolean,
  ) {
    this.ctl = new Int32Array(control);
    this.args = new Float64Array(control, ARGS_BYTE, MAX_ARGS);
  }

  /** How long idle workers (and the caller, for the workers' parts) poll before they sleep. */
  get spinMs(): number {
    return Atomics.load(this.ctl, SPIN_US) / 1000;
  }
  set spinMs(ms: number) {
    Atomics.store(this.ctl, SPIN_US, Math.round(Math.min(ms, 1000) * 1000));
  }

  /** Threads in all: the workers and the calling thread. */
  get threads(): number {
    return this.stopped === undefined ? this.workers.length + 1 : 1;
  }

  /** Starts `size` workers on `module` / `memory`; rejects with WorkerError (all started ones stopped) if one fails. */
  static async start(host: ThreadHost, size: number, module: WasmModule, memory: WasmMemory, timeoutMs = 30_000): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const workers: PoolWorker[] = [];
    const pool = new ThreadPool(workers, control, host.canBlock);
    try {
      await Promise.all(
        Array.from({ length: size }, (_, i) => {
          const w = host.spawn();
          workers.push(w);
          return new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new WorkerError(`worker ${i + 1} did not start within ${timeoutMs} ms`)), timeoutMs);
            let started = false;
            w.listen(
              (m) => {
                clearTimeout(timer);
                if (m.ok) {
                  started = true;
                  resolve();
                } else reject(new WorkerError(`worker ${i + 1} failed to start: ${m.error}`));
              },
              (why) => {
                clearTimeout(timer);
                // After stop() the workers end on purpose; only an unplanned end breaks the pool.
                if (started) {
                  if (pool.stopped === undefined) pool.broken ??= `worker ${i + 1} ${why}`;
                }
                else reject(new WorkerError(`worker ${i + 1} failed to start: ${why}`));
              },
            );
            w.postMessage({ module, memory, control });
          });
        }),
      );
    } catch (e) {
      pool.stop(String(e), true);
      throw e instanceof WorkerError ? e : new WorkerError(`starting the thread pool failed: ${e instanceof Error ? e.message : e}`);
    }
    for (const w of workers) w.unref();
    pool.spinMs = size + 1 <= host.cores() ? SPIN_MS : 0;
    return pool;
  }

  /** Stops the workers (they leave their wait loop and end); later ops run on the calling thread. */
  stop(why = 'terminated', force = false): void {
    if (this.stopped !== undefined) return;
    this.stopped = why;
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, GEN, 2);
    Atomics.notify(this.ctl, GEN);
    // Idle workers leave their loop and end on their own (freeing their stacks); a hung one is ended.
    const end = (): void => this.workers.forEach((w) => w.terminate());
    if (force) end();
    else {
      const t = setTimeout(end, 1000) as unknown as { unref?: () => void };
      t.unref?.();
    }
  }

  /**
   * Runs export `id` split in `parts` (<= threads) with one barrier: the workers and this thread claim
   * parts until none is left (`part(p)` runs part p here), then this thread waits for the parts
   * still running on workers.
   */
  run(id: number, args: number[], parts: number, part: (p: number) => void): void {
    const ctl = this.ctl;
    const gen = Atomics.add(ctl, GEN, 1) + 2; // odd while writing the job (see pool-protocol.ts); `gen` once ready
    for (let i = 0; i < args.length; i++) this.args[i] = args[i]!;
    const tag = jobTag(gen);
    Atomics.store(ctl, FN, id);
    Atomics.store(ctl, NARGS, args.length);
    Atomics.store(ctl, PARTS, parts);
    Atomics.store(ctl, ERROR_FROM, 0);
    Atomics.store(ctl, PENDING, parts);
    Atomics.store(ctl, CLAIM, tag << 7);
    Atomics.add(ctl, GEN, 1); // even: ready
    Atomics.notify(ctl, GEN);
    const t0 = performance.now();
    let own: unknown;
    let mine = 0;
    for (let p = claimPart(ctl, tag, parts); p >= 0; p = claimPart(ctl, tag, parts)) {
      mine++;
      try {
        part(p);
      } catch (e) {
        own ??= e;
      }
      Atomics.sub(ctl, PENDING, 1);
    }
    this.counts.partsHere += mine;
    // Workers run at most one part each by now; a worker that died mid-part never finishes it.
    const start = performance.now();
    const limit = 10_000 + 50 * (start - t0);
    // A part is about as big as ours, so it is usually done or nearly: poll first, and sleep
    // (where this thread may block) only if it takes much longer.
    const spin = this.spinMs;
    const spinEnd = spin > 0 ? start + spin + (start - t0) / Math.max(1, mine) : start;
    let v = Atomics.load(ctl, PENDING);
    for (let now = start; v !== 0 && now < spinEnd; now = performance.now()) v = spinWhile(ctl, PENDING, v, spinEnd - now);
    for (; v !== 0; v = Atomics.load(ctl, PENDING)) {
      if (this.canBlock) Atomics.wait(ctl, PENDING, v, 50);
      if (performance.now() - start > limit) {
        const why = `a worker did not finish its part within ${Math.round(limit)} ms (it died or hangs)`;
        this.stop(why, true);
        throw new WorkerError(`${why}; the thread pool is stopped and sepconv continues on one thread`);
      }
    }
    if (own !== undefined) throw own;
    const from = Atomics.load(ctl, ERROR_FROM);
    if (from !== 0) {
      const n = Math.min(Atomics.load(ctl, ERROR_LEN), ERROR_CHARS);
      const codes = new Uint16Array(this.control, ERROR_BYTE, n);
      // The kernels' error strings, as the single-thread call would throw them (Runtime.call makes them KernelErrors).
      throw String.fromCharCode(...codes);
    }
  }

  /**
   * `kernels` with each splittable export wrapped: ops at least `minWork` big run split over the
   * pool, smaller ones (and all ops once the pool stopped) call the export as it is.
   */
  wrap(kernels: KernelExports): KernelExports {
    const raw = kernels as unknown as Record<string, Wrapped>;
    const wrapped: Record<string, Wrapped> = Object.create(kernels as object);
    for (const [name, { id, work }] of Object.entries(SPLITS)) {
      const whole = raw[name];
      const part = raw[PART_EXPORTS[id]!];
      if (typeof whole !== 'function' || typeof part !== 'function') continue;
      wrapped[name] = (...args: number[]) => {
        if (this.broken !== undefined) {
          const why = this.broken;
          this.broken = undefined;
          this.stop(why, true);
          throw new WorkerError(`${why}; the thread pool is stopped and sepconv continues on one thread`);
        }
        const threads = Math.min(this.threads, this.limit);
        const w = work(args);
        if (threads < 2 || !(w >= this.minWork) || args.length > MAX_ARGS) {
          this.counts.single++;
          return whole(...args);
        }
        const parts = Math.min(threads, Math.max(2, Math.floor(w / this.minWork)));
        this.counts.split++;
        this.counts.parts += parts;
        this.run(id, args, parts, (p) => part(...args, p, parts));
        return undefined;
      };
    }
    return wrapped as unknown as KernelExports;
  }
}

/** What `init()` hands a host's `attach`: the single-thread runtime it chose, and how to load the threaded one. */
export interface AttachContext {
  /** The chosen single-thread runtime (its build names the threaded variant to load). */
  rt: Runtime;
  /** Threads wanted (> 1). */
  want: number;
  auto: boolean;
  /** init() was given explicit wasm sources. */
  explicit: boolean;
  /** Compiles the threaded variant of `rt`'s build. */
  load(): Promise<WasmModule>;
  instantiate(module: WasmModule, glue: () => any): Runtime;
  /** Makes a one-thread runtime current with `reason` (and one console warning when `warn`). */
  single(reason: string, warn: boolean): BackendInfo;
}

/**
 * Loads the threaded variant of the chosen build, starts `want - 1` workers and makes the pooled
 * runtime current. Where threads cannot run: `single` with the reason (one warning). A worker that
 * fails to start: WorkerError, with the single-thread runtime current (usable).
 */
export async function attachThreads(host: ThreadHost, c: AttachContext): Promise<BackendInfo> {
  const build = c.rt.backend.build;
  const why =
    host.unavailable() ??
    (build === 'scalar'
      ? 'the threaded builds need wasm SIMD (this runtime runs the scalar build)'
      : c.explicit
        ? "init() was given explicit wasm sources; threads run only the package's own threaded builds"
        : undefined);
  if (why) return c.single(why, true);
  let threaded: Runtime;
  let module: WasmModule;
  try {
    module = await c.load();
    threaded = c.instantiate(module, host.createBindings);
  } catch (e) {
    return c.single(`the ${build} threads build could not be loaded (${e instanceof Error ? e.message : e})`, true);
  }
  let pool: ThreadPool;
  try {
    pool = await ThreadPool.start(host, c.want - 1, module, threaded.memory);
  } catch (e) {
    c.single(`the thread pool failed to start (${e instanceof Error ? e.message : e})`, false);
    throw e;
  }
  const reason = c.auto ? `'auto': ${c.want} of ${host.cores()} cores (at most ${AUTO_THREADS_CAP})` : `init({ threads: ${c.want} })`;
  const run = new Runtime(pool.wrap(threaded.kernels), threaded.memory, { ...c.rt.backend, threads: c.want, threadsReason: reason }, pool);
  setRuntime(run);
  return run.info();
}
