import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import zlib from 'node:zlib';
import { decodeImage } from '../../src/liveness/decodeImage.ts';
import { KexinError } from '../../src/errors.ts';

async function solid(w: number, h: number, fmt: 'jpeg' | 'png' | 'webp', opts: { orientation?: number } = {}): Promise<Buffer> {
  let p = sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 10, b: 10 } } });
  if (fmt === 'jpeg') p = p.jpeg();
  else if (fmt === 'png') p = p.png();
  else p = p.webp();
  if (opts.orientation) p = p.withMetadata({ orientation: opts.orientation });
  return p.toBuffer();
}

/** Rewrite a PNG's IHDR width/height (and its CRC). */
function patchPngSize(png: Buffer, w: number, h: number): Buffer {
  const out = Buffer.from(png);
  // 8-byte signature, then IHDR: length(4) 'IHDR'(4) width(4) height(4) ...
  out.writeUInt32BE(w, 16);
  out.writeUInt32BE(h, 20);
  out.writeUInt32BE(zlib.crc32(out.subarray(12, 29)) >>> 0, 29);
  return out;
}

async function code(p: Promise<unknown>): Promise<string> {
  try { await p; return 'none'; } catch (e) { expect(e).toBeInstanceOf(KexinError); expect((e as KexinError).status).toBeLessThan(500); return (e as KexinError).code; }
}

describe('decodeImage', () => {
  it('decodes JPEG, PNG and WebP into packed RGB', async () => {
    for (const fmt of ['jpeg', 'png', 'webp'] as const) {
      const img = await decodeImage(await solid(64, 48, fmt));
      expect([img.width, img.height, img.data.length]).toEqual([64, 48, 64 * 48 * 3]);
      expect(img.data[0]).toBeGreaterThan(150);
      expect(img.format).toBe(fmt);
    }
  });
  it('applies EXIF orientation', async () => {
    const img = await decodeImage(await solid(64, 48, 'jpeg', { orientation: 6 }));
    expect([img.width, img.height]).toEqual([48, 64]);
  });
  it('expands grayscale and drops alpha', async () => {
    const g = await sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0.5 } } }).png().toBuffer();
    const img = await decodeImage(g);
    expect(img.data.length).toBe(40 * 40 * 3);
    const gray = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#808080' } }).grayscale().jpeg().toBuffer();
    expect((await decodeImage(gray)).data.length).toBe(40 * 40 * 3);
  });
  it('downscales huge inputs to the working size', async () => {
    const img = await decodeImage(await solid(3000, 1500, 'jpeg'), { maxWorkingSide: 1000 });
    expect([img.width, img.height]).toEqual([1000, 500]);
    expect([img.sourceWidth, img.sourceHeight]).toEqual([3000, 1500]);
  });
  it('rejects decompression bombs with FACE_IMAGE_TOO_LARGE before decoding', async () => {
    // A tiny PNG whose header claims 20000 x 20000 (400 MP): must be refused from the header alone.
    const bomb = await patchPngSize(await solid(8, 8, 'png').then(async () => sharp({ create: { width: 32, height: 32, channels: 3, background: '#fff' } }).png().toBuffer()), 20000, 20000);
    expect(await code(decodeImage(bomb))).toBe('FACE_IMAGE_TOO_LARGE');
    expect(await code(decodeImage(await solid(300, 300, 'png'), { maxInputPixels: 10_000 }))).toBe('FACE_IMAGE_TOO_LARGE');
  });
  it('rejects garbage, empty, truncated and unsupported inputs with FACE_IMAGE_INVALID', async () => {
    expect(await code(decodeImage(Buffer.from('definitely not an image')))).toBe('FACE_IMAGE_INVALID');
    expect(await code(decodeImage(Buffer.alloc(0)))).toBe('FACE_IMAGE_INVALID');
    const jpg = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#345' } }).jpeg().toBuffer();
    expect(await code(decodeImage(jpg.subarray(0, Math.floor(jpg.length / 2))))).toBe('FACE_IMAGE_INVALID');
    const gif = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#345' } }).gif().toBuffer();
    expect(await code(decodeImage(gif))).toBe('FACE_IMAGE_INVALID');
    expect(await code(decodeImage(await solid(16, 16, 'png')))).toBe('FACE_IMAGE_INVALID');
  });
});
