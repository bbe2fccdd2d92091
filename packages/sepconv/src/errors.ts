/** Base of every error sepconv throws on purpose; `instanceof SepconvError` catches them all. */
export class SepconvError extends Error {
  constructor(message: string) {
    super(message);
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

/** A model file or weight map is malformed or holds something sepconv cannot run. */
export class ModelFormatError extends SepconvError {}

/** Formats a value for an error message: strings quoted, arrays listed, objects as JSON where they serialize (what `SepconvError` messages use to name the offending value). */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v === null || typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
