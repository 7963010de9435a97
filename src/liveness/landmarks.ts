/**
 * 468-point face mesh (MediaPipe facemesh) on a rotated square crop around the face, mapped back to
 * image coordinates.
 *
 * Crop (as MediaPipe's face_landmark_front graph does): centre of the box, side = 1.5 × the longer box
 * side, rotated so the eye line is horizontal. First pass from the detector box and its eye
 * keypoints; with `refine` a second pass re-crops from the first mesh's own bounds and eye line, which
 * corrects a loose detector box.
 */
import { applyAffine, invertAffine, similarity, warpAffineToTensor } from './align.ts';
import type { Affine } from './align.ts';
import type { Detection } from './detectFace.ts';
import { MESH_POINTS, MODEL_INPUTS } from './faceModels.ts';
import type { FaceModels } from './faceModels.ts';
import type { Point, RgbImage } from './image.ts';

/** Selected MediaPipe mesh indices. "Right"/"left" are the SUBJECT's; in an unmirrored photo the subject's right eye is on the image left. */
export const MESH = Object.freeze({
  rightEye: { outer: 33, inner: 133, top: [160, 159, 158], bottom: [144, 145, 153] },
  leftEye: { outer: 263, inner: 362, top: [387, 386, 385], bottom: [373, 374, 380] },
  rightEyeContour: [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7],
  leftEyeContour: [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249],
  noseTip: 1,
  mouthRight: 61,
  mouthLeft: 291,
  lipInnerTop: 13,
  lipInnerBottom: 14,
  lipInnerRight: 78,
  lipInnerLeft: 308,
  forehead: 10,
  chin: 152,
  rightCheek: 234,
  leftCheek: 454,
});

export interface Landmarks {
  /** 468 points (x, y) in image pixels. */
  readonly points: readonly Point[];
  /** Depth per point, image-pixel scale, relative (smaller = nearer the camera). */
  readonly z: Float32Array;
  /** Raw face-presence output of the mesh network. */
  readonly faceFlag: number;
  /** The crop used (image → 192×192 mesh input). */
  readonly crop: Affine;
}

export const MESH_CROP_SCALE = 1.5;

/** Crop map for a face centred at (cx, cy) of the given side, rotated by `angle` (radians, eye-line angle in the image). */
export function meshCropMap(cx: number, cy: number, side: number, angle: number): Affine {
  const size = MODEL_INPUTS.mesh.size;
  const s = size / side;
  // rotate by -angle about the centre, scale, then move the centre to the middle of the crop
  const r = similarity(s, -angle, 0, 0);
  const c = (size - 1) / 2;
  return [r[0], r[1], c - (r[0] * cx + r[1] * cy), r[3], r[4], c - (r[3] * cx + r[4] * cy)];
}

async function runMesh(models: FaceModels, img: RgbImage, crop: Affine): Promise<Landmarks> {
  const { size, scale, offset } = MODEL_INPUTS.mesh;
  const input = warpAffineToTensor(img, crop, size, size, scale, offset);
  const { mesh, faceFlag } = await models.landmarks(input);
  const inv = invertAffine(crop);
  const zScale = Math.sqrt(Math.abs(inv[0] * inv[4] - inv[1] * inv[3]));
  const points: Point[] = new Array(MESH_POINTS);
  const z = new Float32Array(MESH_POINTS);
  for (let i = 0; i < MESH_POINTS; i++) {
    // mesh coordinates are continuous (0..192); our pixel-centre convention is offset by half a pixel.
    points[i] = applyAffine(inv, [mesh[3 * i] - 0.5, mesh[3 * i + 1] - 0.5]);
    z[i] = mesh[3 * i + 2] * zScale;
  }
  return { points: Object.freeze(points), z, faceFlag, crop };
}

function centroid(points: readonly Point[], idx: readonly number[]): Point {
  let x = 0, y = 0;
  for (const i of idx) { x += points[i][0]; y += points[i][1]; }
  return [x / idx.length, y / idx.length];
}

export function eyeCentres(points: readonly Point[]): { right: Point; left: Point } {
  return { right: centroid(points, MESH.rightEyeContour), left: centroid(points, MESH.leftEyeContour) };
}

export async function faceLandmarks(models: FaceModels, img: RgbImage, det: Detection, refine = true): Promise<Landmarks> {
  const [re, le] = det.keypoints;
  const angle = Math.atan2(le[1] - re[1], le[0] - re[0]);
  const cx = det.box.x + det.box.width / 2, cy = det.box.y + det.box.height / 2;
  let lm = await runMesh(models, img, meshCropMap(cx, cy, MESH_CROP_SCALE * Math.max(det.box.width, det.box.height), angle));
  if (refine) {
    const eyes = eyeCentres(lm.points);
    const a = Math.atan2(eyes.left[1] - eyes.right[1], eyes.left[0] - eyes.right[0]);
    // bounds in the rotated frame, so the side does not grow with roll
    const cos = Math.cos(-a), sin = Math.sin(-a);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const [x, y] of lm.points) {
      const u = cos * x - sin * y, v = sin * x + cos * y;
      x0 = Math.min(x0, u); x1 = Math.max(x1, u); y0 = Math.min(y0, v); y1 = Math.max(y1, v);
    }
    const uc = (x0 + x1) / 2, vc = (y0 + y1) / 2;
    // back to image coordinates
    const icx = cos * uc + sin * vc, icy = -sin * uc + cos * vc;
    lm = await runMesh(models, img, meshCropMap(icx, icy, MESH_CROP_SCALE * Math.max(x1 - x0, y1 - y0), a));
  }
  return lm;
}
