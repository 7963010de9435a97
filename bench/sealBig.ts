/**
 * Run by bench/seal.ts in a process of its own: a 100 MB PDF sealed at B-T and verified, and a 100 MB
 * file's detached CAdES made and verified — everything streamed from disk. Prints one JSON line with
 * the times and the process's peak RSS (the embedded database's baseline included, and reported).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/logger.ts';
import { fileSource } from '../src/signing/pdf/source.ts';
import { createSigningService } from '../src/signing/signingService.ts';
import { createAnalyzePool } from '../src/signing/verify/workerPool.ts';
import { OWNER, startCaHarness } from '../test/signing/support/harness.ts';

const MB = 1024 * 1024;
const mark = (what: string) => { if (process.env.BENCH_TRACE) process.stderr.write(`${what}: rss=${(process.memoryUsage().rss / MB).toFixed(0)} max=${(process.resourceUsage().maxRSS / 1024).toFixed(0)}\n`); };
const dir = mkdtempSync(join(tmpdir(), 'kexin-bench-big-'));

/** A one-page PDF with an unreferenced 100 MB image stream, written in 1 MB pieces. */
function writeBigPdf(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  let pos = 0;
  const w = (b: Buffer | string) => { const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b; writeSync(fd, buf); pos += buf.length; };
  const offsets: number[] = [];
  w('%PDF-1.7\n');
  const content = 'BT /F1 18 Tf 72 740 Td (Kexin 100 MB document) Tj ET';
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources << /Font << /F1 4 0 R >> /XObject << /Big 6 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  objs.forEach((o, i) => { offsets[i + 1] = pos; w(`${i + 1} 0 obj\n${o}\nendobj\n`); });
  offsets[6] = pos;
  const side = Math.floor(Math.sqrt(bytes / 3));
  const len = side * side * 3;
  w(`6 0 obj\n<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${len} >>\nstream\n`);
  for (let left = len; left > 0; left -= MB) w(randomBytes(Math.min(MB, left)));
  w('\nendstream\nendobj\n');
  const xref = pos;
  w(`xref\n0 7\n0000000000 65535 f\r\n${offsets.slice(1).map((o) => `${String(o).padStart(10, '0')} 00000 n\r\n`).join('')}trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  closeSync(fd);
}

const h = await startCaHarness();
const pool = createAnalyzePool({ workers: 1 });
const signing = await createSigningService({
  pool: h.db.pool, keyStore: h.keyStore, ca: h.ca, clock: h.clock, logger: createLogger('warn'),
  publicUrl: 'https://kexin.example.gov.cn', maker: { name: '基准测试制章', creditCode: '111100000000133772' }, analyzePool: pool,
});
try {
  const sealId = (await signing.createSeal({ owner: OWNER, kind: 'business', name: '基准业务章', algorithm: 'ECDSA' }, 'bench')).id;
  const baselineRssMb = process.memoryUsage().rss / MB;
  mark('baseline');
  // maxRSS cannot be reset and the embedded database's start-up peaks above everything that follows:
  // sample RSS every 5 ms during the 100 MB work instead.
  let workPeak = 0;
  const sampler = setInterval(() => { workPeak = Math.max(workPeak, process.memoryUsage().rss); }, 5);
  const input = join(dir, 'big.pdf');
  writeBigPdf(input, 100 * MB);
  mark('writeBigPdf(input, 100 * MB);');
  let t = performance.now();
  const src = fileSource(input);
  const applied = await signing.applyPdf(sealId, src, { level: 'B-T', page: 1, x: 150, y: 40, keep: false }, 'bench');
  mark('const applied = await signing.');
  src.close();
  const sealedPath = join(dir, 'sealed.pdf');
  copyFileSync(input, sealedPath);
  for (const u of applied.updates) appendFileSync(sealedPath, u);
  const pdfSealMs = performance.now() - t;
  t = performance.now();
  const v = await signing.verifyPdf({ path: sealedPath });
  const pdfVerifyMs = performance.now() - t;
  mark('const pdfVerifyMs = performanc');

  const file = join(dir, 'big.bin');
  const fd = openSync(file, 'w');
  for (let i = 0; i < 100; i++) writeSync(fd, randomBytes(MB));
  closeSync(fd);
  t = performance.now();
  mark('closeSync(fd);\n  t = performan');
  const f = fileSource(file);
  const cades = await signing.applyDetached(sealId, f, 'cades', 'B-T', 'bench');
  f.close();
  const cadesMs = performance.now() - t;
  mark('const cadesMs = performance.no');
  t = performance.now();
  const cv = await signing.verifyDetachedFile(file, cades.signature);
  const cadesVerifyMs = performance.now() - t;
  mark('const cadesVerifyMs = performa');
  clearInterval(sampler);
  workPeak = Math.max(workPeak, process.memoryUsage().rss);
  const peakRssMb = workPeak / MB;
  const processMaxRssMb = (process.resourceUsage().maxRSS * 1024) / MB;
  process.stdout.write(`${JSON.stringify({ pdfSealMs, pdfVerifyMs, pdfResult: v.indication, cadesMs, cadesVerifyMs, cadesResult: cv.indication, peakRssMb, baselineRssMb, processMaxRssMb })}\n`);
} finally {
  await pool.close();
  await h.close();
  rmSync(dir, { recursive: true, force: true });
}
