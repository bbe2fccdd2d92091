// Activation memory planning: every intermediate value gets an offset in one buffer, and values
// whose lifetimes do not overlap share memory (greedy by size, as TFLite's arena planner).

export interface Interval {
  /** Any id; echoed back in the plan. */
  id: number;
  /** Floats. */
  size: number;
  /** Index of the step that writes it. */
  first: number;
  /** Index of the last step that reads it (inclusive); model outputs live to the end. */
  last: number;
}

export interface ArenaPlan {
  /** Offset in floats of each interval's id. */
  offsets: Map<number, number>;
  /** Total floats the buffer needs. */
  size: number;
  /** Sum of all sizes (what a buffer per value would take), for the stats. */
  unshared: number;
}

/** Alignment of every offset in floats (16 bytes, one 128-bit vector). */
export const ARENA_ALIGN = 4;

const align = (n: number): number => Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;

/**
 * Greedy best-fit by decreasing size: each value goes at the lowest offset where it overlaps no
 * already placed value whose lifetime intersects its own. Lifetimes are inclusive, so a step's
 * output never shares memory with its inputs (kernels are not in-place). The placed values whose
 * lifetimes intersect come from a segment tree over step indices, so a value costs O((k + 1) log^2 T)
 * for its k conflicts instead of a scan of every placed value (N log N for a chain, not N^2).
 */
export function planArena(intervals: readonly Interval[]): ArenaPlan {
  const order = [...intervals].sort((a, b) => b.size - a.size || a.first - b.first || a.id - b.id);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of intervals) {
    lo = Math.min(lo, v.first);
    hi = Math.max(hi, v.last);
  }
  const placed = new PlacedIntervals(lo, hi);
  const offsets = new Map<number, number>();
  let size = 0;
  let unshared = 0;
  for (const v of order) {
    const need = align(Math.max(v.size, 1));
    unshared += need;
    const conflicts = placed.overlapping(v.first, v.last);
    if (conflicts.length > 1) conflicts.sort((a, b) => a.off - b.off);
    let off = 0;
    for (const p of conflicts) {
      if (off + need <= p.off) break;
      off = Math.max(off, p.end);
    }
    placed.insert({ off, end: off + need, first: v.first, last: v.last, mark: 0 });
    offsets.set(v.id, off);
    size = Math.max(size, off + need);
  }
  return { offsets, size, unshared };
}

interface Placed {
  off: number;
  end: number;
  first: number;
  last: number;
  /** The query that last reported it (an interval sits in up to 2 log T tree nodes). */
  mark: number;
}

/**
 * Placed intervals by lifetime: a segment tree over the step indices [lo, hi] whose nodes hold the
 * intervals that cover them (each interval in its O(log T) canonical nodes), with per-subtree counts
 * so queries skip empty parts. Depth is log2 T, so its recursion is bounded whatever the graph.
 */
class PlacedIntervals {
  readonly #lo: number;
  readonly #hi: number;
  readonly #items: (Placed[] | undefined)[];
  readonly #count: Int32Array;
  #query = 0;

  constructor(lo: number, hi: number) {
    this.#lo = Number.isFinite(lo) ? lo : 0;
    this.#hi = Number.isFinite(hi) ? Math.max(hi, this.#lo) : this.#lo;
    this.#count = new Int32Array(4 * (this.#hi - this.#lo + 1));
    this.#items = new Array<Placed[] | undefined>(this.#count.length).fill(undefined);
  }

  insert(p: Placed): void {
    this.#insert(p, 1, this.#lo, this.#hi);
  }

  #insert(p: Placed, node: number, nl: number, nr: number): void {
    if (p.last < nl || nr < p.first) return;
    this.#count[node]!++;
    if (p.first <= nl && nr <= p.last) {
      (this.#items[node] ??= []).push(p);
      return;
    }
    const mid = Math.floor((nl + nr) / 2);
    this.#insert(p, 2 * node, nl, mid);
    this.#insert(p, 2 * node + 1, mid + 1, nr);
  }

  /** The placed intervals whose lifetime intersects [first, last], each once. */
  overlapping(first: number, last: number): Placed[] {
    const out: Placed[] = [];
    this.#collect(out, ++this.#query, first, last, 1, this.#lo, this.#hi);
    return out;
  }

  #collect(out: Placed[], q: number, a: number, b: number, node: number, nl: number, nr: number): void {
    if (!this.#count[node] || b < nl || nr < a) return;
    for (const p of this.#items[node] ?? []) {
      if (p.mark === q) continue;
      p.mark = q;
      out.push(p);
    }
    if (nl === nr) return;
    const mid = Math.floor((nl + nr) / 2);
    this.#collect(out, q, a, b, 2 * node, nl, mid);
    this.#collect(out, q, a, b, 2 * node + 1, mid + 1, nr);
  }
}

/** Checks a plan: no two values alive at the same step overlap in memory. For tests. */
export function planIsValid(intervals: readonly Interval[], plan: ArenaPlan): boolean {
  for (const a of intervals)
    for (const b of intervals) {
      if (a.id >= b.id) continue;
      if (!(a.first <= b.last && b.first <= a.last)) continue;
      const ao = plan.offsets.get(a.id)!;
      const bo = plan.offsets.get(b.id)!;
      if (ao < bo + Math.max(b.size, 1) && bo < ao + Math.max(a.size, 1)) return false;
    }
  return true;
}
