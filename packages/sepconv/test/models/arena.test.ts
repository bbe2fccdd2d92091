// The arena planner: no two live values overlap; liveness lets a chain reuse two slots.
import { describe, expect, it } from 'vitest';
import { ARENA_ALIGN, planArena, planIsValid, type Interval } from '../../src/models/arena.js';
import { rng } from '../helpers.js';

describe('planArena', () => {
  it('a chain of equal values ping-pongs between two slots', () => {
    const chain: Interval[] = Array.from({ length: 10 }, (_, i) => ({ id: i, size: 100, first: i, last: i + 1 }));
    const plan = planArena(chain);
    expect(planIsValid(chain, plan)).toBe(true);
    expect(plan.size).toBe(2 * 100);
    expect(plan.unshared).toBe(10 * 100);
  });

  it('a residual keeps the skip value alive across the branch', () => {
    // 0 -> 1 -> 2 -> add(2, 0) = 3
    const iv: Interval[] = [
      { id: 0, size: 64, first: 0, last: 3 },
      { id: 1, size: 64, first: 1, last: 2 },
      { id: 2, size: 64, first: 2, last: 3 },
      { id: 3, size: 64, first: 3, last: 4 },
    ];
    const plan = planArena(iv);
    expect(planIsValid(iv, plan)).toBe(true);
    expect(plan.size).toBe(3 * 64);
  });

  it('random interval sets: always valid, aligned, and never above the unshared total', () => {
    const next = rng(42);
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(((next() + 1) / 2) * 30);
      const iv: Interval[] = Array.from({ length: n }, (_, id) => {
        const first = Math.floor(((next() + 1) / 2) * 40);
        return { id, size: 1 + Math.floor(((next() + 1) / 2) * 1000), first, last: first + Math.floor(((next() + 1) / 2) * 8) };
      });
      const plan = planArena(iv);
      expect(planIsValid(iv, plan)).toBe(true);
      for (const off of plan.offsets.values()) expect(off % ARENA_ALIGN).toBe(0);
      expect(plan.size).toBeLessThanOrEqual(plan.unshared);
      // Lower bound: the largest set of values alive at one step.
      let peak = 0;
      for (let s = 0; s < 50; s++) peak = Math.max(peak, iv.filter((v) => v.first <= s && s <= v.last).reduce((a, v) => a + v.size, 0));
      expect(plan.size).toBeGreaterThanOrEqual(peak);
    }
  });
});
