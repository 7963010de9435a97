/**
 * Geometric features from the 468-point mesh: head pose, eye aspect ratio, mouth aspect ratio.
 *
 * Sign conventions (subject's point of view, unmirrored camera image):
 * - yaw > 0: the subject turned their head to THEIR LEFT (the nose moves towards the image right);
 *   yaw < 0: turned to their right.
 * - pitch > 0: chin up (looking up); pitch < 0: chin down.
 * - roll > 0: the head tilts so the subject's left eye (image right) is lower, i.e. clockwise on screen.
 * If a client mirrors its selfie frames, left and right swap; clients must send unmirrored frames.
 */
import { MESH, eyeCentres } from './landmarks.ts';
import type { Landmarks } from './landmarks.ts';
import type { Point } from './image.ts';

export interface FaceFeatures {
  /** Degrees, see module comment. */
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
  /** Eye aspect ratio (Soukupová & Čech 2016) of the subject's left and right eye. */
  readonly earLeft: number;
  readonly earRight: number;
  /** Inner-lip opening over inner-mouth width. */
  readonly mar: number;
  /** Distance between the eye centres, image pixels. */
  readonly interEye: number;
}

const dist = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);
const DEG = 180 / Math.PI;

type V3 = [number, number, number];
const sub3 = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot3 = (a: V3, b: V3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm3 = (a: V3): V3 => { const n = Math.hypot(...a) || 1; return [a[0] / n, a[1] / n, a[2] / n]; };

function eyeAspectRatio(p: readonly Point[], eye: { outer: number; inner: number; top: number[]; bottom: number[] }): number {
  const w = dist(p[eye.outer], p[eye.inner]);
  if (w <= 0) return 0;
  let h = 0;
  for (let i = 0; i < eye.top.length; i++) h += dist(p[eye.top[i]], p[eye.bottom[i]]);
  return h / (eye.top.length * w);
}

export function faceFeatures(lm: Landmarks): FaceFeatures {
  const p = lm.points;
  const P = (i: number): V3 => [p[i][0], p[i][1], lm.z[i]];
  // Head frame from the mesh: x from the subject's right cheek to the left cheek, y from forehead to chin.
  const x = norm3(sub3(P(MESH.leftCheek), P(MESH.rightCheek)));
  const yRaw = sub3(P(MESH.chin), P(MESH.forehead));
  const yOrth = sub3(yRaw, [x[0] * dot3(yRaw, x), x[1] * dot3(yRaw, x), x[2] * dot3(yRaw, x)]);
  const y = norm3(yOrth);
  // z (depth) grows away from the camera. Turning to the subject's left moves the left cheek away: x.z > 0.
  const yaw = Math.atan2(x[2], Math.hypot(x[0], x[1])) * DEG;
  // Chin up moves the chin towards the camera relative to the forehead: y.z < 0.
  const pitch = Math.atan2(-y[2], Math.hypot(y[0], y[1])) * DEG;
  const eyes = eyeCentres(p);
  const roll = Math.atan2(eyes.left[1] - eyes.right[1], eyes.left[0] - eyes.right[0]) * DEG;
  const mouthW = dist(p[MESH.lipInnerRight], p[MESH.lipInnerLeft]);
  const mar = mouthW > 0 ? dist(p[MESH.lipInnerTop], p[MESH.lipInnerBottom]) / mouthW : 0;
  return {
    yaw, pitch, roll,
    earLeft: eyeAspectRatio(p, MESH.leftEye),
    earRight: eyeAspectRatio(p, MESH.rightEye),
    mar,
    interEye: dist(eyes.left, eyes.right),
  };
}
