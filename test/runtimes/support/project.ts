import { copyFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, type Packed } from './package.js';

/**
 * A fresh directory inside the packed project holding copies of the given fixtures, so a bare
 * `sepconv` import there resolves to the unpacked tarball, never to the workspace package.
 */
export function fixtureDir(pkg: Packed, prefix: string, files: string[]): string {
  const dir = mkdtempSync(join(pkg.project, `${prefix}-`));
  for (const f of files) copyFileSync(join(FIXTURES, f), join(dir, f));
  return dir;
}
