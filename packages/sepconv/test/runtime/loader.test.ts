import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { backend, depthwiseConv2d, hostHasSimd, init, NotInitializedError, tensor, WasmLoadError } from '../../src/entry/node.js';
import { setRuntime } from '../../src/runtime/state.js';
import { TEST_BUILD } from '../helpers.js';

const wasmPath = (build: string) => new URL(`../../wasm/sepconv-${build}.wasm`, import.meta.url);

describe('init and the loader', () => {
  it('throws NotInitializedError before init', () => {
    setRuntime(undefined);
    expect(() => tensor(new Float32Array(1), [1])).toThrow(NotInitializedError);
    expect(() => backend()).toThrow(NotInitializedError);
  });

  it('auto picks simd128 on Node and says why', async () => {
    expect(hostHasSimd()).toBe(true);
    const info = await init();
    expect(info.build).toBe('simd128');
    expect(info.reason).toMatch(/validates wasm SIMD and the self-test passed/);
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
