// The bench's quick mode (`node bench/run.mjs --quick`): checks that every suite, engine adapter,
// the ONNX builders, the roof kernel, the report and the charts still work. It asserts no timing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
let out: string;
let results: any;
let md: string;
let files: string[];

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'sepconv-bench-test-'));
  // --no-convert: the test never runs Python (the TF.js converter); zoo graph models come from the cache
  // when a bench made them, and the nsfwjs row is a real graph model that needs no conversion.
  execFileSync(process.execPath, [join(ROOT, 'bench/run.mjs'), '--quick', '--no-progress', '--no-convert', '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 360_000,
  });
  files = readdirSync(out);
  const json = files.find((f) => f.endsWith('.json'))!;
  results = JSON.parse(readFileSync(join(out, json), 'utf8'));
  md = readFileSync(join(out, files.find((f) => f.endsWith('.md'))!), 'utf8');
}, 400_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('bench --quick', () => {
  it('writes JSON, Markdown and SVG charts, and reports no suite error', () => {
    expect(results.quick).toBe(true);
    expect(results.errors ?? []).toEqual([]);
    for (const chart of ['latency', 'seed', 'roofline']) {
      const f = files.find((x) => x.endsWith(`-${chart}.svg`));
      expect(f, chart).toBeDefined();
      expect(readFileSync(join(out, f!), 'utf8')).toMatch(/^<svg/);
    }
    expect(md).toContain('## Kernels');
    expect(md).toContain("## The seed's table, measured");
    expect(md).toContain('## Whole models');
  });

  it('the real models (ONNX) table runs one .onnx file on sepconv, ORT-web and ORT-node, with the error vs ORT-node', () => {
    expect(md).toContain('## Real models (ONNX)');
    const row = results.onnx.find((r: any) => r.id === 'ppocr_cls');
    expect(row).toBeDefined();
    // The OCR fixtures come from scripts/fixtures-npm.sh (setup.sh); without them the row says so.
    if (row.na) return expect(row.na).toContain('fixtures-npm.sh');
    for (const id of ['sepconv-simd128', 'sepconv-relaxed', 'ort-web', 'ort-node']) expect(row.engines[id]?.median, id).toBeGreaterThan(0);
    for (const id of ['sepconv-simd128', 'sepconv-relaxed', 'ort-web']) expect(row.err[id], id).toBeLessThanOrEqual(1e-4);
  });

  it('measures the roof with the hand-assembled wasm kernel, and the memory roof with a wasm copy', () => {
    expect(results.roof.gflops).toBeGreaterThan(0);
    expect(results.roof.variants.length).toBeGreaterThan(1);
    expect(results.memoryRoof.gbps).toBeGreaterThan(0.1);
    expect(md).toContain('**Memory roof:**');
    const roofline = files.find((x) => x.endsWith('-roofline.svg'))!;
    expect(readFileSync(join(out, roofline), 'utf8')).toContain('memory roof');
  });

  it('loads every engine in one process, threads off, and prints each engine\'s settings beside it', () => {
    for (const id of ['sepconv-simd128', 'sepconv-relaxed', 'sepconv-scalar', 'tfjs-wasm', 'tfjs-wasm-layers', 'tfjs-cpu', 'ort-web', 'ort-node']) {
      const e = results.engines[id];
      expect(e?.ok, `${id}: ${e?.error}`).toBe(true);
      expect(e.settings.threads, id).toMatch(/^1 /);
      expect(e.settings.simd.length, id).toBeGreaterThan(3);
      expect(e.settings.graph.length, id).toBeGreaterThan(3);
      // the report's engine table has the same settings in the row of that engine
      expect(md.split('\n').some((l) => l.includes(e.settings.threads) && l.includes(e.settings.graph)), id).toBe(true);
    }
    expect(results.engines['tfjs-wasm'].settings.graph).toContain('graph model');
    expect(results.engines['tfjs-wasm-layers'].settings.graph).toContain('loadLayersModel');
    expect(md).toContain('| engine | status | version | SIMD | threads | graph optimisation / model path | load ms |');
  });

  it('runs every kernel case on every engine or says why not, and ours agrees with the reference', () => {
    expect(results.kernels.length).toBeGreaterThanOrEqual(5);
    for (const k of results.kernels) {
      for (const id of ['sepconv-simd128', 'sepconv-scalar', 'tfjs-wasm', 'ort-web', 'ort-node']) {
        const m = k.engines[id];
        expect(m, `${k.name} ${id}`).toBeDefined();
        expect(m.runs > 0 || typeof m.na === 'string', `${k.name} ${id}: ${JSON.stringify(m)}`).toBe(true);
      }
      if (k.engines['sepconv-simd128'].runs) expect(k.check?.ok, `${k.name}: ${JSON.stringify(k.check)}`).toBe(true);
    }
    // depthwise has landed: it must run
    expect(results.kernels.find((k: any) => k.family === 'dw3x3').engines['sepconv-simd128'].runs).toBeGreaterThan(0);
  });

  it('times the spatial pair (our 5x5 and our 5x1 + 1x5, with TF.js-wasm) in one loop and reports their ratio', () => {
    expect(results.spatialPair.cases).toEqual([results.kernels.find((k: any) => k.family === 'dw5x5').name, results.kernels.find((k: any) => k.family === 'dw5x1+1x5').name]);
    for (const id of ['sepconv-simd128', 'tfjs-wasm']) {
      const ms = results.spatialPair.engines[id];
      expect(ms, id).toHaveLength(2);
      for (const m of ms) expect(m.runs, `${id}: ${JSON.stringify(m)}`).toBeGreaterThan(0);
    }
    expect(md).toContain('timed in one interleaved loop');
  });

  it('times the 5x1 + 1x5 two-layer model through predict(), pair rule off and on, in one loop', () => {
    expect(results.spatialModelPair.cases).toEqual(['unfused', 'fused'].map((m) => results.kernels.find((k: any) => k.family === 'dw5x1+1x5 model' && k.name.includes(m) && !k.name.includes(`un${m}`)).name));
    const ms = results.spatialModelPair.engines['sepconv-simd128'];
    expect(ms).toHaveLength(2);
    for (const m of ms) expect(m.runs, JSON.stringify(m)).toBeGreaterThan(0);
    expect(md).toContain("the planner's pair rule off (two depthwise steps) and on (one spatial step)");
  });

  it('runs the seed table and the whole-model suite with the same weights in every engine', () => {
    expect(results.seed.length).toBeGreaterThanOrEqual(2);
    for (const s of results.seed) expect(s.theory).toBeGreaterThan(1);
    expect(results.models.length).toBeGreaterThanOrEqual(1);
    for (const m of results.models) {
      expect(m.na, m.id).toBeUndefined();
      for (const c of m.check ?? []) expect(c.ok, `${m.id} ${c.against}: ${c.maxAbsDiff}`).toBe(true);
    }
    for (const m of results.models.filter((x: any) => !x.id.startsWith('nsfwjs'))) {
      expect(m.engines['ort-web']?.runs, `${m.id} ORT-web: ${m.engines['ort-web']?.na}`).toBeGreaterThan(0);
      // what loadLayersModel users get: always there
      expect(m.engines['tfjs-wasm-layers']?.runs, `${m.id} TF.js-wasm layers: ${m.engines['tfjs-wasm-layers']?.na}`).toBeGreaterThan(0);
      // TF.js's fastest path needs the converted graph model: run from the cache, or n/a naming how to make it
      const g = m.engines['tfjs-wasm'];
      if (g?.runs > 0) expect(m.tfGraph.ops._FusedConv2D, m.id).toBeGreaterThan(0);
      else expect(g?.na, `${m.id}: ${JSON.stringify(g)}`).toMatch(/scripts\/python-fixtures\.sh/);
    }
  });

  it('runs a real converted TF.js graph model through tfjs-converter (TF.js wasm) and sepconv\'s loadGraphModel, with the same outputs', () => {
    const m = results.models.find((x: any) => x.id === 'nsfwjs_mobilenet_v2_mid');
    expect(m, 'the nsfwjs graph-model row').toBeDefined();
    expect(m.na, m.na).toBeUndefined();
    expect(m.inputShape).toEqual([1, 224, 224, 3]);
    // MobileNetV2 1.4 at 224: ~585 M MACs, counted by sepconv's import of the graph
    expect(m.macs / 1e6).toBeGreaterThan(575);
    expect(m.macs / 1e6).toBeLessThan(590);
    for (const id of ['tfjs-wasm', 'sepconv-simd128', 'sepconv-relaxed']) expect(m.engines[id]?.runs, `${id}: ${JSON.stringify(m.engines[id])}`).toBeGreaterThan(0);
    // a graph model has no layers form and no ONNX form: said, not faked
    expect(m.engines['tfjs-wasm-layers'].na).toContain('graph model');
    expect(m.engines['ort-web'].na).toBeDefined();
    expect(m.tfGraph.source).toContain('mobilenet_v2_mid');
    const against = m.check.filter((c: any) => c.reference === 'tfjs-wasm').map((c: any) => c.against);
    expect(against).toEqual(expect.arrayContaining(['sepconv-simd128', 'sepconv-relaxed']));
    for (const c of m.check) expect(c.ok, `${c.against}: ${c.logitDiff}`).toBe(true);
  });

  it('reports both TF.js paths and the relaxed build against the fastest path, with the targets for both builds', () => {
    const header = md.split('\n').find((l) => l.startsWith('| model | GMAC |'))!;
    expect(header).toContain('TF.js wasm (graph, fused) ms');
    expect(header).toContain('TF.js wasm layers (loadLayersModel) ms');
    expect(header).toContain('ours vs TF.js-wasm fastest path');
    expect(header).toContain('ours vs TF.js-wasm layers');
    expect(header).toContain('relaxed vs TF.js-wasm fastest path');
    // the nsfwjs row's fastest-path ratio is the two medians' quotient
    const m = results.models.find((x: any) => x.id === 'nsfwjs_mobilenet_v2_mid');
    const row = md.split('\n').find((l) => l.startsWith(`| ${m.label} |`))!;
    const cells = row.split('|').map((c) => c.trim());
    const col = header.split('|').map((c) => c.trim()).indexOf('ours vs TF.js-wasm fastest path (min)');
    expect(cells[col]).toMatch(new RegExp(`^${(m.engines['tfjs-wasm'].median / m.engines['sepconv-simd128'].median).toFixed(2)}x`));
    for (const build of ['ours simd128', 'ours relaxed']) {
      expect(md).toContain(`${build}: ≥ 2x faster than TF.js-wasm's fused graph-model path on all four`);
      expect(md).toContain(`${build}: ≥ 2.5x faster than ORT-web on all four`);
      expect(md).toContain(`${build}: EfficientNet-B0 at ≥ 60% of the roof`);
    }
    // the kernel table: TF.js through its fused ops, the relaxed build against it
    expect(md).toContain('TF.js-wasm tf.fused ms');
    expect(md).toContain('relaxed vs TF.js-wasm |');
  });

  it('times build + first predict of deep chains (the planning suite), with no error', () => {
    expect(results.planning.map((r: any) => r.nodes)).toEqual([999, 3000]);
    for (const r of results.planning) {
      expect(r.error, `${r.nodes}: ${r.error}`).toBeUndefined();
      expect(r.steps).toBe((2 * r.nodes) / 3); // the Add -> sigmoid pairs fuse
      expect(r.totalMs).toBeGreaterThan(0);
    }
  });

  it('measures cold start and shipped bytes', () => {
    expect(results.coldStart.rows.length).toBe(4);
    expect(results.coldStart.rows.find((r: any) => r.engine === 'tfjs-wasm').totalMs).toBeGreaterThan(0);
    const ids = results.size.rows.map((r: any) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['sepconv', 'tfjs-core+wasm', 'ort-web']));
    for (const r of results.size.rows) expect(r.totalGzip).toBeGreaterThan(0);
  });

  it('leaves bench/RESULTS.md alone', () => {
    // quick mode never writes it; if it exists it is a full run's
    if (existsSync(join(ROOT, 'bench/RESULTS.md'))) expect(readFileSync(join(ROOT, 'bench/RESULTS.md'), 'utf8')).not.toContain('--quick');
  });
});

describe('bench ab (two wasm builds in one interleaved loop)', () => {
  const simd = join(ROOT, 'packages/sepconv/wasm/sepconv-simd128.wasm');
  const ab = (args: string[]) => {
    try {
      return { code: 0, out: execFileSync(process.execPath, [join(ROOT, 'bench/run.mjs'), 'ab', ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }) };
    } catch (err: any) {
      return { code: err.status as number, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
    }
  };

  it('times each case for both builds and reports B/A and the output difference', () => {
    const cases = ['dw,9,12,2', 'dw,8,8,1,5', 'pw,5,8,12', 'sp,7,8,3', 'cv,6,4,8,3,2'];
    const r = ab([simd, simd, ...cases, '--pairs', '2', '--warmup-ms', '0', '--flush', '1']);
    expect(r.code, r.out).toBe(0);
    const lines = r.out.trim().split('\n').filter((l) => l.includes('B/A'));
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(cases);
    for (const l of lines) {
      const m = /A ([\d.]+) ms\s+B ([\d.]+) ms\s+B\/A ([\d.]+)\s+A ([\d.]+) GFLOP\/s ([\d.]+)% of roof.*max\|A-B\| (\S+)/.exec(l);
      expect(m, l).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(0);
      expect(Number(m![3])).toBeGreaterThan(0);
      expect(Number(m![4])).toBeGreaterThan(0);
      expect(Number(m![5])).toBeGreaterThan(0);
      // the same binary twice: bit-identical outputs
      expect(Number(m![6]), l).toBe(0);
    }
    expect(r.out).toMatch(/^roof [\d.]+ GFLOP\/s/m);
  }, 150_000);

  it('rejects a malformed case with a message that names it, before loading anything', () => {
    const r = ab([simd, simd, 'dw,9,x,2']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('"dw,9,x,2"');
    const missing = ab([simd, simd, 'cv,6,4,8']);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('needs 5 numbers');
  });
});
