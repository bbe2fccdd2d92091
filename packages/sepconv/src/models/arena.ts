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
 * output never shares memory with its inputs (kernels are not in-place).
 */
export function planArena(intervals: readonly Interval[]): ArenaPlan {
  const order = [...intervals].sort((a, b) => b.size - a.size || a.first - b.first || a.id - b.id);
  const placed: { off: number; end: number; first: number; last: number }[] = [];
  const offsets = new Map<number, number>();
  let size = 0;
  let unshared = 0;
  for (const v of order) {
    const need = align(Math.max(v.size, 1));
    unshared += need;
    const conflicts = placed.filter((p) => p.first <= v.last && v.first <= p.last).sort((a, b) => a.off - b.off);
    let off = 0;
    for (const p of conflicts) {
      if (off + need <= p.off) break;
      off = Math.max(off, p.end);
    }
    placed.push({ off, end: off + need, first: v.first, last: v.last });
    offsets.set(v.id, off);
    size = Math.max(size, off + need);
  }
  return { offsets, size, unshared };
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
