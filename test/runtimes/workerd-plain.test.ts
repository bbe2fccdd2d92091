// README's "Plain workerd + esbuild (no wrangler)" recipe, run as written: the worker block saved
// as src/worker.js, the esbuild line of the sh block run in a project holding the packed tarball
// (`npx` resolving to this repo's pinned esbuild and workerd, as a project that installed them
// would), the capnp block saved as config.capnp and served by the real workerd (its socket moved
// to a free port with --socket-addr). Also checks the two errors the README says the flags avoid.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { section, snippets } from './support/markdown.js';
import { packed, ROOT, type Packed } from './support/package.js';
import { run } from './support/proc.js';
import { serveWorkerd } from './support/workerd.js';

const recipe = snippets(section(readFileSync(join(ROOT, 'README.md'), 'utf8'), '#### Plain workerd + esbuild (no wrangler)'));
const block = (lang: string) => {
  const found = recipe.filter((b) => b.lang === lang);
  if (found.length !== 1) throw new Error(`the recipe should have one ${lang} block, has ${found.length}`);
  return found[0]!.code;
};
const workerJs = block('js');
const commands = block('sh').split('\n').filter((l) => l.trim());
const configCapnp = block('capnp');
const esbuildLine = commands.find((l) => /^npx esbuild /.test(l))!;
const FREE_PORT = ['--socket-addr', 'http=127.0.0.1:0'];

let pkg: Packed;
const dirs: string[] = [];

/** A fresh project dir inside the packed project (so `sepconv` resolves to the tarball) with the recipe's files. */
function project(): string {
  const dir = mkdtempSync(join(pkg.project, 'workerd-plain-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/worker.js'), workerJs);
  writeFileSync(join(dir, 'config.capnp'), configCapnp);
  return dir;
}

/** Runs shell lines in `dir` with `npx <bin>` running the repo's installed <bin>. */
const sh = (dir: string, line: string) =>
  run('bash', ['-c', `npx() { "$@"; }\n${line}`], { cwd: dir, env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` } });

/** Float64 reference of the worker's depthwise conv: 3x3 box filter, valid padding, on the same float32 inputs. */
function reference(): number[] {
  const [H, W, C] = [6, 6, 4];
  const x = Float32Array.from({ length: H * W * C }, (_, i) => Math.sin(i));
  const w = Math.fround(1 / 9);
  const out: number[] = [];
  for (let i = 0; i < H - 2; i++)
    for (let j = 0; j < W - 2; j++)
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let di = 0; di < 3; di++) for (let dj = 0; dj < 3; dj++) s += x[((i + di) * W + j + dj) * C + c]! * w;
        out.push(s);
      }
  return out;
}

beforeAll(() => {
  pkg = packed();
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Answer = { backend: { build: string; reason: string }; shape: number[]; data: number[] };

describe('README recipe: plain workerd + esbuild', () => {
  it('the sh block is the esbuild line and `npx workerd serve config.capnp`', () => {
    expect(commands).toEqual([esbuildLine, 'npx workerd serve config.capnp']);
  });

  it('bundles, serves, and answers with a relaxed-build depthwise conv matching a float64 reference', async () => {
    const dir = project();
    const built = await sh(dir, esbuildLine);
    expect(built.code, built.stderr).toBe(0);
    expect(readdirSync(join(dir, 'dist')).sort()).toEqual(['sepconv-relaxed.wasm', 'sepconv-scalar.wasm', 'sepconv-simd128.wasm', 'worker.js']);
    const w = await serveWorkerd(dir, 'config.capnp', FREE_PORT);
    try {
      const res = await fetch(w.url + '/');
      const text = await res.text();
      expect(res.status, `${text}\n${w.stderr()}`).toBe(200);
      const body = JSON.parse(text) as Answer;
      expect(body.backend.build).toBe('relaxed');
      expect(body.backend.reason).toMatch(/workerd validates relaxed SIMD/);
      expect(body.shape).toEqual([1, 4, 4, 4]);
      const ref = reference();
      expect(body.data).toHaveLength(ref.length);
      body.data.forEach((v, i) => expect(Math.abs(v - ref[i]!), `element ${i}: ${v} vs ${ref[i]}`).toBeLessThan(1e-6 * (1 + Math.abs(ref[i]!))));
    } finally {
      await w.stop();
    }
  });

  it('without the loader flags esbuild stops at the .wasm imports, as the README says', async () => {
    const dir = project();
    const r = await sh(dir, esbuildLine.replace(' --loader:.wasm=copy --asset-names=[name]', ''));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('No loader is configured for ".wasm" files');
  });

  it('with --external:*.wasm workerd rejects ../wasm/ from worker.js, and takes it one directory deep', async () => {
    const dir = project();
    const r = await sh(dir, esbuildLine.replace('--loader:.wasm=copy --asset-names=[name]', "'--external:*.wasm'"));
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'dist/worker.js'), 'utf8')).toContain('../wasm/sepconv-relaxed.wasm');
    for (const b of ['relaxed', 'simd128', 'scalar']) copyFileSync(join(pkg.pkg, `wasm/sepconv-${b}.wasm`), join(dir, `dist/sepconv-${b}.wasm`));
    await expect(serveWorkerd(dir, 'config.capnp', FREE_PORT)).rejects.toThrow('Invalid module specifier "../wasm/sepconv-relaxed.wasm"');

    // The same bundle, the worker module named dist/worker.js and the binaries wasm/…: it runs.
    cpSync(join(dir, 'config.capnp'), join(dir, 'deep.capnp'));
    writeFileSync(join(dir, 'deep.capnp'), configCapnp.replace('name = "worker.js"', 'name = "dist/worker.js"').replaceAll('name = "sepconv-', 'name = "wasm/sepconv-'));
    const w = await serveWorkerd(dir, 'deep.capnp', FREE_PORT);
    try {
      const res = await fetch(w.url + '/');
      expect(res.status, w.stderr()).toBe(200);
      expect(((await res.json()) as Answer).backend.build).toBe('relaxed');
    } finally {
      await w.stop();
    }
  });
});
