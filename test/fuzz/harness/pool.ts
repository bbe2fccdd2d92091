// Test side of the fuzz harness: one child process (harness/worker.mjs) that runs the cases; a case that does
// not answer within its time limit is a hang, one that grows the child's RSS past a limit is a memory blow-up,
// a child that dies is a crash. Each fails the property with the case attached, and a fresh child takes over
// for the next case (and for fast-check's shrinking).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import fc from 'fast-check';
import { createCases } from './cases.mjs';

/** Runs per property: `FUZZ_RUNS=N` sets it, `SEPCONV_FUZZ=long` multiplies the CI defaults by 20. */
export function runs(ciDefault: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  if (Number.isInteger(n) && n > 0) return n;
  return process.env.SEPCONV_FUZZ === 'long' ? ciDefault * 20 : ciDefault;
}

/** One seed for the whole suite (printed), `SEPCONV_FUZZ_SEED=<n>` to replay or explore another. */
export const SEED = Number(process.env.SEPCONV_FUZZ_SEED ?? 20261207) | 0;

/** Wall-clock budget of one property (runs plus shrinking): 90 s, x20 under SEPCONV_FUZZ=long. */
const BUDGET_MS = (process.env.SEPCONV_FUZZ === 'long' || Number(process.env.FUZZ_RUNS) > 0 ? 20 : 1) * 90_000;
/** vitest timeout of a property's test: its budget plus the longest case and the fixtures. */
export const PROPERTY_TIMEOUT = BUDGET_MS + 90_000;

/** How much one case may grow the process's RSS (FUZZ_RSS_MIB, default 2048). */
const RSS_GROWTH_LIMIT = (Number(process.env.FUZZ_RSS_MIB) || 2048) * 2 ** 20;

export interface Outcome {
  ok: boolean;
  kind?: 'result' | 'sepconv-error';
  name?: string;
  violation?: string;
  stack?: string;
  ms: number;
  [k: string]: unknown;
}

/** Runs cases and counts their outcomes: in a child process (CaseRunner) or in this thread (InProcessRunner). */
export interface Runner {
  run(c: Record<string, unknown>, timeoutMs?: number): Promise<Outcome>;
  readonly counts: Map<string, number>;
}

function tally(counts: Map<string, number>, out: Outcome): void {
  const key = !out.ok ? 'VIOLATION' : out.kind === 'result' ? (out.name ? `loaded, predict refused (${out.name})` : 'result') : `refused (${out.name})`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * The cases in this thread, on the package the caller hands in (the package's own tests: src/, per build).
 * No hang or crash isolation: for op-level cases, whose failures are wrong answers, traps and typed errors.
 */
export class InProcessRunner implements Runner {
  readonly counts = new Map<string, number>();
  #cases: { run(c: Record<string, unknown>): Promise<Outcome> };
  constructor(sc: unknown) {
    this.#cases = createCases(sc) as any;
  }
  async run(c: Record<string, unknown>): Promise<Outcome> {
    const out = await this.#cases.run(c);
    tally(this.counts, out);
    return out;
  }
}

export class CaseRunner implements Runner {
  #child: ChildProcess | undefined;
  #ready: Promise<void> | undefined;
  #stderr = '';
  #next = 0;
  #pending = new Map<number, (o: Outcome) => void>();
  readonly counts = new Map<string, number>();

  constructor(private readonly data: Record<string, unknown> = {}) {}

  #spawn(): Promise<void> {
    // A child process, not a worker thread: some defects abort the whole process (V8 fatal errors on arrays
    // grown without bound), which must end only the case, not vitest.
    const child = fork(fileURLToPath(new URL('./worker.mjs', import.meta.url)), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: ['--max-old-space-size=1536'] });
    this.#child = child;
    this.#stderr = '';
    child.stderr!.on('data', (d) => (this.#stderr = (this.#stderr + String(d)).slice(-1500)));
    this.#ready = new Promise((resolve, reject) => {
      child.once('message', (m: any) => (m?.ready ? resolve() : reject(new Error(`fuzz child: ${JSON.stringify(m)}`))));
      child.once('exit', (code) => reject(new Error(`fuzz child exited (${code}) before it was ready: ${this.#stderr}`)));
    });
    child.on('message', (m: any) => {
      if (m?.id === undefined) return;
      this.#pending.get(m.id)?.(m);
      this.#pending.delete(m.id);
    });
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      const last = this.#stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
      for (const [, done] of this.#pending) done({ ok: false, violation: `crash: the process running the case exited (${signal ?? code})${last ? `: ${last}` : ''}`, ms: 0 });
      this.#pending.clear();
    });
    child.send({ init: this.data });
    return this.#ready;
  }

  /** Starts the child process (init() of the package inside it). */
  async start(): Promise<void> {
    if (!this.#child) await this.#spawn();
  }

  /** Runs one case; a hang (no answer in `timeoutMs`), a memory blow-up or a crash is returned as a violation. */
  async run(c: Record<string, unknown>, timeoutMs = 10_000): Promise<Outcome> {
    if (!this.#child) await this.#spawn();
    await this.#ready;
    const id = this.#next++;
    const child = this.#child!;
    let timer: NodeJS.Timeout | undefined;
    let watch: NodeJS.Timeout | undefined;
    const out = await new Promise<Outcome>((resolve) => {
      this.#pending.set(id, resolve);
      const stop = (violation: string) => {
        this.#pending.delete(id);
        this.#child = undefined;
        child.kill('SIGKILL');
        resolve({ ok: false, violation, ms: timeoutMs });
      };
      timer = setTimeout(() => stop(`hang: no outcome within ${timeoutMs} ms`), timeoutMs);
      // A case that makes the library allocate without bound (a model file asking for GiBs) is stopped here
      // before it takes the machine down.
      const base = rssOf(child.pid);
      watch = setInterval(() => {
        const rss = rssOf(child.pid);
        if (rss - base > RSS_GROWTH_LIMIT) stop(`memory: RSS grew by ${((rss - base) / 2 ** 20).toFixed(0)} MiB during one case (limit ${RSS_GROWTH_LIMIT / 2 ** 20} MiB)`);
      }, 25);
      child.send({ id, c });
    });
    clearTimeout(timer);
    clearInterval(watch);
    tally(this.counts, out);
    return out;
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  }
}

/** Resident set size of a process (Linux /proc; 0 where unavailable, which disables the watchdog). */
function rssOf(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface PropertyOptions<T> {
  numRuns: number;
  /** A case with no outcome after this long is a hang. */
  timeoutMs?: number;
  /** loadModel must answer within this (cases that report loadMs). */
  maxMs?: number;
  budgetMs?: number;
  /** Cases run first on every run: the inputs the issues name (fast-check's `examples`). */
  examples?: T[];
}

/** Prints a counterexample readably (BigInt, NaN, typed arrays) without growing with it. */
export function show(v: unknown): string {
  const s = JSON.stringify(v, (_, x) =>
    typeof x === 'bigint' ? `${x}n` : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x === undefined ? 'undefined' : ArrayBuffer.isView(x) ? `<${(x as Uint8Array).length} bytes>` : x,
  );
  return s.length > 600 ? `${s.slice(0, 600)}…` : s;
}

/**
 * Asserts a property over `arb`: each drawn case runs in the runner and must end as a result or a typed
 * SepconvError with the runtime intact. Prints the outcome counts (and the seed, to replay).
 */
export async function checkProperty<T>(name: string, runner: Runner, arb: fc.Arbitrary<T>, toCase: (v: T) => Record<string, unknown>, opts: PropertyOptions<T>): Promise<void> {
  const before = new Map(runner.counts);
  if (process.env.FUZZ_SURVEY) return survey(name, runner, arb, toCase, opts);
  const t0 = performance.now();
  const result = await fc.check(
    fc.asyncProperty(arb, async (v) => {
      const o = await runner.run(toCase(v), opts.timeoutMs);
      if (!o.ok) throw new Error(o.violation);
      if (opts.maxMs !== undefined && typeof o.loadMs === 'number' && o.loadMs > opts.maxMs) {
        throw new Error(`slow: loadModel took ${o.loadMs.toFixed(0)} ms (limit ${opts.maxMs} ms) for ${String(o.what)}, ending ${o.kind} ${o.name ?? ''}`);
      }
    }),
    // The time budget ends shrinking (a hang costs its timeout per attempt); a failure found stays a failure.
    { numRuns: opts.numRuns, seed: SEED, endOnFailure: false, maxSkipsPerRun: 1000, interruptAfterTimeLimit: opts.budgetMs ?? BUDGET_MS, examples: (opts.examples ?? []).map((e) => [e] as [T]) },
  );
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const counts = [...runner.counts].map(([k, n]) => [k, n - (before.get(k) ?? 0)] as const).filter(([, n]) => n > 0);
  console.log(`[fuzz] ${name}: ${result.numRuns} runs in ${secs} s${result.interrupted ? ' (time budget reached)' : ''} (seed ${SEED}), ${counts.map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  if (result.failed) {
    const msg = `${name}: counterexample ${show(result.counterexample)} (seed ${SEED}, path ${result.counterexamplePath}, shrunk ${result.numShrinks}x)\n  ${(result.errorInstance as Error)?.message ?? String(result.errorInstance)}`;
    console.log(`[fuzz] FAILED ${msg}`);
    expect.fail(msg);
  }
}

/**
 * FUZZ_SURVEY=1: no stop at the first failure, no shrinking: runs every drawn case and prints each distinct
 * kind of violation once (numbers masked) with its first case and how often it came, then fails if any came.
 * For finding every defect class at once (a normal run stops at the first counterexample and shrinks it).
 */
async function survey<T>(name: string, runner: Runner, arb: fc.Arbitrary<T>, toCase: (v: T) => Record<string, unknown>, opts: PropertyOptions<T>) {
  const before = new Map(runner.counts);
  const kinds = new Map<string, { n: number; first: string; c: unknown }>();
  const t0 = performance.now();
  for (const v of [...(opts.examples ?? []), ...fc.sample(arb, { numRuns: opts.numRuns, seed: SEED })]) {
    const c = toCase(v);
    const o = await runner.run(c, opts.timeoutMs);
    if (process.env.FUZZ_VERBOSE) console.log(`[fuzz-case] ${show(c).slice(0, 300)}\n  => ${show({ ...o, stack: undefined }).slice(0, 300)}`);
    let msg = o.ok ? undefined : o.violation!;
    if (o.ok && opts.maxMs !== undefined && typeof o.loadMs === 'number' && o.loadMs > opts.maxMs) msg = `slow: loadModel took ${o.loadMs.toFixed(0)} ms for ${String(o.what)}`;
    if (!msg) continue;
    const key = msg.replace(/\[[^\]]*\]|\{[^}]*\}|"[^"]*"|-?\d[\d.e+-]*|Infinity|NaN/g, '#').replace(/\s+/g, ' ').slice(0, 140);
    const k = kinds.get(key);
    if (k) k.n++;
    else kinds.set(key, { n: 1, first: msg, c });
  }
  console.log(`[fuzz-survey] ${name}: ${opts.numRuns} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s (seed ${SEED}), ${[...runner.counts].map(([k, n]) => `${k}: ${n - (before.get(k) ?? 0)}`).filter((x) => !x.endsWith(': 0')).join(', ')}; ${kinds.size} kinds of violation`);
  for (const [, k] of kinds) console.log(`[fuzz-survey]   x${k.n}: ${k.first.slice(0, 400)}\n[fuzz-survey]        case ${show(k.c)}`);
  if (kinds.size) expect.fail(`${name}: ${kinds.size} kinds of violation (see the [fuzz-survey] lines)`);
}
