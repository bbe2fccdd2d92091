// The op lists generated from the registry (scripts/gen-ops.mjs): README's "Bring your own model" block
// and docs/ops.md. This fails when either is stale (run `node scripts/gen-ops.mjs` after `pnpm build`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GRAPH_OP_REGISTRY, SUPPORTED_GRAPH_OPS } from '../../src/io/graph-model.js';
// @ts-expect-error: a plain .mjs script without types
import { renderOpsDoc, renderReadmeBlock } from '../../../../scripts/gen-ops.mjs';

describe('generated op lists', () => {
  it('README lists exactly SUPPORTED_GRAPH_OPS, in the registry order', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const m = /<!-- graph-ops:begin -->\n([^]*?)\n<!-- graph-ops:end -->/.exec(readme);
    expect(m, 'README.md needs a <!-- graph-ops:begin --> … <!-- graph-ops:end --> block').not.toBeNull();
    expect(m![1]).toBe(renderReadmeBlock(GRAPH_OP_REGISTRY));
    const listed = m![1]!.split(',').map((s) => s.trim().replace(/^`|`$/g, ''));
    expect(listed).toEqual([...SUPPORTED_GRAPH_OPS]);
  });
  it('docs/ops.md is the registry rendered (every op once, with its family and description)', () => {
    const doc = readFileSync(new URL('../../../../docs/ops.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderOpsDoc(GRAPH_OP_REGISTRY));
    for (const op of SUPPORTED_GRAPH_OPS) expect(doc).toContain(`| \`${op}\` |`);
  });
});
