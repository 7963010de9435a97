/**
 * Face embedding: the embedder's crop (see `EMBEDDERS`: faceres = upright mesh box ×1.2 at 224×224,
 * BGR minus the caffe means; mobilefacenet = ArcFace-aligned 112×112 in [-1, 1]), L2-normalised output.
 */
import { ARCFACE_SIZE, ARCFACE_TEMPLATE, fivePointsArray, similarity as similarityMap, umeyama, warpAffineToTensor } from './align.ts';
import type { Affine, FivePoints } from './align.ts';
import { DEFAULT_EMBEDDER, EMBEDDERS } from './faceModels.ts';
import type { EmbedderName, EmbedderSpec, FaceModels } from './faceModels.ts';
import type { Point, RgbImage } from './image.ts';
import { l2normalize } from './similarity.ts';

/** Calibration override: fed value = v * scale + offset on every channel (RGB order). */
export interface Normalization { readonly scale: number; readonly offset: number }

/** Image → embedder-crop map for one face. */
export function embeddingCropTransform(spec: EmbedderSpec, five: FivePoints, mesh: readonly Point[]): Affine {
  const n = spec.size;
  if (spec.crop.kind === 'arcface') {
    const z = spec.crop.zoom, k = n / ARCFACE_SIZE;
    const dst = ARCFACE_TEMPLATE.map(([x, y]) => [((x - ARCFACE_SIZE / 2) / z) * k + n / 2, ((y - ARCFACE_SIZE / 2) / z) * k + n / 2] as Point);
    return umeyama(fivePointsArray(five), dst);
  }
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of mesh) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const side = Math.max(x1 - x0, y1 - y0, 1) * spec.crop.enlarge;
  const angle = Math.atan2(five.rightEye[1] - five.leftEye[1], five.rightEye[0] - five.leftEye[0]);
  const m = similarityMap(n / side, -angle, 0, 0);
  return [m[0], m[1], n / 2 - (m[0] * cx + m[1] * cy), m[3], m[4], n / 2 - (m[3] * cx + m[4] * cy)];
}

/** The network input for one face, NHWC float32 in the embedder's channel order and range. */
export function embeddingInput(img: RgbImage, five: FivePoints, mesh: readonly Point[], embedder: EmbedderName = DEFAULT_EMBEDDER, norm?: Normalization): Float32Array {
  const spec = EMBEDDERS[embedder];
  // Plain bilinear, no supersampling: what faceres' authors used (cv2.resize INTER_LINEAR); 3× faster than
  // the antialiased warp and within noise of it on facedata/verify (EER 2.58 % vs 2.25 %, same TAR@0.1 %).
  const t = warpAffineToTensor(img, embeddingCropTransform(spec, five, mesh), spec.size, spec.size, 1, 0, { antialias: false });
  if (norm) {
    for (let i = 0; i < t.length; i++) t[i] = t[i] * norm.scale + norm.offset;
    return t;
  }
  const { mean, scale, bgr } = spec;
  for (let i = 0; i < t.length; i += 3) {
    const r = t[i], b = t[i + 2];
    if (bgr) { t[i] = b; t[i + 2] = r; }
    for (let c = 0; c < 3; c++) t[i + c] = (t[i + c] - mean[c]) * scale;
  }
  return t;
}

export async function embedFace(models: FaceModels, img: RgbImage, five: FivePoints, mesh: readonly Point[], norm?: Normalization): Promise<Float32Array> {
  const embedder = models.embedder ?? DEFAULT_EMBEDDER;
  const raw = await models.embed(embeddingInput(img, five, mesh, embedder, norm));
  const dims = EMBEDDERS[embedder].dims;
  if (raw.length !== dims) throw new Error(`embedding has ${raw.length} values, expected ${dims} (${embedder})`);
  return l2normalize(raw);
}
