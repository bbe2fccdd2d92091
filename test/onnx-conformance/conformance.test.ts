// ONNX's backend node tests of every op sepconv imports (see suite.ts). Every test of a supported op runs
// (about 200 tests, a few seconds); SEPCONV_ONNX_CONFORMANCE=all also counts the node tests of the ops sepconv
// does not import. The skip table (docs/onnx-conformance.md, linked from the README's ONNX section) is generated
// from these results and must match them (SEPCONV_ONNX_CONFORMANCE_WRITE=1 rewrites it).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { onnx } from '../engines/onnx.js';
import { listTests, nodeTestsDir, opOfTest, renderReadmeBlock, renderTable, runTest, supportedOp, type CaseResult } from './suite.js';

const ALL = process.env.SEPCONV_ONNX_CONFORMANCE === 'all';
const TABLE = new URL('../../docs/onnx-conformance.md', import.meta.url).pathname;
const README = new URL('../../README.md', import.meta.url).pathname;
const BLOCK = /(<!-- onnx-conformance:begin -->\n)[^]*?(\n<!-- onnx-conformance:end -->)/;

beforeAll(async () => {
  await sc.init();
});

describe("ONNX backend node tests (onnx 1.23.2's generator) on sepconv", () => {
  it('every test of a supported op passes or is skipped with a reason, on every build; the skip table is current', async () => {
    const dir = nodeTestsDir();
    expect(dir, 'the node tests are not generated: run bash scripts/onnx-fixtures.sh setup (scripts/setup.sh does)').toBeDefined();
    const other = new Map<string, number>();
    const names: string[] = [];
    for (const name of listTests(dir!)) {
      const model = onnx.ModelProto.decode(readFileSync(join(dir!, name, 'model.onnx')));
      const op = opOfTest(name, model);
      if (supportedOp(op)) names.push(name);
      else other.set(op, (other.get(op) ?? 0) + 1);
    }
    // Every wasm build this host runs; the table is the default build's, and every build must agree on outcomes.
    const builds = [...(sc.hostHasRelaxedSimd() ? (['relaxed'] as const) : []), 'simd128', 'scalar'] as const;
    let results: CaseResult[] = [];
    try {
      for (const build of builds) {
        await sc.init({ build });
        const here: CaseResult[] = [];
        for (const name of names) here.push(await runTest(dir!, name));
        const fails = here.filter((r) => r.outcome === 'fail');
        expect(fails, `failures on the ${build} build`).toEqual([]);
        if (!results.length) results = here;
        else expect(here.map((r) => `${r.test} ${r.outcome}`), `outcomes on the ${build} build`).toEqual(results.map((r) => `${r.test} ${r.outcome}`));
        console.log(`onnx conformance on ${build}: ${here.filter((r) => r.outcome === 'pass').length} pass, ${here.filter((r) => r.outcome === 'skip').length} skip, ${fails.length} fail`);
      }
    } finally {
      await sc.init();
    }
    const ops = [...new Set(results.map((r) => r.op))].sort();
    for (const op of ops) {
      const c = (o: string) => results.filter((r) => r.op === op && r.outcome === o).length;
      console.log(`onnx conformance ${op}: ${c('pass')} pass, ${c('skip')} skip, ${c('fail')} fail`);
    }
    const total = (o: string) => results.filter((r) => r.outcome === o).length;
    console.log(`onnx conformance: ${results.length} tests of ${ops.length} supported ops: ${total('pass')} pass, ${total('skip')} skip, ${total('fail')} fail`);
    if (ALL) console.log(`onnx conformance: ${[...other.values()].reduce((a, b) => a + b, 0)} tests of ${other.size} ops sepconv does not import: ${[...other].map(([o, k]) => `${o} ${k}`).join(', ')}`);
    const table = renderTable(results);
    const block = renderReadmeBlock(results);
    if (process.env.SEPCONV_ONNX_CONFORMANCE_WRITE === '1') {
      writeFileSync(TABLE, table);
      writeFileSync(README, readFileSync(README, 'utf8').replace(BLOCK, (_m, a: string, b: string) => `${a}${block}${b}`));
    }
    expect(readFileSync(TABLE, 'utf8'), 'docs/onnx-conformance.md is stale: regenerate with SEPCONV_ONNX_CONFORMANCE_WRITE=1').toBe(table);
    const inReadme = BLOCK.exec(readFileSync(README, 'utf8'));
    expect(inReadme?.[0], "README's onnx-conformance block is stale: regenerate with SEPCONV_ONNX_CONFORMANCE_WRITE=1").toBe(`<!-- onnx-conformance:begin -->\n${block}\n<!-- onnx-conformance:end -->`);
    expect(results.filter((r) => r.outcome === 'fail')).toEqual([]);
  });
});
