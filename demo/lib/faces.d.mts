export interface Frame { size: number; scale: number; padX: number; padY: number; width: number; height: number }
export interface Face { score: number; box: [number, number, number, number]; keypoints: [number, number][] }
export interface RawOutput { shape: readonly number[]; data: Float32Array }
export const KEYPOINTS: readonly string[];
export function blazefaceAnchors(size: number): [number, number][];
export function blazefaceInput(img: { width: number; height: number; data: Uint8Array }, size: number): { input: Float32Array; frame: Frame };
export function blazefaceRows(outputs: RawOutput[], nAnchors: number): Float32Array;
export function iou(a: readonly number[], b: readonly number[]): number;
export function decodeFaces(outputs: RawOutput[], frame: Frame, opts?: { minScore?: number; iouThreshold?: number; maxFaces?: number }): Face[];
export function drawFaces(img: { width: number; height: number; data: Uint8Array }, faces: Face[]): { width: number; height: number; data: Uint8Array };
