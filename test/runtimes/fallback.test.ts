// The scalar fallback, on the packed package in Node: chosen when the host does not validate wasm
// SIMD (WebAssembly.validate stubbed), forceable, and taken when the SIMD build fails the
// known-answer self-test at init (a fault injected into the SIMD instance's kernel output).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectDepthwiseCorrect, type WorkloadResult } from './support/compare.js';
import { packed, type Packed } from './support/package.js';
import { compute } from './fixtures/workload.mjs';

type Sepconv = typeof import('../../packages/sepconv/src/entry/node.js');

let pkg: Packed;
let sepconv: Sepconv;
let modules: { simd128: WebAssembly.Module; scalar: WebAssembly.Module };

beforeAll(async () => {
  pkg = packed();
  sepconv = (await import(join(pkg.pkg, 'dist/node.js'))) as Sepconv;
  const load = (b: string) => new WebAssembly.Module(readFileSync(join(pkg.pkg, `wasm/sepconv-${b}.wasm`)));
  modules = { simd128: load('simd128'), scalar: load('scalar') };
});

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Makes every instance of `target` return wrong numbers from the kernel export `name`
 * (output buffer = its 4th argument, as the bindings take (handle, in, inLen, out, ...)),
 * the way a miscompiling SIMD engine would; other modules are untouched.
 */
function corruptKernel(target: WebAssembly.Module, name: string, outArg = 3): void {
  const Real = WebAssembly.Instance;
  function Faulty(this: unknown, module: WebAssembly.Module, imports?: WebAssembly.Imports) {
    const inst = new Real(module, imports);
    if (module !== target) return inst;
    const ex = inst.exports as Record<string, unknown> & { memory: WebAssembly.Memory };
    const real = ex[name] as (...a: number[]) => unknown;
    return {
      exports: {
        ...ex,
        [name]: (...a: number[]) => {
          const r = real(...a);
          new Float32Array(ex.memory.buffer, a[outArg]!, 1)[0]! += 0.5;
          return r;
        },
      },
    };
  }
  vi.spyOn(WebAssembly, 'Instance').mockImplementation(Faulty as unknown as typeof WebAssembly.Instance);
}

describe('scalar fallback and the init self-test', () => {
  it('picks scalar when the host does not validate wasm SIMD, and says so', async () => {
    const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    expect(sepconv.hostHasSimd()).toBe(false);
    const info = await sepconv.init();
    expect(validate).toHaveBeenCalled();
    expect(info).toEqual({ build: 'scalar', reason: 'this host does not validate wasm SIMD (simd128)' });
    expect(sepconv.backend()).toEqual(info);
    expectDepthwiseCorrect('no-SIMD host', compute(sepconv) as WorkloadResult);
  });

  it('can be forced to scalar on a SIMD host', async () => {
    expect(sepconv.hostHasSimd()).toBe(true);
    expect(await sepconv.init({ build: 'scalar' })).toEqual({ build: 'scalar', reason: "forced with init({ build: 'scalar' })" });
  });

  it('a correct SIMD build passes the self-test', async () => {
    const info = await sepconv.init({ module: modules });
    expect(info.build).toBe('simd128');
    expect(info.reason).toMatch(/self-test passed/);
  });

  it('falls back to scalar when the SIMD depthwise gives a wrong answer, and says so', async () => {
    corruptKernel(modules.simd128, 'depthwise_conv2d');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const info = await sepconv.init({ module: modules });
    expect(info.build).toBe('scalar');
    expect(info.reason).toMatch(/^the simd128 self-test failed \(depthwise 3x3 output\[0\] = .*, expected .*\), so the scalar build runs$/);
    expect(sepconv.backend()).toEqual(info);
    expect(warn).toHaveBeenCalledWith(`sepconv: ${info.reason}`);
    // the scalar instance it fell back to is not corrupted
    expectDepthwiseCorrect('after fallback', compute(sepconv) as WorkloadResult);
  });

  it('falls back to scalar when the SIMD GEMM (pointwise/dense core) gives a wrong answer', async () => {
    corruptKernel(modules.simd128, 'gemm_run');
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const info = await sepconv.init({ module: modules });
    expect(info.build).toBe('scalar');
    expect(info.reason).toMatch(/^the simd128 self-test failed \(gemm 5x19x13 output\[0\] = .*, expected .*\), so the scalar build runs$/);
  });

  it('a faulty SIMD build given alone is refused with a message naming the failure', async () => {
    corruptKernel(modules.simd128, 'depthwise_conv2d');
    const err = await sepconv.init({ module: modules.simd128 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(sepconv.WasmLoadError);
    expect((err as Error).message).toMatch(/simd128 self-test failed on this host \(depthwise 3x3 .*\); pass the scalar build/);
  });

  it('the self-test is skipped only when asked', async () => {
    corruptKernel(modules.simd128, 'depthwise_conv2d');
    const info = await sepconv.init({ module: modules, selfTest: false });
    expect(info.build).toBe('simd128');
  });
});
