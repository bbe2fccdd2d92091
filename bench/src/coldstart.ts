// Cold start of MobileNetV2 per engine, each in a fresh Node process (bench/coldstart-child.mjs),
// from `import` to the first result. Median over a few processes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchArgs } from './args.js';
import { ROOT } from './engines/index.js';
import { modelDefs, prepareModel } from './models.js';
import { nhwcToNchw, onnxIdentityModel } from './onnx/builder.js';

const ENGINES = ['sepconv-simd128', 'tfjs-wasm', 'ort-web', 'ort-node'];
const KEYS = ['importMs', 'compileMs', 'buildMs', 'firstRunMs', 'secondRunMs', 'totalMs'] as const;

export async function runColdStart(args: BenchArgs): Promise<{ model: string; reps: number; rows: any[]; note: string }> {
  const def = modelDefs(args.quick).find((m) => m.id === 'mobilenet_v2')!;
  const p = prepareModel(def);
  const dir = mkdtempSync(join(tmpdir(), 'sepconv-cold-'));
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(p.cfg));
    let offset = 0;
    const entries = [...p.weights!].map(([name, v]) => {
      const e = { name, offset, size: v.length };
      offset += v.length;
      return e;
    });
    const all = new Float32Array(offset);
    for (const e of entries) all.set(p.weights!.get(e.name)!, e.offset);
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(all.buffer));
    writeFileSync(join(dir, 'weights.json'), JSON.stringify({ weights: entries, inputShape: p.shape }));
    writeFileSync(join(dir, 'input.bin'), new Uint8Array(p.input.buffer));
    writeFileSync(join(dir, 'input-nchw.bin'), new Uint8Array(nhwcToNchw(p.input, p.shape).buffer));
    writeFileSync(join(dir, 'model.onnx'), p.onnx());
    writeFileSync(join(dir, 'identity.onnx'), onnxIdentityModel());
    const reps = args.quick ? 1 : 3;
    const rows: any[] = [];
    const wanted = ENGINES.filter((e) => !args.engines || args.engines.has(e));
    const samples = new Map<string, any[]>(wanted.map((e) => [e, []]));
    for (let r = 0; r < reps; r++) {
      for (const engine of wanted) {
        let parsed: any;
        try {
          const stdout = execFileSync(process.execPath, [join(ROOT, 'bench/coldstart-child.mjs'), engine, dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 });
          const line = stdout.split('\n').find((l) => l.startsWith('@@COLDSTART '));
          parsed = line ? JSON.parse(line.slice('@@COLDSTART '.length)) : { engine, na: 'child printed no result' };
        } catch (e) {
          parsed = { engine, na: `child failed: ${e instanceof Error ? e.message.split('\n')[0] : e}` };
        }
        samples.get(engine)!.push(parsed);
      }
    }
    for (const engine of wanted) {
      const ok = samples.get(engine)!.filter((s) => !s.na);
      if (!ok.length) {
        rows.push({ engine, na: samples.get(engine)![0]?.na ?? 'no result' });
        continue;
      }
      const row: any = { engine, reps: ok.length };
      for (const k of KEYS) {
        const v = ok.map((s) => s[k]).sort((a, b) => a - b);
        row[k] = v[Math.floor((v.length - 1) / 2)];
      }
      row.packMs = Math.max(0, row.firstRunMs - row.secondRunMs);
      if (ok[0].heapBytes) row.heapBytes = ok[0].heapBytes;
      if (ok[0].stats) row.memoryStats = ok[0].stats;
      rows.push(row);
    }
    const ours = rows.find((r) => r.engine === 'sepconv-simd128');
    const tf = rows.find((r) => r.engine === 'tfjs-wasm');
    const ratio = ours?.totalMs && tf?.totalMs ? ours.totalMs / tf.totalMs : undefined;
    const note =
      `${def.label}, median of ${reps} fresh processes per engine (sepconv imported from its built package, as a user would). ` +
      `"Module compile" is wasm compile + instantiate (sepconv: plus its SIMD self-test; ORT-web: a 1-node session, which is when it instantiates); ` +
      `"model build" is graph construction + weights in (ORT: session creation, which also optimizes the graph and prepacks); ` +
      `the first inference includes sepconv's BN folding, weight packing and arena planning (packing ≈ first − second run: ${ours?.packMs?.toFixed(0) ?? '–'} ms for sepconv). ` +
      (ratio !== undefined ? `Cold start to the first MobileNetV2 result, sepconv / TF.js-wasm: ${ratio.toFixed(2)} (target ≤ 0.5: ${ratio <= 0.5 ? 'met' : 'missed'}).` : '');
    return { model: def.label, reps, rows, note };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
