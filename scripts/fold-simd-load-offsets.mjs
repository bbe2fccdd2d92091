#!/usr/bin/env node
// Folds `(v128.load32_splat (i32.add X (i32.const C)))` into `(v128.load32_splat offset=C X)`, and
// the same for the other SIMD-only loads (splat / zero / extend). binaryen's
// --optimize-added-constants does this for plain loads and stores but not for these, so every
// A-row splat in the GEMM kept an i32.add that V8 turns into one `lea` per load (measured: 4
// `lea` per k step of the 4x8 microkernel; folded, 1). Same safety rule as binaryen's pass under
// --low-memory-unused: only constants below 1024, the bytes the stack-first layout never uses.
//
// Usage: node scripts/fold-simd-load-offsets.mjs in.wasm out.wasm
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const LOW_MEMORY_BOUND = 1024;
const F = binaryen.Features;
const features = F.SIMD128 | F.RelaxedSIMD | F.BulkMemory | (F.BulkMemoryOpt ?? 0) | F.NontrappingFPToInt | F.SignExt | F.MutableGlobals | F.ReferenceTypes | F.Multivalue;

/** Index just past the balanced s-expression that starts at `i` (text[i] === '('). */
function skipExpression(text, i) {
  let depth = 0;
  for (;;) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i + 1;
    else if (ch === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
    }
    i++;
  }
}

/** The module text with every foldable SIMD load rewritten, and how many were. */
export function foldSimdLoadOffsets(text) {
  const load = /\(v128\.(load(?:8|16|32|64)_splat|load(?:32|64)_zero|load(?:8x8|16x4|32x2)_[su])((?: offset=\d+)?)((?: align=\d+)?)\s+\(i32\.add\s+/g;
  const constTail = /^\s+\(i32\.const (\d+)\)\s*\)\s*\)/;
  let out = '';
  let last = 0;
  let folded = 0;
  for (let m; (m = load.exec(text)); ) {
    const x = m.index + m[0].length;
    if (text[x] !== '(') continue;
    const xEnd = skipExpression(text, x);
    const tail = constTail.exec(text.slice(xEnd, xEnd + 64));
    if (!tail || Number(tail[1]) >= LOW_MEMORY_BOUND) continue;
    const offset = Number(m[2].replace(' offset=', '') || 0) + Number(tail[1]);
    out += `${text.slice(last, m.index)}(v128.${m[1]} offset=${offset}${m[3]} ${text.slice(x, xEnd)})`;
    last = xEnd + tail[0].length;
    load.lastIndex = last;
    folded++;
  }
  return { text: out + text.slice(last), folded };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [input, output, flag] = process.argv.slice(2);
  if (!input || !output || (flag !== undefined && flag !== '--threads')) {
    console.error('usage: fold-simd-load-offsets.mjs in.wasm out.wasm [--threads]');
    process.exit(2);
  }
  // --threads: the threaded builds (shared memory, atomics).
  const all = flag === '--threads' ? features | F.Atomics : features;
  const mod = binaryen.readBinary(readFileSync(input));
  mod.setFeatures(all);
  const { text, folded } = foldSimdLoadOffsets(mod.emitText());
  mod.dispose();
  const result = binaryen.parseText(text);
  result.setFeatures(all);
  if (!result.validate()) throw new Error(`fold-simd-load-offsets: ${input} no longer validates after folding`);
  writeFileSync(output, result.emitBinary());
  result.dispose();
  console.log(`wasm: folded ${folded} SIMD load offsets in ${output}`);
}
