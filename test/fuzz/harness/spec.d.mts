// Types of spec.mjs (for the package's tsc, which checks the package fuzz test that imports it).
export const MAX_DIM: number;
export const MAX_ELEMENTS: number;
export const ALLOC_CAP: number;
export const MESSAGE_CAP: number;
export const LIMIT_INTS: number[];
export const NOT_SIZES: unknown[];
export function isDim(d: unknown): boolean;
export function isPositiveDim(d: unknown): boolean;
export function elements(shape: unknown): number;
export function validShape(shape: unknown): boolean;
export function pairOf(v: unknown, fallback: number): [number, number] | undefined;
export function windowGeometry(xShape: readonly number[], kernel: readonly number[] | undefined, strides: readonly number[] | undefined, dilations: readonly number[] | undefined, padding: unknown): any;
export function windowReference(kind: 'depthwise' | 'conv' | 'max' | 'avg', x: ArrayLike<number>, xShape: readonly number[], filter: ArrayLike<number> | undefined, fShape: readonly number[] | undefined, g: any): { out: Float64Array; shape: number[] };
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number;
export function rng(seed: number): () => number;
export function randomData(n: number, seed: number): Float32Array;
