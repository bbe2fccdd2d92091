export function preprocess(img: { width: number; height: number; data: ArrayLike<number> }, size?: number): Float32Array;
export function topK(values: ArrayLike<number>, k: number): number[];
