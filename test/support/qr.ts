/** QR codes rendered to pixels (uqr, the holder page's encoder) and read back (jsQR, the verifier page's decoder). */
import jsQRModule from 'jsqr';
import { encode } from 'uqr';

type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
// jsqr is CommonJS whose typings declare an ES default export: take whichever the loader produced.
const jsQR: Decode = ((jsQRModule as unknown as { default?: Decode }).default ?? (jsQRModule as unknown as Decode));

/** RGBA pixels of `text` as a QR code at level M, `scale` pixels per module, with a quiet zone. */
export function renderQr(text: string, scale = 4): { rgba: Uint8ClampedArray; size: number; version: number } {
  const m = encode(text, { ecc: 'M', border: 4 });
  const n = m.size * scale;
  const rgba = new Uint8ClampedArray(n * n * 4);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const v = m.data[Math.floor(y / scale)]![Math.floor(x / scale)] ? 0 : 255;
    rgba.set([v, v, v, 255], (y * n + x) * 4);
  }
  return { rgba, size: n, version: m.version };
}

export function decodeQr(rgba: Uint8ClampedArray, width: number, height: number): string | undefined {
  return jsQR(rgba, width, height)?.data;
}
