// BlazeFace (the face detector of @vladmandic/human's corpus, models/blazeface.json) for the demo and
// its tests: the photo to the model's input, the model's raw outputs to face boxes and 6 keypoints in
// photo pixels, and drawing them onto the photo. Free of Node APIs (the web page can use it too).
//
// The model (a 256x256 BlazeFace "front" converted with its head split in four outputs) predicts, per
// anchor of an SSD grid, one score logit and 16 regressors: box center offset (x, y) from the anchor,
// box width and height, then 6 keypoints as (x, y) offsets from the anchor, all in input pixels.
// The anchors (what Human's facemeshutil.generateAnchors makes): stride size/16 with 2 anchors per
// cell, then stride size/8 with 6 per cell, centered in their cell (896 for any size divisible by 16).
// Keypoints, in the order the model predicts them: right eye, left eye, nose, mouth, right ear,
// left ear (the subject's right and left).
import { preprocess } from './pixels.mjs';

/** The keypoint names, in the model's order. */
export const KEYPOINTS = ['right eye', 'left eye', 'nose', 'mouth', 'right ear', 'left ear'];

/** Anchor centers [x, y] in input pixels, in the order of the model's rows (finer grid first). */
export function blazefaceAnchors(size) {
  const anchors = [];
  for (const [stride, perCell] of [
    [size / 16, 2],
    [size / 8, 6],
  ]) {
    const cells = Math.ceil(size / stride);
    for (let gy = 0; gy < cells; gy++)
      for (let gx = 0; gx < cells; gx++) for (let n = 0; n < perCell; n++) anchors.push([stride * (gx + 0.5), stride * (gy + 0.5)]);
  }
  return anchors;
}

/**
 * The photo (RGBA) padded to a centered square with black, resized to size x size (bilinear, aligned
 * corners) and scaled to [-1, 1] as Human feeds BlazeFace (x / 127.5 - 1). Returns the model input
 * (NHWC float32) and the frame that maps input pixels back to photo pixels: photo = input * scale - pad.
 */
export function blazefaceInput(img, size) {
  const side = Math.max(img.width, img.height);
  const padX = Math.floor((side - img.width) / 2);
  const padY = Math.floor((side - img.height) / 2);
  const sq = new Uint8Array(side * side * 4);
  for (let y = 0; y < img.height; y++) sq.set(img.data.subarray(y * img.width * 4, (y + 1) * img.width * 4), ((y + padY) * side + padX) * 4);
  const x = preprocess({ width: side, height: side, data: sq }, size);
  for (let i = 0; i < x.length; i++) x[i] = x[i] * 2 - 1;
  return { input: x, frame: { size, scale: side / size, padX, padY, width: img.width, height: img.height } };
}

/**
 * The model's outputs, in any order, as { shape, data }: either one [1, 896, 17] tensor, or two
 * scores [1, n, 1] and two regressors [1, n, 16] (n = 512 and 384). Returns one [896, 17] row-major
 * Float32Array in anchor order: column 0 the logit, 1..16 the regressors.
 */
export function blazefaceRows(outputs, nAnchors) {
  const rows = new Float32Array(nAnchors * 17);
  const one = outputs.find((o) => o.shape.at(-1) === 17);
  if (one) {
    rows.set(one.data.subarray(0, rows.length));
    return rows;
  }
  const counts = [...new Set(outputs.map((o) => o.shape[1]))].sort((a, b) => b - a); // 512 (finer grid) first
  let at = 0;
  for (const n of counts) {
    const s = outputs.find((o) => o.shape[1] === n && o.shape.at(-1) === 1);
    const r = outputs.find((o) => o.shape[1] === n && o.shape.at(-1) === 16);
    if (!s || !r) throw new Error(`blazeface: expected a [1, ${n}, 1] score and a [1, ${n}, 16] regressor output, got ${outputs.map((o) => `[${o.shape}]`).join(', ')}`);
    for (let i = 0; i < n; i++, at++) {
      rows[at * 17] = s.data[i];
      rows.set(r.data.subarray(i * 16, i * 16 + 16), at * 17 + 1);
    }
  }
  if (at !== nAnchors) throw new Error(`blazeface: the outputs have ${at} rows, the anchors are ${nAnchors}`);
  return rows;
}

/** Intersection over union of two boxes [x0, y0, x1, y1]. */
export function iou(a, b) {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Faces from the model's outputs: sigmoid score >= minScore, greedy non-maximum suppression (a box
 * overlapping a higher-scored kept box by IoU > iouThreshold is dropped), at most maxFaces, in photo
 * pixels, boxes clipped to the photo. Each face: { score, box: [x0, y0, x1, y1], keypoints: [[x, y] x 6] }.
 */
export function decodeFaces(outputs, frame, { minScore = 0.5, iouThreshold = 0.3, maxFaces = 20 } = {}) {
  const anchors = blazefaceAnchors(frame.size);
  const rows = blazefaceRows(outputs, anchors.length);
  const toPhoto = (x, y) => [x * frame.scale - frame.padX, y * frame.scale - frame.padY];
  const cands = [];
  for (let i = 0; i < anchors.length; i++) {
    const r = rows.subarray(i * 17, i * 17 + 17);
    const score = 1 / (1 + Math.exp(-r[0]));
    if (!(score >= minScore)) continue;
    const [ax, ay] = anchors[i];
    const cx = ax + r[1];
    const cy = ay + r[2];
    const [x0, y0] = toPhoto(cx - r[3] / 2, cy - r[4] / 2);
    const [x1, y1] = toPhoto(cx + r[3] / 2, cy + r[4] / 2);
    const box = [Math.max(0, x0), Math.max(0, y0), Math.min(frame.width, x1), Math.min(frame.height, y1)];
    if (!(box[2] > box[0] && box[3] > box[1])) continue;
    const keypoints = KEYPOINTS.map((_, k) => toPhoto(ax + r[5 + 2 * k], ay + r[6 + 2 * k]));
    cands.push({ score, box, keypoints });
  }
  cands.sort((a, b) => b.score - a.score);
  const kept = [];
  for (const c of cands) {
    if (kept.length >= maxFaces) break;
    if (kept.every((k) => iou(k.box, c.box) <= iouThreshold)) kept.push(c);
  }
  return kept;
}

/**
 * A copy of the photo (RGBA) with each face's box outlined in green and its keypoints as red dots
 * (line width and dot size scale with the photo).
 */
export function drawFaces(img, faces) {
  const { width, height } = img;
  const out = new Uint8Array(img.data);
  const put = (x, y, [r, g, b]) => {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const o = (y * width + x) * 4;
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
    out[o + 3] = 255;
  };
  const t = Math.max(2, Math.round(Math.max(width, height) / 250));
  const green = [0, 255, 0];
  const red = [255, 0, 0];
  for (const { box, keypoints } of faces) {
    const [x0, y0, x1, y1] = box.map(Math.round);
    for (let d = 0; d < t; d++) {
      for (let x = x0; x <= x1; x++) put(x, y0 + d, green), put(x, y1 - d, green);
      for (let y = y0; y <= y1; y++) put(x0 + d, y, green), put(x1 - d, y, green);
    }
    const rad = t + 1;
    for (const [kx, ky] of keypoints) for (let dy = -rad; dy <= rad; dy++) for (let dx = -rad; dx <= rad; dx++) if (dx * dx + dy * dy <= rad * rad) put(kx + dx, ky + dy, red);
  }
  return { width, height, data: out };
}
