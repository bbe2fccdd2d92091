// Models shipped inside JavaScript bundles, as the npm package nsfwjs ships its TF.js models:
// `model.min.js` and `group1-shardXofN.min.js` are browserify UMD bundles whose single module
// does `<module>.exports = <literal>`, the literal being the model.json object (JS syntax:
// unquoted keys, `!0`/`!1` for booleans, `.5` numbers) or the shard's bytes as a base64 string.
// We never evaluate the bundle: we find the `exports=` assignment inside the first module
// function and parse the literal with a small JS-literal parser.
import { ModelFormatError } from '../errors.js';

/** Parses a JavaScript object/array/string/number literal starting at `text[start]`. */
export function parseJsLiteral(text: string, start = 0): { value: unknown; end: number } {
  let i = start;
  // Nesting is bounded (the parser recurses per level); model.json literals nest a few dozen deep.
  let depth = 0;
  const MAX_DEPTH = 1000;
  const err = (what: string): never => {
    throw new ModelFormatError(`wrapped model: ${what} at offset ${i} (near ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))})`);
  };
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const ident = (): string => {
    const m = /^[A-Za-z_$][\w$]*/.exec(text.slice(i, i + 256));
    if (!m) err('expected an identifier');
    i += m![0].length;
    return m![0];
  };
  const str = (): string => {
    const q = text[i++]!;
    let out = '';
    for (;;) {
      // Copy the run up to the next quote or backslash in one slice (shards are megabytes of base64).
      let j = i;
      while (j < text.length) {
        const cc = text.charCodeAt(j);
        if (cc === 92 || text[j] === q) break;
        j++;
      }
      out += text.slice(i, j);
      i = j;
      if (i >= text.length) err('unterminated string');
      const ch = text[i++]!;
      if (ch === q) return out;
      const e = text[i++]!;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', 0: '\0' };
      if (e in simple) out += simple[e];
      else if (e === 'x') {
        out += String.fromCharCode(parseInt(text.slice(i, i + 2), 16));
        i += 2;
      } else if (e === 'u') {
        if (text[i] === '{') {
          const close = text.indexOf('}', i);
          out += String.fromCodePoint(parseInt(text.slice(i + 1, close), 16));
          i = close + 1;
        } else {
          out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
          i += 4;
        }
      } else if (e === '\n') {
        /* line continuation */
      } else out += e;
    }
  };
  const value = (): unknown => {
    ws();
    const ch = text[i];
    // Every nesting ({, [, !, void) goes through here.
    if (++depth > MAX_DEPTH) err(`literal nested more than ${MAX_DEPTH} deep`);
    const v = ch === '{' ? object() : ch === '[' ? array() : scalar(ch);
    depth--;
    return v;
  };
  const object = (): unknown => {
    {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        const c = text[i];
        const key = c === '"' || c === "'" ? str() : /[0-9]/.test(c ?? '') ? String(num()) : ident();
        ws();
        if (text[i++] !== ':') err("expected ':'");
        obj[key] = value();
        ws();
        const sep = text[i++];
        if (sep === '}') return obj;
        if (sep !== ',') err("expected ',' or '}'");
        ws();
        if (text[i] === '}') {
          i++;
          return obj;
        }
      }
    }
  };
  const array = (): unknown => {
    {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        const sep = text[i++];
        if (sep === ']') return arr;
        if (sep !== ',') err("expected ',' or ']'");
        ws();
        if (text[i] === ']') {
          i++;
          return arr;
        }
      }
    }
  };
  const scalar = (ch: string | undefined): unknown => {
    if (ch === '"' || ch === "'") return str();
    if (ch === '!') {
      i++;
      ws();
      const v = value();
      return !v;
    }
    if (ch === '-' || ch === '+' || ch === '.' || /[0-9]/.test(ch ?? '')) return num();
    const id = ident();
    if (id === 'true') return true;
    if (id === 'false') return false;
    if (id === 'null') return null;
    if (id === 'void') {
      value();
      return undefined;
    }
    if (id === 'NaN') return NaN;
    if (id === 'Infinity') return Infinity;
    return err(`unexpected identifier '${id}' (only literals are accepted)`);
  };
  const num = (): number => {
    const m = /^[-+]?(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|Infinity)/.exec(text.slice(i, i + 64));
    if (!m) err('expected a number');
    i += m![0].length;
    return Number(m![0]);
  };
  const v = value();
  return { value: v, end: i };
}

/** True when `text` looks like a browserify/UMD-wrapped module (as nsfwjs's `.min.js` models). */
export function isWrappedModule(text: string): boolean {
  return /^\s*!?\s*function\s*\(/.test(text) && /\.exports\s*=/.test(text);
}

/**
 * Extracts the literal a wrapped bundle exports: the model.json object of `model.min.js`, or the
 * base64 text of a shard `.min.js` (decoded to bytes with `decodeBase64`).
 */
export function extractWrappedModule(text: string, what = 'wrapped model'): unknown {
  // The bundle's module table: `({1:[function(a,b,c){b.exports=...},{}]},{},[1])`.
  const table = text.search(/\(\{\s*1\s*:\s*\[\s*function\s*\(/);
  const from = table >= 0 ? table : 0;
  const re = /([A-Za-z_$][\w$]*)\.exports\s*=\s*/g;
  re.lastIndex = from;
  const m = re.exec(text);
  if (!m) throw new ModelFormatError(`${what}: no \`module.exports = ...\` in the bundle; not a wrapped TF.js model`);
  return parseJsLiteral(text, m.index + m[0].length).value;
}

/** Decodes base64 (standard alphabet, padding optional) into bytes, in any JS runtime. */
export function decodeBase64(b64: string): Uint8Array {
  const clean = b64.replace(/[^A-Za-z0-9+/]/g, '');
  const table = new Int16Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let k = 0; k < 64; k++) table[alphabet.charCodeAt(k)] = k;
  const n = Math.floor((clean.length * 3) / 4);
  const out = new Uint8Array(n);
  let o = 0;
  for (let k = 0; k < clean.length; k += 4) {
    const a = table[clean.charCodeAt(k)]!;
    const b = table[clean.charCodeAt(k + 1)]!;
    const c = k + 2 < clean.length ? table[clean.charCodeAt(k + 2)]! : 0;
    const d = k + 3 < clean.length ? table[clean.charCodeAt(k + 3)]! : 0;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < n) out[o++] = (v >> 16) & 255;
    if (o < n && k + 2 < clean.length) out[o++] = (v >> 8) & 255;
    if (o < n && k + 3 < clean.length) out[o++] = v & 255;
  }
  return out.subarray(0, o);
}
