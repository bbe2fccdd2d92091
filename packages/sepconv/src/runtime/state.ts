import { KernelError, NotInitializedError } from '../errors.js';
import type { WasmMemory } from './wasm-types.js';

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
}

/** One initialized wasm instance: its kernels, its memory and which build it is. */
export class Runtime {
  constructor(
    readonly kernels: KernelExports,
    readonly memory: WasmMemory,
    readonly backend: BackendInfo,
  ) {}

  alloc(len: number): number {
    const ptr = this.kernels.alloc_f32(len);
    if (ptr === 0) throw new KernelError(`out of wasm memory allocating ${len} floats (${(len * 4) / 2 ** 20} MiB)`);
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
  current = rt;
}

export function runtime(what?: string): Runtime {
  if (!current) throw new NotInitializedError(what);
  return current;
}

/** True once `init()` has completed. */
export function isInitialized(): boolean {
  return current !== undefined;
}

/** Which build runs and why; throws NotInitializedError before `init()`. */
export function backend(): BackendInfo {
  return { ...runtime('backend()').backend };
}
