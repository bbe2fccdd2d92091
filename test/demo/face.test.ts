// The default demo (demo/main.mjs): BlazeFace from @vladmandic/human@3.3.6's corpus (scripts/fixtures-npm.sh)
// on face-api's sample photos. For two photos:
// - sepconv's outputs, decoded by demo/lib/faces.mjs, give at least one face, every box inside the photo,
//   eyes, nose and mouth inside their box, and each box matches (IoU > 0.9) one box of the same decoding applied to TF.js CPU's outputs of the same
//   model.json (tfjs-converter), with the same count of faces;
// - the demo CLI exits 0, prints the faces, and writes <photo>.faces.png: the photo, changed only around the
//   faces (box outlines, keypoint dots), with green on each box's outline.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as sc from 'sepconv';
import { blazefaceInput, decodeFaces, iou, type Face } from '../../demo/lib/faces.mjs';
import { decodeImage } from '../../demo/lib/images.mjs';
import { initTfjsCpu, tf } from '../engines/tfjs-layers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MODEL = `${process.env.SEPCONV_CACHE ?? `${homedir()}/.cache/sepconv`}/human-3.3.6/models/blazeface.json`;
const PHOTOS = [1, 2].map((i) => join(root, `node_modules/@vladmandic/face-api/demo/sample${i}.jpg`));
const out = mkdtempSync(join(tmpdir(), 'sepconv-demo-face-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

type Raw = { shape: number[]; data: Float32Array };
let ours: sc.Model;
let ref: tfconv.GraphModel;
let size: number;

/** sepconv's faces on a photo, with the demo's defaults (score >= 0.5). */
function oursFaces(path: string): { faces: Face[]; img: ReturnType<typeof decodeImage> } {
  const img = decodeImage(path);
  const { input, frame } = blazefaceInput(img, size);
  const x = sc.tensor(input, [1, size, size, 3]);
  const y = ours.predict(x);
  const raw: Raw[] = (Array.isArray(y) ? y : [y]).map((t) => ({ shape: [...t.shape], data: t.data() }));
  x.dispose();
  return { faces: decodeFaces(raw, frame, { minScore: 0.5 }), img };
}

describe.skipIf(!existsSync(MODEL))('demo: BlazeFace faces on photos (run scripts/fixtures-npm.sh)', () => {
  beforeAll(async () => {
    await sc.init();
    await initTfjsCpu();
    ours = await sc.loadModel(MODEL);
    size = ours.inputs[0]!.shape[0] as number;
    const raw = await sc.readModelFiles(MODEL);
    ref = await tfconv.loadGraphModel(
      tf.io.fromMemory({ modelTopology: raw.json.modelTopology, weightSpecs: raw.groups.flatMap((g) => g.weights) as any, weightData: raw.weightData.slice().buffer }),
    );
  });
  afterAll(() => {
    ours?.dispose();
    ref?.dispose();
  });

  for (const photo of PHOTOS) {
    const name = photo.replace(/^.*\//, '');
    it(`${name}: at least one face, boxes inside the photo, each matching TF.js CPU's (IoU > 0.9)`, () => {
      const { faces, img } = oursFaces(photo);
      const { input, frame } = blazefaceInput(img, size);
      const outs = ref.execute(tf.tensor(input, [1, size, size, 3])) as tf.Tensor[];
      const theirs = decodeFaces(
        outs.map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array })),
        frame,
        { minScore: 0.5 },
      );
      tf.dispose(outs);
      expect(faces.length).toBeGreaterThanOrEqual(1);
      expect(faces.length).toBe(theirs.length);
      for (const f of faces) {
        const [x0, y0, x1, y1] = f.box;
        expect(x0).toBeGreaterThanOrEqual(0);
        expect(y0).toBeGreaterThanOrEqual(0);
        expect(x1).toBeLessThanOrEqual(img.width);
        expect(y1).toBeLessThanOrEqual(img.height);
        expect(x1 - x0).toBeGreaterThan(4);
        expect(y1 - y0).toBeGreaterThan(4);
        expect(f.score).toBeGreaterThanOrEqual(0.5);
        expect(f.keypoints).toHaveLength(6);
        // The decoding's own check: eyes, nose and mouth (the first four keypoints) lie inside their face's box.
        for (const [kx, ky] of f.keypoints.slice(0, 4)) {
          expect(kx, `${name} keypoint x in [${x0}, ${x1}]`).toBeGreaterThanOrEqual(x0);
          expect(kx).toBeLessThanOrEqual(x1);
          expect(ky, `${name} keypoint y in [${y0}, ${y1}]`).toBeGreaterThanOrEqual(y0);
          expect(ky).toBeLessThanOrEqual(y1);
        }
        const best = Math.max(...theirs.map((t) => iou(f.box, t.box)));
        expect(best, `${name} box ${f.box.map(Math.round)}`).toBeGreaterThan(0.9);
      }
      console.log(`${name} (${img.width}x${img.height}): ${faces.map((f) => `[${f.box.map(Math.round)}] ${f.score.toFixed(3)}`).join(', ')}`);
    });
  }

  it('the demo CLI prints the faces and writes a PNG per photo, changed only around the faces, green on the box outlines', async () => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [join(root, 'demo/main.mjs'), '--no-tfjs', '--no-summary', '--runs', '1', '--out', out, ...PHOTOS.flatMap((p) => ['--image', p])],
        { cwd: root, timeout: 120_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('BlazeFace');
    for (const photo of PHOTOS) {
      const name = photo.replace(/^.*\//, '');
      const { faces, img } = oursFaces(photo);
      expect(r.stdout).toMatch(new RegExp(`${name.replace('.', '\\.')}\\s+${faces.length}: \\d`));
      const png = PNG.sync.read(readFileSync(join(out, name.replace(/\.jpg$/, '.faces.png'))));
      expect([png.width, png.height]).toEqual([img.width, img.height]);
      const t = Math.max(2, Math.round(Math.max(img.width, img.height) / 250)) + 4;
      // Where a face's box or keypoints are drawn (with a margin for the line width, the dots, rounding).
      const near = (x: number, y: number) =>
        faces.some(({ box: [x0, y0, x1, y1], keypoints }) => (x >= x0 - t && x <= x1 + t && y >= y0 - t && y <= y1 + t) || keypoints.some(([kx, ky]) => Math.abs(kx - x) <= t && Math.abs(ky - y) <= t));
      let changed = 0;
      for (let y = 0; y < img.height; y++)
        for (let x = 0; x < img.width; x++) {
          const o = (y * img.width + x) * 4;
          if (png.data[o] !== img.data[o] || png.data[o + 1] !== img.data[o + 1] || png.data[o + 2] !== img.data[o + 2]) {
            changed++;
            if (!near(x, y)) expect.fail(`${name}: pixel (${x}, ${y}) changed, away from every face`);
          }
        }
      expect(changed).toBeGreaterThan(0);
      const green = (x: number, y: number) => {
        const o = (Math.round(y) * img.width + Math.round(x)) * 4;
        return png.data[o] === 0 && png.data[o + 1] === 255 && png.data[o + 2] === 0;
      };
      for (const { box } of faces) {
        const [x0, y0, x1, y1] = box;
        const mx = (x0 + x1) / 2;
        const my = (y0 + y1) / 2;
        // Somewhere within 3 px inside each edge, at the edge's middle, is the outline's green.
        const band = [0, 1, 2, 3];
        expect(band.some((d) => green(mx, Math.min(img.height - 1, y0 + d))), `${name} top edge`).toBe(true);
        expect(band.some((d) => green(mx, Math.max(0, y1 - 1 - d))), `${name} bottom edge`).toBe(true);
        expect(band.some((d) => green(Math.min(img.width - 1, x0 + d), my)), `${name} left edge`).toBe(true);
        expect(band.some((d) => green(Math.max(0, x1 - 1 - d), my)), `${name} right edge`).toBe(true);
      }
    }
  }, 120_000);
});
