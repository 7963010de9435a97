/**
 * Degraded evaluation protocols derived from a public identity-folder set (facedata/verify), to
 * reproduce the photos a pension office actually holds (issue 10 §1):
 *
 * - `tight112`: a tight square face crop (the mesh bounds, side × 0.95–1.15, centre jittered by up to
 *   ±4 % of the side), resized to 112 × 112, JPEG quality 75 — like an old enrolment crop.
 * - `id102x126`: an ID-card-chip-style portrait, 102 × 126 (GA 467 / the second-generation ID card's
 *   chip photo size): head width ≈ 0.62 of the image width, face centre a little below the middle,
 *   plain light background where the source ends, JPEG quality 20 (strong blocking).
 * - `card1000`: that `id102x126` portrait printed on a 1000 × 630 scanned card (light background,
 *   photo at the left, JPEG quality 85): a small face in a large image.
 * - `mixed`: the original photo as probe against the `id102x126` crop of ANOTHER photo as reference
 *   (the real case: a phone or kiosk capture against the card photo on record).
 *
 * The crop geometry comes from the engine's mesh on the ORIGINAL photo (not on the degraded one), with
 * a seeded jitter, so every run derives byte-identical files. Written under a scratch directory
 * outside the repository (default `.eval/face-degraded`, git-ignored): the photos must never be
 * committed.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { FaceEngine } from '../src/liveness/faceEngine.ts';

export const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;
/** Bump when the derivation changes: the scratch dir is rebuilt when its stamp differs. */
export const DEGRADED_VERSION = 'face-degraded v2';

export type DegradedVariant = 'tight112' | 'id102x126' | 'card1000';
export const DEGRADED_VARIANTS: readonly DegradedVariant[] = ['tight112', 'id102x126', 'card1000'];

export interface DerivedSets {
  readonly root: string;
  /** Photos the engine found no face in on the original, so no crop could be cut. */
  readonly skipped: readonly string[];
}

/** Deterministic per-file jitter in [0, 1): sha256 of a label. */
function unit(label: string, k: number): number {
  const h = createHash('sha256').update(`${label}#${k}`).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

interface Rect { left: number; top: number; width: number; height: number }

/** Cut `rect` (may extend past the image) from the source, filling outside with `background`, then resize. */
async function cut(bytes: Uint8Array, rect: Rect, outW: number, outH: number, background: { r: number; g: number; b: number }, quality: number): Promise<Buffer> {
  const img = sharp(bytes).rotate();
  const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const l = Math.round(rect.left), t = Math.round(rect.top), w = Math.max(1, Math.round(rect.width)), h = Math.max(1, Math.round(rect.height));
  const pad = { left: Math.max(0, -l), top: Math.max(0, -t), right: Math.max(0, l + w - info.width), bottom: Math.max(0, t + h - info.height) };
  const extended = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .extend({ ...pad, background })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(extended.data, { raw: { width: extended.info.width, height: extended.info.height, channels: extended.info.channels } })
    .extract({ left: l + pad.left, top: t + pad.top, width: w, height: h })
    .resize(outW, outH, { kernel: 'lanczos3', fit: 'fill' })
    .jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false })
    .toBuffer();
}

/**
 * Derive the degraded variants of `dataDir` (one folder per identity) into `outDir/<variant>/<id>/`.
 * Reuses what is there when the stamp matches. The engine must be the one whose mesh places the crop.
 */
export async function deriveDegradedSets(engine: FaceEngine, dataDir: string, outDir: string, log: (s: string) => void = () => {}): Promise<DerivedSets> {
  const stampFile = path.join(outDir, 'STAMP');
  const stamp = `${DEGRADED_VERSION}\n${path.resolve(dataDir)}\n`;
  if (existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) {
    const skipped = JSON.parse(await readFile(path.join(outDir, 'skipped.json'), 'utf8')) as string[];
    return { root: outDir, skipped };
  }
  // Another source set (or an older derivation) may have left identities here: start clean.
  await rm(stampFile, { force: true });
  for (const v of DEGRADED_VARIANTS) await rm(path.join(outDir, v), { recursive: true, force: true });
  const skipped: string[] = [];
  const ids = (await readdir(dataDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const id of ids) {
    for (const v of DEGRADED_VARIANTS) await mkdir(path.join(outDir, v, id), { recursive: true });
    for (const f of (await readdir(path.join(dataDir, id))).filter((x) => IMAGE_EXT.test(x)).sort()) {
      const rel = `${id}/${f}`;
      const bytes = await readFile(path.join(dataDir, id, f));
      const a = await engine.analyze(bytes, { embed: false });
      if (a.status !== 'OK' || !a.landmarks) { skipped.push(rel); continue; }
      // Working image may be downscaled (≤ 1280 px): map back to source pixels.
      const meta = await sharp(bytes).rotate().metadata();
      const srcW = (meta.orientation ?? 1) >= 5 ? meta.height! : meta.width!;
      const k = srcW / a.width;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const [x, y] of a.landmarks) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
      const cx = ((x0 + x1) / 2) * k, cy = ((y0 + y1) / 2) * k, mw = (x1 - x0) * k, mh = (y1 - y0) * k;
      const base = f.replace(IMAGE_EXT, '');
      // tight112
      const side = Math.max(mw, mh) * (0.95 + 0.2 * unit(rel, 1));
      const jx = (unit(rel, 2) - 0.5) * 0.08 * side, jy = (unit(rel, 3) - 0.5) * 0.08 * side;
      const tight = await cut(bytes, { left: cx + jx - side / 2, top: cy + jy - side / 2, width: side, height: side }, 112, 112, { r: 128, g: 128, b: 128 }, 75);
      await writeFile(path.join(outDir, 'tight112', id, `${base}.jpg`), tight);
      // id102x126: the mesh spans cheek to cheek (≈ 0.85 of the head width with hair and ears)
      const w = (mw / 0.85 / 0.62) * (0.95 + 0.1 * unit(rel, 4));
      const h = (w * 126) / 102;
      const idc = await cut(bytes, { left: cx - w / 2, top: cy - 0.47 * h, width: w, height: h }, 102, 126, { r: 235, g: 238, b: 240 }, 20);
      await writeFile(path.join(outDir, 'id102x126', id, `${base}.jpg`), idc);
      const card = await sharp({ create: { width: 1000, height: 630, channels: 3, background: { r: 200, g: 215, b: 230 } } })
        .composite([{ input: idc, left: 60, top: 158 }]).jpeg({ quality: 85 }).toBuffer();
      await writeFile(path.join(outDir, 'card1000', id, `${base}.jpg`), card);
    }
    log(`derived ${id}`);
  }
  await writeFile(path.join(outDir, 'skipped.json'), JSON.stringify(skipped));
  await writeFile(stampFile, stamp);
  return { root: outDir, skipped };
}
