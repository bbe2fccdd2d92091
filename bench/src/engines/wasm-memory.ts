// Which WebAssembly memories each engine creates: WebAssembly.instantiate is wrapped while an
// engine loads, so the wasm heap of ORT-web (whose module object is private) can be read too.
const owners = new Map<string, Set<WebAssembly.Memory>>();
let loading: string | undefined;

function collect(instance: WebAssembly.Instance, imports?: WebAssembly.Imports): void {
  if (!loading) return;
  const set = owners.get(loading) ?? new Set();
  owners.set(loading, set);
  for (const v of Object.values(instance.exports)) if (v instanceof WebAssembly.Memory) set.add(v);
  for (const ns of Object.values(imports ?? {})) for (const v of Object.values(ns ?? {})) if (v instanceof WebAssembly.Memory) set.add(v);
}

let patched = false;
function patch(): void {
  if (patched) return;
  patched = true;
  const inst = WebAssembly.instantiate.bind(WebAssembly);
  (WebAssembly as any).instantiate = async (src: any, imports?: WebAssembly.Imports) => {
    const r: any = await inst(src, imports);
    collect(r instanceof WebAssembly.Instance ? r : r.instance, imports);
    return r;
  };
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    const st = WebAssembly.instantiateStreaming.bind(WebAssembly);
    (WebAssembly as any).instantiateStreaming = async (src: any, imports?: WebAssembly.Imports) => {
      const r = await st(src, imports);
      collect(r.instance, imports);
      return r;
    };
  }
}

/** Runs `load` while attributing every wasm memory it instantiates to `engine`. */
export async function attributing<T>(engine: string, load: () => Promise<T>): Promise<T> {
  patch();
  loading = engine;
  try {
    return await load();
  } finally {
    loading = undefined;
  }
}

export function addMemory(engine: string, m: WebAssembly.Memory): void {
  const set = owners.get(engine) ?? new Set();
  set.add(m);
  owners.set(engine, set);
}

/** Current byte size of the engine's wasm memories (wasm memory never shrinks: this is the peak). */
export function wasmHeapBytes(engine: string): number | undefined {
  const set = owners.get(engine);
  if (!set || set.size === 0) return undefined;
  let n = 0;
  for (const m of set) n += m.buffer.byteLength;
  return n;
}
