/**
 * Face alignment: fit five facial points to the ArcFace 112×112 template with a least-squares
 * similarity transform (Umeyama 1991) and warp the image with bilinear sampling.
 *
 * Coordinates: pixel centres are at integer coordinates (the OpenCV `warpAffine` convention the
 * ArcFace template was made with).
 */
import type { Point, RgbImage } from './image.ts';

/** ArcFace reference points for a 112×112 crop: left eye, right eye (image left/right), nose tip, left and right mouth corner. */
export const ARCFACE_TEMPLATE: readonly Point[] = Object.freeze([
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
] as const);

export const ARCFACE_SIZE = 112;

/**
 * A 2-D affine map `[x', y'] = [a*x + b*y + c, d*x + e*y + f]`, stored row-major as `[a, b, c, d, e, f]`.
 */
export type Affine = readonly [number, number, number, number, number, number];

export function applyAffine(m: Affine, p: Point): [number, number] {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError('affine map is singular');
  const ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** Similarity map from scale `s`, rotation `theta` (radians, counter-clockwise in x-right/y-down = clockwise on screen) and translation. */
export function similarity(s: number, theta: number, tx: number, ty: number): Affine {
  const c = s * Math.cos(theta), sn = s * Math.sin(theta);
  return [c, -sn, tx, sn, c, ty];
}

/**
 * Least-squares similarity transform (rotation + uniform scale + translation, no reflection) mapping
 * `src` onto `dst`: Umeyama, "Least-squares estimation of transformation parameters between two point
 * patterns", IEEE TPAMI 13(4), 1991.
 *
 * In two dimensions Umeyama's SVD solution with the det-sign correction S has the closed form used
 * here: with centred points as complex numbers x'_i, y'_i, the optimal s·e^{iθ} is
 * Σ conj(x'_i)·y'_i / Σ |x'_i|², and t = μ_y − sR μ_x. (Σ conj(x')y' = σ_xy's trace/antisymmetric parts;
 * |Σ conj(x')y'| = tr(DS), Σ|x'|² = n·σ_x².) Exact for noise-free points.
 */
export function umeyama(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new RangeError('umeyama needs ≥ 2 corresponding points');
  let mxs = 0, mys = 0, mxd = 0, myd = 0;
  for (let i = 0; i < n; i++) { mxs += src[i][0]; mys += src[i][1]; mxd += dst[i][0]; myd += dst[i][1]; }
  mxs /= n; mys /= n; mxd /= n; myd /= n;
  let re = 0, im = 0, varS = 0;
  for (let i = 0; i < n; i++) {
    const xs = src[i][0] - mxs, ys = src[i][1] - mys;
    const xd = dst[i][0] - mxd, yd = dst[i][1] - myd;
    // conj(xs + i ys) * (xd + i yd)
    re += xs * xd + ys * yd;
    im += xs * yd - ys * xd;
    varS += xs * xs + ys * ys;
  }
  if (varS < 1e-12) throw new RangeError('umeyama: source points are degenerate');
  const a = re / varS, b = im / varS; // s cosθ, s sinθ
  return [a, -b, mxd - (a * mxs - b * mys), b, a, myd - (b * mxs + a * mys)];
}

export interface WarpOptions {
  /** Supersample (box filter) when the map shrinks the image, to avoid aliasing. Default true. */
  readonly antialias?: boolean;
  /** Cap on the supersampling factor per axis (cost grows with its square). Default 2. */
  readonly maxSupersample?: number;
}

/**
 * Warp `img` by `m` (source → destination coordinates) into an `outW × outH` float tensor, NHWC RGB,
 * each value mapped as `v * scale + offset` (e.g. scale 1/127.5, offset -1 for [-1, 1]).
 * Pixels that fall outside the source are black (0 before normalisation).
 */
export function warpAffineToTensor(img: RgbImage, m: Affine, outW: number, outH: number, scale = 1, offset = 0, options: WarpOptions = {}): Float32Array {
  const inv = invertAffine(m);
  const out = new Float32Array(outW * outH * 3);
  // Source pixels per destination pixel (the map is a similarity or close to it).
  const srcPerDst = Math.sqrt(Math.abs(inv[0] * inv[4] - inv[1] * inv[3]));
  const k = options.antialias === false ? 1 : Math.min(options.maxSupersample ?? 2, Math.max(1, Math.ceil(srcPerDst - 0.25)));
  const { data, width: W, height: H } = img;
  const acc = [0, 0, 0];
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      acc[0] = 0; acc[1] = 0; acc[2] = 0;
      for (let sy = 0; sy < k; sy++) {
        const vv = v + (sy + 0.5) / k - 0.5;
        for (let sx = 0; sx < k; sx++) {
          const uu = u + (sx + 0.5) / k - 0.5;
          const x = inv[0] * uu + inv[1] * vv + inv[2];
          const y = inv[3] * uu + inv[4] * vv + inv[5];
          sampleBilinear(data, W, H, x, y, acc);
        }
      }
      const o = (v * outW + u) * 3;
      const kk = k * k;
      out[o] = (acc[0] / kk) * scale + offset;
      out[o + 1] = (acc[1] / kk) * scale + offset;
      out[o + 2] = (acc[2] / kk) * scale + offset;
    }
  }
  return out;
}

function sampleBilinear(data: Uint8Array, W: number, H: number, x: number, y: number, acc: number[]): void {
  if (!(x > -1 && y > -1 && x < W && y < H)) return; // fully outside: black
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  for (let dy = 0; dy < 2; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= H) continue;
    const wy = dy === 0 ? 1 - fy : fy;
    for (let dx = 0; dx < 2; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= W) continue;
      const w = wy * (dx === 0 ? 1 - fx : fx);
      if (w === 0) continue;
      const i = (yy * W + xx) * 3;
      acc[0] += w * data[i];
      acc[1] += w * data[i + 1];
      acc[2] += w * data[i + 2];
    }
  }
}

/** Warp into an 8-bit RGB image (rounded, clamped). */
export function warpAffine(img: RgbImage, m: Affine, outW: number, outH: number, options: WarpOptions = {}): RgbImage {
  const t = warpAffineToTensor(img, m, outW, outH, 1, 0, options);
  const data = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(t[i])));
  return { data, width: outW, height: outH };
}

/** The five alignment points, in the template's order. */
export interface FivePoints {
  readonly leftEye: Point;   // image-left eye (the subject's right eye)
  readonly rightEye: Point;  // image-right eye (the subject's left eye)
  readonly nose: Point;
  readonly mouthLeft: Point; // image-left mouth corner
  readonly mouthRight: Point;
}

export function fivePointsArray(p: FivePoints): Point[] {
  return [p.leftEye, p.rightEye, p.nose, p.mouthLeft, p.mouthRight];
}

export interface AlignedFace {
  /** 112×112 RGB crop. */
  readonly image: RgbImage;
  /** The fitted image → crop map. */
  readonly transform: Affine;
  /** RMS distance (crop pixels) of the mapped points from the template: a fit-quality signal. */
  readonly residual: number;
}

/** Align a face to the ArcFace 112×112 template. */
export function alignFace(img: RgbImage, points: FivePoints): AlignedFace {
  const src = fivePointsArray(points);
  const m = umeyama(src, ARCFACE_TEMPLATE);
  let ss = 0;
  for (let i = 0; i < 5; i++) {
    const q = applyAffine(m, src[i]);
    ss += (q[0] - ARCFACE_TEMPLATE[i][0]) ** 2 + (q[1] - ARCFACE_TEMPLATE[i][1]) ** 2;
  }
  return { image: warpAffine(img, m, ARCFACE_SIZE, ARCFACE_SIZE), transform: m, residual: Math.sqrt(ss / 5) };
}
