import { checkCurrent, isCurrent, type KernelExports, type Runtime } from '../runtime/state.js';

/** Weights packed inside wasm memory behind a kernel handle; `dispose()` frees them (idempotent). */
export abstract class PackedHandle {
  #handle: number;

  protected constructor(
    readonly rt: Runtime,
    handle: number,
  ) {
    this.#handle = handle;
  }

  /** The kernel's free function for this kind of handle. */
  protected abstract release(kernels: KernelExports, handle: number): void;

  /** The kernel handle; throws DisposedTensorError when the weights' runtime was replaced by a later init(). */
  get handle(): number {
    if (this.#handle && !isCurrent(this.rt)) checkCurrent(this.rt, `packed weights (${this.constructor.name})`);
    return this.#handle;
  }

  get disposed(): boolean {
    return this.#handle === 0;
  }

  dispose(): void {
    if (this.#handle) this.release(this.rt.kernels, this.#handle);
    this.#handle = 0;
  }
}

/**
 * Copies each array into wasm memory (a missing one is address 0), runs `pack` on the addresses,
 * and frees the copies whatever happens; returns the packed handle.
 */
export function packFromArrays(
  rt: Runtime,
  op: string,
  arrays: readonly (Float32Array | undefined)[],
  pack: (kernels: KernelExports, ptrs: number[]) => number,
): number {
  const ptrs: number[] = [];
  try {
    for (const a of arrays) ptrs.push(a ? rt.upload(a) : 0);
    return rt.call(op, (k) => pack(k, ptrs));
  } finally {
    ptrs.forEach((p, i) => p && rt.free(p, arrays[i]!.length));
  }
}
