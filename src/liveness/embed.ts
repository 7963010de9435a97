/**
 * Face embedding: the embedder's crop (see `EMBEDDERS`: fr_feature = ArcFace-aligned 112×112, BGR,
 * (v − 127) / 128, plus its mirror image; faceres = upright mesh box ×1.2 at 224×224, BGR minus the
 * caffe means), L2-normalised output.
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
  // faceres: plain bilinear, what its authors used (cv2.resize INTER_LINEAR); within noise of the
  // antialiased warp on facedata/verify. fr_feature: antialiased (EER 0.43 % vs 0.75 % plain on the same set).
  const t = warpAffineToTensor(img, embeddingCropTransform(spec, five, mesh), spec.size, spec.size, 1, 0, { antialias: spec.antialias });
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

/** The same NHWC tensor mirrored left–right. */
export function mirrorTensor(t: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(t.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const s = row + (width - 1 - x) * 3, d = row + x * 3;
      out[d] = t[s]; out[d + 1] = t[s + 1]; out[d + 2] = t[s + 2];
    }
  }
  return out;
}

export async function embedFace(models: FaceModels, img: RgbImage, five: FivePoints, mesh: readonly Point[], norm?: Normalization): Promise<Float32Array> {
  const embedder = models.embedder ?? DEFAULT_EMBEDDER;
  const spec = EMBEDDERS[embedder];
  const input = embeddingInput(img, five, mesh, embedder, norm);
  const check = (raw: Float32Array) => {
    if (raw.length !== spec.dims) throw new Error(`embedding has ${raw.length} values, expected ${spec.dims} (${embedder})`);
    return raw;
  };
  const raw = Float32Array.from(check(await models.embed(input)));
  if (spec.flip) {
    // Test-time flip: the ArcFace template is left–right symmetric to within a pixel, so the mirrored
    // crop is another aligned view of the same face; summing the descriptors steadies the score.
    const mirrored = check(await models.embed(mirrorTensor(input, spec.size, spec.size)));
    for (let i = 0; i < raw.length; i++) raw[i] += mirrored[i];
  }
  return l2normalize(raw);
}
