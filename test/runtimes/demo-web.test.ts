// The browser demo (`pnpm demo:web`, demo/web/) in headless Chromium, served by Vite's dev server
// as the script serves it. By default the face detector (BlazeFace) finds faces on a sample photo and
// draws their boxes, agreeing with TF.js-wasm. With ?model=nsfw the page loads, its module worker runs
// sepconv and TF.js-wasm on a sample photo, the result and both latencies appear, and the canvas shows
// the photo with the labels panel. A box and a keypoint handed to the page's draw() land where they were asked to.
// The screenshot is kept at test/.tmp/demo-web.png.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOUNTS, startDemoServer } from '../../demo/web/serve.mjs';
import { launchChromium, type Browser } from './support/browser.js';
import { ROOT } from './support/package.js';

let browser: Browser;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  server = await startDemoServer({ port: 0, logLevel: process.env.DEMO_LOG ?? 'silent' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const hex = (s: string) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));

describe('demo/web in headless Chromium', () => {
  it('?model=nsfw: loads, runs the classifier in a module worker, draws the photo and labels, shows both latencies', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    const workers: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('worker', (w) => workers.push(w.url()));
    page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} ${r.url()}`));
    try {
      await page.goto(`${server.url}?model=nsfw&sample=1&runs=3`, { timeout: 60_000 });
      await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('status')!.dataset.state!), null, { timeout: 120_000 });
      const status = await page.locator('#status').textContent();
      expect(status, `${status}\n${await page.locator('#error').textContent()}`).toBe('Done.');
      expect(errors, 'page errors').toEqual([]);
      // A module worker loaded by URL, not a blob:
      expect(workers.length).toBeGreaterThan(0);
      expect(workers.every((u) => u.startsWith(server.url) && /worker\.js/.test(u))).toBe(true);

      // The model is named for what it is.
      expect(await page.locator('#model-what').textContent()).toMatch(/NSFW content classifier/);
      // The result: three of the model's classes with percentages, largest first.
      const result = (await page.locator('#result').textContent())!;
      const labels = [...result.matchAll(/(Drawing|Hentai|Neutral|Porn|Sexy) (\d+\.\d)%/g)];
      expect(labels.length, result).toBe(3);
      const scores = labels.map((m) => Number(m[2]));
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      // Latencies: sepconv and TF.js-wasm, positive numbers of ms, 3 timed runs each.
      const rows = await page.locator('#latency tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent!)));
      expect(rows.map((r) => r[0])).toEqual([expect.stringMatching(/^sepconv \(relaxed build\)$/), 'TF.js-wasm (XNNPACK)']);
      for (const r of rows) {
        expect(Number(r[1]), r.join(' ')).toBeGreaterThan(0);
        expect(Number(r[2]), r.join(' ')).toBeGreaterThan(0);
        expect(r[3]).toBe('3');
      }
      // Both engines ran the same model on the same input and agree.
      const agree = (await page.locator('#agree').textContent())!;
      const diff = Number(/difference from TF.js over all outputs: (\S+) /.exec(agree)?.[1]);
      expect(diff, agree).toBeLessThan(1e-3);

      // The screenshot, checked loosely: the canvas holds a photo (many distinct colours, not
      // blank), with the dark labels panel at its top left.
      const box = (await page.locator('#view').boundingBox())!;
      mkdirSync(join(ROOT, 'test/.tmp'), { recursive: true });
      const shotPath = join(ROOT, 'test/.tmp/demo-web.png');
      const shot = PNG.sync.read(await page.screenshot({ path: shotPath, fullPage: true }));
      const px = (x: number, y: number) => {
        const i = (Math.round(y) * shot.width + Math.round(x)) * 4;
        return [shot.data[i]!, shot.data[i + 1]!, shot.data[i + 2]!];
      };
      const colours = new Set<string>();
      for (let y = box.y + box.height / 2; y < box.y + box.height - 2; y += 7) {
        for (let x = box.x + 2; x < box.x + box.width - 2; x += 7) colours.add(px(x, y).join());
      }
      expect(colours.size, 'distinct colours in the lower half of the canvas').toBeGreaterThan(200);
      const panel = px(box.x + 3, box.y + 3);
      expect(Math.max(...panel), `labels panel pixel ${panel}`).toBeLessThan(90);

      // A detector's output: a box and a keypoint drawn where asked (normalized coordinates).
      const colors = await page.evaluate(() => {
        const demo = (globalThis as unknown as { sepconvDemo: { draw(f: unknown): void; colors: { box: string; point: string } } }).sepconvDemo;
        demo.draw({ boxes: [{ x: 0.5, y: 0.5, w: 0.3, h: 0.3, label: 'face', score: 0.9 }], keypoints: [{ x: 0.25, y: 0.75 }] });
        return demo.colors;
      });
      const shot2 = PNG.sync.read(await page.locator('#view').screenshot());
      const at = (fx: number, fy: number) => {
        const i = (Math.round(fy * (shot2.height - 1)) * shot2.width + Math.round(fx * (shot2.width - 1))) * 4;
        return [shot2.data[i]!, shot2.data[i + 1]!, shot2.data[i + 2]!];
      };
      const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 40);
      // The box's left edge, halfway down it; its right edge; the keypoint's centre.
      expect(at(0.5, 0.65), 'box left edge').toSatisfy((c: number[]) => near(c, hex(colors.box)));
      expect(at(0.8, 0.65), 'box right edge').toSatisfy((c: number[]) => near(c, hex(colors.box)));
      expect(at(0.25, 0.75), 'keypoint').toSatisfy((c: number[]) => near(c, hex(colors.point)));
      // Inside the box the photo shows through (it is an outline, not a fill).
      expect(at(0.65, 0.65), 'inside the box').not.toSatisfy((c: number[]) => near(c, hex(colors.box)));
    } finally {
      await page.close();
    }
  });

  it.skipIf(!existsSync(join(MOUNTS['/models/human/']!, 'blazeface.json')))('the default model, BlazeFace: the face detector finds faces, draws their boxes, and agrees with TF.js-wasm', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} ${r.url()}`));
    try {
      await page.goto(`${server.url}?sample=1&runs=3`, { timeout: 60_000 });
      await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('status')!.dataset.state!), null, { timeout: 120_000 });
      const status = await page.locator('#status').textContent();
      expect(status, `${status}\n${await page.locator('#error').textContent()}`).toBe('Done.');
      expect(errors, 'page errors').toEqual([]);
      expect(await page.locator('#model-what').textContent()).toMatch(/face detector/);
      // The faces the Node demo's decoding finds on the same photo, with their scores.
      const result = (await page.locator('#result').textContent())!;
      const faces = [...result.matchAll(/face \d+ (\d+\.\d)%/g)].map((m) => Number(m[1]));
      expect(faces.length, result).toBeGreaterThanOrEqual(1);
      for (const f of faces) expect(f).toBeGreaterThanOrEqual(50);
      const rows = await page.locator('#latency tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent!)));
      expect(rows.map((r) => r[0])).toEqual([expect.stringMatching(/^sepconv \(relaxed build\)$/), 'TF.js-wasm (XNNPACK)']);
      const agree = (await page.locator('#agree').textContent())!;
      const diff = Number(/difference from TF.js over all outputs: (\S+) /.exec(agree)?.[1]);
      expect(diff, agree).toBeLessThan(1e-3);
      // The boxes are drawn: the box colour is on the canvas.
      const colors = await page.evaluate(() => (globalThis as unknown as { sepconvDemo: { colors: { box: string } } }).sepconvDemo.colors);
      const shot = PNG.sync.read(await page.locator('#view').screenshot());
      const want = hex(colors.box);
      let boxPixels = 0;
      for (let i = 0; i < shot.data.length; i += 4) if (want.every((v, c) => Math.abs(shot.data[i + c]! - v) < 40)) boxPixels++;
      expect(boxPixels).toBeGreaterThan(50);
    } finally {
      await page.close();
    }
  });
});
