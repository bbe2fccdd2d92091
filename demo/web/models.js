// The models the page can run. Each entry says what it is, how to feed it, and how to turn its
// output into what draw.js draws: { labels, boxes, keypoints }. A detector or landmark model is
// added here with a decode() that returns boxes / keypoints in [0, 1] image coordinates.

const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

/**
 * @typedef {{ label: string, score: number }} Label
 * @typedef {{ x: number, y: number, w: number, h: number, label?: string, score?: number }} Box  (x, y, w, h in [0, 1])
 * @typedef {{ x: number, y: number, label?: string }} Keypoint  (x, y in [0, 1])
 * @typedef {{ labels: Label[], boxes: Box[], keypoints: Keypoint[] }} Detections
 */

export const MODELS = {
  nsfw: {
    url: '/models/nsfw/model.min.js',
    title: 'nsfwjs MobileNetV2 α 1.0, 224×224',
    // Said plainly: this model is what nsfwjs ships, a content classifier, not a face or person detector.
    what: 'an NSFW content classifier (5 classes: Drawing, Hentai, Neutral, Porn, Sexy) from the npm package nsfwjs. It labels the whole photo; it finds no faces or people, so it draws no boxes. Portraits often come out as "Sexy".',
    size: 224,
    /** Pixel scaling nsfwjs uses: x / 255. */
    normalize: (x) => x,
    /** @returns {Detections} */
    decode(output, topK) {
      return { labels: topK(output, 3).map((k) => ({ label: NSFW_CLASSES[k], score: output[k] })), boxes: [], keypoints: [] };
    },
  },
};

export const DEFAULT_MODEL = 'nsfw';
