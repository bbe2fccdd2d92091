// Draws a photo and what a model found on it: boxes, keypoints (both in [0, 1] image coordinates)
// and labels (a panel at the top left). The classifier fills only `labels`; a detector fills the rest.

export const BOX_COLOR = '#00e5ff';
export const POINT_COLOR = '#ff3d00';

/**
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasImageSource} image  the photo or video frame
 * @param {{ labels?: {label: string, score: number}[], boxes?: {x: number, y: number, w: number, h: number, label?: string, score?: number}[], keypoints?: {x: number, y: number, label?: string}[] }} found
 */
export function draw(canvas, image, { labels = [], boxes = [], keypoints = [] } = {}) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  if (image) ctx.drawImage(image, 0, 0, W, H);
  const fontPx = Math.max(12, Math.round(W / 40));
  ctx.font = `${fontPx}px sans-serif`;
  ctx.textBaseline = 'top';
  const lw = Math.max(2, Math.round(W / 200));

  for (const b of boxes) {
    ctx.strokeStyle = BOX_COLOR;
    ctx.lineWidth = lw;
    ctx.strokeRect(b.x * W, b.y * H, b.w * W, b.h * H);
    if (b.label) {
      const text = b.score === undefined ? b.label : `${b.label} ${(b.score * 100).toFixed(0)}%`;
      const tw = ctx.measureText(text).width + 8;
      const ty = Math.max(0, b.y * H - fontPx - 6);
      ctx.fillStyle = BOX_COLOR;
      ctx.fillRect(b.x * W, ty, tw, fontPx + 6);
      ctx.fillStyle = '#000';
      ctx.fillText(text, b.x * W + 4, ty + 3);
    }
  }
  for (const p of keypoints) {
    ctx.fillStyle = POINT_COLOR;
    ctx.beginPath();
    ctx.arc(p.x * W, p.y * H, lw * 2, 0, 2 * Math.PI);
    ctx.fill();
  }
  if (labels.length) {
    const lines = labels.map((l) => `${l.label} ${(l.score * 100).toFixed(1)}%`);
    const tw = Math.max(...lines.map((t) => ctx.measureText(t).width)) + 16;
    ctx.fillStyle = 'rgba(0, 0, 0, 0.7)';
    ctx.fillRect(0, 0, tw, lines.length * (fontPx + 6) + 10);
    ctx.fillStyle = '#fff';
    lines.forEach((t, i) => ctx.fillText(t, 8, 6 + i * (fontPx + 6)));
  }
}
