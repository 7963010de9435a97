/**
 * Face detection with the MediaPipe short-range face detector (128×128, 896 anchors).
 *
 * Pre-processing: the whole image is letterboxed (aspect kept, centred, black bars) into 128×128, [-1, 1].
 * Post-processing: anchors as in MediaPipe/Human (strides 8 and 16 with 2 and 6 anchors per cell,
 * anchor centres at (i + 0.5) * stride, fixed anchor size), box = (raw + anchor) / 128, sigmoid
 * scores, score threshold, greedy NMS.
 *
 * One-face rule: detections scoring ≥ `minScore` (0.5) are candidates; those scoring ≥ `strongScore`
 * (0.75) are confident. The presenting subject is the LARGEST confident face (or, if none is
 * confident, the best-scoring candidate). Any other CONFIDENT face whose box side is at least
 * `relativeSize` (default 0.5, i.e. a quarter of the area) of the subject's counts as a competing face
 * → `MULTIPLE_FACES`. Smaller faces (a passer-by in the background of a kiosk or bank-counter photo, a
 * face on a poster or ID card held lower in the frame) and weak detections (a logo, a pattern) are
 * ignored and only counted in `ignoredFaces`. Nothing above `minScore` → `NO_FACE`.
 *
 * Tight crops (the face fills the whole frame) are outside the short-range detector's training
 * distribution and score low; when the first pass finds no confident face, a second pass runs on the
 * image padded by 50 % and the better result is kept.
 *
 * Small faces in large images (an ID photo on a scanned card: the face ≈ 5 % of the frame) are below
 * the short-range detector's range at 128 px. With `tiles` (what `analyze` asks for; challenge frames
 * do not, so a face-less frame costs two passes, not dozens), when neither pass found a confident face,
 * overlapping square windows of `TILE_FRACTION` × the shorter side (half-overlapping, at most
 * `MAX_TILE_WINDOWS`) are searched and their detections merged by NMS.
 */
import { warpAffineToTensor, similarity } from './align.ts';
import type { Affine } from './align.ts';
import { DETECTOR_ANCHORS, DETECTOR_VALUES, MODEL_INPUTS } from './faceModels.ts';
import type { FaceModels } from './faceModels.ts';
import type { Box, Point, RgbImage } from './image.ts';

export interface Detection {
  readonly box: Box;
  readonly score: number;
  /** MediaPipe keypoints: subject's right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion. */
  readonly keypoints: readonly Point[];
}

export interface DetectOptions {
  readonly minScore?: number;
  readonly iouThreshold?: number;
  readonly relativeSize?: number;
  readonly strongScore?: number;
  /** Search overlapping windows when the whole-image passes find no confident face (see the module comment). */
  readonly tiles?: boolean;
}

/** Window side as a fraction of the image's shorter side (scanned 1000 × 630 card: 109/118 faces found at 0.4 vs 93/118 at 0.5). */
export const TILE_FRACTION = 0.4;
/** Budget of window passes per image (each is one detector run, ≈ 4 ms). */
export const MAX_TILE_WINDOWS = 32;
/** Images whose shorter side is below this gain nothing from windows (the whole image is already ≤ 2 × the detector input). */
export const MIN_TILED_SIDE = 256;

/** Top-left corners of the windows covering `length` with windows of `side` at half overlap. */
function windowStarts(length: number, side: number): number[] {
  if (side >= length) return [0];
  const n = Math.ceil((length - side) / (side / 2)) + 1;
  return Array.from({ length: n }, (_, i) => Math.round(((length - side) * i) / (n - 1)));
}

/** The square windows for the tiled pass, grown until they fit the budget. */
export function tileWindows(width: number, height: number): { x: number; y: number; side: number }[] {
  let side = Math.round(TILE_FRACTION * Math.min(width, height));
  for (;;) {
    const xs = windowStarts(width, side), ys = windowStarts(height, side);
    if (xs.length * ys.length <= MAX_TILE_WINDOWS) return ys.flatMap((y) => xs.map((x) => ({ x, y, side })));
    side = Math.ceil(side * 1.25);
  }
}

export type DetectResult =
  | { readonly status: 'OK'; readonly face: Detection; readonly ignoredFaces: number; readonly all: readonly Detection[] }
  | { readonly status: 'NO_FACE'; readonly all: readonly Detection[] }
  | { readonly status: 'MULTIPLE_FACES'; readonly count: number; readonly all: readonly Detection[] };

let anchorCache: Float32Array | undefined;

/** Anchor centres (x, y) in input pixels, MediaPipe order. */
export function detectorAnchors(): Float32Array {
  if (anchorCache) return anchorCache;
  const size = MODEL_INPUTS.detector.size;
  const specs = [{ stride: 8, n: 2 }, { stride: 16, n: 6 }];
  const out: number[] = [];
  for (const { stride, n } of specs) {
    const cells = Math.ceil(size / stride);
    for (let gy = 0; gy < cells; gy++) for (let gx = 0; gx < cells; gx++) for (let k = 0; k < n; k++) out.push(stride * (gx + 0.5), stride * (gy + 0.5));
  }
  if (out.length !== DETECTOR_ANCHORS * 2) throw new Error('anchor count mismatch');
  anchorCache = Float32Array.from(out);
  return anchorCache;
}

/** The letterbox map image → detector input. */
export function letterbox(width: number, height: number, pad = 1): Affine {
  const size = MODEL_INPUTS.detector.size;
  const s = size / (pad * Math.max(width, height));
  return similarity(s, 0, (size - width * s) / 2 + (s - 1) / 2, (size - height * s) / 2 + (s - 1) / 2);
}

export function detectorInput(img: RgbImage, pad = 1): { tensor: Float32Array; map: Affine } {
  const { size, scale, offset } = MODEL_INPUTS.detector;
  const map = letterbox(img.width, img.height, pad);
  return { tensor: warpAffineToTensor(img, map, size, size, scale, offset), map };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Decode raw regressors into detections in image coordinates (before NMS). */
export function decodeDetections(raw: Float32Array, map: Affine, minScore: number): Detection[] {
  const anchors = detectorAnchors();
  // map is a pure scale + translation: x_in = s * x_img + t.
  const s = map[0], tx = map[2], ty = map[5];
  // Input-pixel coordinate of a continuous position p (0..size): p - 0.5 in the pixel-centre convention.
  const toImg = (x: number, y: number): Point => [(x - 0.5 - tx) / s, (y - 0.5 - ty) / s];
  const dets: Detection[] = [];
  for (let i = 0; i < DETECTOR_ANCHORS; i++) {
    const o = i * DETECTOR_VALUES;
    const logit = Math.max(-80, Math.min(80, raw[o]));
    const score = sigmoid(logit);
    if (!(score >= minScore)) continue;
    const ax = anchors[2 * i], ay = anchors[2 * i + 1];
    const cx = raw[o + 1] + ax, cy = raw[o + 2] + ay, w = raw[o + 3], h = raw[o + 4];
    if (!(w > 0 && h > 0)) continue;
    const [x0, y0] = toImg(cx - w / 2, cy - h / 2);
    const keypoints: Point[] = [];
    for (let k = 0; k < 6; k++) keypoints.push(toImg(raw[o + 5 + 2 * k] + ax, raw[o + 6 + 2 * k] + ay));
    dets.push({ box: { x: x0, y: y0, width: w / s, height: h / s }, score, keypoints });
  }
  return dets;
}

export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x), y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width), y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Weighted non-maximum suppression (as MediaPipe's face detector uses): overlapping detections are
 * merged into their score-weighted mean, which is steadier than keeping only the top one.
 */
export function nonMaxSuppression(dets: readonly Detection[], iouThreshold: number): Detection[] {
  const rest = [...dets].sort((a, b) => b.score - a.score);
  const out: Detection[] = [];
  while (rest.length > 0) {
    const top = rest[0];
    const group = rest.filter((d) => iou(top.box, d.box) >= iouThreshold);
    const keep = rest.filter((d) => iou(top.box, d.box) < iouThreshold);
    let wsum = 0, x = 0, y = 0, w = 0, h = 0;
    const kp = top.keypoints.map(() => [0, 0]);
    for (const d of group) {
      wsum += d.score; x += d.score * d.box.x; y += d.score * d.box.y; w += d.score * d.box.width; h += d.score * d.box.height;
      d.keypoints.forEach((p, k) => { kp[k][0] += d.score * p[0]; kp[k][1] += d.score * p[1]; });
    }
    out.push({ box: { x: x / wsum, y: y / wsum, width: w / wsum, height: h / wsum }, score: top.score, keypoints: kp.map(([a, b]) => [a / wsum, b / wsum] as Point) });
    rest.length = 0;
    rest.push(...keep);
  }
  return out;
}

/** Apply the one-face rule (see the module comment) to post-NMS detections. */
export function selectSingleFace(dets: readonly Detection[], relativeSize: number, strongScore: number): DetectResult {
  const side = (d: Detection) => Math.sqrt(d.box.width * d.box.height);
  const all = Object.freeze([...dets].sort((a, b) => side(b) - side(a)));
  if (all.length === 0) return { status: 'NO_FACE', all };
  const strong = all.filter((d) => d.score >= strongScore);
  const main = strong[0] ?? [...all].sort((a, b) => b.score - a.score)[0];
  const competing = strong.filter((d) => d !== main && side(d) >= relativeSize * side(main));
  if (competing.length > 0) return { status: 'MULTIPLE_FACES', count: competing.length + 1, all };
  return { status: 'OK', face: main, ignoredFaces: all.length - 1, all };
}

export const DEFAULT_DETECT_OPTIONS = Object.freeze({ minScore: 0.5, strongScore: 0.75, iouThreshold: 0.3, relativeSize: 0.5, tiles: false });

export async function detectFace(models: FaceModels, img: RgbImage, options: DetectOptions = {}): Promise<DetectResult> {
  const o = { ...DEFAULT_DETECT_OPTIONS, ...options };
  const pass = async (pad: number) => {
    const { tensor, map } = detectorInput(img, pad);
    const raw = await models.detect(tensor);
    return nonMaxSuppression(decodeDetections(raw, map, o.minScore), o.iouThreshold);
  };
  const confident = (l: Detection[]) => l.some((d) => d.score >= o.strongScore);
  let dets = await pass(1);
  if (!confident(dets)) {
    const padded = await pass(1.5);
    const best = (l: Detection[]) => Math.max(0, ...l.map((d) => d.score));
    if (best(padded) > best(dets)) dets = padded;
  }
  if (!confident(dets) && o.tiles && Math.min(img.width, img.height) >= MIN_TILED_SIDE) {
    const { size, scale, offset } = MODEL_INPUTS.detector;
    const found: Detection[] = [];
    for (const w of tileWindows(img.width, img.height)) {
      const k = size / w.side;
      const map = similarity(k, 0, -w.x * k + (k - 1) / 2, -w.y * k + (k - 1) / 2);
      const raw = await models.detect(warpAffineToTensor(img, map, size, size, scale, offset));
      found.push(...decodeDetections(raw, map, o.minScore));
    }
    const tiled = nonMaxSuppression(found, o.iouThreshold);
    if (confident(tiled)) dets = tiled;
  }
  return selectSingleFace(dets, o.relativeSize, o.strongScore);
}
