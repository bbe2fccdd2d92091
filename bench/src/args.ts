export interface BenchArgs {
  quick: boolean;
  /** Suites to run: kernels, models, onnx, seed, size, coldstart, planning. */
  suites: Set<string>;
  /** Substring filters on case / model names (any match keeps the case). */
  only: string[];
  /** Engine ids to run (default all). */
  engines: Set<string> | undefined;
  runs: number;
  warmup: number;
  /** Each fast engine warms up for at least this long per case (V8 tiers wasm up ~0.5 s after first use). */
  warmupMs: number;
  /** Seconds an engine marked slow (scalar, tfjs-cpu) may spend per model before it stops taking rounds. */
  slowBudget: number;
  /** Models above this many GMACs are not run on the slow engines. */
  slowMaxGmac: number;
  scalarMaxGmac: number;
  outDir: string;
  /** Whether to rewrite bench/RESULTS.md. */
  writeResults: boolean;
  progress: boolean;
  help: boolean;
  /** Re-render the report (Markdown, charts, RESULTS.md) from a results JSON without measuring. */
  reportFrom?: string;
  /**
   * TF.js graph models for the zoo (scripts/python-fixtures.sh): 'setup' installs the pinned converter if
   * needed (full runs), 'if-installed' converts only with an installed one (--quick), 'cached' never runs it.
   */
  convert: 'setup' | 'if-installed' | 'cached';
}

export const SUITES = ['kernels', 'models', 'onnx', 'seed', 'size', 'coldstart', 'planning'];
// tfjs-wasm runs TF.js's fastest path (graph models from tensorflowjs_converter; tf.fused.* ops in the kernel
// table); tfjs-wasm-layers the same backend through tfjs-layers, what loadLayersModel users get.
export const ENGINES = ['sepconv-simd128', 'sepconv-relaxed', 'sepconv-scalar', 'tfjs-wasm', 'tfjs-wasm-layers', 'tfjs-cpu', 'ort-web', 'ort-node'];

export const HELP = `node bench/run.mjs [flags]        (pnpm bench -- [flags])
       node bench/run.mjs ab A.wasm B.wasm case... [flags]   A/B of two wasm builds (see ab --help)
       node bench/run.mjs profile [flags]       per-op-family profile of the zoo models (see profile --help)
       node bench/run.mjs real-models [flags]   real trained graph models vs TF.js (see real-models --help)
       node bench/run.mjs --threads [--quick] [--runs N]     1 vs 2 threads (models, op families, the
                                                             split threshold) on the built package
       node bench/run.mjs chromium-threads [--quick]    sepconv vs TF.js-wasm vs ORT-web at 2 threads in
                                                        headless Chromium, cross-origin isolated (see --help)

  --quick              a few seconds: tiny shapes, 1 warm-up + 3 runs, writes to --out (default a temp dir),
                       never touches bench/RESULTS.md; used by test/bench/*.test.ts (asserts no timing)
  --suites a,b         kernels,models,onnx,seed,size,coldstart,planning (default all; onnx: the real-model
                       ONNX corpus, sepconv vs ORT-web vs ORT-node from the same .onnx file; planning: build + first
                       predict of 1k-30k-layer chains)
  --only s1,s2         keep only kernel cases / models / seed rows whose name contains one of these
                       (e.g. --only mobilenet_v2,pw  or  --only resnet50)
  --engines e1,e2      ${ENGINES.join(',')} (default all)
  --runs N             timed runs per case (default 20; >= 20 for the published table)
  --warmup N           warm-up rounds (default 3)
  --warmup-ms T        and more warm-up rounds until each fast engine ran T ms on the case (default 300; V8
                       runs new wasm code unoptimized until its optimized code lands, ~0.5 s after first use)
  --slow-budget S      seconds the slow engines (sepconv-scalar, tfjs-cpu) may spend per model (default 20)
  --slow-max-gmac G    models above G GMACs skip TF.js cpu (default 1: only the MobileNets and EfficientNet-B0;
                       it takes ~40 s per ResNet-50 run)
  --scalar-max-gmac G  models above G GMACs skip our scalar build (default 5: Xception's 8.4 is skipped)
  --out DIR            where results go (default bench/results)
  --no-results-md      do not rewrite bench/RESULTS.md (a partial run — --only, --suites, --engines — never does,
                       unless --results-md is given)
  --results-md         rewrite bench/RESULTS.md even for a partial run
  --no-progress        no progress bar
  --no-convert         never run the TF.js converter (scripts/python-fixtures.sh): TF.js's graph-model columns use
                       conversions already cached in ~/.cache/sepconv, else say n/a. By default a full run installs
                       the pinned converter once (a Python 3.11 venv, ~1.2 GB) and converts each zoo model (cached);
                       --quick converts only when the converter is already installed
  --report-from FILE   re-render Markdown, charts and bench/RESULTS.md from a results JSON (no measuring)
`;

export function parseArgs(argv: string[], root: string): BenchArgs {
  const a: BenchArgs = {
    quick: false,
    suites: new Set(SUITES),
    only: [],
    engines: undefined,
    runs: 20,
    warmup: 3,
    warmupMs: 300,
    slowBudget: 20,
    slowMaxGmac: 1,
    scalarMaxGmac: 5,
    outDir: `${root}/bench/results`,
    writeResults: true,
    progress: process.stderr.isTTY === true,
    help: false,
    convert: 'setup',
  };
  let convertGiven = false;
  let outGiven = false;
  let runsGiven = false;
  let resultsGiven = false;
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const [flag, inline] = f.includes('=') ? [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] : [f, undefined];
    const val = () => inline ?? argv[++i];
    switch (flag) {
      case '--quick': a.quick = true; break;
      case '--suites': a.suites = new Set(list(val())); break;
      case '--only': a.only = list(val()); break;
      case '--engines': a.engines = new Set(list(val())); break;
      case '--runs': a.runs = Number(val()); runsGiven = true; break;
      case '--warmup': a.warmup = Number(val()); break;
      case '--warmup-ms': a.warmupMs = Number(val()); break;
      case '--slow-budget': a.slowBudget = Number(val()); break;
      case '--slow-max-gmac': a.slowMaxGmac = Number(val()); break;
      case '--scalar-max-gmac': a.scalarMaxGmac = Number(val()); break;
      case '--out': a.outDir = val()!; outGiven = true; break;
      case '--no-results-md': a.writeResults = false; resultsGiven = true; break;
      case '--results-md': a.writeResults = true; resultsGiven = true; break;
      case '--no-progress': a.progress = false; break;
      case '--progress': a.progress = true; break;
      case '--report-from': a.reportFrom = val(); break;
      case '--no-convert': a.convert = 'cached'; convertGiven = true; break;
      case '-h': case '--help': a.help = true; break;
      case '--': break;
      default: throw new Error(`bench: unknown flag ${f}\n\n${HELP}`);
    }
  }
  for (const s of a.suites) if (!SUITES.includes(s)) throw new Error(`bench: unknown suite ${s} (have ${SUITES.join(', ')})`);
  if (a.engines) for (const e of a.engines) if (!ENGINES.includes(e)) throw new Error(`bench: unknown engine ${e} (have ${ENGINES.join(', ')})`);
  if (!resultsGiven && (a.only.length || a.engines || a.suites.size !== SUITES.length)) a.writeResults = false;
  if (a.quick) {
    if (!runsGiven) a.runs = 3;
    if (!convertGiven) a.convert = 'if-installed';
    a.warmup = Math.min(a.warmup, 1);
    a.warmupMs = 0;
    a.slowBudget = Math.min(a.slowBudget, 2);
    a.writeResults = false;
    if (!outGiven) a.outDir = `${process.env.TMPDIR ?? '/tmp'}/sepconv-bench-quick-${process.pid}`;
  }
  if (!(a.runs >= 1) || !(a.warmup >= 0) || !(a.warmupMs >= 0)) throw new Error('bench: --runs must be >= 1, --warmup and --warmup-ms >= 0');
  return a;
}

export function keep(args: BenchArgs, ...names: string[]): boolean {
  if (args.only.length === 0) return true;
  return args.only.some((o) => names.some((n) => n.toLowerCase().includes(o.toLowerCase())));
}
