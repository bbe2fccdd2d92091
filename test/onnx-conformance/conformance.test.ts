// ONNX's backend node tests of every op sepconv imports (see suite.ts). Every test of a supported op runs
// (about 200 tests, a few seconds); SEPCONV_ONNX_CONFORMANCE=all also counts the node tests of the ops sepconv
// does not import. The skip table (docs/onnx-conformance.md, linked from the README's ONNX section) is generated
// from these results and must match them (SEPCONV_ONNX_CONFORMANCE_WRITE=1 rewrites it).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from 'sepconv';
import { onnx } from '../engines/onnx.js';
import { listTests, nodeTestsDir, opOfTest, renderTable, runTest, supportedOp, type CaseResult } from './suite.js';

const ALL = process.env.SEPCONV_ONNX_CONFORMANCE === 'all';
const TABLE = new URL('../../docs/onnx-conformance.md', import.meta.url).pathname;

beforeAll(async () => {
  await sc.init();
});

describe("ONNX backend node tests (onnx 1.23.2's generator) on sepconv", () => {
  it('every test of a supported op passes or is skipped with a reason; the skip table is current', async () => {
    const dir = nodeTestsDir();
    expect(dir, 'the node tests are not generated: run bash scripts/onnx-fixtures.sh setup (scripts/setup.sh does)').toBeDefined();
    const results: CaseResult[] = [];
    const other = new Map<string, number>();
    for (const name of listTests(dir!)) {
      const model = onnx.ModelProto.decode(readFileSync(join(dir!, name, 'model.onnx')));
      const op = opOfTest(name, model);
      if (!supportedOp(op)) {
        other.set(op, (other.get(op) ?? 0) + 1);
        continue;
      }
      results.push(await runTest(dir!, name));
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
    if (process.env.SEPCONV_ONNX_CONFORMANCE_WRITE === '1') writeFileSync(TABLE, table);
    expect(readFileSync(TABLE, 'utf8'), 'docs/onnx-conformance.md is stale: regenerate with SEPCONV_ONNX_CONFORMANCE_WRITE=1').toBe(table);
    expect(results.filter((r) => r.outcome === 'fail')).toEqual([]);
  });
});
