// The packed tarball, as users get it: `pnpm pack` of packages/sepconv, unpacked into a temp
// project's node_modules/sepconv (the package has no dependencies, so that is an install; no network).
// Cached per content hash of what the tarball holds, so each test file reuses one pack.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const PKG_DIR = join(ROOT, 'packages/sepconv');
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const BIN = (name: string) => join(ROOT, 'node_modules/.bin', name);

export interface Packed {
  /** The .tgz from `pnpm pack`. */
  tarball: string;
  /** A project directory with node_modules/sepconv unpacked from the tarball. */
  project: string;
  /** node_modules/sepconv inside it. */
  pkg: string;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function contentHash(): string {
  const h = createHash('sha256');
  for (const sub of ['dist', 'wasm', 'types']) {
    const d = join(PKG_DIR, sub);
    if (!existsSync(d)) throw new Error(`packages/sepconv/${sub} is missing: run scripts/build.sh first`);
    for (const f of walk(d)) h.update(f.slice(PKG_DIR.length)).update(readFileSync(f));
  }
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) h.update(f).update(readFileSync(join(PKG_DIR, f)));
  h.update('project-v3');
  return h.digest('hex').slice(0, 16);
}

/** Every file the exports map points at, relative to the package root. */
function exportTargets(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (v && typeof v === 'object') return Object.values(v).flatMap(exportTargets);
  return [];
}

function missingTargets(pkgDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports: unknown };
  return [...new Set(exportTargets(manifest.exports))].filter((t) => !existsSync(join(pkgDir, t)));
}

/** Removes packs of older content (left by earlier runs) after an hour. */
function pruneOldPacks(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('sepconv-packed-')) continue;
    const p = join(tmpdir(), name);
    try {
      if (Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
    } catch {
      // raced with another run
    }
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Packs (once per content) and unpacks the package; returns where. Other helpers may be
 * rebuilding dist/ meanwhile (tsup cleans it first): a pack whose content changed while it ran,
 * or that misses an exports target, is retried for up to 200 s (the vitest hook timeout is 240 s).
 */
export function packed(): Packed {
  let lastProblem = '';
  for (const deadline = Date.now() + 200_000; Date.now() < deadline; sleep(3000)) {
    let hash: string;
    try {
      hash = contentHash();
    } catch (e) {
      lastProblem = (e as Error).message;
      continue;
    }
    const dir = join(tmpdir(), `sepconv-packed-${hash}`);
    const result = (d: string): Packed => ({
      tarball: join(d, readdirSync(d).find((f) => f.endsWith('.tgz'))!),
      project: join(d, 'project'),
      pkg: join(d, 'project/node_modules/sepconv'),
    });
    if (existsSync(join(dir, 'project/node_modules/sepconv/package.json'))) {
      const now = new Date();
      utimesSync(dir, now, now); // in use: not pruned
      return result(dir);
    }
    pruneOldPacks();
    // A build writing dist/ right now: wait until it has been quiet for a few seconds.
    let newest = Date.now();
    try {
      newest = Math.max(...walk(join(PKG_DIR, 'dist')).map((f) => statSync(f).mtimeMs));
    } catch {
      // a file vanished while listing: being rebuilt
    }
    if (Date.now() - newest < 5000) {
      lastProblem = 'dist/ is being written';
      continue;
    }
    const staging = mkdtempSync(join(tmpdir(), 'sepconv-pack-'));
    try {
      execFileSync('pnpm', ['pack', '--pack-destination', staging], { cwd: PKG_DIR, stdio: 'pipe' });
      const r = result(staging);
      mkdirSync(r.pkg, { recursive: true });
      execFileSync('tar', ['xzf', r.tarball, '-C', r.pkg, '--strip-components=1']);
      const missing = missingTargets(r.pkg);
      if (missing.length || contentHash() !== hash) {
        lastProblem = missing.length ? `the tarball lacks ${missing.join(', ')}` : 'dist/ changed while packing';
        continue;
      }
      // The project is an app root (Vite's dev server allows files under the nearest package.json).
      writeFileSync(join(r.project, 'package.json'), JSON.stringify({ name: 'sepconv-runtime-tests', private: true }, null, 2));
      // The package's dependencies, installed as a package manager would (linked from the workspace's
      // store: offline, and their own dependencies resolve beside their real paths).
      const deps = Object.keys(JSON.parse(readFileSync(join(r.pkg, 'package.json'), 'utf8')).dependencies ?? {});
      for (const dep of deps) {
        const to = join(r.project, 'node_modules', dep);
        mkdirSync(join(to, '..'), { recursive: true });
        symlinkSync(realpathSync(join(PKG_DIR, 'node_modules', dep)), to, 'dir');
      }
      try {
        renameSync(staging, dir);
      } catch {
        // Another run packed the same content first: use theirs.
      }
      return result(dir);
    } catch (e) {
      lastProblem = (e as Error).message;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  throw new Error(`could not pack a complete sepconv package (is a build running, or did it fail?): ${lastProblem}`);
}

/** A fresh scratch directory under the system temp dir (removed by the caller). */
export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sepconv-${prefix}-`));
}
