// The models the page can run. Each entry says what it is, how to feed it, and how to turn its
// output into what draw.js draws: { labels, boxes, keypoints }. A detector or landmark model is
// added here with a decode() that returns boxes / keypoints in [0, 1] image coordinates.

import { blazefaceInput, decodeFaces, KEYPOINTS } from '../lib/faces.mjs';

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

// A face detector: BlazeFace from @vladmandic/human@3.3.6's corpus (?model=blazeface). Its four outputs are
// decoded by demo/lib/faces.mjs (what the Node demo uses): boxes and 6 keypoints per face.
MODELS.blazeface = {
  url: '/models/human/blazeface.json',
  title: 'BlazeFace face detector (@vladmandic/human 3.3.6), 256×256',
  what: 'a face detector (BlazeFace, the TF.js graph model @vladmandic/human ships): a box and 6 keypoints (eyes, nose, mouth, ears) per face, score ≥ 50%.',
  size: 256,
  /** The photo padded to a square and scaled to [-1, 1], as Human feeds it; `frame` maps back to the photo. */
  prepare: (img) => blazefaceInput(img, 256),
  /** @returns {Detections} */
  decodeOutputs(outputs, frame) {
    const faces = decodeFaces(outputs, frame);
    const W = frame.width;
    const H = frame.height;
    return {
      labels: faces.map((f, i) => ({ label: `face ${i + 1}`, score: f.score })),
      boxes: faces.map((f) => ({ x: f.box[0] / W, y: f.box[1] / H, w: (f.box[2] - f.box[0]) / W, h: (f.box[3] - f.box[1]) / H, label: 'face', score: f.score })),
      keypoints: faces.flatMap((f) => f.keypoints.map(([x, y], k) => ({ x: x / W, y: y / H, label: KEYPOINTS[k] }))),
    };
  },
};

/** The page's model unless ?model= names another: the face detector, as in the Node demo. */
export const DEFAULT_MODEL = 'blazeface';
