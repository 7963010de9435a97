/**
 * Seal figures, in process on the embedded database (or DATABASE_URL), each next to the raw
 * crypto.sign ECDSA P-256 rate measured in the same run:
 *   - a 1 MB PDF sealed at B-T and at B-LTA (TSA in process), ms per document;
 *   - that B-T PDF verified (analysis in the worker pool, trust on the main thread), ms per document,
 *     and the longest event-loop stall meanwhile;
 *   - a 100 MB PDF sealed (B-T) and verified, and a 100 MB file's detached CAdES made and verified,
 *     with the process's peak RSS (targets: B-T ≤ 40 ms, verify ≤ 30 ms, peak RSS < 500 MB).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSigningHarness, OWNER } from '../test/signing/support/harness.ts';
import { makePdf } from '../test/signing/support/pdfs.ts';
import { createAnalyzePool } from '../src/signing/verify/workerPool.ts';
import { createSigningService } from '../src/signing/signingService.ts';
import { createLogger } from '../src/logger.ts';
import { bufferSource } from '../src/signing/pdf/source.ts';
import { cryptoSignP256Rate, report } from './reference.ts';

const N = Number(process.env.BENCH_SEAL_N ?? 30);

async function timeEach(n: number, fn: () => Promise<unknown>): Promise<{ msPerOp: number; p50: number; max: number }> {
  for (let i = 0; i < 3; i++) await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { msPerOp: times.reduce((a, b) => a + b, 0) / n, p50: times[Math.floor(n / 2)]!, max: times[n - 1]! };
}


export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kexin-bench-seal-'));
  const h = await startSigningHarness();
  const pool = createAnalyzePool({ workers: 1 });
  const signing = await createSigningService({
    pool: h.db.pool, keyStore: h.keyStore, ca: h.ca, clock: h.clock, logger: createLogger('warn'),
    publicUrl: 'https://kexin.example.gov.cn', maker: { name: '基准测试制章', creditCode: '111100000000133772' }, analyzePool: pool,
  });
  try {
    report('reference: crypto.sign ECDSA P-256 (1 core)', cryptoSignP256Rate(), 'sig/s');
    const sealId = (await signing.createSeal({ owner: OWNER, kind: 'business', name: '基准业务章', algorithm: 'ECDSA' }, 'bench')).id;
    const pdf = makePdf({ padTo: 1024 * 1024 });
    for (const level of ['B-T', 'B-LTA'] as const) {
      const t = await timeEach(N, () => signing.applyPdf(sealId, bufferSource(pdf), { level, page: 1, x: 150, y: 40 }, 'bench'));
      report(`seal 1 MB PDF at ${level} (visible, registered)`, t.msPerOp, 'ms/doc', { p50ms: t.p50, maxms: t.max, perSec: 1000 / t.msPerOp, target: level === 'B-T' ? '≤40ms' : '-' });
    }
    const sealedBt = Buffer.concat([pdf, ...(await signing.applyPdf(sealId, bufferSource(pdf), { level: 'B-T', page: 1, x: 150, y: 40 }, 'bench')).updates]);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const v = await timeEach(N, async () => {
      const r = await signing.verifyPdf({ bytes: sealedBt });
      if (r.indication !== 'TOTAL_PASSED') throw new Error(`verification: ${r.indication}`);
    });
    loop.disable();
    report('verify 1 MB B-T PDF (worker + chain)', v.msPerOp, 'ms/doc', { p50ms: v.p50, maxms: v.max, perSec: 1000 / v.msPerOp, loopMaxStallMs: loop.max / 1e6, target: '≤30ms' });

    // 100 MB: in a fresh process of its own, so its peak RSS is the 100 MB work's (plus the embedded database).
    const big = spawnSync(process.execPath, [new URL('./sealBig.ts', import.meta.url).pathname], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 20 });
    if (big.status !== 0) throw new Error(`sealBig failed: ${big.stderr}`);
    const r = JSON.parse(big.stdout.trim().split('\n').pop()!);
    report('100 MB PDF: seal B-T (streamed)', r.pdfSealMs, 'ms', { verifyMs: r.pdfVerifyMs, result: r.pdfResult });
    report('100 MB file: detached CAdES B-T', r.cadesMs, 'ms', { verifyMs: r.cadesVerifyMs, result: r.cadesResult });
    report('100 MB work: peak RSS (sampled)', r.peakRssMb, 'MB', { addedMb: r.peakRssMb - r.baselineRssMb, baselineRssMb: r.baselineRssMb, processMaxRssMb: r.processMaxRssMb, target: '<500MB' });
    report('reference again (noise check)', cryptoSignP256Rate(), 'sig/s');
  } finally {
    await pool.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
