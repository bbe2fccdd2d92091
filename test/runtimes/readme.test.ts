// Every JavaScript / TypeScript code block in README.md, as a user would paste it, against the packed
// tarball in a fresh project. A marker comment right above each block says how it is checked:
//   <!-- snippet: esm -->            saved as a .mjs file and run with Node; it must exit 0
//   <!-- snippet: cjs -->            saved as a .cjs file and run with Node; it must exit 0
//   <!-- snippet: types -->          type-checked with tsc twice: a Node-only project (@types/node, no DOM
//                                    lib) and a browser project (DOM lib, no @types/node), skipLibCheck off
//   <!-- snippet: skip: <reason> --> not run, for the reason given (a config file, a bundler-only form)
// A block without a marker fails the test, so a new snippet cannot go unchecked.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, packed, ROOT, type Packed } from './support/package.js';
import { run } from './support/proc.js';
import { snippets } from './support/markdown.js';

const CODE_LANGS = new Set(['js', 'mjs', 'cjs', 'ts', 'mts', 'cts', 'javascript', 'typescript']);

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = snippets(readme).filter((s) => CODE_LANGS.has(s.lang));

describe('README.md code blocks', () => {
  let pkg: Packed;
  beforeAll(() => {
    pkg = packed();
  });

  it('the extractor sees the blocks and their markers', () => {
    const found = snippets('text\n\n<!-- snippet: esm -->\n```js\nconsole.log(1)\n```\n\n  <!-- snippet: skip: why -->\n  ```ts\n  x\n  ```\n```js\ny\n```\n');
    expect(found.map((s) => [s.line, s.lang, s.mode, s.reason, s.code])).toEqual([
      [4, 'js', 'esm', undefined, 'console.log(1)'],
      [9, 'ts', 'skip', 'why', 'x'],
      [12, 'js', undefined, undefined, 'y'],
    ]);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(blocks.filter((b) => b.mode === 'esm').length).toBeGreaterThanOrEqual(2);
  });

  it('every JavaScript / TypeScript block is marked, and a skip gives its reason', () => {
    const unmarked = blocks.filter((b) => b.mode === undefined || (b.mode === 'skip' && !b.reason));
    expect(unmarked.map((b) => `README.md:${b.line} (${b.lang})`)).toEqual([]);
  });

  for (const b of blocks.filter((s) => s.mode === 'esm' || s.mode === 'cjs')) {
    it(`README.md:${b.line} runs as ${b.mode === 'esm' ? 'an ES module' : 'CommonJS'} against the packed package`, async () => {
      const dir = mkdtempSync(join(pkg.project, 'readme-'));
      const file = join(dir, b.mode === 'esm' ? 'snippet.mjs' : 'snippet.cjs');
      writeFileSync(file, b.code);
      const r = await run(process.execPath, [file], { cwd: dir, timeoutMs: 120_000 });
      expect(r.code, `README.md:${b.line} exited ${r.code}\n${r.stderr}\n${r.stdout}`).toBe(0);
      expect(r.stderr).toBe('');
    });
  }

  const typed = blocks.filter((s) => s.mode === 'types');
  it.each([
    ['Node-only (@types/node, no DOM lib)', { lib: ['ES2022', 'ESNext.Disposable'], types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }],
    ['browser (DOM lib, no @types/node)', { lib: ['ES2022', 'DOM', 'ESNext.Disposable'], types: [] }],
  ])('the TypeScript blocks type-check in a %s project', async (_name, env) => {
    expect(typed.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(pkg.project, 'readme-ts-'));
    const files = typed.map((b) => {
      const f = `snippet-${b.line}.mts`;
      writeFileSync(join(dir, f), b.code);
      return f;
    });
    const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', ...env };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
    const r = await run(BIN('tsc'), ['-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 120_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
