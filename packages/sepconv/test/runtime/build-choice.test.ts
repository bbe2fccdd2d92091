// init({ build }) names: a wrong name lists the valid ones; a build the host cannot validate says so
// before anything is fetched or compiled (it used to say "compiling the given bytes failed").
import { describe, expect, it } from 'vitest';
import { backend, hostHasRelaxedSimd, init, OptionError, WasmLoadError } from '../../src/entry/node.js';
import { initForTest, TEST_BUILD } from '../helpers.js';

describe('init({ build })', () => {
  it('an unknown build name is an OptionError that lists the valid names, and the runtime stays usable', async () => {
    await initForTest();
    const err = await init({ build: 'avx512' as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptionError);
    expect((err as Error).message).toMatch(/'auto', 'relaxed', 'simd128', 'scalar'/);
    expect((err as Error).message).toMatch(/"avx512"/);
    expect(backend().build).toBe(TEST_BUILD);
  });

  it('relaxed forced on a host without relaxed SIMD says exactly that', async () => {
    if (hostHasRelaxedSimd()) {
      // The relaxed vitest project runs with V8's relaxed-SIMD flag: forcing it works there.
      expect((await init({ build: 'relaxed' })).build).toBe('relaxed');
      return;
    }
    const err = await init({ build: 'relaxed' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WasmLoadError);
    expect((err as Error).message).toMatch(/init\(\{ build: 'relaxed' \}\): Node [\d.]+ has no relaxed SIMD/);
    expect((err as Error).message).not.toMatch(/given bytes/);
    expect((err as Error).message).toMatch(/'simd128', 'scalar' or 'auto'/);
  });
});
