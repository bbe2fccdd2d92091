// The packed tarball as published: publint and @arethetypeswrong/cli pass on it, every export
// target and types file exists, the web-standard entries (browser, workerd, edge-light, default)
// pull in no Node built-ins and no DOM, their types check under each condition, and a bundler
// drops what an app does not import (sideEffects: false, ESM).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, packed, type Packed } from './support/package.js';
import { DOM_GLOBALS, hostGlobalRefs, NODE_GLOBALS } from './support/globals.js';
import { fixtureDir } from './support/project.js';
import { run } from './support/proc.js';
import { functionBodySizes } from './support/wasm-code.js';

let pkg: Packed;
let manifest: { exports: Record<string, unknown>; sideEffects: unknown; type: string; dependencies?: Record<string, string> };
const dirs: string[] = [];

beforeAll(() => {
  pkg = packed();
  manifest = JSON.parse(readFileSync(join(pkg.pkg, 'package.json'), 'utf8'));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every file path an exports value can lead to, with the condition path that leads there. */
function targets(v: unknown, path: string[] = []): { conditions: string[]; file: string }[] {
  if (typeof v === 'string') return [{ conditions: path, file: v }];
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => targets(x, [...path, k]));
  return [];
}

const WEB_ENTRIES = ['browser', 'workerd', 'edge-light', 'index'];

/**
 * Dynamic imports of Node built-ins that the web entries may carry, each only reached after a
 * Node check and hidden from bundlers (a variable specifier). Known today: io/sources.ts reads
 * model files from disk with node:fs/promises when given a path on Node, and confines shard paths to
 * the model's real directory with node:path / node:url (fileFetcher, only built for a local path on
 * Node). Better placed in the node entry (which could hand the reader to io): then this list is empty.
 * Anything new fails.
 */
const KNOWN_GUARDED_NODE_IMPORTS = ['node:fs/promises', 'node:path', 'node:url'];
const nodeSpecifiers = (code: string) => [...new Set([...code.matchAll(/["'](node:[\w/]+)["']/g)].map((m) => m[1]!))];

describe('the packed package', () => {
  it('ships only dist, the three .wasm builds (and the two threaded ones) and the wasm typings', () => {
    const files = execFileSync('tar', ['tzf', pkg.tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(files).toContain('package/wasm/sepconv-relaxed.wasm');
    expect(files).toContain('package/wasm/sepconv-simd128.wasm');
    expect(files).toContain('package/wasm/sepconv-scalar.wasm');
    for (const doc of ['README.md', 'LICENSE', 'CHANGELOG.md']) expect(files).toContain(`package/${doc}`);
    for (const f of files) expect(f).toMatch(/^package\/(package\.json|dist\/.+\.(js|cjs|d\.ts|d\.cts)|wasm\/sepconv-(relaxed|simd128|scalar|relaxed-threads|simd128-threads)\.wasm|types\/wasm\.d\.c?ts|README\.md|LICENSE|CHANGELOG\.md)$/);
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.type).toBe('module');
  });

  it('keeps each kernel a wasm function of its own in every build (binaryen must not inline them into one)', () => {
    // V8 compiles one huge function worse: with the 22 depthwise row kernels inlined into a 144 KB
    // function the depthwise convs took 3-35% longer (scripts/build-wasm.sh keeps them apart).
    for (const build of ['relaxed', 'simd128', 'scalar']) {
      const sizes = functionBodySizes(readFileSync(join(pkg.pkg, `wasm/sepconv-${build}.wasm`)));
      const largest = Math.max(...sizes);
      // 126 / 128 functions with the kernels kept apart; with binaryen inlining them, 107 and a 49 KB largest.
      expect(sizes.length, `${build}: functions`).toBeGreaterThan(118);
      expect(largest, `${build}: largest function body, bytes`).toBeLessThan(32 * 1024);
    }
  });

  it('ships the simd128 build with pointer + constant folded into its SIMD loads (scripts/fold-simd-load-offsets.mjs)', async () => {
    // Unfolded, each A-row splat of the GEMM costs V8 a `lea`: pointwise convs ran 3-6% slower.
    const { default: binaryen } = await import('binaryen');
    const { foldSimdLoadOffsets } = await import('../../scripts/fold-simd-load-offsets.mjs');
    const mod = binaryen.readBinary(readFileSync(join(pkg.pkg, 'wasm/sepconv-simd128.wasm')));
    const text = mod.emitText();
    mod.dispose();
    expect(foldSimdLoadOffsets(text).folded, 'SIMD loads still adding a constant to their pointer').toBe(0);
    expect(text.match(/\(v128\.load32_splat offset=\d+/g)?.length ?? 0, 'splat loads with an offset').toBeGreaterThan(40);
  });

  it('has every exports target, with types for every JS entry under every condition', () => {
    const root = manifest.exports['.'] as Record<string, unknown>;
    expect(Object.keys(root)).toEqual(['workerd', 'edge-light', 'browser', 'node', 'default']);
    for (const [sub, v] of Object.entries(manifest.exports)) {
      const ts = targets(v);
      for (const t of ts) expect(existsSync(join(pkg.pkg, t.file)), `${sub} ${t.conditions.join('.')} -> ${t.file}`).toBe(true);
      // each branch that leads to code has a `types` sibling
      const code = ts.filter((t) => t.conditions.at(-1) !== 'types' && /\.(c?js)$/.test(t.file));
      for (const t of code) {
        const typesPath = [...t.conditions.slice(0, -1), 'types'];
        const typed = ts.find((x) => x.conditions.join('.') === typesPath.join('.'));
        expect(typed, `${sub} ${t.conditions.join('.')} has types`).toBeDefined();
      }
    }
    // the .wasm subpaths are typed as the WebAssembly.Module workers receive
    expect(readFileSync(join(pkg.pkg, 'types/wasm.d.ts'), 'utf8')).toMatch(/WebAssembly\.Module/);
  });

  it('publint finds nothing', async () => {
    const tarball = readFileSync(pkg.tarball);
    const { messages, pkg: pj } = await publint({ pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) }, level: 'suggestion', strict: true });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pj)}`)).toEqual([]);
  });

  it('@arethetypeswrong/cli finds no problem (node10, node16 ESM and CJS, bundler)', async () => {
    const r = await run(BIN('attw'), [pkg.tarball, '--format', 'json'], { timeoutMs: 60_000 });
    const report = JSON.parse(r.stdout) as { analysis: { problems: unknown[] } };
    expect(report.analysis.problems).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('the host-global scan sees references and ignores strings, property names and typeof tests', () => {
    expect(hostGlobalRefs('const a = "pool window"; x.window = 1; ({ window: 2 }); // window', ['window'])).toEqual([]);
    expect(hostGlobalRefs('f(window.innerWidth)', ['window'])).toHaveLength(1);
    expect(hostGlobalRefs('const o = { process }', ['process'])).toHaveLength(1);
    expect(hostGlobalRefs('if (typeof document !== "undefined") {}', ['document'])).toEqual([]);
    expect(hostGlobalRefs('var $=()=>typeof process<"u"&&!!process.versions?.node;', ['process'])).toEqual([]);
    expect(hostGlobalRefs('function f(window){return window}', ['window'])).toEqual([]);
  });

  it('the web entries import no Node built-ins and touch no DOM or Node globals', async () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const deps = Object.keys(manifest.dependencies ?? {});
    expect(deps).toEqual(['onnx-proto']);
    for (const entry of WEB_ENTRIES) {
      const file = join(pkg.pkg, `dist/${entry}.js`);
      const result = await build({
        entryPoints: [file],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'neutral',
        metafile: true,
        logLevel: 'silent',
        // Declared dependencies (onnx-proto, for the ONNX importer) stay out: they may only be imported lazily.
        external: ['*.wasm', '*.wasm?module', ...deps],
      });
      const all = Object.values(result.metafile.inputs).flatMap((i) => i.imports);
      const imports = all.map((x) => x.path);
      expect(imports.filter((p) => builtins.has(p) || p.startsWith('node:')), `${entry}: Node built-ins`).toEqual([]);
      const external = imports.filter((p) => !p.startsWith(pkg.pkg) && !p.startsWith('dist/') && !/\.wasm(\?module)?$/.test(p) && !deps.includes(p) && !Object.keys(result.metafile.inputs).includes(p));
      expect(external, `${entry}: imports other than its own chunks, .wasm and declared dependencies`).toEqual([]);
      const eager = all.filter((x) => deps.includes(x.path) && x.kind !== 'dynamic-import');
      expect(eager, `${entry}: dependencies imported eagerly`).toEqual([]);
      const code = result.outputFiles[0]!.text;
      expect(nodeSpecifiers(code).filter((s) => !KNOWN_GUARDED_NODE_IMPORTS.includes(s)), `${entry}: node: specifiers`).toEqual([]);
      // Host globals outside the web platform's common core (parsed: strings and comments do not
      // count; `typeof x` feature tests and the guarded Node check are allowed).
      const hits = hostGlobalRefs(code, [...DOM_GLOBALS, ...NODE_GLOBALS]);
      expect(hits, `${entry}: host globals`).toEqual([]);
    }
    // and the workerd entries import the wasm files the way wrangler and Next.js edge collect them
    expect(readFileSync(join(pkg.pkg, 'dist/workerd.js'), 'utf8')).toMatch(/from\s*["']\.\.\/wasm\/sepconv-simd128\.wasm["']/);
    expect(readFileSync(join(pkg.pkg, 'dist/edge-light.js'), 'utf8')).toMatch(/from\s*["']\.\.\/wasm\/sepconv-simd128\.wasm\?module["']/);
    expect(readFileSync(join(pkg.pkg, 'dist/workerd.js'), 'utf8')).toMatch(/from\s*["']\.\.\/wasm\/sepconv-relaxed\.wasm["']/);
    expect(readFileSync(join(pkg.pkg, 'dist/edge-light.js'), 'utf8')).toMatch(/from\s*["']\.\.\/wasm\/sepconv-relaxed\.wasm\?module["']/);
  });

  it('the types check for a consumer under each condition (workerd, edge-light, browser, node16 ESM and CJS)', async () => {
    const dir = fixtureDir(pkg, 'types', []);
    dirs.push(dir);
    const consumer = `import { init, backend, tensor, depthwiseConv2d, WasmLoadError, type BackendInfo } from 'sepconv';
import simd from 'sepconv/wasm/simd128';
const m: WebAssembly.Module = simd;
export async function main(): Promise<BackendInfo> {
  await init({ module: { simd128: m } });
  const y = depthwiseConv2d(tensor(new Float32Array(9), [1, 3, 3, 1]), tensor(new Float32Array(9), [3, 3, 1, 1]));
  y.dispose();
  if (!(new WasmLoadError('x') instanceof Error)) throw new Error();
  return backend();
}
`;
    writeFileSync(join(dir, 'consumer.ts'), consumer);
    writeFileSync(join(dir, 'consumer.mts'), consumer);
    writeFileSync(join(dir, 'consumer.cts'), consumer);
    const base = { strict: true, noEmit: true, skipLibCheck: false, skipDefaultLibCheck: true, target: 'ES2022', lib: ['ES2022', 'DOM', 'ESNext.Disposable'], types: [] };
    const configs: Record<string, object> = {
      workerd: { ...base, module: 'ESNext', moduleResolution: 'bundler', customConditions: ['workerd', 'worker'] },
      'edge-light': { ...base, module: 'ESNext', moduleResolution: 'bundler', customConditions: ['edge-light'] },
      browser: { ...base, module: 'ESNext', moduleResolution: 'bundler', customConditions: ['browser'] },
      node16: { ...base, module: 'Node16', moduleResolution: 'Node16' },
    };
    const results = await Promise.all(
      Object.entries(configs).map(async ([name, compilerOptions]) => {
        const files = name === 'node16' ? ['consumer.mts', 'consumer.cts'] : ['consumer.ts'];
        writeFileSync(join(dir, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...compilerOptions, traceResolution: false }, files }));
        const r = await run(BIN('tsc'), ['-p', `tsconfig.${name}.json`, '--listFiles'], { cwd: dir, timeoutMs: 120_000 });
        return { name, ...r };
      }),
    );
    for (const r of results) {
      expect(r.code, `${r.name}: ${r.stdout}`).toBe(0);
      const listed = r.stdout.split('\n').filter((l) => l.includes('node_modules/sepconv/'));
      const entryTypes: Record<string, RegExp> = { workerd: /dist\/workerd\.d\.ts$/, 'edge-light': /dist\/edge-light\.d\.ts$/, browser: /dist\/browser\.d\.ts$/, node16: /dist\/node\.d\.c?ts$/ };
      expect(listed.some((l) => entryTypes[r.name]!.test(l)), `${r.name} resolved ${listed.join(', ')}`).toBe(true);
    }
    const node16 = results.find((r) => r.name === 'node16')!.stdout;
    expect(node16).toMatch(/dist\/node\.d\.ts/);
    expect(node16).toMatch(/dist\/node\.d\.cts/);
  });

  it('a bundler drops what the app does not use (sideEffects: false, ESM): ops alone, or one model family', async () => {
    const dir = fixtureDir(pkg, 'shake', []);
    dirs.push(dir);
    const bundle = async (name: string, source: string) => {
      writeFileSync(join(dir, name), source);
      const result = await build({ entryPoints: [join(dir, name)], bundle: true, write: false, format: 'esm', platform: 'browser', minify: true, logLevel: 'silent', external: ['*.wasm'] });
      return result.outputFiles[0]!.text.toLowerCase();
    };
    // Strings only each family's code carries (its Keras model names and layer names).
    const FAMILY: Record<string, string[]> = {
      mobilenetV1: ['conv_pw_', 'conv_preds'],
      mobilenetV2: ['mobilenetv2_', 'expanded_conv_'],
      xception: ['block1_conv1_bn', 'block14_sepconv'],
      efficientnet: ['efficientnet', 'se_reduce'],
      resnet50: ['resnet50', 'pool1_pool'],
    };
    const opsOnly = await bundle('ops.mjs', "import { init, tensor, depthwiseConv2d } from 'sepconv';\nawait init();\nconsole.log(depthwiseConv2d(tensor(new Float32Array(9), [1, 3, 3, 1]), tensor(new Float32Array(9), [3, 3, 1, 1])).data());\n");
    for (const marker of [...Object.values(FAMILY).flat(), 'model_config', 'batch_input_shape', 'tinca tinca']) expect(opsOnly, `ops-only app carries ${marker}`).not.toContain(marker);
    expect(opsOnly.length).toBeLessThan(60_000);
    const v2 = await bundle('v2.mjs', "import { init, mobilenetV2 } from 'sepconv';\nawait init();\nconsole.log(mobilenetV2({ alpha: 0.35 }).countParams());\n");
    for (const m of FAMILY.mobilenetV2!) expect(v2, `MobileNetV2 app lacks ${m}`).toContain(m);
    // The ImageNet labels (28 KB) come only with an import of IMAGENET_LABELS.
    expect(v2, 'MobileNetV2 app carries IMAGENET_LABELS').not.toContain('tinca tinca');
    for (const [family, markers] of Object.entries(FAMILY)) {
      if (family === 'mobilenetV2') continue;
      for (const m of markers) expect(v2, `MobileNetV2 app carries ${family} (${m})`).not.toContain(m);
    }
    // The zoo builds layers directly: a zoo app carries neither the Keras config emitter nor the importer.
    for (const m of ['model_config', 'batch_input_shape', 'inbound_nodes']) expect(v2, `MobileNetV2 app carries the Keras config path (${m})`).not.toContain(m);
    // Nor the ONNX importer or its protobuf reader (onnx-proto, protobufjs).
    for (const [app, code] of [['ops-only', opsOnly], ['MobileNetV2', v2]]) {
      for (const m of ['onnx-proto', 'sparsetensorproto', 'protobuf', 'count_include_pad', 'modelproto']) expect(code, `${app} app carries ONNX code (${m})`).not.toContain(m);
    }
    // An app that loads models gets the protobuf reader as a separate chunk, fetched on the first ONNX load.
    writeFileSync(join(dir, 'load.mjs'), "import { init, loadModel } from 'sepconv';\nawait init();\nconst m = await loadModel(process.argv[2]);\nconsole.log(m.name);\n");
    const split = await build({ entryPoints: [join(dir, 'load.mjs')], bundle: true, write: false, splitting: true, outdir: join(dir, 'split'), format: 'esm', platform: 'browser', minify: true, logLevel: 'silent', external: ['*.wasm'] });
    const entryChunk = split.outputFiles.find((f) => f.path.endsWith('load.js'))!.text.toLowerCase();
    const others = split.outputFiles.filter((f) => !f.path.endsWith('load.js')).map((f) => f.text.toLowerCase());
    // ('SparseTensorProto' is a message only onnx-proto's generated code names.)
    expect(entryChunk, 'loadModel app: onnx-proto in the entry chunk').not.toContain('sparsetensorproto');
    expect(others.some((t) => t.includes('sparsetensorproto')), 'loadModel app: no lazy onnx-proto chunk').toBe(true);
  });
});
