/**
 * Seal images: an uploaded PNG or SVG (checked with sharp: format, size, an alpha channel that is
 * actually used), or the standard red stamp rendered from SVG — a round seal with the organisation's
 * name on the upper arc, a five-pointed star, the seal name below it and an optional code on the lower
 * arc; a square seal with the holder's name for a personal seal. Always stored as PNG, with its true
 * size in millimetres and the PNG's pHYs density set so viewers print it at that size.
 *
 * SVG uploads are rendered by librsvg; anything that could make it reach outside the document
 * (external hrefs, entities, scripts, foreignObject) is refused before it gets there.
 */
import sharp from 'sharp';
import { KexinError } from '../../errors.ts';

/** Upload limits. */
export const SEAL_IMAGE_MAX_BYTES = 1024 * 1024;
export const SEAL_IMAGE_MAX_PIXELS = 2048;
/** Rendering density for stored PNGs: 400 dpi keeps a 42 mm seal crisp in print (661 px). */
export const SEAL_IMAGE_DPI = 400;
const MM_PER_INCH = 25.4;
/** 国办发 seal colour: a clear red. */
const RED = '#e60012';
/** CJK-capable fonts tried in order (Debian: fonts-wqy-microhei). */
const FONT_FAMILY = "'Noto Serif CJK SC','Noto Sans CJK SC','WenQuanYi Micro Hei','AR PL UMing CN',serif";

export interface SealImage {
  readonly png: Uint8Array;
  readonly widthMm: number;
  readonly heightMm: number;
}

const imageError = (message: string) => new KexinError('SEAL_IMAGE_INVALID', message, 400);

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

const pixelsFor = (mm: number) => Math.round((mm / MM_PER_INCH) * SEAL_IMAGE_DPI);

async function toPng(input: Buffer, widthMm: number, heightMm: number, density?: number): Promise<Uint8Array> {
  const png = await sharp(input, { density, limitInputPixels: SEAL_IMAGE_MAX_PIXELS * SEAL_IMAGE_MAX_PIXELS * 4, failOn: 'error' })
    .resize(pixelsFor(widthMm), pixelsFor(heightMm), { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .ensureAlpha()
    .png({ compressionLevel: 9, palette: true, colours: 64 })
    .withMetadata({ density: SEAL_IMAGE_DPI })
    .toBuffer();
  return new Uint8Array(png);
}

/** Refuses SVG constructs that would let librsvg read files or URLs, or run anything. */
function checkSvgText(text: string): void {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw imageError('SVG with a DOCTYPE or entities is not accepted');
  if (/<script|<foreignObject|\bon[a-z]+\s*=/i.test(text)) throw imageError('SVG with scripts or foreignObject is not accepted');
  for (const m of text.matchAll(/(?:xlink:)?href\s*=\s*["']([^"']*)["']/gi)) {
    if (!m[1]!.startsWith('#')) throw imageError('SVG may only reference its own elements (href="#…")');
  }
  if (/url\(\s*['"]?(?!#)/i.test(text)) throw imageError('SVG may only reference its own elements (url(#…))');
}

/**
 * Checks an uploaded seal image (PNG or SVG, with transparency) and stores it as PNG at `widthMm` ×
 * `heightMm`. Anything else → `SEAL_IMAGE_INVALID`.
 */
export async function acceptSealImage(data: Uint8Array, widthMm: number, heightMm: number): Promise<SealImage> {
  if (data.length === 0 || data.length > SEAL_IMAGE_MAX_BYTES) throw imageError(`the seal image must be 1 byte to ${SEAL_IMAGE_MAX_BYTES} bytes`);
  const buf = Buffer.from(data);
  const isPng = buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const head = buf.subarray(0, 512).toString('utf8').trimStart();
  const isSvg = !isPng && (head.startsWith('<svg') || head.startsWith('<?xml'));
  if (!isPng && !isSvg) throw imageError('the seal image must be PNG or SVG');
  if (isSvg) checkSvgText(buf.toString('utf8'));
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(buf, { limitInputPixels: SEAL_IMAGE_MAX_PIXELS * SEAL_IMAGE_MAX_PIXELS, failOn: 'error' }).metadata();
  } catch {
    throw imageError('the seal image could not be decoded');
  }
  if (meta.format !== (isPng ? 'png' : 'svg')) throw imageError('the seal image must be PNG or SVG');
  if (!meta.width || !meta.height || meta.width > SEAL_IMAGE_MAX_PIXELS || meta.height > SEAL_IMAGE_MAX_PIXELS) {
    throw imageError(`the seal image must be at most ${SEAL_IMAGE_MAX_PIXELS} × ${SEAL_IMAGE_MAX_PIXELS} pixels`);
  }
  if (isPng && !meta.hasAlpha) throw imageError('the seal image must have a transparent background (an alpha channel)');
  let png: Uint8Array;
  try {
    // SVGs are rasterised at the density that gives the target pixel size.
    const density = isSvg ? Math.min(2400, Math.max(10, (72 * pixelsFor(widthMm)) / meta.width)) : undefined;
    png = await toPng(buf, widthMm, heightMm, density);
  } catch {
    throw imageError('the seal image could not be rendered');
  }
  const alpha = (await sharp(Buffer.from(png)).stats()).channels[3];
  if (!alpha || alpha.min === 255) throw imageError('the seal image has no transparent pixels: the document must show through it');
  if (alpha.max === 0) throw imageError('the seal image is fully transparent');
  return Object.freeze({ png, widthMm, heightMm });
}

export interface StampText {
  /** Organisation name, on the upper arc (round) or the holder's name (square). */
  readonly organisation: string;
  /** Seal name under the star, e.g. 业务专用章 (round seals). */
  readonly sealName?: string;
  /** Optional code on the lower arc (e.g. the seal's registration code). */
  readonly code?: string;
}

/** SVG of the standard round red stamp, `diameterMm` wide, in 0.1 mm units. */
export function roundStampSvg(text: StampText, diameterMm = 42): string {
  const size = diameterMm * 10;
  const c = size / 2;
  const border = size * 0.028;
  const r = c - border / 2 - 2;
  const chars = [...text.organisation];
  const font = Math.min(size * 0.12, (Math.PI * (r * 0.78) * (220 / 180)) / Math.max(chars.length, 1) * 0.95);
  const arcR = r - border / 2 - font * 0.95;
  // Upper arc: the name spread over up to 220°, centred on the top, read left to right.
  const span = Math.min(220, chars.length * ((font * 1.05) / arcR) * (180 / Math.PI));
  const step = chars.length > 1 ? span / (chars.length - 1) : 0;
  const name = chars.map((ch, i) => {
    const a = -span / 2 + i * step;
    return `<text x="${c}" y="${c - arcR}" transform="rotate(${a.toFixed(2)} ${c} ${c})" font-size="${font.toFixed(1)}" text-anchor="middle" dominant-baseline="central">${escapeXml(ch)}</text>`;
  }).join('');
  // Star: five points, outer radius 19 % of the diameter.
  const so = size * 0.19;
  const si = so * 0.382;
  const star = Array.from({ length: 10 }, (_, i) => {
    const rad = ((i * 36 - 90) * Math.PI) / 180;
    const rr = i % 2 ? si : so;
    return `${(c + rr * Math.cos(rad)).toFixed(1)},${(c + rr * Math.sin(rad)).toFixed(1)}`;
  }).join(' ');
  const sealName = text.sealName
    ? `<text x="${c}" y="${c + size * 0.25}" font-size="${Math.min(size * 0.09, (size * 0.55) / [...text.sealName].length).toFixed(1)}" text-anchor="middle" dominant-baseline="central">${escapeXml(text.sealName)}</text>`
    : '';
  let code = '';
  if (text.code) {
    const cc = [...text.code];
    const cf = size * 0.045;
    const cr = r - border / 2 - cf * 1.1;
    const cspan = Math.min(100, cc.length * ((cf * 0.75) / cr) * (180 / Math.PI));
    const cstep = cc.length > 1 ? cspan / (cc.length - 1) : 0;
    // Lower arc, read left to right: angles from +span/2 down to −span/2 around the bottom.
    code = cc.map((ch, i) => {
      const a = cspan / 2 - i * cstep;
      return `<text x="${c}" y="${c + cr}" transform="rotate(${a.toFixed(2)} ${c} ${c})" font-size="${cf.toFixed(1)}" text-anchor="middle" dominant-baseline="central">${escapeXml(ch)}</text>`;
    }).join('');
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`
    + `<g fill="${RED}" font-family="${FONT_FAMILY}" font-weight="bold">`
    + `<circle cx="${c}" cy="${c}" r="${r}" fill="none" stroke="${RED}" stroke-width="${border}"/>`
    + `${name}<polygon points="${star}"/>${sealName}${code}</g></svg>`;
}

/** SVG of a square personal seal: the holder's name in a red frame. */
export function squareStampSvg(holder: string, sideMm = 20): string {
  const size = sideMm * 10;
  const border = size * 0.05;
  const chars = [...holder];
  const font = Math.min(size * 0.6, (size * 0.8) / Math.max(chars.length, 1));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`
    + `<g fill="${RED}" font-family="${FONT_FAMILY}" font-weight="bold">`
    + `<rect x="${border / 2}" y="${border / 2}" width="${size - border}" height="${size - border}" fill="none" stroke="${RED}" stroke-width="${border}"/>`
    + `<text x="${size / 2}" y="${size / 2}" font-size="${font.toFixed(1)}" text-anchor="middle" dominant-baseline="central">${escapeXml(holder)}</text>`
    + '</g></svg>';
}

/** Renders a standard stamp to PNG at its true size. */
export async function renderStamp(kind: 'round' | 'square', text: StampText, sizeMm: number): Promise<SealImage> {
  const svg = kind === 'round' ? roundStampSvg(text, sizeMm) : squareStampSvg(text.organisation, sizeMm);
  // The SVG is in 0.1 mm units: 72 dpi × (target px / svg px).
  const density = (72 * pixelsFor(sizeMm)) / (sizeMm * 10);
  const png = await toPng(Buffer.from(svg), sizeMm, sizeMm, density);
  return Object.freeze({ png, widthMm: sizeMm, heightMm: sizeMm });
}
