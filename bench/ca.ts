/**
 * CA figures over HTTP against a real spawned service: certificates issued per second (CSR → stored
 * certificate), cached OCSP responses per second (autocannon), TSA tokens per second — each printed
 * next to the raw crypto.sign ECDSA P-256 rate measured in the same run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { spawnService } from '../test/support/spawnService.ts';
import { dropDatabase, freshDatabaseUrl, tempDir } from '../test/support/database.ts';
import { opensslCsr, runOk, write } from '../test/support/tools.ts';
import { clientAccessToken } from './clientToken.ts';
import { cryptoSignP256Rate, report } from './reference.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

async function cannon(opts: autocannon.Options): Promise<{ rps: number; errors: number; p50: number; p99: number }> {
  const r = await autocannon({ duration: SECONDS, connections: 32, pipelining: 1, ...opts });
  const errors = r.errors + r.non2xx;
  // An error in a benchmark is a finding: say what it was.
  if (errors) process.stderr.write(`  ${opts.url}: ${r.errors} connection errors, ${r.timeouts} timeouts, status codes ${JSON.stringify(r.statusCodeStats)}\n`);
  return { rps: r.requests.average, errors, p50: r.latency.p50, p99: r.latency.p99 };
}

export async function main(): Promise<void> {
  const dir = tempDir('kexin-bench-');
  // With DATABASE_URL, a fresh database of its own on that server (a CA's rows belong with its keys).
  const databaseUrl = await freshDatabaseUrl();
  // KEXIN_WORKERS=2 (with DATABASE_URL) measures the cluster.
  const workers = process.env.KEXIN_WORKERS;
  const svc = await spawnService({ env: { LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...(workers ? { KEXIN_WORKERS: workers } : {}) } });
  try {
    const reference = cryptoSignP256Rate();
    report('reference: crypto.sign ECDSA P-256 (1 core)', reference, 'sig/s');

    // The HTTP floor of this service on this machine right now: a route that does nothing.
    const floor = await cannon({ url: `${svc.url}/healthz` });
    report('reference: GET /healthz (HTTP floor)', floor.rps, 'req/s', { p50ms: floor.p50, p99ms: floor.p99 });

    const cas = (await (await fetch(`${svc.url}/pki/cas`)).json()).cas as { id: string; role: string; algorithm: string; certificatePem: string }[];
    const issuing = cas.find((c) => c.role === 'issuing' && c.algorithm.startsWith('ECDSA'))!;
    const { csrPem } = opensslCsr(dir, 'bench', '/CN=Bench');
    const issueBody = JSON.stringify({ csr: csrPem, profile: 'person', caId: issuing.id });
    // As an enrolment system would: a client holding ca:issue:person (not the audited break-glass token).
    const issuer = await clientAccessToken(svc, 'ca:issue:person');
    const issuance = await cannon({
      url: `${svc.url}/pki/certificates`, method: 'POST', connections: 8,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer}` },
      body: issueBody,
    });
    report('certificate issuance (HTTP, CSR → stored)', issuance.rps, 'cert/s', { p50ms: issuance.p50, p99ms: issuance.p99, errors: issuance.errors, target: 300, db: process.env.DATABASE_URL ? 'postgres' : 'pglite', workers: workers ?? '1' });

    // One issued certificate to ask OCSP about; the nonce-less GET is the RFC 5019 cached hot path.
    const leaf = await (await svc.op('/pki/certificates', { method: 'POST', headers: { 'content-type': 'application/json' }, body: issueBody })).json();
    const leafPem = write(dir, 'leaf.pem', leaf.certificatePem);
    const issuerPem = write(dir, 'issuer.pem', issuing.certificatePem);
    const reqFile = join(dir, 'req.der');
    runOk('openssl', ['ocsp', '-issuer', issuerPem, '-cert', leafPem, '-no_nonce', '-reqout', reqFile]);
    const ocspPath = `/pki/ocsp/${encodeURIComponent(readFileSync(reqFile).toString('base64'))}`;
    await fetch(svc.url + ocspPath); // warm the cache
    const ocsp = await cannon({ url: svc.url + ocspPath });
    report('OCSP cached responses (HTTP GET)', ocsp.rps, 'resp/s', { p50ms: ocsp.p50, p99ms: ocsp.p99, errors: ocsp.errors, target: 5000 });

    const data = write(dir, 'doc.bin', 'bench document');
    const q = join(dir, 'q.tsq');
    runOk('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', q]);
    const tsa = await cannon({ url: `${svc.url}/pki/tsa`, method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: readFileSync(q), connections: 16 });
    report('TSA tokens (HTTP POST, SHA-256, certReq)', tsa.rps, 'token/s', { p50ms: tsa.p50, p99ms: tsa.p99, errors: tsa.errors, target: 1000 });
    report('reference again (noise check)', cryptoSignP256Rate(), 'sig/s');
  } finally {
    await svc.stop();
    if (databaseUrl) await dropDatabase(databaseUrl);
  }
}


