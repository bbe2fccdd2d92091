import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backend, depthwiseConv2d, hostHasRelaxedSimd, hostHasSimd, init, NotInitializedError, tensor, WasmLoadError } from '../../src/entry/node.js';
import { setRuntime } from '../../src/runtime/state.js';
import { TEST_BUILD } from '../helpers.js';

const wasmPath = (build: string) => new URL(`../../wasm/sepconv-${build}.wasm`, import.meta.url);

describe('init and the loader', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('throws NotInitializedError before init', () => {
    setRuntime(undefined);
    expect(() => tensor(new Float32Array(1), [1])).toThrow(NotInitializedError);
    expect(() => backend()).toThrow(NotInitializedError);
  });

  it('auto picks relaxed where Node validates relaxed SIMD, else simd128, and says why', async () => {
    expect(hostHasSimd()).toBe(true);
    // Node 20 validates relaxed SIMD only under V8's flag, which the relaxed project passes.
    expect(hostHasRelaxedSimd()).toBe(TEST_BUILD === 'relaxed');
    const info = await init();
    if (TEST_BUILD === 'relaxed') {
      expect(info.build).toBe('relaxed');
      expect(info.reason).toMatch(/validates relaxed SIMD and the self-test passed/);
    } else {
      expect(info.build).toBe('simd128');
      expect(info.reason).toMatch(/validates wasm SIMD but not relaxed SIMD and the self-test passed/);
    }
  });

  it('without a relaxed binary among the sources, auto runs simd128 and says so', async () => {
    const module = { simd128: await WebAssembly.compile(await readFile(wasmPath('simd128'))), scalar: await WebAssembly.compile(await readFile(wasmPath('scalar'))) };
    const info = await init({ module });
    expect(info.build).toBe('simd128');
    if (TEST_BUILD === 'relaxed') expect(info.reason).toBe('no relaxed build was given');
  });

  it.runIf(TEST_BUILD === 'relaxed')('falls back to simd128 when the relaxed GEMM gives a wrong answer, and says so', async () => {
    const relaxed = await WebAssembly.compile(await readFile(wasmPath('relaxed')));
    const simd128 = await WebAssembly.compile(await readFile(wasmPath('simd128')));
    const scalar = await WebAssembly.compile(await readFile(wasmPath('scalar')));
    // The relaxed instance's gemm_run adds 0.5 to its first output, as a miscompiling engine would.
    const Real = WebAssembly.Instance;
    vi.spyOn(WebAssembly, 'Instance').mockImplementation(function (module: WebAssembly.Module, imports?: WebAssembly.Imports) {
      const inst = new Real(module, imports);
      if (module !== relaxed) return inst;
      const ex = inst.exports as Record<string, unknown> & { memory: WebAssembly.Memory };
      const real = ex.gemm_run as (...a: number[]) => unknown;
      const gemm_run = (...a: number[]) => {
        const r = real(...a);
        new Float32Array(ex.memory.buffer, a[3]!, 1)[0]! += 0.5;
        return r;
      };
      return { exports: { ...ex, gemm_run } };
    } as unknown as typeof WebAssembly.Instance);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const info = await init({ module: { relaxed, simd128, scalar } });
    expect(info.build).toBe('simd128');
    expect(info.reason).toMatch(/^the relaxed self-test failed \(gemm 5x19x13 output\[0\] = .*\), so the simd128 build runs$/);
    expect(warn).toHaveBeenCalledWith(`sepconv: ${info.reason}`);
  });

  it('can be forced to the scalar build', async () => {
    const info = await init({ build: 'scalar' });
    expect(info).toEqual({ build: 'scalar', reason: "forced with init({ build: 'scalar' })" });
    expect(backend().build).toBe('scalar');
  });

  it('takes a WebAssembly.Module, bytes, and detects which build it is', async () => {
    const module = await WebAssembly.compile(await readFile(wasmPath(TEST_BUILD)));
    expect((await init({ module })).build).toBe(TEST_BUILD);
    expect((await init({ bytes: await readFile(wasmPath('scalar')) })).build).toBe('scalar');
    await expect(init({ module, build: TEST_BUILD === 'simd128' ? 'scalar' : 'simd128' })).rejects.toThrow(WasmLoadError);
    if (TEST_BUILD !== 'relaxed') {
      // Without V8's flag Node 20 cannot compile the relaxed build, and the error says what to pass instead.
      const err = await init({ bytes: await readFile(wasmPath('relaxed')) }).catch((e) => e);
      expect(err).toBeInstanceOf(WasmLoadError);
      expect(err.message).toMatch(/this host has no relaxed SIMD, pass the simd128 build/);
    } else {
      const relaxed = await WebAssembly.compile(await readFile(wasmPath('relaxed')));
      expect(await init({ module: relaxed })).toEqual({ build: 'relaxed', reason: 'the one build passed to init()' });
    }
  });

  it('loads by URL and names the URL when it serves HTML', async () => {
    const simd = await readFile(wasmPath('simd128'));
    const server = createServer((req, res) => {
      if (req.url === '/sepconv.wasm') {
        res.writeHead(200, { 'content-type': 'application/wasm' }).end(simd);
      } else {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>app</body></html>');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await init({ url: `${base}/sepconv.wasm` })).build).toBe('simd128');
      const bad = `${base}/wrong/path.wasm`;
      const err = await init({ url: bad }).catch((e) => e);
      expect(err).toBeInstanceOf(WasmLoadError);
      expect(err.message).toContain(bad);
      expect(err.message).toMatch(/HTML page/);
      expect(err.message).not.toMatch(/magic/i);
      expect((await init({ response: fetch(`${base}/sepconv.wasm`) })).build).toBe('simd128');
    } finally {
      server.close();
    }
  });

  it('ops run after a re-init', async () => {
    await init({ build: TEST_BUILD });
    using x = tensor(new Float32Array(9).fill(1), [1, 3, 3, 1]);
    using f = tensor(new Float32Array(9).fill(1), [3, 3, 1, 1]);
    using y = depthwiseConv2d(x, f, { padding: 'same' });
    expect(Array.from(y.data())).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });
});
