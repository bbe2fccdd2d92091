// Where weight shards may come from (issue 23 part 3, issue 29 part 5): a shard path in a manifest
// resolves inside the model's own directory (file) or URL prefix (http), also after redirects;
// `..`, absolute paths, other hosts, other schemes, encoded dot segments, backslashes and symlinks
// out of the directory are a ModelFormatError unless the caller passes `allowExternalShards`.
// Real files in a temporary directory and real HTTP servers on 127.0.0.1.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { readModelFiles, type LoadOptions } from '../../src/io/sources.js';

/** 16 bytes per shard, distinct per file so a test can tell which file was read. */
const bytesOf = (seed: number) => new Uint8Array(new Float32Array([seed, seed + 1, seed + 2, seed + 3]).buffer);
const MODEL = bytesOf(1);
const SECRET = bytesOf(100);

function modelJson(paths: string[]): string {
  return JSON.stringify({
    format: 'layers-model',
    modelTopology: { model_config: { class_name: 'Sequential', config: { layers: [] } } },
    weightsManifest: [{ paths, weights: [{ name: 'w', shape: [4 * paths.length], dtype: 'float32' }] }],
  });
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<ModelFormatError> {
  const e = await p.then(
    (raw) => new Error(`loaded ${(raw as { weightData: Uint8Array }).weightData.length} bytes`),
    (x) => x,
  );
  expect(e).toBeInstanceOf(ModelFormatError);
  expect(e.message).toMatch(re);
  return e;
}

describe('local model.json: shards stay in its directory', () => {
  let root: string;
  let dir: string;
  const model = (paths: string[], name = 'model.json') => {
    writeFileSync(join(dir, name), modelJson(paths));
    return join(dir, name);
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sepconv-confine-'));
    dir = join(root, 'models', 'tiny');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(root, 'secret.bin'), SECRET);
    writeFileSync(join(dir, 'w.bin'), MODEL);
    writeFileSync(join(dir, 'sub', 'w2.bin'), MODEL);
    symlinkSync(join(root, 'secret.bin'), join(dir, 'link.bin'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads shards named inside the directory (plain, ./, a subdirectory)', async () => {
    for (const p of ['w.bin', './w.bin', 'sub/w2.bin', 'sub/../w.bin']) {
      const raw = await readModelFiles(model([p]));
      expect([...raw.weightData]).toEqual([...MODEL]);
    }
  });

  it('rejects .., absolute paths, encoded and backslash forms, other schemes, and symlinks out of it', async () => {
    const outside = [
      '../../secret.bin',
      'sub/../../../secret.bin',
      join(root, 'secret.bin'),
      '/etc/passwd',
      '../../../../../../../../etc/passwd',
      '%2e%2e/%2e%2e/secret.bin',
      '%2E%2E/%2E%2E/secret.bin',
      '..\\..\\secret.bin',
      '..%2f..%2fsecret.bin',
      `file://${join(root, 'secret.bin')}`,
      'http://127.0.0.1:9/x.bin',
      '//127.0.0.1:9/x.bin',
    ];
    for (const p of outside) {
      const e = await rejects(readModelFiles(model([p])), /shard path .* (outside|names a URL scheme|encoded separator)|inside the model's directory/);
      // Nothing about the file outside leaks (the old error for /etc/passwd told its size).
      expect(e.message).not.toMatch(/hold \d+ bytes/);
    }
    await rejects(readModelFiles(model(['link.bin'])), /link\.bin.* leads outside the model's directory \(through a symlink\)/);
  });

  it('allowExternalShards: true reads them', async () => {
    const opts: LoadOptions = { allowExternalShards: true };
    for (const p of ['../../secret.bin', join(root, 'secret.bin'), 'link.bin', '%2e%2e/%2e%2e/secret.bin']) {
      const raw = await readModelFiles(model([p]), opts);
      expect([...raw.weightData]).toEqual([...SECRET]);
    }
  });
});

describe('model.json from a URL: shards stay under its prefix, also after redirects', () => {
  // Server A hosts the models under /c<k>/ and a file outside every prefix at /x.bin; server B (another
  // port: another origin) hosts /x.bin and counts its requests.
  const routes = new Map<string, { status: number; body?: Uint8Array | string; location?: string }>();
  let hitsB = 0;
  let a: Server;
  let b: Server;
  let A = '';
  let B = '';
  const listen = (s: Server) => new Promise<string>((res) => s.listen(0, '127.0.0.1', () => res(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
  beforeAll(async () => {
    a = createServer((req, res) => {
      const r = routes.get(req.url ?? '');
      if (!r) return res.writeHead(404).end();
      res.writeHead(r.status, r.location ? { location: r.location } : {}).end(r.body);
    });
    b = createServer((req, res) => {
      hitsB++;
      // B also hosts a model under /m/ (the target of a redirected model.json).
      const body = req.url === '/x.bin' ? SECRET : req.url === '/m/w.bin' ? MODEL : req.url === '/m/model.json' ? modelJson(['w.bin']) : undefined;
      res.writeHead(body === undefined ? 404 : 200).end(body);
    });
    [A, B] = await Promise.all([listen(a), listen(b)]);
    routes.set('/x.bin', { status: 200, body: SECRET });
  });
  afterAll(async () => {
    await Promise.all([a, b].map((s) => new Promise((res) => s.close(res))));
  });
  let k = 0;
  /** Publishes a model.json naming `paths` under a fresh prefix /c<k>/ of server A; returns its URL. */
  const publish = (paths: string[], extra: Record<string, { status: number; body?: Uint8Array; location?: string }> = {}) => {
    const prefix = `/c${k++}/`;
    routes.set(`${prefix}model.json`, { status: 200, body: modelJson(paths) });
    routes.set(`${prefix}w.bin`, { status: 200, body: MODEL });
    for (const [name, r] of Object.entries(extra)) routes.set(prefix + name, r);
    return { url: `${A}${prefix}model.json`, prefix };
  };

  it('fetches shards under the prefix, and follows redirects that stay under it', async () => {
    // The next prefix publish() hands out.
    const { url } = publish(['w.bin', 'r.bin'], { 'r.bin': { status: 302, location: `/c${k}/w.bin` } });
    const raw = await readModelFiles(url);
    expect([...raw.weightData]).toEqual([...MODEL, ...MODEL]);
  });

  it('rejects other hosts, other schemes, .., absolute paths and encoded forms without requesting them', async () => {
    const b64 = Buffer.from(SECRET).toString('base64');
    const outside = [
      `${B}/x.bin`,
      `${B.replace('http:', '')}/x.bin`,
      `data:application/octet-stream;base64,${b64}`,
      '../x.bin',
      '/x.bin',
      `${A}/x.bin`,
      '%2e%2e/x.bin',
      '..\\x.bin',
      '..%2fx.bin',
    ];
    for (const p of outside) await rejects(readModelFiles(publish([p]).url), /shard path .* (outside|names a URL scheme|encoded separator)/);
    expect(hitsB).toBe(0);
  });

  it('a shard that redirects off the prefix (another host, or out of the directory) is rejected', async () => {
    const off = publish(['r.bin'], { 'r.bin': { status: 302, location: `${B}/x.bin` } });
    await rejects(readModelFiles(off.url), new RegExp(`redirected to "${B}/x.bin", outside the model's URL prefix`));
    const up = publish(['r.bin'], { 'r.bin': { status: 302, location: '/x.bin' } });
    await rejects(readModelFiles(up.url), /redirected to .*\/x\.bin", outside the model's URL prefix/);
  });

  it('a model.json that redirects to another host: shards redirected to that prefix load, others are still rejected', async () => {
    const prefix = `/c${k++}/`;
    routes.set(`${prefix}model.json`, { status: 302, location: `${B}/m/model.json` });
    routes.set(`${prefix}w.bin`, { status: 302, location: `${B}/m/w.bin` });
    expect([...(await readModelFiles(`${A}${prefix}model.json`)).weightData]).toEqual([...MODEL]);
    routes.set(`${prefix}w.bin`, { status: 302, location: `${B}/x.bin` });
    await rejects(readModelFiles(`${A}${prefix}model.json`), /redirected to .*\/x\.bin", outside the model's URL prefix/);
  });

  it('allowExternalShards: true fetches other hosts and follows redirects anywhere', async () => {
    const opts: LoadOptions = { allowExternalShards: true };
    expect([...(await readModelFiles(publish([`${B}/x.bin`]).url, opts)).weightData]).toEqual([...SECRET]);
    const off = publish(['r.bin'], { 'r.bin': { status: 302, location: `${B}/x.bin` } });
    expect([...(await readModelFiles(off.url, opts)).weightData]).toEqual([...SECRET]);
  });
});
