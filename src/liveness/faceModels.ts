/**
 * The port between the face pipeline and the neural networks. Implementations run the raw networks
 * on tensors the pipeline has already prepared (NHWC float32, batch 1, RGB, value range as given in
 * `MODEL_INPUTS`) and return their raw outputs; all pre- and post-processing (letterboxing, anchor
 * decoding, crop geometry, normalisation) lives in the pipeline so every backend behaves the same.
 *
 * Implementations: `onnxFaceModels.ts` (production, ONNX Runtime), `tfjsFaceModels.ts` (development and
 * evaluation fallback straight from the TFJS graph models), `fakeFaceModels.ts` (tests).
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
 * - embedding: mobilefacenet on ArcFace-aligned 112×112 crops, [-1, 1].
 * - antispoof: 128×128 face crop, [0, 1].
 * - liveness: 32×32 face crop, [0, 1].
 */
export const MODEL_INPUTS: Readonly<Record<ModelName, ModelInputSpec>> = Object.freeze({
  detector: { size: 128, scale: 1 / 127.5, offset: -1 },
  mesh: { size: 192, scale: 1 / 255, offset: 0 },
  embedding: { size: 112, scale: 1 / 127.5, offset: -1 },
  antispoof: { size: 128, scale: 1 / 255, offset: 0 },
  liveness: { size: 32, scale: 1 / 255, offset: 0 },
});

/** Number of detector anchors and values per anchor (score logit, box cx cy w h, 6 keypoints x y). */
export const DETECTOR_ANCHORS = 896;
export const DETECTOR_VALUES = 17;
export const MESH_POINTS = 468;
export const EMBEDDING_SIZE = 192;

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
  /** Raw embedding (not necessarily unit length), `EMBEDDING_SIZE` values. */
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
