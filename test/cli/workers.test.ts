/**
 * `kexin serve` with KEXIN_WORKERS=2 on PostgreSQL: two worker processes share the port, their OCSP
 * caches agree after a revocation, a killed worker is replaced, and SIGTERM stops them all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { tempDir } from '../support/database.ts';
import { freshDatabaseUrl, spawnService, type SpawnedService } from '../support/spawnService.ts';
import { opensslCsr, run, runOk, write } from '../support/tools.ts';

const REAL_PG = !!process.env.DATABASE_URL;

const workerPids = (primary: number): number[] => {
  const out = run('ps', ['-o', 'pid=', '--ppid', String(primary)]).out;
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
};

describe.skipIf(!REAL_PG)('kexin serve with two workers (runs only with DATABASE_URL: the embedded database serves one process)', () => {
  let svc: SpawnedService;
  const dir = tempDir('kexin-workers-');
  beforeAll(async () => {
    svc = await spawnService({ env: { DATABASE_URL: (await freshDatabaseUrl())!, KEXIN_WORKERS: '2', LOG_LEVEL: 'info', KEXIN_METRICS_PORT: '0' } });
    await eventually(() => workerPids(svc.child.pid!).length === 2, 60_000);
  }, 180_000);
  afterAll(async () => { await svc?.stop(); });

  /** The processes that logged serving an OCSP request since `from` (a length of `svc.logs` joined). */
  const ocspServedBy = (from: number): Set<number> => new Set(svc.logs.join('').slice(from).split('\n')
    .filter((l) => l.includes('"url":"/pki/ocsp"'))
    .map((l) => (JSON.parse(l) as { pid: number }).pid));
  const logLength = () => svc.logs.join('').length;
  /** The request logs arrive through a pipe (after the synchronous openssl runs): wait for them. */
  const servedByEveryWorker = async (from: number) => {
    const workers = new Set(workerPids(svc.child.pid!));
    await eventually(() => ocspServedBy(from).size >= workers.size, 5_000).catch(() => {});
    expect(ocspServedBy(from)).toEqual(workers);
  };

  it('both workers answer OCSP from their caches, and a revocation reaches both', async () => {
    const cas = (await (await fetch(`${svc.url}/pki/cas`)).json()).cas as { id: string; certificatePem: string }[];
    const issuer = write(dir, 'issuer.pem', cas.find((c) => c.id === 'ecdsa-issuing-1')!.certificatePem);
    const { csrPem } = opensslCsr(dir, 'w', '/CN=Worker Test');
    const res = await svc.op('/pki/certificates', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csr: csrPem, profile: 'person' }) });
    expect(res.status).toBe(201);
    const cert = await res.json();
    const leaf = write(dir, 'leaf.pem', cert.certificatePem);
    // Each openssl run is a new connection; the cluster hands connections to the workers in turn.
    const statuses = () => Array.from({ length: 8 }, () =>
      runOk('openssl', ['ocsp', '-issuer', issuer, '-cert', leaf, '-no_nonce', '-url', `${svc.url}/pki/ocsp`, '-noverify']).split('\n')[0]!.split(': ')[1]!.trim());
    let from = logLength();
    expect(new Set(statuses())).toEqual(new Set(['good']));
    await servedByEveryWorker(from);
    const revoked = await svc.op(`/pki/certificates/${cert.serial}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'keyCompromise' }) });
    expect(revoked.status).toBe(200);
    await eventually(() => {
      from = logLength();
      return statuses().every((s) => s === 'revoked');
    }, 10_000);
    await servedByEveryWorker(from);
  });

  it('the primary\'s metrics listener sums both workers\' metrics', async () => {
    let url: string | undefined;
    await eventually(() => (url = /"url":"(http:[^"]+\/metrics)","msg":"metrics listener ready"/.exec(svc.logs.join(''))?.[1]) !== undefined, 10_000);
    const ocspAnswers = (text: string) => Number(/kexin_http_request_duration_seconds_count\{method="POST",route="\/pki\/ocsp",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
    const servedBy = (pid: number) => svc.logs.join('').split('\n').filter((l) => l.includes('"url":"/pki/ocsp"') && l.includes(`"pid":${pid},`)).length;
    const workers = workerPids(svc.child.pid!);
    const text = await (await fetch(url!)).text();
    // The test above made both workers answer OCSP; the primary's figure is their sum (logs arrive through a pipe: wait for them).
    await eventually(() => workers.map(servedBy).reduce((a, b) => a + b, 0) === ocspAnswers(text), 5_000).catch(() => {});
    expect(Math.min(...workers.map(servedBy))).toBeGreaterThan(0);
    expect(ocspAnswers(text)).toBe(workers.map(servedBy).reduce((a, b) => a + b, 0));
  });

  it('replaces a worker that dies, and stops every worker on SIGTERM', async () => {
    const [victim, survivor] = workerPids(svc.child.pid!);
    process.kill(victim!, 'SIGKILL');
    await eventually(() => { const now = workerPids(svc.child.pid!); return now.length === 2 && !now.includes(victim!) && now.includes(survivor!); }, 60_000)
      .catch((err: Error) => { throw new Error(`${err.message}; workers ${workerPids(svc.child.pid!).join(',')}, was ${victim},${survivor}\n${svc.logs.join('').slice(-3000)}`); });
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const workers = workerPids(svc.child.pid!);
    await svc.stop();
    expect(svc.child.exitCode).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);
});
