// The demo (demo/main.mjs, what scripts/demo.sh runs) given an image or a model it cannot read: it exits
// non-zero with one clear line on stderr that names the file, and no stack trace. Each run stops before any
// model runs, so the file takes a few seconds.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const demo = join(root, 'demo/main.mjs');
const sample = join(root, 'node_modules/@vladmandic/face-api/demo/sample1.jpg');
const nsfwLayers = join(root, 'node_modules/nsfwjs/dist/models/mobilenet_v2');
const dir = mkdtempSync(join(tmpdir(), 'sepconv-demo-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [demo, '--no-tfjs', '--no-summary', '--runs', '1', ...args], { cwd: root, timeout: 120_000, env: { ...process.env, SEPCONV_DEMO_DEBUG: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Exit code non-zero, exactly one line on stderr naming `names`, no stack frames anywhere. */
async function expectOneLineFailure(args: string[], names: string) {
  const r = await runDemo(args);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(r.code, r.stderr).not.toBe(0);
  expect(typeof r.code).toBe('number');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain(names);
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^\s+at .+(:\d+:\d+\)?|<anonymous>\)?)$/m);
  return lines[0]!;
}

describe('demo: an unreadable image or model gives one line and a non-zero exit', () => {
  it('a missing image', () => expectOneLineFailure(['--image', join(dir, 'nope.jpg'), '--model', 'nsfw'], 'nope.jpg'));

  it('an image file that is not an image', () => expectOneLineFailure(['--image', file('text.jpg', 'hello, not a JPEG\n'), '--model', 'nsfw'], 'text.jpg'));

  it('a JPEG cut after its first bytes', () => expectOneLineFailure(['--image', file('cut.jpg', readFileSync(sample).subarray(0, 64)), '--model', 'nsfw'], 'cut.jpg'));

  it('a directory given as the image', () => expectOneLineFailure(['--image', dir, '--model', 'nsfw'], dir));

  it('a model.json that is not JSON', () => expectOneLineFailure(['--image', sample, '--model', file('model.json', '{"modelTopology": {"class_name": ')], 'model.json'));

  it('a model whose weight shard is missing', async () => {
    const sub = join(dir, 'noshard');
    rmSync(sub, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(sub);
    copyFileSync(join(nsfwLayers, 'model.min.js'), join(sub, 'model.min.js'));
    await expectOneLineFailure(['--image', sample, '--model', join(sub, 'model.min.js')], 'model.min.js');
  });

  it('a model whose weight shard is corrupt', async () => {
    const sub = join(dir, 'badshard');
    (await import('node:fs')).mkdirSync(sub, { recursive: true });
    copyFileSync(join(nsfwLayers, 'model.min.js'), join(sub, 'model.min.js'));
    const json = JSON.parse(JSON.stringify((await import('sepconv')).extractWrappedModule(readFileSync(join(nsfwLayers, 'model.min.js'), 'utf8'))));
    for (const g of json.weightsManifest) for (const p of g.paths) writeFileSync(join(sub, `${p}.min.js`), '!function(e){}({1:[function(a,b,c){b.exports="@@@@"},{}]},{},[1]);');
    await expectOneLineFailure(['--image', sample, '--model', join(sub, 'model.min.js')], 'model.min.js');
  });
});
