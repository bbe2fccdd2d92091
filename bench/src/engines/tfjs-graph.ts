// TF.js's fastest path for a model: the graph model tensorflowjs_converter makes from it (BatchNorm
// folded, bias + activation fused: _FusedConv2D, FusedDepthwiseConv2dNative), loaded with
// tfjs-converter's loadGraphModel. The zoo models are converted from the exact tfjs-layers model the
// bench builds (same Keras config, same weights), saved in the TF.js layers format, by the pinned
// converter of scripts/python-fixtures.sh; the conversions are cached outside the clone.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as sc from '../sepconv.js';
import { req, ROOT } from './index.js';

/** TF.js model artifacts in memory (what tf.io.fromMemory takes). */
export interface TfArtifacts {
  modelTopology: any;
  weightSpecs: { name: string; shape: number[]; dtype: string; quantization?: any }[];
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

export const FIXTURES_SCRIPT = 'scripts/python-fixtures.sh';

/** Where converted models are kept: $SEPCONV_CACHE or ~/.cache/sepconv, outside the clone. */
export function cacheDir(): string {
  return process.env.SEPCONV_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sepconv');
}

/** The converter's pins (one line), or undefined when the script is missing. */
export function converterVersion(): string | undefined {
  try {
    return execFileSync('bash', [join(ROOT, FIXTURES_SCRIPT), 'version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** Whether the converter's venv is installed (no install is attempted). */
export function converterReady(): boolean {
  try {
    execFileSync('bash', [join(ROOT, FIXTURES_SCRIPT), 'ready'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Saves a tfjs-layers model in the TF.js layers format (topology + one float32 buffer). */
export async function saveLayers(tf: any, model: any): Promise<TfArtifacts> {
  let saved: any;
  await model.save(
    tf.io.withSaveHandler(async (a: any) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const wd = saved.weightData;
  const data = Array.isArray(wd) ? concat(wd) : (wd as ArrayBuffer);
  return { modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs, weightData: data, format: saved.format ?? 'layers-model', generatedBy: saved.generatedBy, convertedBy: saved.convertedBy ?? null };
}

function concat(parts: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out.buffer;
}

/** Writes artifacts as model.json + group1-shard1of1.bin in `dir`; returns the model.json path. */
export function writeModelFiles(dir: string, a: TfArtifacts): string {
  mkdirSync(dir, { recursive: true });
  const json = {
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }],
  };
  writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(a.weightData));
  const file = join(dir, 'model.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

/** Reads a TF.js model (layers or graph; plain files or nsfwjs's .min.js wrappers) as artifacts. */
export async function readArtifacts(modelJson: string): Promise<TfArtifacts> {
  const raw = await sc.readModelFiles(modelJson);
  return {
    modelTopology: raw.json.modelTopology,
    weightSpecs: raw.groups.flatMap((g: any) => g.weights),
    weightData: raw.weightData.slice().buffer,
    format: raw.json.format,
    generatedBy: raw.json.generatedBy,
    convertedBy: raw.json.convertedBy,
  };
}

export type ConvertMode =
  /** set up the venv if needed, then convert (a full run) */
  | 'setup'
  /** convert only when the venv is already installed (quick runs: CI never installs TensorFlow) */
  | 'if-installed'
  /** only use conversions already in the cache */
  | 'cached';

/**
 * The graph model tensorflowjs_converter makes from `layers` (cached by the hash of the layers model and
 * the converter's pins), or a sentence saying why there is none.
 */
export function convertToGraph(id: string, layers: TfArtifacts, mode: ConvertMode): { modelJson: string } | { na: string } {
  const h = createHash('sha256');
  h.update(JSON.stringify(layers.modelTopology));
  h.update(JSON.stringify(layers.weightSpecs));
  h.update(new Uint8Array(layers.weightData));
  h.update(converterVersion() ?? '');
  const dir = join(cacheDir(), 'graph-models', `${id}-${h.digest('hex').slice(0, 16)}`);
  const graph = join(dir, 'graph', 'model.json');
  // The script decides whether the conversion in the cache is current (it stamps each one).
  const have = existsSync(join(dir, 'graph', '.converted'));
  if (mode === 'cached' && !have) return { na: `no converted graph model in ${dir} (run without --no-convert, or \`bash ${FIXTURES_SCRIPT} setup\`)` };
  if (mode === 'if-installed' && !have && !converterReady()) return { na: `no graph model: the converter is not installed (\`bash ${FIXTURES_SCRIPT} setup\`; quick runs never install it)` };
  const src = writeModelFiles(join(dir, 'layers'), layers);
  try {
    execFileSync('bash', [join(ROOT, FIXTURES_SCRIPT), 'convert', src, join(dir, 'graph')], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60 * 60_000 });
  } catch (err: any) {
    const msg = String(err?.stderr ?? err?.message ?? err).trim().split('\n').filter(Boolean).slice(-3).join(' / ');
    return { na: `tensorflowjs_converter failed: ${msg}` };
  }
  return { modelJson: graph };
}

/** The ops of a graph model, counted (to show what the converter fused). */
export function graphOps(modelJson: string): Record<string, number> {
  const j = JSON.parse(readFileSync(modelJson, 'utf8'));
  const ops: Record<string, number> = {};
  for (const n of j.modelTopology?.node ?? []) ops[n.op] = (ops[n.op] ?? 0) + 1;
  return ops;
}

/** tfjs-converter's loadGraphModel on in-memory artifacts. */
export async function loadTfGraph(tf: any, a: TfArtifacts): Promise<any> {
  const tfconv = req('@tensorflow/tfjs-converter');
  return tfconv.loadGraphModel(tf.io.fromMemory(a));
}
