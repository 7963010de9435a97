/**
 * In-memory `FaceModels` for tests of the geometry and decision code: returns given outputs instead
 * of running networks. Detections are given in detector-input pixels (0..128) and encoded into the raw
 * anchor layout the real detector produces, so the pipeline's decoding runs unchanged.
 */
import { detectorAnchors } from '../../src/liveness/detectFace.ts';
import { DETECTOR_ANCHORS, DETECTOR_VALUES, EMBEDDING_SIZE, MESH_POINTS } from '../../src/liveness/faceModels.ts';
import type { FaceModels, MeshOutput } from '../../src/liveness/faceModels.ts';

export interface FakeDetection {
  /** Box centre and size in detector-input pixels (continuous, 0..128). */
  readonly cx: number;
  readonly cy: number;
  readonly w: number;
  readonly h: number;
  readonly score: number;
  /** Six keypoints (x, y) in detector-input pixels; defaults derived from the box. */
  readonly keypoints?: readonly (readonly [number, number])[];
}

export interface FakeFaceModelsSpec {
  readonly detections?: readonly FakeDetection[] | ((input: Float32Array, call: number) => readonly FakeDetection[]);
  /** 468×3 mesh in crop pixels (0..192), or a function of the crop tensor. */
  readonly mesh?: Float32Array | ((input: Float32Array) => Float32Array);
  readonly faceFlag?: number;
  readonly embedding?: (input: Float32Array) => Float32Array;
  readonly antispoof?: number | ((input: Float32Array) => number);
  readonly liveness?: readonly [number, number];
}

/** Encode detections into raw detector output (one anchor each, the nearest to the box centre). */
export function encodeDetections(dets: readonly FakeDetection[]): Float32Array {
  const anchors = detectorAnchors();
  const raw = new Float32Array(DETECTOR_ANCHORS * DETECTOR_VALUES);
  for (let i = 0; i < DETECTOR_ANCHORS; i++) raw[i * DETECTOR_VALUES] = -20; // background
  const used = new Set<number>();
  for (const d of dets) {
    let best = -1, bestD = Infinity;
    for (let i = 0; i < DETECTOR_ANCHORS; i++) {
      if (used.has(i)) continue;
      const dd = (anchors[2 * i] - d.cx) ** 2 + (anchors[2 * i + 1] - d.cy) ** 2;
      if (dd < bestD) { bestD = dd; best = i; }
    }
    used.add(best);
    const ax = anchors[2 * best], ay = anchors[2 * best + 1];
    const o = best * DETECTOR_VALUES;
    const p = Math.min(1 - 1e-6, Math.max(1e-6, d.score));
    raw[o] = Math.log(p / (1 - p));
    raw[o + 1] = d.cx - ax; raw[o + 2] = d.cy - ay; raw[o + 3] = d.w; raw[o + 4] = d.h;
    const kp = d.keypoints ?? [
      [d.cx - 0.2 * d.w, d.cy - 0.1 * d.h], [d.cx + 0.2 * d.w, d.cy - 0.1 * d.h], [d.cx, d.cy + 0.05 * d.h],
      [d.cx, d.cy + 0.25 * d.h], [d.cx - 0.45 * d.w, d.cy], [d.cx + 0.45 * d.w, d.cy],
    ];
    kp.forEach(([x, y], k) => { raw[o + 5 + 2 * k] = x - ax; raw[o + 6 + 2 * k] = y - ay; });
  }
  return raw;
}

/** A deterministic pseudo-embedding of the input tensor (same input → same vector). */
export function hashEmbedding(input: Float32Array): Float32Array {
  const out = new Float32Array(EMBEDDING_SIZE);
  for (let i = 0; i < input.length; i += 7) out[(i * 31) % EMBEDDING_SIZE] += input[i];
  return out;
}

export function createFakeFaceModels(spec: FakeFaceModelsSpec = {}): FaceModels & { readonly calls: Record<string, number> } {
  const calls: Record<string, number> = { detect: 0, landmarks: 0, embed: 0, antispoof: 0, liveness: 0 };
  return {
    backend: 'fake',
    calls,
    detect: async (input) => {
      const d = typeof spec.detections === 'function' ? spec.detections(input, calls.detect) : (spec.detections ?? []);
      calls.detect++;
      return encodeDetections(d);
    },
    landmarks: async (input): Promise<MeshOutput> => {
      calls.landmarks++;
      const mesh = typeof spec.mesh === 'function' ? spec.mesh(input) : spec.mesh;
      if (!mesh || mesh.length !== MESH_POINTS * 3) throw new Error('fake: no mesh given');
      return { mesh, faceFlag: spec.faceFlag ?? 1 };
    },
    embed: async (input) => { calls.embed++; return (spec.embedding ?? hashEmbedding)(input); },
    antispoof: async (input) => { calls.antispoof++; return typeof spec.antispoof === 'function' ? spec.antispoof(input) : (spec.antispoof ?? 0.9); },
    liveness: async () => { calls.liveness++; return Float32Array.from(spec.liveness ?? [0.9, 0.1]); },
    dispose: async () => {},
  };
}
