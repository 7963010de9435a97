/**
 * Visible parts of a seal on a page: the seal image (an RGB image XObject with its alpha as /SMask,
 * drawn at true size) and the printed copy's verification block (a vector QR code, the short code and
 * the URL; the Chinese label in the predefined Adobe-GB1 font STSong-Light, which readers substitute).
 */
import { deflateSync } from 'node:zlib';
import QRCode from 'qrcode';
import sharp from 'sharp';
import { dict, name, stream, type PdfStream, type PdfValue } from './objects.ts';
import { formatNumber } from './writer.ts';

export const PT_PER_MM = 72 / 25.4;

export interface ImageXObjects {
  readonly image: PdfStream;
  readonly mask: PdfStream;
}

/** Decoded seal images by PNG content (a seal is applied many times; decoding costs ~20 ms). */
const decoded = new Map<string, { width: number; height: number; rgb: Uint8Array; alpha: Uint8Array }>();

/** The seal PNG as an image XObject and its soft mask (the mask's ref is set by the caller). */
export async function sealImageXObjects(png: Uint8Array, key: string): Promise<{ width: number; height: number; rgb: Uint8Array; alpha: Uint8Array }> {
  const hit = decoded.get(key);
  if (hit) return hit;
  const { data, info } = await sharp(Buffer.from(png)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const px = info.width * info.height;
  const rgb = Buffer.allocUnsafe(px * 3);
  const alpha = Buffer.allocUnsafe(px);
  for (let i = 0; i < px; i++) {
    rgb[3 * i] = data[4 * i]!; rgb[3 * i + 1] = data[4 * i + 1]!; rgb[3 * i + 2] = data[4 * i + 2]!;
    alpha[i] = data[4 * i + 3]!;
  }
  const out = { width: info.width, height: info.height, rgb: deflateSync(rgb, { level: 6 }), alpha: deflateSync(alpha, { level: 6 }) };
  decoded.set(key, out);
  if (decoded.size > 64) decoded.delete(decoded.keys().next().value!);
  return out;
}

export function imageStream(img: { width: number; height: number; rgb: Uint8Array }, smask: PdfValue): PdfStream {
  return stream(dict({
    Type: name('XObject'), Subtype: name('Image'), Width: img.width, Height: img.height, ColorSpace: name('DeviceRGB'),
    BitsPerComponent: 8, Filter: name('FlateDecode'), SMask: smask, Interpolate: true,
  }), img.rgb);
}

export function maskStream(img: { width: number; height: number; alpha: Uint8Array }): PdfStream {
  return stream(dict({
    Type: name('XObject'), Subtype: name('Image'), Width: img.width, Height: img.height, ColorSpace: name('DeviceGray'),
    BitsPerComponent: 8, Filter: name('FlateDecode'),
  }), img.alpha);
}

/**
 * Form XObject (w × h points) drawing each part at its offset: images scaled to their box, forms
 * (the verification block) placed as they are.
 */
export function compositeAppearance(w: number, h: number, parts: readonly { name: string; ref: PdfValue; x: number; y: number; w: number; h: number; image: boolean }[]): PdfStream {
  const ops = parts.map((p) => p.image
    ? `q ${formatNumber(p.w)} 0 0 ${formatNumber(p.h)} ${formatNumber(p.x)} ${formatNumber(p.y)} cm /${p.name} Do Q`
    : `q 1 0 0 1 ${formatNumber(p.x)} ${formatNumber(p.y)} cm /${p.name} Do Q`);
  const xobjects: Record<string, PdfValue> = {};
  for (const p of parts) xobjects[p.name] = p.ref;
  return stream(dict({
    Type: name('XObject'), Subtype: name('Form'), BBox: [0, 0, w, h],
    Resources: dict({ XObject: dict(xobjects) }),
  }), Buffer.from(ops.join('\n'), 'latin1'));
}

/** An empty appearance (invisible signature, document time-stamp). */
export function emptyAppearance(): PdfStream {
  return stream(dict({ Type: name('XObject'), Subtype: name('Form'), BBox: [0, 0, 0, 0] }), new Uint8Array(0));
}

const utf16hex = (s: string) => Buffer.from(s, 'utf16le').swap16().toString('hex').toUpperCase();
const pdfText = (s: string) => `(${s.replace(/[()\\]/g, (c) => `\\${c}`)})`;

/** Size of the verification block in millimetres (QR square on the left, text on the right). */
export const BLOCK_MM = { width: 75, height: 30, qr: 28 } as const;

/**
 * The verification block's appearance: QR of `qrText` (error correction M, quiet zone of 2 modules),
 * and three lines: label, short code, URL. `BLOCK_MM` in size.
 */
export function verificationBlockAppearance(qrText: string, code: string, urlText: string): PdfStream {
  const qr = QRCode.create(qrText, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const w = BLOCK_MM.width * PT_PER_MM;
  const h = BLOCK_MM.height * PT_PER_MM;
  const qrSide = BLOCK_MM.qr * PT_PER_MM;
  const unit = qrSide / (n + 4);
  const ops: string[] = ['q 1 1 1 rg 0 0 ' + `${formatNumber(qrSide)} ${formatNumber(qrSide)} re f Q`, 'q 0 0 0 rg'];
  // Dark modules as rectangles, merged along each row.
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n;) {
      if (!qr.modules.data[r * n + c]) { c++; continue; }
      let e = c;
      while (e < n && qr.modules.data[r * n + e]) e++;
      const x = (c + 2) * unit;
      const y = qrSide - (r + 3) * unit;
      ops.push(`${formatNumber(x)} ${formatNumber(y)} ${formatNumber((e - c) * unit)} ${formatNumber(unit)} re`);
      c = e;
    }
  }
  ops.push('f Q');
  const tx = qrSide + 2 * PT_PER_MM;
  ops.push('q 0 0 0 rg BT',
    `/F2 9 Tf ${formatNumber(tx)} ${formatNumber(h - 9 * PT_PER_MM)} Td <${utf16hex('扫码或输入核验码查验原件')}> Tj ET`,
    `BT /F1 8 Tf ${formatNumber(tx)} ${formatNumber(h - 14 * PT_PER_MM)} Td ${pdfText('Scan or enter the code to verify')} Tj ET`,
    `BT /F1 11 Tf ${formatNumber(tx)} ${formatNumber(h - 20 * PT_PER_MM)} Td ${pdfText(code)} Tj ET`,
    `BT /F1 6 Tf ${formatNumber(tx)} ${formatNumber(h - 25 * PT_PER_MM)} Td ${pdfText(urlText)} Tj ET Q`);
  const fonts = dict({
    F1: dict({ Type: name('Font'), Subtype: name('Type1'), BaseFont: name('Helvetica'), Encoding: name('WinAnsiEncoding') }),
    F2: dict({
      Type: name('Font'), Subtype: name('Type0'), BaseFont: name('STSong-Light'), Encoding: name('UniGB-UCS2-H'),
      DescendantFonts: [dict({
        Type: name('Font'), Subtype: name('CIDFontType0'), BaseFont: name('STSong-Light'),
        CIDSystemInfo: dict({ Registry: { t: 'str', v: Buffer.from('Adobe'), hex: false }, Ordering: { t: 'str', v: Buffer.from('GB1'), hex: false }, Supplement: 2 }),
        FontDescriptor: dict({
          Type: name('FontDescriptor'), FontName: name('STSong-Light'), Flags: 6, FontBBox: [-25, -254, 1000, 880],
          ItalicAngle: 0, Ascent: 880, Descent: -120, CapHeight: 880, StemV: 93,
        }),
      })],
    }),
  });
  return stream(dict({ Type: name('XObject'), Subtype: name('Form'), BBox: [0, 0, w, h], Resources: dict({ Font: fonts }) }), Buffer.from(ops.join('\n'), 'latin1'));
}
