// Readers of GraphDef node attributes (the JSON form tfjs-converter writes): every malformed value
// is a ModelFormatError naming the node and the attribute.
import { clip, formatJson, ModelFormatError, quote } from '../../errors.js';
import { decodeBase64 } from '../wrapper.js';

/** A node of a TF.js graph model (`modelTopology.node[]` in model.json): its name, op, inputs and attributes. */
export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, any>;
}

/** A ModelFormatError naming the node and its op. */
export function nodeError(n: GraphNode, msg: string): ModelFormatError {
  return new ModelFormatError(`graph model: node ${quote(n.name)} (${clip(n.op)}): ${msg}`);
}

/** A GraphDef attr string (base64 in the JSON form) as a binary string, as `atob` gives it; invalid base64 is a ModelFormatError naming the node. */
function b64(node: GraphNode, key: string, s: unknown): string {
  if (typeof s !== 'string' || s.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw nodeError(node, `attr '${key}' is not a base64 string, got ${formatJson(s)}`);
  }
  const bytes = decodeBase64(s);
  let out = '';
  for (let k = 0; k < bytes.length; k += 4096) out += String.fromCharCode(...bytes.subarray(k, k + 4096));
  return out;
}

/** A string attr, or undefined. */
export function attrStr(node: GraphNode, key: string): string | undefined {
  const a = node.attr?.[key];
  return a?.s === undefined ? undefined : b64(node, key, a.s);
}

/** An int-list attr (as numbers), or undefined; anything but a list of integers is a ModelFormatError naming the node. */
export function attrInts(node: GraphNode, key: string): number[] | undefined {
  const l = node.attr?.[key]?.list?.i;
  if (l === undefined) return undefined;
  const v = Array.isArray(l) ? l.map((x) => (typeof x === 'string' || typeof x === 'number' ? Number(x) : NaN)) : [];
  if (!Array.isArray(l) || !v.every((x) => Number.isSafeInteger(x))) throw nodeError(node, `attr '${key}' must be a list of integers, got ${formatJson(l)}`);
  return v;
}

/** A string-list attr ([] when absent). */
export function attrStrs(node: GraphNode, key: string): string[] {
  const l = node.attr?.[key]?.list?.s ?? [];
  if (!Array.isArray(l)) throw nodeError(node, `attr '${key}' must be a list of strings, got ${formatJson(l)}`);
  return l.map((s: unknown) => b64(node, key, s));
}

/** A float attr, or `fallback`. */
export function attrF(node: GraphNode, key: string, fallback: number): number {
  const v = node.attr?.[key]?.f;
  return v === undefined ? fallback : Number(v);
}

/** A bool attr (false when absent). */
export function attrB(node: GraphNode, key: string): boolean {
  return Boolean(node.attr?.[key]?.b);
}

/** An integer attr (`i`, a number or a decimal string), or `fallback`; anything else is a ModelFormatError naming the node. */
export function attrI(node: GraphNode, key: string, fallback: number): number {
  const raw = node.attr?.[key]?.i;
  if (raw === undefined) return fallback;
  const v = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v)) throw nodeError(node, `attr '${key}' must be an integer, got ${formatJson(raw)}`);
  return v;
}

/** TF DataType enum names (as tfjs-converter writes them) and the dtype sepconv tracks for each. */
const DTYPES: Record<string, 'float32' | 'int32' | 'bool' | 'uint8'> = {
  DT_FLOAT: 'float32',
  DT_HALF: 'float32',
  DT_DOUBLE: 'float32',
  DT_BFLOAT16: 'float32',
  DT_INT32: 'int32',
  DT_INT64: 'int32',
  DT_INT16: 'int32',
  DT_INT8: 'int32',
  DT_UINT16: 'int32',
  DT_UINT32: 'int32',
  DT_UINT8: 'uint8',
  DT_BOOL: 'bool',
};

/** A `type` attr (`DT_FLOAT`, `DT_INT32`, ...) as a dtype, or `fallback` when absent; other types are a ModelFormatError. */
export function attrType(node: GraphNode, key: string, fallback: 'float32' | 'int32' | 'bool' | 'uint8'): 'float32' | 'int32' | 'bool' | 'uint8' {
  const t = node.attr?.[key]?.type;
  if (t === undefined) return fallback;
  const d = typeof t === 'string' && Object.hasOwn(DTYPES, t) ? DTYPES[t] : undefined;
  if (!d) throw nodeError(node, `attr '${key}': type ${formatJson(t)} is not supported (float, int, uint8 and bool are)`);
  return d;
}
