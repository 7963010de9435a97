/**
 * Decode an uploaded photo (JPEG, PNG or WebP) into raw RGB with `sharp`.
 *
 * - EXIF orientation is applied (`rotate()`), so phone portraits come out upright.
 * - `limitInputPixels` rejects decompression bombs before any pixel buffer is allocated
 *   (`FACE_IMAGE_TOO_LARGE`, 413). The byte size of the upload is also capped.
 * - Anything sharp cannot decode (not an image, truncated, unsupported format) is `FACE_IMAGE_INVALID` (422).
 * - Inputs larger than `maxWorkingSide` on their longest side are downscaled (the networks work at
 *   128–192 px; a 12 MP photo only costs time and memory).
 */
import sharp from 'sharp';
import { KexinError } from '../errors.ts';
import type { RgbImage } from './image.ts';

export interface DecodeOptions {
  /** Reject inputs with more pixels than this (decompression-bomb guard). Default 40 MP. */
  readonly maxInputPixels?: number;
  /** Reject encoded inputs larger than this many bytes. Default 15 MB. */
  readonly maxInputBytes?: number;
  /** Downscale so that the longest side is at most this. Default 1280. */
  readonly maxWorkingSide?: number;
  /** Reject images whose shorter side is below this. Default 32. */
  readonly minSide?: number;
}

export const DEFAULT_MAX_INPUT_PIXELS = 40_000_000;
const ALLOWED_FORMATS = new Set(['jpeg', 'png', 'webp']);

export interface DecodedImage extends RgbImage {
  /** Source container format as sharp reports it. */
  readonly format: string;
  /** Size of the upright source before any downscaling. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

export async function decodeImage(input: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  const maxBytes = options.maxInputBytes ?? 15 * 1024 * 1024;
  const maxSide = options.maxWorkingSide ?? 1280;
  const minSide = options.minSide ?? 32;
  if (!(input instanceof Uint8Array) || input.length === 0) {
    throw new KexinError('FACE_IMAGE_INVALID', 'Image is empty', 422);
  }
  if (input.length > maxBytes) {
    throw new KexinError('FACE_IMAGE_TOO_LARGE', `Image is ${input.length} bytes; the limit is ${maxBytes}`, 413, { bytes: input.length, limit: maxBytes });
  }
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new KexinError('FACE_IMAGE_INVALID', 'Not a decodable image', 422, undefined, { cause: err });
  }
  if (!meta.format || !ALLOWED_FORMATS.has(meta.format)) {
    throw new KexinError('FACE_IMAGE_INVALID', `Unsupported image format ${meta.format ?? 'unknown'}; use JPEG, PNG or WebP`, 422, { format: meta.format ?? null });
  }
  const w0 = meta.width ?? 0;
  const h0 = meta.height ?? 0;
  if (w0 * h0 > maxPixels) {
    throw new KexinError('FACE_IMAGE_TOO_LARGE', `Image has ${w0}x${h0} pixels; the limit is ${maxPixels}`, 413, { width: w0, height: h0, limit: maxPixels });
  }
  // EXIF orientations 5..8 swap width and height.
  const swap = (meta.orientation ?? 1) >= 5;
  const sw = swap ? h0 : w0;
  const sh = swap ? w0 : h0;
  if (Math.min(sw, sh) < minSide) {
    throw new KexinError('FACE_IMAGE_INVALID', `Image is ${sw}x${sh}; the shorter side must be at least ${minSide}`, 422, { width: sw, height: sh });
  }
  try {
    let pipeline = sharp(input, { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1 }).rotate();
    if (Math.max(sw, sh) > maxSide) {
      pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside', kernel: 'lanczos3' });
    }
    const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new KexinError('FACE_IMAGE_INVALID', `Unexpected channel count ${info.channels}`, 422);
    }
    return Object.freeze({
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      format: meta.format,
      sourceWidth: sw,
      sourceHeight: sh,
    });
  } catch (err) {
    if (err instanceof KexinError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(msg)) {
      throw new KexinError('FACE_IMAGE_TOO_LARGE', 'Image exceeds the pixel limit', 413, { limit: maxPixels }, { cause: err });
    }
    throw new KexinError('FACE_IMAGE_INVALID', 'Image data is corrupt or truncated', 422, undefined, { cause: err });
  }
}
