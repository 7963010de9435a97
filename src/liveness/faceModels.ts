/**
 * The port between the face pipeline and the neural networks. Implementations run the raw networks
 * on tensors the pipeline has already prepared (NHWC float32, batch 1, RGB, value range as given in
 * `MODEL_INPUTS`) and return their raw outputs; all pre- and post-processing (letterboxing, anchor
 * decoding, crop geometry, normalisation) lives in the pipeline so every backend behaves the same.
 *
 * Implementations: `onnxFaceModels.ts` (production, ONNX Runtime), `tfjsFaceModels.ts` (development and
 * evaluation fallback straight from the TFJS graph models), `test/support/fakeFaceModels.ts` (tests).
 */

export type ModelName = 'detector' | 'mesh' | 'embedding' | 'antispoof' | 'liveness';

export interface ModelInputSpec {
  /** Square input side in pixels. */
  readonly size: number;
  /** Pixel value v (0..255) is fed as v * scale + offset. */
  readonly scale: number;
  readonly offset: number;
}

/**
 * Input conventions, as used by vladmandic/human for the same graph models:
 * - detector: MediaPipe short-range face detector (`facemesh-detection-short`), 128×128, [-1, 1].
 * - mesh: MediaPipe facemesh, 192×192, [0, 1].
 * - embedding: the default embedder's input (`EMBEDDERS[DEFAULT_EMBEDDER]`, faceres: 224×224, 0..255
 *   before its per-channel mean; the full convention, BGR order included, is in `EMBEDDERS`).
 * - antispoof: 128×128 face crop, [0, 1].
 * - liveness: 32×32 face crop, [0, 1].
 */
export const MODEL_INPUTS: Readonly<Record<ModelName, ModelInputSpec>> = Object.freeze({
  detector: { size: 128, scale: 1 / 127.5, offset: -1 },
  mesh: { size: 192, scale: 1 / 255, offset: 0 },
  embedding: { size: 224, scale: 1, offset: 0 },
  antispoof: { size: 128, scale: 1 / 255, offset: 0 },
  liveness: { size: 32, scale: 1 / 255, offset: 0 },
});

/** Number of detector anchors and values per anchor (score logit, box cx cy w h, 6 keypoints x y). */
export const DETECTOR_ANCHORS = 896;
export const DETECTOR_VALUES = 17;
export const MESH_POINTS = 468;

/** Identity-embedding networks the engine can use; `faceres` is the default (docs/face-evaluation.md). */
export type EmbedderName = 'faceres' | 'mobilefacenet';

export interface EmbedderSpec {
  /** Catalog / manifest name of the network. */
  readonly model: string;
  /** Square input side. */
  readonly size: number;
  /** Descriptor length (the output with this many values is the descriptor). */
  readonly dims: number;
  /** Feed channels in BGR order instead of RGB. */
  readonly bgr: boolean;
  /** Fed value = (v − mean[c]) × scale, v in 0..255, c in the fed channel order. */
  readonly mean: readonly [number, number, number];
  readonly scale: number;
  /**
   * `meshBox`: the square around the 468 mesh points (side × `enlarge`), rotated so the eye line is
   * horizontal. `arcface`: the 5-point ArcFace template alignment (zoomed out by `zoom`).
   */
  readonly crop: { readonly kind: 'meshBox'; readonly enlarge: number } | { readonly kind: 'arcface'; readonly zoom: number };
}

export const EMBEDDERS: Readonly<Record<EmbedderName, EmbedderSpec>> = Object.freeze({
  /**
   * HSE-FaceRes (MobileNet trained on VGGFace2; human's `faceres`), 1024-d `global_pooling/Mean`.
   * Input as its authors feed it (HSE_FaceRec_tf facial_analysis.py): BGR, minus the ImageNet caffe
   * means; crop: the loose upright face box. Measured best on facedata/verify (docs/face-evaluation.md).
   */
  faceres: { model: 'faceres', size: 224, dims: 1024, bgr: true, mean: [103.939, 116.779, 123.68], scale: 1, crop: { kind: 'meshBox', enlarge: 1.2 } },
  /** Obsolete (EER 30 % on facedata/verify); kept so it can still be evaluated (`--embedder mobilefacenet`). */
  mobilefacenet: { model: 'mobilefacenet', size: 112, dims: 192, bgr: false, mean: [127.5, 127.5, 127.5], scale: 1 / 127.5, crop: { kind: 'arcface', zoom: 1 } },
});

export const DEFAULT_EMBEDDER: EmbedderName = 'faceres';
/** Descriptor length of the default embedder. */
export const EMBEDDING_SIZE = EMBEDDERS[DEFAULT_EMBEDDER].dims;

export interface MeshOutput {
  /** 468 × (x, y, z) in input-crop pixels (0..192); z in the same scale, smaller = nearer the camera. */
  readonly mesh: Float32Array;
  /** Face presence: raw `output_faceflag` value. */
  readonly faceFlag: number;
}

export interface FaceModels {
  /** Raw detector regressors, `DETECTOR_ANCHORS × DETECTOR_VALUES`, anchors in MediaPipe order. */
  detect(input: Float32Array): Promise<Float32Array>;
  landmarks(input: Float32Array): Promise<MeshOutput>;
  /** Which embedding network `embed` runs (default `DEFAULT_EMBEDDER`); decides the input the engine prepares. */
  readonly embedder?: EmbedderName;
  /** Raw descriptor (not necessarily unit length), `EMBEDDERS[embedder].dims` values, on an `EMBEDDERS[embedder]` input. */
  embed(input: Float32Array): Promise<Float32Array>;
  /** Raw single output of the antispoof network. */
  antispoof(input: Float32Array): Promise<number>;
  /** Raw two outputs (softmax) of the liveness network. */
  liveness(input: Float32Array): Promise<Float32Array>;
  /** Human-readable backend description for logs and benchmarks. */
  readonly backend: string;
  dispose(): Promise<void>;
}

export function expectLength(name: string, t: Float32Array, n: number): Float32Array {
  if (t.length !== n) throw new Error(`${name}: expected ${n} values, got ${t.length}`);
  return t;
}
