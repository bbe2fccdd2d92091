/** Base of every error sepconv throws on purpose; `instanceof SepconvError` catches them all. */
export class SepconvError extends Error {
  constructor(message: string) {
    super(boundMessage(message));
    this.name = new.target.name;
  }
}

/** An op or tensor was used before `await init()`. */
export class NotInitializedError extends SepconvError {
  constructor(what = 'this call') {
    super(`sepconv is not initialized: call \`await init()\` before ${what}`);
  }
}

/** A tensor's shape does not fit the op. Names the op, what was expected and what was given. */
export class ShapeError extends SepconvError {
  constructor(
    readonly op: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${op}: expected ${expected}, got ${got}`);
  }
}

/** An option has a value the op cannot take. */
export class OptionError extends SepconvError {
  constructor(
    readonly op: string,
    readonly option: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${op}: option \`${option}\` must be ${expected}, got ${formatValue(got)}`);
  }
}

/** A tensor or buffer has a dtype the op does not take. */
export class DTypeError extends SepconvError {
  constructor(
    readonly op: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${op}: expected dtype ${expected}, got ${got}`);
  }
}

/** A tensor, layer or model was used after `dispose()`. */
export class DisposedTensorError extends SepconvError {
  constructor(what: string) {
    super(`${what} was used after dispose()`);
  }
}

/** The wasm binary could not be fetched, compiled or instantiated. */
export class WasmLoadError extends SepconvError {
  constructor(
    message: string,
    readonly source?: string,
  ) {
    super(message);
  }
}

/** A kernel refused its arguments inside wasm (a bug in sepconv if the TypeScript checks passed). */
export class KernelError extends SepconvError {}

/**
 * A thread-pool worker failed to start or died. The runtime stays usable: it continues on the
 * calling thread alone (`backend().threads` is 1 afterwards).
 */
export class WorkerError extends SepconvError {}

/** A model file or weight map is malformed or holds something sepconv cannot run. */
export class ModelFormatError extends SepconvError {}

/**
 * A model that uses ops sepconv lacks. `unsupported` lists every such node (name and op), found
 * before anything else about the graph is checked; the message names every distinct op and the first nodes.
 */
export class UnsupportedOpsError extends ModelFormatError {
  constructor(
    message: string,
    readonly unsupported: readonly { readonly node: string; readonly op: string }[],
  ) {
    super(message);
  }
}

/** Longest error message sepconv builds: longer ones keep their start and say how much was cut. */
export const MAX_MESSAGE_CHARS = 2048;

function boundMessage(m: string): string {
  if (typeof m !== 'string' || m.length <= MAX_MESSAGE_CHARS) return m;
  return `${m.slice(0, MAX_MESSAGE_CHARS - 40)}… (${m.length - (MAX_MESSAGE_CHARS - 40)} more characters)`;
}

/** `formatValue` in JSON's layout (`[3,4]`, `{"a":1}`) for values from model files; bounded the same way. */
export function formatJson(v: unknown, maxChars = 200): string {
  return formatValue(v, maxChars, true);
}

/** A name or other user string in single quotes, cut to 100 characters; any other value as `formatValue`. */
export function quote(v: unknown): string {
  return typeof v === 'string' ? `'${clip(v)}'` : formatValue(v);
}

/** A user string cut to `max` characters (then `…`); any other value as `formatValue`. */
export function clip(v: unknown, max = 100): string {
  if (typeof v !== 'string') return formatValue(v);
  return v.length > max ? `${v.slice(0, max)}…` : v;
}

/** `a, b, c, … and 17 more`: the first `max` items, then a count (messages stay short for any list). */
export function formatList(items: Iterable<unknown>, max = 10, sep = ', '): string {
  const out: string[] = [];
  let n = 0;
  for (const it of items) {
    if (n < max) out.push(typeof it === 'string' ? it : formatValue(it));
    n++;
  }
  return n > max ? `${out.join(sep)}${sep}… and ${n - max} more` : out.join(sep);
}

/**
 * A short, JSON-like rendering of any value for an error message: at most `maxChars` characters
 * (then `…`), built with an explicit stack (no recursion, so a value nested 100,000 deep is fine),
 * BigInt as `12n`, typed arrays and buffers by size, getters that throw and cycles survived.
 */
export function formatValue(v: unknown, maxChars = 200, json = false): string {
  const comma = json ? ',' : ', ';
  let out = '';
  // Work items: a value to render, or literal text to emit.
  const stack: ({ v: unknown } | string)[] = [{ v }];
  const seen = new Set<object>();
  while (stack.length && out.length <= maxChars) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      out += item;
      continue;
    }
    try {
      out += renderOne(item.v, stack, seen, maxChars - out.length, maxChars, comma, json);
    } catch {
      // A Proxy or getter that throws while we look at it.
      out += '[unreadable]';
    }
  }
  return out.length > maxChars || stack.length ? `${out.slice(0, maxChars)}…` : out;
}

/** One step of `formatValue`: the text for a leaf, or the opening of a container whose parts go on `stack`. */
function renderOne(x: unknown, stack: ({ v: unknown } | string)[], seen: Set<object>, room: number, maxChars: number, comma: string, json: boolean): string {
  let out = '';
  {
    if (typeof x === 'string') out += JSON.stringify(x.length > maxChars ? x.slice(0, maxChars) : x);
    else if (typeof x === 'bigint') out += `${x}n`;
    else if (typeof x === 'number') out += Object.is(x, -0) ? '-0' : String(x);
    else if (x === null || x === undefined || typeof x === 'boolean') out += String(x);
    else if (typeof x === 'function') out += '[function]';
    else if (typeof x === 'symbol') out += x.toString();
    else if (x instanceof ArrayBuffer) out += `ArrayBuffer(${x.byteLength} bytes)`;
    else if (ArrayBuffer.isView(x)) {
      const n = (x as unknown as { length?: number }).length;
      out += `${x.constructor?.name ?? 'ArrayBufferView'}(${n ?? x.byteLength})`;
    } else if (x instanceof Map || x instanceof Set) out += `${x instanceof Map ? 'Map' : 'Set'}(${x.size})`;
    else if (seen.has(x as object)) out += '[circular]';
    else {
      seen.add(x as object);
      // Push in reverse: the stack pops the first part first. At most enough parts to fill the budget.
      const parts: ({ v: unknown } | string)[] = [];
      if (Array.isArray(x)) {
        parts.push('[');
        const n = Math.min(x.length, room);
        for (let i = 0; i < n; i++) parts.push(...(i ? [comma] : []), { v: x[i] });
        if (x.length > n) parts.push(`${comma}…`);
        parts.push(']');
      } else {
        parts.push('{');
        let i = 0;
        for (const k in x as object) {
          if (!Object.prototype.hasOwnProperty.call(x, k)) continue;
          if (i >= room) {
            parts.push(`${comma}…`);
            break;
          }
          let val: unknown;
          try {
            val = (x as Record<string, unknown>)[k];
          } catch {
            val = '[getter threw]';
          }
          const key = !json && /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k.slice(0, maxChars));
          parts.push(`${i ? comma : ''}${key}${json ? ':' : ': '}`, { v: val });
          i++;
        }
        parts.push('}');
      }
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
    }
  }
  return out;
}
