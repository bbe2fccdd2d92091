// scripts/check-api-docs.mjs, the test command's gate for the API reference: it passes on the
// package's entry, and fails, naming the export, when an exported name has no doc comment
// (also through a re-export), while documented names, including re-exported ones, pass.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../runtimes/support/proc.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const check = (entry?: string) => run(process.execPath, [join(ROOT, 'scripts/check-api-docs.mjs'), ...(entry ? [entry] : [])], { cwd: ROOT, timeoutMs: 120_000 });
const dir = mkdtempSync(join(tmpdir(), 'sepconv-api-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/check-api-docs.mjs', () => {
  it("passes on the package's public entry", async () => {
    const r = await check();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/all \d+ exported names have a doc comment/);
  });

  it('fails on an undocumented export, direct or re-exported, and names it', async () => {
    writeFileSync(join(dir, 'lib.ts'), '/** Documented. */\nexport const good = 1;\nexport interface Bare { x: number }\n// a line comment is not a doc comment\nexport function plain(): void {}\n');
    writeFileSync(join(dir, 'index.ts'), "export { good, type Bare } from './lib.js';\nexport * from './lib.js';\n/** Documented too. */\nexport type Id = string;\nexport const undocumented = 2;\n");
    const r = await check(join(dir, 'index.ts'));
    expect(r.code).toBe(1);
    const named = [...r.stderr.matchAll(/^\s+\S+:\d+\s+(\w+)$/gm)].map((m) => m[1]).sort();
    expect(named).toEqual(['Bare', 'plain', 'undocumented']);
    expect(r.stderr).toMatch(/^3 of 5 exported names have no doc comment/);
  });
});
