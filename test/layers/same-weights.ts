// The same seeded weights in a sepconv model and its tfjs-layers twin (both in Keras weight order).
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { rng } from '../engines/rng.js';

/** Seeded weights for every weight of the sepconv model `m` (BN variances positive). */
export function seededWeights(m: any, seed: number): Map<string, Float32Array> {
  const w = rng(seed);
  const map = new Map<string, Float32Array>();
  for (const spec of m.weightSpecs()) {
    const n = spec.shape.reduce((a: number, b: number) => a * b, 1);
    const v = Float32Array.from({ length: n }, () => w() * 0.5);
    if (spec.name.endsWith('moving_variance')) for (let i = 0; i < n; i++) v[i] = Math.abs(v[i]!) + 0.5;
    map.set(spec.name, v);
  }
  return map;
}

/** `map` into both models: sepconv by name, tfjs layer by layer; every weight is copied, shapes agree. */
export function setBoth(m: any, t: any, map: Map<string, Float32Array>): void {
  m.setWeights(map);
  let copied = 0;
  for (const l of t.layers) {
    if (!l.weights.length) continue;
    const specs = m.getLayer(l.name).weightSpecs();
    expect(specs.map((s: { shape: number[] }) => s.shape)).toEqual(l.weights.map((x: any) => x.shape));
    l.setWeights(specs.map((spec: { name: string; shape: number[] }) => tf.tensor(map.get(spec.name)!, spec.shape)));
    copied += specs.length;
  }
  expect(copied).toBe(map.size);
}
