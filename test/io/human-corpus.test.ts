// Real trained TF.js graph models as they ship: @vladmandic/human@3.3.6's models/ folder (11 models,
// fetched once from npm with a pinned sha256 by scripts/fixtures-npm.sh, which setup.sh runs; read
// from the cache here, nothing is downloaded at test time). For each model:
// - sepconv either loads it, or refuses it with one UnsupportedOpsError whose `.unsupported` lists
//   exactly the reachable nodes whose op is missing from SUPPORTED_GRAPH_OPS;
// - a model that loads gives every signature output (by name, in the signature's order) within
//   1e-4 of that output's largest magnitude of TensorFlow.js (tfjs-converter 4.22, CPU backend) on a
//   real photo, preprocessed as Human does for that model.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as sc from 'sepconv';
import { decodeImage, preprocess } from '../../demo/lib/images.mjs';
import { initTfjsCpu, tf } from '../engines/tfjs-layers.js';

const DIR = `${process.env.SEPCONV_CACHE ?? `${homedir()}/.cache/sepconv`}/human-3.3.6/models/`;
const PHOTO = fileURLToPath(new URL('../../node_modules/@vladmandic/face-api/demo/sample1.jpg', import.meta.url));

/** Human's input scaling per model (src/face/*.ts, src/hand/*.ts, src/body/*.ts): pixels in [0, 255] in, what the model gets out. */
const scale: Record<string, (rgb01: number) => number> = {
  blazeface: (v) => v * 2 - 1, // tf.sub(tf.div(image, 127.5), 1)
  centernet: (v) => v * 255, // the resized image as is
  default: (v) => v, // tf.div(image, 255)
};
const MODELS = ['antispoof', 'blazeface', 'centernet', 'emotion', 'facemesh', 'faceres', 'handlandmark-lite', 'handtrack', 'iris', 'liveness', 'movenet-lightning'];
/** Models that load today; the rest must be refused with the complete list. */
const LOADS = new Set(['antispoof', 'blazeface', 'centernet', 'emotion', 'facemesh', 'faceres', 'handlandmark-lite', 'iris', 'liveness', 'movenet-lightning']);
/** Models whose input is int32 pixels in [0, 255] (Human: tf.cast(resized, 'int32')). */
const INT_PIXELS = new Set(['movenet-lightning']);

const json = (m: string) => JSON.parse(readFileSync(`${DIR}${m}.json`, 'utf8'));
/** The signature, top level or (older converters) under userDefinedMetadata. */
const signature = (m: string) => json(m).signature ?? json(m).userDefinedMetadata.signature;

/** The model's input [1, H, W, C] from the photo: resized (align corners), scaled as Human does; one channel is Human's grayscale. */
function input(m: string, shape: number[]): Float32Array {
  const [, h, w, c] = shape as [number, number, number, number];
  const rgb = preprocess(decodeImage(PHOTO), h);
  if (h !== w) throw new Error(`${m}: square inputs only here, got ${shape}`);
  const f = scale[m] ?? scale.default!;
  if (INT_PIXELS.has(m)) return Float32Array.from(rgb, (v) => Math.trunc(v * 255));
  if (c === 3) return rgb.map(f);
  // emotion: rgb -> grayscale (Human: r*0.2989 + g*0.587 + b*0.114), then (g - 0.5) * 2.
  const g = new Float32Array(h * w);
  for (let i = 0; i < g.length; i++) g[i] = (rgb[i * 3]! * 0.2989 + rgb[i * 3 + 1]! * 0.587 + rgb[i * 3 + 2]! * 0.114 - 0.5) * 2;
  return g;
}

/**
 * Decoded results, compared as the app reads them: movenet's 17 keypoints ([y, x, score], in input
 * pixels: within 0.01 px), centernet's 100 detections ([x1, y1, x2, y2, score, class] in input pixels: the
 * same classes, boxes within 0.01 px, scores within 1e-4, for every detection scoring 0.05 or more). Returns a summary line.
 */
const DECODE: Record<string, (gots: Float32Array[], wants: Float32Array[], dims: number[]) => string> = {
  'movenet-lightning': ([got], [want], dims) => {
    const size = dims[1]!;
    let px = 0;
    for (let k = 0; k < 17; k++) {
      for (const j of [0, 1]) px = Math.max(px, Math.abs(got![k * 3 + j]! - want![k * 3 + j]!) * size);
      expect(Math.abs(got![k * 3 + 2]! - want![k * 3 + 2]!)).toBeLessThanOrEqual(1e-4);
    }
    expect(px).toBeLessThanOrEqual(0.01);
    return `keypoints: max |dpx| ${px.toExponential(2)} on ${size}x${size}`;
  },
  centernet: (gots, wants) => {
    const got = gots[2]!;
    const want = wants[2]!;
    let box = 0;
    for (let d = 0; d < 100; d++) {
      // Ties in the top-100 scores may order differently; a real detection (score > 0.05) must match exactly.
      if (want[d * 6 + 4]! < 0.05) continue;
      expect(got[d * 6 + 5], `detection ${d} class`).toBe(want[d * 6 + 5]);
      expect(Math.abs(got[d * 6 + 4]! - want[d * 6 + 4]!)).toBeLessThanOrEqual(1e-4);
      for (let j = 0; j < 4; j++) box = Math.max(box, Math.abs(got[d * 6 + j]! - want[d * 6 + j]!));
    }
    expect(box).toBeLessThanOrEqual(0.01);
    const n = Array.from({ length: 100 }, (_, d) => want[d * 6 + 4]!).filter((s) => s >= 0.05).length;
    // The photo shows people: the check must have detections to compare.
    expect(n).toBeGreaterThan(0);
    return `detections: ${n} with score >= 0.05, same classes, max |dbox| ${box.toExponential(2)} px`;
  },
};

beforeAll(async () => {
  await sc.init();
  await initTfjsCpu();
});

describe.skipIf(!existsSync(`${DIR}blazeface.json`))('@vladmandic/human@3.3.6 corpus (run scripts/fixtures-npm.sh)', () => {
  it('movenet-lightning: 1,000 predictions leave wasm memory as 10 did; its post-processing plans in the one arena', async () => {
    await sc.init();
    const m = await sc.loadModel(`${DIR}movenet-lightning.json`);
    const dims = [1, 192, 192, 3];
    using x = sc.tensor(Int32Array.from(input('movenet-lightning', dims)), dims);
    const first = (m.predict(x) as sc.Tensor).data();
    for (let k = 1; k < 10; k++) m.predict(x);
    const at10 = m.memoryStats();
    for (let k = 10; k < 1000; k++) m.predict(x);
    const at1000 = m.memoryStats();
    expect(at1000.wasmHeapBytes).toBe(at10.wasmHeapBytes);
    expect(at1000.arenaBytes).toBe(at10.arenaBytes);
    expect((m.predict(x) as sc.Tensor).data()).toEqual(first);
    // Host steps are planned with the rest: the arena is smaller than every value held at once.
    const kinds = m.describePlan(dims.slice(1)).map((s) => s.kind);
    expect(kinds).toContain('host');
    expect(at10.arenaBytes).toBeLessThan(at10.unsharedActivationBytes);
    // Post-processing sees the whole batch: more than one sample is refused up front.
    using x2 = sc.tensor(new Float32Array(2 * 192 * 192 * 3), [2, 192, 192, 3]);
    expect(() => m.predict(x2)).toThrow(sc.ShapeError);
    m.dispose();
  });

  it('centernet: the three outputs and a chosen intermediate (the TopKV2 indices) plan one arena', async () => {
    await sc.init();
    const m = await sc.loadModel(`${DIR}centernet.json`, { outputs: ['tower_0/detections', 'tower_0/TopKV2:1', 'tower_0/keypoints'] });
    expect(m.outputNames).toEqual(['tower_0/detections', 'tower_0/TopKV2:1', 'tower_0/keypoints']);
    using x = sc.tensor(input('centernet', [1, 512, 512, 3]), [1, 512, 512, 3]);
    const [det, idx, kp] = m.predict(x) as sc.Tensor[];
    expect(det!.shape).toEqual([1, 100, 6]);
    expect(idx!.shape).toEqual([1, 100]);
    expect(idx!.dtype).toBe('int32');
    expect(kp!.shape).toEqual([1, 128, 128, 80]);
    // The indices address the flattened heatmap: its values there are the detections' scores.
    const k = kp!.data();
    const d = det!.data();
    idx!.data().forEach((v, j) => expect(k[v]).toBeCloseTo(d[j * 6 + 4]!, 6));
    const stats = m.memoryStats();
    expect(stats.arenaBytes).toBeGreaterThan(0);
    expect(stats.arenaBytes).toBeLessThan(stats.unsharedActivationBytes);
    m.dispose();
  });

  for (const m of MODELS) {
    if (!LOADS.has(m)) {
      it(`${m}: refused with one UnsupportedOpsError listing every unsupported node`, async () => {
        const e = await sc.loadModel(`${DIR}${m}.json`).then(
          () => undefined,
          (x) => x,
        );
        expect(e).toBeInstanceOf(sc.UnsupportedOpsError);
        // Reachable nodes whose op is not in the table, from the file itself.
        const j = json(m);
        const byName = new Map<string, any>(j.modelTopology.node.map((n: any) => [n.name, n]));
        const src = (s: string) => s.replace(/^\^/, '').replace(/:\d+$/, '');
        const todo = Object.values(signature(m).outputs).map((o: any) => src(o.name));
        const seen = new Set(todo);
        const want: string[] = [];
        while (todo.length) {
          const n = byName.get(todo.pop()!)!;
          if (!(sc.SUPPORTED_GRAPH_OPS as readonly string[]).includes(n.op)) want.push(`${n.name} (${n.op})`);
          for (const i of (n.input ?? []).filter((s: string) => !s.startsWith('^')).map(src)) if (!seen.has(i)) seen.add(i), todo.push(i);
        }
        expect(e.unsupported.map((u: any) => `${u.node} (${u.op})`).sort()).toEqual(want.sort());
        console.log(`${m}: refused, ${want.length} unsupported node(s): ${[...new Set(e.unsupported.map((u: any) => u.op))].join(', ')}`);
      });
      continue;
    }
    describe(m, () => {
      let ref: tfconv.GraphModel;
      beforeAll(async () => {
        const raw = await sc.readModelFiles(`${DIR}${m}.json`);
        ref = await tfconv.loadGraphModel(
          tf.io.fromMemory({ modelTopology: raw.json.modelTopology, weightSpecs: raw.groups.flatMap((g) => g.weights) as any, weightData: raw.weightData.slice().buffer }),
        );
      });
      afterAll(() => {
        ref?.dispose();
        return sc.init();
      });

      it('every signature output, by name in the signature order, matches TF.js CPU on a real photo to 1e-4 of its largest magnitude, on each wasm build', async () => {
        const sig = Object.values(signature(m).outputs).map((o: any) => String(o.name).replace(/:\d+$/, ''));
        const dims = (Object.values(signature(m).inputs)[0] as any).tensorShape.dim.map((d: any) => Math.max(1, Number(d.size)));
        const xv = input(m, dims);
        const xt = INT_PIXELS.has(m) ? tf.tensor(Int32Array.from(xv), dims, 'int32') : tf.tensor(xv, dims);
        const want = ref.execute(xt, sig) as tf.Tensor | tf.Tensor[];
        const wants = (Array.isArray(want) ? want : [want]).map((t) => t.dataSync() as Float32Array);
        xt.dispose();
        const builds = [...(sc.hostHasRelaxedSimd() ? (['relaxed'] as const) : []), 'simd128', 'scalar'] as const;
        for (const build of builds) {
          await sc.init({ build });
          const ours = await sc.loadModel(`${DIR}${m}.json`);
          expect(ours.outputNames).toEqual(sig);
          const x = INT_PIXELS.has(m) ? sc.tensor(Int32Array.from(xv), dims) : sc.tensor(xv, dims);
          const out = ours.predict(x);
          const gots = (sig.length === 1 ? [out as sc.Tensor] : (out as sc.Tensor[])).map((t) => t.data());
          x.dispose();
          const lines: string[] = [];
          for (const [k, w] of wants.entries()) {
            const g = gots[k]!;
            expect(g.length, `${sig[k]} size`).toBe(w.length);
            let big = 0;
            let err = 0;
            for (let i = 0; i < w.length; i++) {
              big = Math.max(big, Math.abs(w[i]!));
              err = Math.max(err, Math.abs(g[i]! - w[i]!));
            }
            lines.push(`${sig[k]} [${w.length}]: max |err| ${err.toExponential(2)}, max |ref| ${big.toExponential(2)}, ratio ${(err / big).toExponential(2)}`);
            expect(err, `${build} ${sig[k]}`).toBeLessThanOrEqual(1e-4 * big);
          }
          const decoded = DECODE[m]?.(gots, wants, dims);
          if (decoded) lines.push(decoded);
          ours.dispose();
          console.log(`${m} (${build}):\n  ${lines.join('\n  ')}`);
        }
      });
    });
  }
});
