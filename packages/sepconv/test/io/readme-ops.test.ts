// README's "Bring your own model" op list is the converter's table: this fails when they differ.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_GRAPH_OPS } from '../../src/io/graph-model.js';

describe('README op list', () => {
  it('lists exactly SUPPORTED_GRAPH_OPS, in its order', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const m = /<!-- graph-ops:begin -->\n([^]*?)\n<!-- graph-ops:end -->/.exec(readme);
    expect(m, 'README.md needs a <!-- graph-ops:begin --> … <!-- graph-ops:end --> block').not.toBeNull();
    const listed = m![1]!.split(',').map((s) => s.trim().replace(/^`|`$/g, ''));
    expect(listed).toEqual([...SUPPORTED_GRAPH_OPS]);
  });
});
