// Bundles a worker the way wrangler does and runs it under the real workerd binary on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { ROOT } from './package.js';

export function workerdBinary(): string {
  for (const p of [
    'node_modules/workerd/bin/workerd',
    'node_modules/@cloudflare/workerd-linux-64/bin/workerd',
  ]) {
    if (existsSync(join(ROOT, p))) return join(ROOT, p);
  }
  throw new Error('the workerd binary is missing: run scripts/setup.sh (pnpm install brings the `workerd` package)');
}

/**
 * Wrangler's module rules, as its esbuild plugin applies them: an import specifier matching
 * `**\/*.wasm` or `**\/*.wasm?module` becomes a separate CompiledWasm module (resolved relative to
 * the importer, or through a package's exports for bare specifiers), `**\/*.bin` a Data module.
 * Here: a bare `sepconv/wasm/...` subpath is resolved through esbuild (exports map); both end up
 * as a module named by the file's basename next to worker.js.
 */
function wranglerModuleRules(modules: Map<string, { path: string; type: 'wasm' | 'data' }>, outdir: string): Plugin {
  return {
    name: 'wrangler-module-rules',
    setup(b) {
      b.onResolve({ filter: /\.wasm(\?module)?$|^sepconv\/wasm\// }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        const spec = args.path.replace(/\?module$/, '');
        const r = spec.startsWith('.') ? { path: join(args.resolveDir, spec), errors: [] } : await b.resolve(spec, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'inner' });
        if (r.errors.length) return { errors: r.errors };
        const name = basename(r.path);
        modules.set(name, { path: r.path, type: 'wasm' });
        copyFileSync(r.path, join(outdir, name));
        return { path: `./${name}`, external: true };
      });
      b.onResolve({ filter: /\.bin$/ }, (args) => {
        const name = basename(args.path);
        modules.set(name, { path: join(outdir, name), type: 'data' });
        return { path: `./${name}`, external: true };
      });
    },
  };
}

export interface WorkerBundle {
  dir: string;
  /** The bundle's input files (with `metafile: true`). */
  inputs?: string[];
  modules: { name: string; type: 'esModule' | 'wasm' | 'data'; bytes: number; gzipBytes: number }[];
}

/** Bundles `entry` (resolving packages from `nodePaths`) with the conditions wrangler uses. */
export async function bundleWorker(entry: string, outdir: string, opts: { conditions?: string[]; data?: Record<string, string>; metafile?: boolean; external?: string[] } = {}): Promise<WorkerBundle> {
  const modules = new Map<string, { path: string; type: 'wasm' | 'data' }>();
  for (const [name, src] of Object.entries(opts.data ?? {})) copyFileSync(src, join(outdir, name));
  const result = await build({
    metafile: opts.metafile ?? false,
    entryPoints: [entry],
    outfile: join(outdir, 'worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    // wrangler's build conditions
    conditions: opts.conditions ?? ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    minify: true,
    logLevel: 'silent',
    plugins: [wranglerModuleRules(modules, outdir)],
    ...(opts.external ? { external: opts.external } : {}),
  });
  const size = (p: string) => ({ bytes: statSync(p).size, gzipBytes: gzipSync(readFileSync(p)).length });
  return {
    dir: outdir,
    inputs: result.metafile ? Object.keys(result.metafile.inputs).map((p) => resolve(p)) : undefined,
    modules: [
      { name: 'worker.js', type: 'esModule', ...size(join(outdir, 'worker.js')) },
      ...[...modules].map(([name, m]) => ({ name, type: m.type, ...size(join(outdir, name)) })),
    ],
  };
}

export interface RunningWorker {
  url: string;
  pid: number;
  /** Spawn until workerd reported its socket listening. */
  startupMs: number;
  /** VmRSS / VmHWM (peak) of the workerd process, bytes. */
  memory(): { rss: number; peak: number };
  stderr(): string;
  stop(): Promise<void>;
}

/** Writes config.capnp for the bundle and starts `workerd serve` on 127.0.0.1 (port chosen by workerd). */
export async function startWorkerd(bundle: WorkerBundle, compatibilityDate = '2025-09-01'): Promise<RunningWorker> {
  const mods = bundle.modules.map((m) => `    (name = "${m.name}", ${m.type} = embed "${m.name}"),`).join('\n');
  writeFileSync(
    join(bundle.dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
${mods}
  ],
  compatibilityDate = "${compatibilityDate}",
);
`,
  );
  return serveWorkerd(bundle.dir, 'config.capnp');
}

/**
 * Runs `workerd serve <config> --control-fd=3 [extraArgs]` in `dir` and waits until its socket
 * named `http` listens (its port read from the control fd). `extraArgs` can override the config's
 * address, e.g. `['--socket-addr', 'http=127.0.0.1:0']`. Rejects with workerd's output if it exits first.
 */
export async function serveWorkerd(dir: string, config: string, extraArgs: string[] = []): Promise<RunningWorker> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(workerdBinary(), ['serve', config, '--control-fd=3', ...extraArgs], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stdout!.on('data', (d) => (err += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`workerd did not start listening in 90 s:\n${err}`)), 90_000);
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      buf += d;
      for (const line of buf.split('\n')) {
        try {
          const msg = JSON.parse(line) as { event?: string; socket?: string; port?: number };
          if (msg.event === 'listen' && msg.socket === 'http') {
            clearTimeout(timer);
            resolve(msg.port!);
          }
        } catch {
          // partial line
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`workerd exited with ${code} before listening:\n${err}`));
    });
  });
  const startupMs = performance.now() - t0;
  const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (s: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    startupMs,
    memory: () => {
      const s = status();
      return { rss: kb(s, 'VmRSS'), peak: kb(s, 'VmHWM') };
    },
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
