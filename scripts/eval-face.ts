/**
 * Face verification / passive-liveness evaluation.
 *
 *   npm run eval:face -- --data DIR [--spoof DIR] [--out DIR] [--backend onnx|tfjs] [--models DATADIR]
 *                       [--embedder faceres|mobilefacenet]   (default faceres; mobilefacenet only for comparison)
 *
 * --models: Kexin data dir holding models/manifest.json (default ./data; built with buildModels when absent).
 *
 * DIR has one folder per identity. Every photo is analysed once; all genuine pairs (same folder) and
 * all impostor pairs (different folders) are scored by cosine similarity. Prints EER, TAR at
 * FAR = 1 % and 0.1 %, and the recommended operating threshold, and writes ROC and score-distribution
 * pictures (SVG + PNG) plus a JSON summary to --out (default docs/face-eval).
 *
 * Threshold rule: the smallest threshold on a 1e-3 grid whose FAR on this set is ≤ 0.1 % (a 1e-6 grid
 * when all scores lie within 0.01 of each other, as mobilefacenet's do, see docs/face-evaluation.md).
 *
 * --spoof DIR with live/ and spoof/: passive-liveness signals per image, which output means "live",
 * and APCER / BPCER at the passive threshold (ISO/IEC 30107-3 terms: APCER = attacks accepted as
 * live / attacks; BPCER = bona fide rejected / bona fide; images without a detectable face count as
 * rejected).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createFaceEngine } from '../src/liveness/faceEngine.ts';
import type { FaceAnalysis, FaceEngine } from '../src/liveness/faceEngine.ts';
import { EMBEDDERS } from '../src/liveness/faceModels.ts';
import type { EmbedderName, FaceModels } from '../src/liveness/faceModels.ts';
import { PASSIVE_CALIBRATION } from '../src/liveness/passiveLiveness.ts';
import { cosineSimilarity } from '../src/liveness/similarity.ts';
import { DEFAULT_THRESHOLDS } from '../src/liveness/thresholds.ts';

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

export async function loadModels(backend: string, dataDir?: string, embedder?: EmbedderName): Promise<FaceModels> {
  if (backend === 'tfjs') return (await import('../src/liveness/tfjsFaceModels.ts')).loadTfjsFaceModels(undefined, embedder);
  const dir = dataDir ?? 'data';
  if (!existsSync(path.join(dir, 'models', 'manifest.json'))) {
    console.log(`no models in ${dir}/models: building them with Kexin's converter`);
    await (await import('../src/liveness/models/buildModels.ts')).buildModels(dir);
  }
  const { loadOnnxFaceModels } = await import('../src/liveness/onnxFaceModels.ts');
  return loadOnnxFaceModels(dir, { embedder });
}

export interface Rates { threshold: number; far: number; frr: number; tar: number }

export function ratesAt(genuine: number[], impostor: number[], t: number): Rates {
  const far = impostor.filter((s) => s >= t).length / impostor.length;
  const frr = genuine.filter((s) => s < t).length / genuine.length;
  return { threshold: t, far, frr, tar: 1 - frr };
}

export function equalErrorRate(genuine: number[], impostor: number[]): { eer: number; threshold: number } {
  const cands = [...new Set([...genuine, ...impostor])].sort((a, b) => a - b);
  let best = { eer: 1, threshold: 0, gap: Infinity };
  for (const t of cands) {
    const r = ratesAt(genuine, impostor, t);
    const gap = Math.abs(r.far - r.frr);
    if (gap < best.gap) best = { eer: (r.far + r.frr) / 2, threshold: t, gap };
  }
  return { eer: best.eer, threshold: best.threshold };
}

/** Lowest threshold (exact, from the score set) with FAR ≤ target, and the TAR there. */
export function tarAtFar(genuine: number[], impostor: number[], target: number): Rates {
  const imp = [...impostor].sort((a, b) => b - a);
  const allowed = Math.floor(target * imp.length); // number of impostor scores allowed at or above t
  const t = allowed >= imp.length ? -1 : imp[allowed] + 1e-9; // strictly above the (allowed+1)-th highest
  return ratesAt(genuine, impostor, t);
}

function svgRoc(genuine: number[], impostor: number[], marks: Rates[]): string {
  const W = 640, H = 480, L = 70, R = 20, T = 30, B = 60;
  const pw = W - L - R, ph = H - T - B;
  const minLog = -4;
  const fx = (far: number) => L + ((Math.log10(Math.max(far, 1e-4)) - minLog) / -minLog) * pw;
  const fy = (tar: number) => T + (1 - tar) * ph;
  const ts = [...new Set([...genuine, ...impostor])].sort((a, b) => b - a);
  const pts = ts.map((t) => ratesAt(genuine, impostor, t)).map((r) => `${fx(r.far).toFixed(1)},${fy(r.tar).toFixed(1)}`);
  const grid: string[] = [];
  for (let e = minLog; e <= 0; e++) grid.push(`<line x1="${fx(10 ** e)}" y1="${T}" x2="${fx(10 ** e)}" y2="${T + ph}" stroke="#ddd"/><text x="${fx(10 ** e)}" y="${T + ph + 18}" font-size="12" text-anchor="middle">1e${e}</text>`);
  for (let v = 0; v <= 10; v += 2) grid.push(`<line x1="${L}" y1="${fy(v / 10)}" x2="${L + pw}" y2="${fy(v / 10)}" stroke="#ddd"/><text x="${L - 8}" y="${fy(v / 10) + 4}" font-size="12" text-anchor="end">${(v / 10).toFixed(1)}</text>`);
  const m = marks.map((r) => `<circle cx="${fx(r.far)}" cy="${fy(r.tar)}" r="4" fill="#c00"/><text x="${fx(r.far) + 6}" y="${fy(r.tar) + 14}" font-size="11" fill="#c00">t=${r.threshold.toFixed(6)} TAR=${r.tar.toFixed(3)} FAR=${r.far.toFixed(4)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${grid.join('')}
<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>
<polyline fill="none" stroke="#06c" stroke-width="2" points="${pts.join(' ')}"/>${m.join('')}
<text x="${L + pw / 2}" y="${H - 15}" font-size="13" text-anchor="middle">False accept rate (log)</text>
<text x="18" y="${T + ph / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 18 ${T + ph / 2})">True accept rate</text>
<text x="${L + pw / 2}" y="20" font-size="14" text-anchor="middle">ROC: ${genuine.length} genuine / ${impostor.length} impostor pairs</text></svg>`;
}

function svgHistogram(genuine: number[], impostor: number[], threshold: number): string {
  const W = 640, H = 400, L = 60, R = 20, T = 30, B = 50, bins = 50;
  const pw = W - L - R, ph = H - T - B;
  // range from the data (mobilefacenet's scores sit in a narrow band just below 1)
  let lo = Infinity, hi = -Infinity;
  for (const v of [...genuine, ...impostor]) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const pad = (hi - lo) * 0.02 || 1e-6;
  lo -= pad; hi += pad;
  const hist = (v: number[]) => { const h = new Array(bins).fill(0); for (const s of v) h[Math.min(bins - 1, Math.max(0, Math.floor(((s - lo) / (hi - lo)) * bins)))]++; return h.map((c) => c / v.length); };
  const hg = hist(genuine), hiM = hist(impostor);
  const ymax = Math.max(...hg, ...hiM) * 1.1;
  const bw = pw / bins;
  const bars = (h: number[], color: string) => h.map((v, i) => `<rect x="${(L + i * bw).toFixed(1)}" y="${(T + ph - (v / ymax) * ph).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${((v / ymax) * ph).toFixed(1)}" fill="${color}" fill-opacity="0.55"/>`).join('');
  const tx = L + ((threshold - lo) / (hi - lo)) * pw;
  const ticks: string[] = [];
  const digits = Math.max(1, Math.min(6, Math.ceil(-Math.log10(hi - lo)) + 2));
  for (let k = 0; k <= 5; k++) { const v = lo + ((hi - lo) * k) / 5; const x = L + (k / 5) * pw; ticks.push(`<text x="${x}" y="${T + ph + 16}" font-size="11" text-anchor="middle">${v.toFixed(digits)}</text>`); }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>
<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>${bars(hiM, '#c33')}${bars(hg, '#36c')}${ticks.join('')}
<line x1="${tx}" y1="${T}" x2="${tx}" y2="${T + ph}" stroke="#000" stroke-dasharray="4 3"/><text x="${tx > L + pw * 0.7 ? tx - 4 : tx + 4}" y="${T + 14}" font-size="12" text-anchor="${tx > L + pw * 0.7 ? 'end' : 'start'}">threshold ${threshold.toFixed(6)}</text>
<text x="${L + 10}" y="${T + 34}" font-size="12" fill="#36c">genuine (n=${genuine.length})</text><text x="${L + 10}" y="${T + 50}" font-size="12" fill="#c33">impostor (n=${impostor.length})</text>
<text x="${L + pw / 2}" y="${H - 12}" font-size="13" text-anchor="middle">cosine similarity</text>
<text x="${L + pw / 2}" y="20" font-size="14" text-anchor="middle">Score distributions (normalised per class)</text></svg>`;
}

async function writePicture(out: string, name: string, svg: string): Promise<string[]> {
  const s = path.join(out, `${name}.svg`), p = path.join(out, `${name}.png`);
  await writeFile(s, svg);
  await sharp(Buffer.from(svg)).png().toFile(p);
  return [s, p];
}

interface Sample { id: string; file: string; a: FaceAnalysis | null; error?: string }

async function analyseDir(engine: FaceEngine, dir: string, passive: boolean, label = (id: string) => id): Promise<Sample[]> {
  const out: Sample[] = [];
  const ids = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const id of ids) {
    for (const f of (await readdir(path.join(dir, id))).filter((f) => IMAGE_EXT.test(f)).sort()) {
      const file = path.join(dir, id, f);
      try {
        out.push({ id: label(id), file, a: await engine.analyze(await readFile(file), { passive }) });
      } catch (e) {
        out.push({ id: label(id), file, a: null, error: (e as Error).message });
      }
    }
  }
  return out;
}

const pct = (v: number) => `${(100 * v).toFixed(2)} %`;

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, spoof: { type: 'string' }, out: { type: 'string', default: 'docs/face-eval' }, backend: { type: 'string', default: 'onnx' }, models: { type: 'string' }, embedder: { type: 'string' }, 'embedding-norm': { type: 'string' } }, allowPositionals: false });
  if (!values.data && !values.spoof) throw new Error('usage: eval-face --data DIR [--spoof DIR] [--out DIR] [--backend onnx|tfjs] [--models DATADIR] [--embedder faceres|mobilefacenet]');
  if (values.embedder && !(values.embedder in EMBEDDERS)) throw new Error(`--embedder must be one of ${Object.keys(EMBEDDERS).join(', ')}`);
  const out = values.out!;
  await mkdir(out, { recursive: true });
  const models = await loadModels(values.backend!, values.models, values.embedder as EmbedderName | undefined);
  // --embedding-norm SCALE,OFFSET overrides the embedding input normalisation (calibration experiments).
  const en = values['embedding-norm']?.split(',').map(Number);
  const engine = createFaceEngine({ models, embeddingNormalization: en ? { scale: en[0], offset: en[1] } : undefined });
  if (en) console.log(`embedding input normalisation override: v * ${en[0]} + ${en[1]}`);
  const summary: Record<string, unknown> = { backend: models.backend, date: new Date().toISOString() };
  console.log(`backend: ${models.backend}`);

  if (values.data) {
    const t0 = performance.now();
    const samples = await analyseDir(engine, values.data, false);
    console.log(`analysed ${samples.length} photos in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const failed = samples.filter((s) => !s.a || s.a.status !== 'OK' || !s.a.embedding);
    for (const s of failed) console.log(`  not enrolled: ${s.file}: ${s.error ?? s.a?.status}`);
    const ok = samples.filter((s) => !failed.includes(s));
    const qualityCounts: Record<string, number> = {};
    for (const s of ok) for (const r of s.a!.quality!.reasons) qualityCounts[r.code] = (qualityCounts[r.code] ?? 0) + 1;
    console.log(`detected: ${ok.length}/${samples.length}; quality failures (not gating the scores below):`, qualityCounts);
    const genuine: number[] = [], impostor: number[] = [];
    const genuinePairs: { a: string; b: string; s: number }[] = [];
    for (let i = 0; i < ok.length; i++) for (let j = i + 1; j < ok.length; j++) {
      const s = cosineSimilarity(ok[i].a!.embedding!, ok[j].a!.embedding!);
      if (ok[i].id === ok[j].id) { genuine.push(s); genuinePairs.push({ a: ok[i].file, b: ok[j].file, s }); } else impostor.push(s);
    }
    const eer = equalErrorRate(genuine, impostor);
    const at1 = tarAtFar(genuine, impostor, 0.01), at01 = tarAtFar(genuine, impostor, 0.001);
    // smallest grid value at or above the exact FAR ≤ 0.1 % threshold
    const all = [...genuine, ...impostor];
    const grid = Math.max(...all) - Math.min(...all) < 0.01 ? 1e6 : 1e3;
    const rec = Math.min(1, Math.ceil(at01.threshold * grid - 1e-9) / grid);
    const recRates = ratesAt(genuine, impostor, rec);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    console.log(`pairs: ${genuine.length} genuine, ${impostor.length} impostor; mean score genuine ${mean(genuine).toFixed(5)}, impostor ${mean(impostor).toFixed(5)}`);
    console.log(`EER ${pct(eer.eer)} at threshold ${eer.threshold.toFixed(6)}`);
    console.log(`TAR@FAR=1%   ${pct(at1.tar)} (threshold ${at1.threshold.toFixed(6)}, FAR ${pct(at1.far)})`);
    console.log(`TAR@FAR=0.1% ${pct(at01.tar)} (threshold ${at01.threshold.toFixed(6)}, FAR ${pct(at01.far)})`);
    console.log(`recommended threshold (lowest ${1 / grid}-grid value with FAR <= 0.1 % on this set): ${rec.toFixed(6)} -> TAR ${pct(recRates.tar)}, FAR ${pct(recRates.far)}`);
    const worst = [...genuinePairs].sort((a, b) => a.s - b.s).slice(0, 5);
    console.log('lowest genuine pairs:', worst.map((p) => `${p.s.toFixed(5)} ${path.basename(path.dirname(p.a))}/${path.basename(p.a)}~${path.basename(p.b)}`).join('; '));
    const pics = [...await writePicture(out, 'roc', svgRoc(genuine, impostor, [at1, at01])), ...await writePicture(out, 'scores', svgHistogram(genuine, impostor, rec))];
    console.log('wrote', pics.join(', '));
    summary.verify = { data: values.data, photos: samples.length, enrolled: ok.length, notEnrolled: failed.map((s) => ({ file: s.file, reason: s.error ?? s.a?.status })), qualityCounts, genuinePairs: genuine.length, impostorPairs: impostor.length, eer, tarAtFar1: at1, tarAtFar01: at01, recommendedThreshold: rec, atRecommended: recRates, pictures: pics };
  }

  if (values.spoof) {
    const samples = await analyseDir(engine, values.spoof, true);
    const live = samples.filter((s) => s.id === 'live'), spoof = samples.filter((s) => s.id === 'spoof');
    const withSig = (l: Sample[]) => l.filter((s) => s.a?.passive);
    // Which output means live: compare the raw (uncalibrated) signal distributions per class.
    const raw = (s: Sample) => s.a!.passive!.signals;
    const auc = (pos: number[], neg: number[]) => { let c = 0; for (const p of pos) for (const n of neg) c += p > n ? 1 : p === n ? 0.5 : 0; return c / (pos.length * neg.length); };
    const L = withSig(live), S = withSig(spoof);
    const aucA = auc(L.map((s) => raw(s).antispoof), S.map((s) => raw(s).antispoof));
    const aucL = auc(L.map((s) => raw(s).liveness), S.map((s) => raw(s).liveness));
    const aucC = auc(L.map((s) => s.a!.passive!.score), S.map((s) => s.a!.passive!.score));
    console.log(`passive: ${live.length} live / ${spoof.length} spoof images; faces found ${L.length} / ${S.length}`);
    console.log(`calibration in use: ${JSON.stringify(PASSIVE_CALIBRATION)}`);
    console.log(`AUC(live > spoof) with the calibrated orientation: antispoof ${aucA.toFixed(3)}, liveness ${aucL.toFixed(3)}, combined ${aucC.toFixed(3)} (AUC < 0.5 would mean the orientation is inverted)`);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
    console.log(`mean live-signal  live: antispoof ${mean(L.map((s) => raw(s).antispoof)).toFixed(3)} liveness ${mean(L.map((s) => raw(s).liveness)).toFixed(3)};  spoof: antispoof ${mean(S.map((s) => raw(s).antispoof)).toFixed(3)} liveness ${mean(S.map((s) => raw(s).liveness)).toFixed(3)}`);
    const thr = engine.thresholds.passiveLive;
    const accepted = (s: Sample) => !!s.a?.passive?.live;
    const apcer = spoof.filter(accepted).length / spoof.length;
    const bpcer = live.filter((s) => !accepted(s)).length / live.length;
    console.log(`at passive threshold ${thr}: APCER ${pct(apcer)} (${spoof.filter(accepted).length}/${spoof.length}), BPCER ${pct(bpcer)} (${live.filter((s) => !accepted(s)).length}/${live.length})`);
    const sweep = [0.3, 0.4, 0.5, 0.6, 0.7].map((t) => ({ t, apcer: S.filter((s) => s.a!.passive!.score >= t).length / spoof.length, bpcer: (live.length - L.filter((s) => s.a!.passive!.score >= t).length) / live.length }));
    console.log('score-only sweep (ignores quality gating):', sweep.map((r) => `t=${r.t} APCER ${pct(r.apcer)} BPCER ${pct(r.bpcer)}`).join('; '));
    const perImage = samples.map((s) => ({ file: path.relative(values.spoof!, s.file), label: s.id, status: s.a?.status ?? s.error, score: s.a?.passive?.score, antispoof: s.a?.passive?.signals.antispoof, liveness: s.a?.passive?.signals.liveness, live: s.a?.passive?.live, reasons: s.a?.passive?.reasons.map((r) => r.code) }));
    summary.spoof = { data: values.spoof, threshold: thr, calibration: PASSIVE_CALIBRATION, auc: { antispoof: aucA, liveness: aucL, combined: aucC }, apcer, bpcer, sweep, perImage };
  }
  summary.defaults = DEFAULT_THRESHOLDS;
  await writeFile(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2));
  console.log('wrote', path.join(out, 'summary.json'));
  await models.dispose();
}

if (import.meta.main) {
  main().catch((e) => { console.error(e); process.exitCode = 1; });
}
