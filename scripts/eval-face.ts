/**
 * Face verification / passive-liveness evaluation.
 *
 *   npm run eval:face -- --data DIR [--degraded SCRATCH|none] [--spoof DIR] [--out DIR] [--models DATADIR]
 *                       [--backend onnx|tfjs] [--embedder fr_feature|faceres|mobilefacenet] [--bootstrap N]
 *
 * --models: Kexin data dir holding models/manifest.json (default ./data; every catalog model, shipped
 * and evaluation-only, is built there when missing).
 *
 * DIR has one folder per identity. Protocols, reported side by side (issue 10 §1):
 * - `public`: every photo of DIR, all genuine pairs (same folder) and impostor pairs (different folders);
 * - `tight112`, `id102x126`: the same on degraded derivatives of DIR (scripts/face-protocols.ts), made
 *   under SCRATCH (default `.eval/face-degraded`, git-ignored; `none` skips them);
 * - `card1000`: the `id102x126` portrait on a 1000 × 630 scanned card (a small face in a large image);
 * - `mixed`: each original photo as probe against the `id102x126` crop of every OTHER photo.
 * For each: EER, TAR at FAR = 1 % and 0.1 % (thresholds chosen on that protocol), and the rates at the
 * engine's own operating points (thresholds.ts) with 95 % intervals. ROC and score pictures (SVG + PNG)
 * and a JSON summary go to --out (default docs/face-eval).
 *
 * Calibration (public protocol only, as thresholds.ts states): for each operating point — unattended
 * (FAR ≤ 0.1 %) and assisted (FAR ≤ 1 %) — the smallest threshold on a 1e-3 grid whose FAR on the set is
 * within the target, with an identity-level bootstrap interval (--bootstrap rounds, default 1000) for
 * the threshold and for TAR/FAR there, plus Clopper–Pearson intervals (which assume independent pairs).
 *
 * --spoof DIR with live/ and spoof/: passive-liveness signals per image, which output means "live",
 * and APCER / BPCER at the passive threshold (ISO/IEC 30107-3 terms: APCER = attacks accepted as
 * live / attacks; BPCER = bona fide rejected / bona fide; images without a detectable face count as
 * rejected); plus the evaluation-only fr_liveness network's classes on the same faces.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { createFaceEngine } from '../src/liveness/faceEngine.ts';
import type { FaceAnalysis, FaceEngine } from '../src/liveness/faceEngine.ts';
import { EMBEDDERS } from '../src/liveness/faceModels.ts';
import type { EmbedderName, FaceModels } from '../src/liveness/faceModels.ts';
import { warpAffineToTensor } from '../src/liveness/align.ts';
import { decodeImage } from '../src/liveness/decodeImage.ts';
import { PASSIVE_CALIBRATION } from '../src/liveness/passiveLiveness.ts';
import { DEFAULT_THRESHOLDS } from '../src/liveness/thresholds.ts';
import { bootstrap, clopperPearson, equalErrorRate, groupScores, ratesAt, tarAtFar, thresholdForFar } from './face-metrics.ts';
import type { Rates } from './face-metrics.ts';
import { DEGRADED_VARIANTS, IMAGE_EXT, deriveDegradedSets } from './face-protocols.ts';

export { bootstrap, clopperPearson, equalErrorRate, groupScores, ratesAt, tarAtFar, thresholdForFar } from './face-metrics.ts';
export type { Rates } from './face-metrics.ts';

export async function loadModels(backend: string, dataDir?: string, embedder?: EmbedderName): Promise<FaceModels> {
  if (backend === 'tfjs') return (await import('../src/liveness/tfjsFaceModels.ts')).loadTfjsFaceModels(undefined, embedder);
  const dir = dataDir ?? 'data';
  const { buildModels } = await import('../src/liveness/models/buildModels.ts');
  const { ALL_MODELS } = await import('../src/liveness/models/catalog.ts');
  // Evaluation-only models too (faceres, mobilefacenet, fr_liveness); a no-op when up to date.
  const built = await buildModels(dir, { models: ALL_MODELS });
  if (built.built.length) console.log(`built ${built.built.join(', ')} into ${dir}/models`);
  const { loadOnnxFaceModels } = await import('../src/liveness/onnxFaceModels.ts');
  return loadOnnxFaceModels(dir, { embedder });
}

const COLOURS = ['#06c', '#c60', '#393', '#a3a', '#0aa', '#666'];

function svgRoc(curves: { label: string; genuine: number[]; impostor: number[] }[], marks: (Rates & { label: string })[]): string {
  const W = 680, H = 500, L = 70, R = 20, T = 30, B = 60;
  const pw = W - L - R, ph = H - T - B;
  const minLog = -4;
  const fx = (far: number) => L + ((Math.log10(Math.max(far, 1e-4)) - minLog) / -minLog) * pw;
  // TAR axis from a tenth below the lowest curve at FAR 1e-4 (the curves crowd near 1 otherwise).
  const lowest = Math.min(...curves.map((c) => tarAtFar(c.genuine, c.impostor, 1e-4).tar));
  const y0 = Math.max(0, Math.floor(lowest * 10 - 0.5) / 10);
  const fy = (tar: number) => T + ((1 - Math.max(tar, y0)) / (1 - y0)) * ph;
  const grid: string[] = [];
  for (let e = minLog; e <= 0; e++) grid.push(`<line x1="${fx(10 ** e)}" y1="${T}" x2="${fx(10 ** e)}" y2="${T + ph}" stroke="#ddd"/><text x="${fx(10 ** e)}" y="${T + ph + 18}" font-size="12" text-anchor="middle">1e${e}</text>`);
  for (let v = Math.round(y0 * 20); v <= 20; v++) grid.push(`<line x1="${L}" y1="${fy(v / 20)}" x2="${L + pw}" y2="${fy(v / 20)}" stroke="#ddd"/><text x="${L - 8}" y="${fy(v / 20) + 4}" font-size="12" text-anchor="end">${(v / 20).toFixed(2)}</text>`);
  const lines = curves.map((c, k) => {
    // One point per distinct impostor score (the ROC only moves there), swept from the top.
    const imp = [...c.impostor].sort((a, b) => b - a), gen = [...c.genuine].sort((a, b) => b - a);
    const pts: string[] = [];
    let gi = 0;
    for (let i = 0; i <= imp.length; i++) {
      const t = i < imp.length ? imp[i] : -Infinity;
      while (gi < gen.length && gen[gi] > t) gi++;
      pts.push(`${fx(i / imp.length).toFixed(1)},${fy(gi / gen.length).toFixed(1)}`);
    }
    const colour = COLOURS[k % COLOURS.length];
    return `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(' ')}"/><text x="${L + pw - 8}" y="${T + ph - 12 - 16 * (curves.length - 1 - k)}" font-size="12" text-anchor="end" fill="${colour}">${c.label} (${c.genuine.length} / ${c.impostor.length})</text>`;
  });
  const m = marks.map((r) => `<circle cx="${fx(r.far)}" cy="${fy(r.tar)}" r="4" fill="#c00"/><text x="${fx(r.far) + 6}" y="${fy(r.tar) + 14}" font-size="11" fill="#c00">${r.label}: t=${r.threshold.toFixed(3)} TAR=${r.tar.toFixed(3)} FAR=${r.far.toFixed(4)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${grid.join('')}
<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>${lines.join('')}${m.join('')}
<text x="${L + pw / 2}" y="${H - 15}" font-size="13" text-anchor="middle">False accept rate (log)</text>
<text x="18" y="${T + ph / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 18 ${T + ph / 2})">True accept rate</text>
<text x="${L + pw / 2}" y="20" font-size="14" text-anchor="middle">ROC per protocol (genuine / impostor pairs)</text></svg>`;
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
<text x="${L + pw / 2}" y="${H - 12}" font-size="13" text-anchor="middle">cosine similarity (dashed: unattended threshold)</text>
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
const interval = (i: { lo: number; hi: number } | [number, number], f = pct) => (Array.isArray(i) ? `[${f(i[0])}, ${f(i[1])}]` : `[${f(i.lo)}, ${f(i.hi)}]`);
const enrolled = (s: Sample) => !!s.a && s.a.status === 'OK' && !!s.a.embedding;
/** Photo key shared by an original and its derivatives: `<identity>/<basename without extension>`. */
const photoKey = (s: Sample) => `${path.basename(path.dirname(s.file))}/${path.basename(s.file).replace(IMAGE_EXT, '')}`;

interface Pair { a: string; b: string; s: number; fa: string; fb: string }

/** All pairs within one set, or every probe against every reference of another photo. */
function scorePairs(engine: FaceEngine, probes: Sample[], refs?: Sample[]): Pair[] {
  const out: Pair[] = [];
  const P = probes.filter(enrolled), Q = (refs ?? probes).filter(enrolled);
  for (let i = 0; i < P.length; i++) {
    for (let j = refs ? 0 : i + 1; j < Q.length; j++) {
      if (refs && photoKey(P[i]) === photoKey(Q[j])) continue;
      out.push({ a: P[i].id, b: Q[j].id, s: engine.similarity(P[i].a!.embedding!, Q[j].a!.embedding!), fa: P[i].file, fb: Q[j].file });
    }
  }
  return out;
}

interface OperatingPoint { name: 'unattended' | 'assisted'; far: number; threshold: number }

function protocolReport(name: string, pairs: Pair[], samples: Sample[][], points: OperatingPoint[]) {
  const genuine = pairs.filter((p) => p.a === p.b).map((p) => p.s), impostor = pairs.filter((p) => p.a !== p.b).map((p) => p.s);
  const eer = equalErrorRate(genuine, impostor);
  const at1 = tarAtFar(genuine, impostor, 0.01), at01 = tarAtFar(genuine, impostor, 0.001);
  const service = points.map((op) => {
    const r = ratesAt(genuine, impostor, op.threshold);
    const fa = Math.round(r.far * impostor.length), ta = Math.round(r.tar * genuine.length);
    return { ...op, ...r, farInterval: clopperPearson(fa, impostor.length), tarInterval: clopperPearson(ta, genuine.length), falseAccepts: fa, trueAccepts: ta };
  });
  const all = samples.flat();
  const notEnrolled = all.filter((s) => !enrolled(s)).map((s) => ({ file: s.file, reason: s.error ?? s.a?.status }));
  const qualityCounts: Record<string, number> = {};
  for (const s of all.filter(enrolled)) for (const r of s.a!.quality!.reasons) qualityCounts[r.code] = (qualityCounts[r.code] ?? 0) + 1;
  const lowestGenuine = pairs.filter((p) => p.a === p.b).sort((x, y) => x.s - y.s).slice(0, 5).map((p) => `${p.s.toFixed(3)} ${p.a}: ${path.basename(p.fa)}~${path.basename(p.fb)}`);
  const highestImpostor = pairs.filter((p) => p.a !== p.b).sort((x, y) => y.s - x.s).slice(0, 5).map((p) => `${p.s.toFixed(3)} ${p.a}/${path.basename(p.fa)}~${p.b}/${path.basename(p.fb)}`);
  return { name, photos: all.length, enrolled: all.length - notEnrolled.length, notEnrolled, qualityCounts, genuinePairs: genuine.length, impostorPairs: impostor.length, eer, tarAtFar1: at1, tarAtFar01: at01, service, lowestGenuine, highestImpostor, genuine, impostor };
}

/** The calibration rule (see the header) for one FAR target, with its intervals. */
function calibrate(pairs: Pair[], target: number, rounds: number) {
  const genuine = pairs.filter((p) => p.a === p.b).map((p) => p.s), impostor = pairs.filter((p) => p.a !== p.b).map((p) => p.s);
  const exact = thresholdForFar(impostor, target);
  const threshold = Math.min(1, Math.ceil(exact * 1000 - 1e-9) / 1000);
  const at = ratesAt(genuine, impostor, threshold);
  const fa = Math.round(at.far * impostor.length), ta = Math.round(at.tar * genuine.length);
  const boot = bootstrap(groupScores(pairs), {
    threshold: (_g, imp) => thresholdForFar(imp, target),
    tarAtTarget: (g, imp) => tarAtFar(g, imp, target).tar,
    farAtChosen: (_g, imp) => ratesAt([0], imp, threshold).far,
    tarAtChosen: (g) => ratesAt(g, [0], threshold).tar,
  }, rounds);
  return { target, threshold, exactThreshold: exact, tar: at.tar, far: at.far, falseAccepts: fa, impostorPairs: impostor.length, trueAccepts: ta, genuinePairs: genuine.length, farInterval: clopperPearson(fa, impostor.length), tarInterval: clopperPearson(ta, genuine.length), bootstrap: boot };
}

/** fr_liveness (evaluation-only): the package's crop (detector box × 2.7, clamped), 128×128, 0..255, NCHW; softmax over its 3 classes. */
async function frLivenessScores(modelsDir: string, samples: Sample[]): Promise<Map<Sample, number[]>> {
  const out = new Map<Sample, number[]>();
  const file = path.join(modelsDir, 'models', 'fr_liveness.onnx');
  if (!existsSync(file)) return out;
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  for (const smp of samples) {
    if (!smp.a?.box) continue;
    const img = await decodeImage(await readFile(smp.file));
    const b = smp.a.box;
    const k = Math.min((img.height - 1) / b.height, (img.width - 1) / b.width, 2.7);
    const w = b.width * k, h = b.height * k;
    const x0 = Math.max(0, Math.min(b.x + b.width / 2 - w / 2, img.width - 1 - w)), y0 = Math.max(0, Math.min(b.y + b.height / 2 - h / 2, img.height - 1 - h));
    // Bilinear (cv.resize INTER_LINEAR in the package), with supersampling when shrinking.
    const n = 128, hwc = warpAffineToTensor(img, [n / w, 0, (-x0 * n) / w, 0, n / h, (-y0 * n) / h], n, n);
    const t = new Float32Array(3 * n * n);
    for (let i = 0; i < n * n; i++) for (let c = 0; c < 3; c++) t[c * n * n + i] = hwc[i * 3 + c];
    const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', t, [1, 3, n, n]) });
    const logits = Array.from(r[s.outputNames[0]].data as Float32Array);
    const m = Math.max(...logits), e = logits.map((v) => Math.exp(v - m)), sum = e.reduce((x, y) => x + y, 0);
    out.set(smp, e.map((v) => v / sum));
  }
  await s.release();
  return out;
}

const auc = (pos: number[], neg: number[]) => { let c = 0; for (const p of pos) for (const n of neg) c += p > n ? 1 : p === n ? 0.5 : 0; return c / (pos.length * neg.length); };

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, degraded: { type: 'string', default: '.eval/face-degraded' }, spoof: { type: 'string' }, out: { type: 'string', default: 'docs/face-eval' }, backend: { type: 'string', default: 'onnx' }, models: { type: 'string' }, embedder: { type: 'string' }, bootstrap: { type: 'string', default: '1000' }, 'embedding-norm': { type: 'string' } }, allowPositionals: false });
  if (!values.data && !values.spoof) throw new Error('usage: eval-face --data DIR [--degraded SCRATCH|none] [--spoof DIR] [--out DIR] [--backend onnx|tfjs] [--models DATADIR] [--embedder NAME] [--bootstrap N]');
  if (values.embedder && !(values.embedder in EMBEDDERS)) throw new Error(`--embedder must be one of ${Object.keys(EMBEDDERS).join(', ')}`);
  const out = values.out!;
  await mkdir(out, { recursive: true });
  const modelsDir = values.models ?? 'data';
  const models = await loadModels(values.backend!, modelsDir, values.embedder as EmbedderName | undefined);
  // --embedding-norm SCALE,OFFSET overrides the embedding input normalisation (calibration experiments).
  const en = values['embedding-norm']?.split(',').map(Number);
  const engine = createFaceEngine({ models, embeddingNormalization: en ? { scale: en[0], offset: en[1] } : undefined });
  if (en) console.log(`embedding input normalisation override: v * ${en[0]} + ${en[1]}`);
  const summary: Record<string, unknown> = { backend: models.backend, embedder: models.embedder, date: new Date().toISOString() };
  console.log(`backend: ${models.backend}; embedder ${models.embedder}`);

  if (values.data) {
    const t0 = performance.now();
    const pub = await analyseDir(engine, values.data, false);
    const sets: Record<string, Sample[]> = { public: pub };
    if (values.degraded !== 'none') {
      const d = await deriveDegradedSets(engine, values.data, values.degraded!, (m) => process.stdout.write(`\r${m}          `));
      process.stdout.write('\n');
      if (d.skipped.length) console.log(`no crop for (no face in the original): ${d.skipped.join(', ')}`);
      for (const v of DEGRADED_VARIANTS) sets[v] = await analyseDir(engine, path.join(d.root, v), false);
    }
    console.log(`analysed ${Object.values(sets).reduce((n, l) => n + l.length, 0)} photos in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const points: OperatingPoint[] = [
      { name: 'unattended', far: 0.001, threshold: engine.thresholds.match },
      { name: 'assisted', far: 0.01, threshold: engine.thresholds.matchAssisted },
    ];
    const protocols = [protocolReport('public', scorePairs(engine, pub), [pub], points)];
    if (sets.tight112) {
      protocols.push(protocolReport('tight112', scorePairs(engine, sets.tight112), [sets.tight112], points));
      protocols.push(protocolReport('id102x126', scorePairs(engine, sets.id102x126), [sets.id102x126], points));
      protocols.push(protocolReport('card1000', scorePairs(engine, sets.card1000), [sets.card1000], points));
      protocols.push(protocolReport('mixed', scorePairs(engine, pub, sets.id102x126), [pub, sets.id102x126], points));
    }
    const col = (v: string) => v.padStart(20);
    console.log(`\n${'protocol'.padEnd(34)}${protocols.map((p) => col(p.name)).join('')}`);
    const row = (label: string, f: (p: (typeof protocols)[number]) => string) => console.log(`${label.padEnd(34)}${protocols.map((p) => col(f(p))).join('')}`);
    row('photos enrolled', (p) => `${p.enrolled}/${p.photos}`);
    row('genuine / impostor pairs', (p) => `${p.genuinePairs}/${p.impostorPairs}`);
    row('EER', (p) => pct(p.eer.eer));
    row('TAR @ FAR 1 % (own threshold)', (p) => `${pct(p.tarAtFar1.tar)} t${p.tarAtFar1.threshold.toFixed(3)}`);
    row('TAR @ FAR 0.1 % (own threshold)', (p) => `${pct(p.tarAtFar01.tar)} t${p.tarAtFar01.threshold.toFixed(3)}`);
    for (const [k, op] of points.entries()) {
      row(`${op.name} t=${op.threshold.toFixed(3)}: TAR`, (p) => pct(p.service[k].tar));
      row(`${op.name} t=${op.threshold.toFixed(3)}: FAR`, (p) => `${pct(p.service[k].far)} (${p.service[k].falseAccepts})`);
    }
    for (const p of protocols) {
      for (const n of p.notEnrolled) console.log(`  [${p.name}] not enrolled: ${n.file}: ${n.reason}`);
      console.log(`  [${p.name}] quality reasons (not gating the scores): ${JSON.stringify(p.qualityCounts)}`);
      console.log(`  [${p.name}] lowest genuine: ${p.lowestGenuine.join('; ')}`);
      console.log(`  [${p.name}] highest impostor: ${p.highestImpostor.join('; ')}`);
    }
    // Calibration on the public protocol.
    const rounds = Number(values.bootstrap);
    const calib = { unattended: calibrate(scorePairs(engine, pub), 0.001, rounds), assisted: calibrate(scorePairs(engine, pub), 0.01, rounds) };
    for (const [name, c] of Object.entries(calib)) {
      console.log(`\ncalibration ${name} (FAR ≤ ${pct(c.target)} on public): threshold ${c.threshold.toFixed(3)} (exact ${c.exactThreshold.toFixed(4)}; identity bootstrap 95 % ${interval(c.bootstrap.threshold, (v) => v.toFixed(3))})`);
      console.log(`  at ${c.threshold.toFixed(3)}: TAR ${pct(c.tar)} (${c.trueAccepts}/${c.genuinePairs}; Clopper–Pearson ${interval(c.tarInterval)}, bootstrap ${interval(c.bootstrap.tarAtChosen)}), FAR ${pct(c.far)} (${c.falseAccepts}/${c.impostorPairs}; Clopper–Pearson ${interval(c.farInterval)}, bootstrap ${interval(c.bootstrap.farAtChosen)})`);
      console.log(`  TAR at the FAR target with a re-chosen threshold, bootstrap 95 %: ${interval(c.bootstrap.tarAtTarget)}`);
    }
    const pics = [
      ...await writePicture(out, 'roc', svgRoc(protocols.map((p) => ({ label: p.name, genuine: p.genuine, impostor: p.impostor })), points.map((op, k) => ({ ...protocols[0].service[k], label: op.name })))),
      ...(await Promise.all(protocols.map((p) => writePicture(out, `scores-${p.name}`, svgHistogram(p.genuine, p.impostor, engine.thresholds.match))))).flat(),
    ];
    console.log('wrote', pics.join(', '));
    summary.verify = { data: values.data, degraded: values.degraded, protocols: protocols.map(({ genuine: _g, impostor: _i, ...rest }) => rest), calibration: calib, pictures: pics };
  }

  if (values.spoof) {
    const samples = await analyseDir(engine, values.spoof, true);
    const live = samples.filter((s) => s.id === 'live'), spoof = samples.filter((s) => s.id === 'spoof');
    const withSig = (l: Sample[]) => l.filter((s) => s.a?.passive);
    // Which output means live: compare the raw (uncalibrated) signal distributions per class.
    const raw = (s: Sample) => s.a!.passive!.signals;
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
    // fr_liveness, evaluation-only: which softmax class means live, and its best operating point.
    const fr = await frLivenessScores(modelsDir, [...L, ...S]);
    let frSummary: unknown = null;
    if (fr.size > 0) {
      const classes = [0, 1, 2].map((k) => {
        const lv = L.filter((s) => fr.has(s)).map((s) => fr.get(s)![k]), sp = S.filter((s) => fr.has(s)).map((s) => fr.get(s)![k]);
        let best = { t: 0, apcer: 1, bpcer: 1 };
        for (let t = 0.05; t < 1; t += 0.05) {
          const a = sp.filter((v) => v >= t).length / spoof.length, b = (live.length - lv.filter((v) => v >= t).length) / live.length;
          if (a + b < best.apcer + best.bpcer) best = { t: Number(t.toFixed(2)), apcer: a, bpcer: b };
        }
        return { class: k, auc: auc(lv, sp), meanLive: mean(lv), meanSpoof: mean(sp), best };
      });
      for (const c of classes) console.log(`fr_liveness class ${c.class} as live: AUC ${c.auc.toFixed(3)} (mean ${c.meanLive.toFixed(3)} live / ${c.meanSpoof.toFixed(3)} spoof); best t=${c.best.t}: APCER ${pct(c.best.apcer)} BPCER ${pct(c.best.bpcer)}`);
      frSummary = classes;
    }
    const perImage = samples.map((s) => ({ file: path.relative(values.spoof!, s.file), label: s.id, status: s.a?.status ?? s.error, score: s.a?.passive?.score, antispoof: s.a?.passive?.signals.antispoof, liveness: s.a?.passive?.signals.liveness, live: s.a?.passive?.live, reasons: s.a?.passive?.reasons.map((r) => r.code), frLiveness: fr.get(s) }));
    summary.spoof = { data: values.spoof, threshold: thr, calibration: PASSIVE_CALIBRATION, auc: { antispoof: aucA, liveness: aucL, combined: aucC }, apcer, bpcer, sweep, frLiveness: frSummary, perImage };
  }
  summary.defaults = DEFAULT_THRESHOLDS;
  await writeFile(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2));
  console.log('wrote', path.join(out, 'summary.json'));
  await models.dispose();
}

if (import.meta.main) {
  main().catch((e) => { console.error(e); process.exitCode = 1; });
}
