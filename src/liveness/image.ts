/** A decoded image: tightly packed 8-bit RGB, row-major, `width * height * 3` bytes. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** 2-D point in image pixel coordinates (x right, y down). */
export type Point = readonly [number, number];

/** Axis-aligned box in image pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** ITU-R BT.601 luma of an RGB image, one float per pixel (0..255). */
export function luminance(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = 0.299 * d[j] + 0.587 * d[j + 1] + 0.114 * d[j + 2];
  return out;
}
