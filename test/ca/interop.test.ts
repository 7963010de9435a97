/**
 * The running service against tools nobody here wrote: OpenSSL (verify, ocsp, crl, ts) and GnuTLS
 * (certtool). Runs on the embedded database, and on the real PostgreSQL when DATABASE_URL is set.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseUrl, spawnService, type SpawnedService } from '../support/spawnService.ts';
import { tempDir } from '../support/database.ts';
import { hasTool, opensslCsr, run, runOk, write } from '../support/tools.ts';

const tools = hasTool('openssl') && hasTool('certtool');
if (!tools) console.warn('SKIPPED CA interop tests: openssl and gnutls-bin (certtool) are required (apt-get install openssl gnutls-bin)');

describe.skipIf(!tools)('CA interop with OpenSSL and GnuTLS', () => {
  let svc: SpawnedService;
  let dir: string;
  let cas: { id: string; algorithm: string; role: string; certificatePem: string; chainPem: string }[];
  const pem = (id: string) => cas.find((c) => c.id === id)!;

  beforeAll(async () => {
    dir = tempDir('kexin-interop-');
    const url = await freshDatabaseUrl();
    svc = await spawnService(url ? { env: { DATABASE_URL: url } } : {});
    cas = (await (await fetch(`${svc.url}/pki/cas`)).json()).cas;
  }, 180_000);
  afterAll(async () => { await svc?.stop(); });

  const issue = async (csrPem: string, profile: string, caId?: string) => {
    const res = await svc.op('/pki/certificates', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csr: csrPem, profile, ...(caId ? { caId } : {}) }) });
    const body = await res.json();
    if (res.status !== 201) throw new Error(`issue failed ${res.status}: ${JSON.stringify(body)}`);
    return body as { serial: string; certificatePem: string; chainPem: string };
  };

  it('publishes an ECDSA and an SM2 hierarchy', () => {
    const roots = cas.filter((c) => c.role === 'root').map((c) => c.algorithm.split('-')[0]);
    const issuing = cas.filter((c) => c.role === 'issuing').map((c) => c.algorithm.split('-')[0]);
    expect(roots).toEqual(expect.arrayContaining(['ECDSA', 'SM2']));
    expect(issuing).toEqual(expect.arrayContaining(['ECDSA', 'SM2']));
    for (const c of cas) expect(c.chainPem.startsWith(c.certificatePem)).toBe(true);
  });

  it('issues an ECDSA certificate that openssl verify and certtool --verify accept', async () => {
    const { csrPem } = opensslCsr(dir, 'alice', '/C=CN/CN=Alice Zhang');
    const cert = await issue(csrPem, 'person');
    const root = cas.find((c) => c.role === 'root' && c.algorithm.startsWith('ECDSA'))!;
    const rootPem = write(dir, 'ecdsa-root.pem', root.certificatePem);
    const chain = write(dir, 'alice-chain.pem', cert.chainPem);
    const leaf = write(dir, 'alice.pem', cert.certificatePem);
    expect(runOk('openssl', ['verify', '-CAfile', rootPem, '-untrusted', chain, leaf])).toContain('OK');
    const full = write(dir, 'alice-full.pem', cert.certificatePem + cert.chainPem.split(/(?=-----BEGIN)/).filter((p) => p !== root.certificatePem).join(''));
    const gnutls = run('certtool', ['--verify', '--load-ca-certificate', rootPem, '--infile', full]);
    expect(gnutls.out).toMatch(/Chain verification output: Verified/);
    expect(gnutls.status).toBe(0);
  });

  it('issues an SM2 certificate that openssl verifies with the SM2 distinguishing ID', async () => {
    const { csrPem } = opensslCsr(dir, 'bob', '/CN=Bob Li', 'SM2');
    const cert = await issue(csrPem, 'person');
    const root = cas.find((c) => c.role === 'root' && c.algorithm === 'SM2')!;
    const rootPem = write(dir, 'sm2-root.pem', root.certificatePem);
    const leaf = write(dir, 'bob.pem', cert.certificatePem);
    // OpenSSL 3.0 applies -vfyopt distid only to the certificate being verified and checks CA
    // certificates from -untrusted with an empty SM2 ID, so each link is verified with its issuer as anchor.
    const issuingPem = write(dir, 'sm2-issuing.pem', cert.chainPem.split(/(?=-----BEGIN)/)[0]!);
    expect(runOk('openssl', ['verify', '-x509_strict', '-vfyopt', 'distid:1234567812345678', '-CAfile', rootPem, issuingPem])).toContain('OK');
    expect(runOk('openssl', ['verify', '-x509_strict', '-vfyopt', 'distid:1234567812345678', '-partial_chain', '-CAfile', issuingPem, leaf])).toContain('OK');
    expect(cert.chainPem.split(/(?=-----BEGIN)/).at(-1)).toBe(root.certificatePem);
    expect(runOk('openssl', ['x509', '-in', leaf, '-noout', '-text'])).toMatch(/SM2-with-SM3|sm2sign-with-sm3/i);
  });

  it('answers OCSP good then revoked, through openssl ocsp over HTTP', async () => {
    const { csrPem } = opensslCsr(dir, 'carol', '/CN=Carol Wang');
    const cert = await issue(csrPem, 'person');
    const issuing = cas.find((c) => c.role === 'issuing' && c.algorithm.startsWith('ECDSA'))!;
    const root = cas.find((c) => c.role === 'root' && c.algorithm.startsWith('ECDSA'))!;
    const issuerPem = write(dir, 'ecdsa-issuing.pem', issuing.certificatePem);
    const rootPem = write(dir, 'ecdsa-root2.pem', root.certificatePem);
    const leaf = write(dir, 'carol.pem', cert.certificatePem);
    const ask = () => run('openssl', ['ocsp', '-issuer', issuerPem, '-cert', leaf, '-url', `${svc.url}/pki/ocsp`, '-CAfile', rootPem, '-verify_other', issuerPem]);
    const good = ask();
    expect(good.out).toMatch(/Response verify OK/);
    expect(good.out).toMatch(/carol\.pem: good/);

    const rev = await svc.op(`/pki/certificates/${cert.serial}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'keyCompromise' }) });
    expect(rev.status).toBe(200);
    const revoked = ask();
    expect(revoked.out).toMatch(/Response verify OK/);
    expect(revoked.out).toMatch(/carol\.pem: revoked/);
    expect(revoked.out).toMatch(/Reason: keyCompromise/);

    // GET form (RFC 6960 A.1), nonce-less: cacheable headers.
    const reqDer = join(dir, 'carol.ocspreq');
    runOk('openssl', ['ocsp', '-issuer', issuerPem, '-cert', leaf, '-no_nonce', '-reqout', reqDer]);
    const b64 = readFileSync(reqDer).toString('base64');
    const res = await fetch(`${svc.url}/pki/ocsp/${encodeURIComponent(b64)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/ocsp-response');
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    const body = new Uint8Array(await res.arrayBuffer());
    // Pre-signed (RFC 5019): asked again, the same bytes under the same ETag, not a fresh signature.
    const again = await fetch(`${svc.url}/pki/ocsp/${encodeURIComponent(b64)}`);
    expect(again.headers.get('etag')).toBe(etag);
    expect(Buffer.from(await again.arrayBuffer()).equals(Buffer.from(body))).toBe(true);
    const respFile = write(dir, 'carol.ocspresp', body);
    const offline = run('openssl', ['ocsp', '-respin', respFile, '-issuer', issuerPem, '-cert', leaf, '-CAfile', rootPem, '-verify_other', issuerPem, '-no_nonce']);
    expect(offline.out).toMatch(/Response verify OK/);
    expect(offline.out).toMatch(/revoked/);
  });

  it('publishes CRLs that openssl verifies, with the revoked serial and a growing CRL number', async () => {
    const issuing = cas.find((c) => c.role === 'issuing' && c.algorithm.startsWith('ECDSA'))!;
    const chainPem = write(dir, 'crl-chain.pem', issuing.chainPem);
    const fetchCrl = async () => {
      const res = await fetch(`${svc.url}/pki/cas/${issuing.id}/crl`);
      expect(res.headers.get('content-type')).toBe('application/pkix-crl');
      const f = write(dir, `crl-${Date.now()}.der`, new Uint8Array(await res.arrayBuffer()));
      const text = runOk('openssl', ['crl', '-inform', 'DER', '-in', f, '-CAfile', chainPem, '-noout', '-text']);
      return { text, number: BigInt(`0x${/X509v3 CRL Number:\s*\n\s*(?:0x)?([0-9A-Fa-f]+)/.exec(text)?.[1] ?? '0'}`), verified: run('openssl', ['crl', '-inform', 'DER', '-in', f, '-CAfile', chainPem, '-noout']).out };
    };
    const before = await fetchCrl();
    expect(before.verified).toMatch(/verify OK/);
    const { csrPem } = opensslCsr(dir, 'dave', '/CN=Dave Chen');
    const cert = await issue(csrPem, 'person');
    await svc.op(`/pki/certificates/${cert.serial}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'certificateHold' }) });
    const after = await fetchCrl();
    expect(after.verified).toMatch(/verify OK/);
    expect(after.number).toBeGreaterThan(before.number);
    expect(after.text.replaceAll(':', '').toLowerCase()).toContain(cert.serial.replace(/^0+/, ''));
    expect(after.text).toMatch(/Certificate Hold/);
    // Release the hold: the serial leaves the next CRL.
    const rel = await svc.op(`/pki/certificates/${cert.serial}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'removeFromCRL' }) });
    expect((await rel.json()).status).toBe('valid');
    const released = await fetchCrl();
    expect(released.number).toBeGreaterThan(after.number);
    expect(released.text.replaceAll(':', '').toLowerCase()).not.toContain(cert.serial.replace(/^0+/, ''));
  });

  it('time-stamps with SHA-256, SHA-384 and SHA-512, verified by openssl ts', async () => {
    const data = write(dir, 'archive.txt', 'pension record 2026 养老待遇资格认证');
    const tsaChain = await (await fetch(`${svc.url}/pki/tsa/certificate`)).text();
    const blocks = tsaChain.split(/(?=-----BEGIN)/);
    const rootPem = write(dir, 'tsa-root.pem', blocks.at(-1)!);
    const untrusted = write(dir, 'tsa-untrusted.pem', blocks.slice(0, -1).join(''));
    for (const alg of ['-sha256', '-sha384', '-sha512']) {
      const q = join(dir, `q${alg}.tsq`);
      runOk('openssl', ['ts', '-query', '-data', data, alg, '-cert', '-out', q]);
      const res = await fetch(`${svc.url}/pki/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: readFileSync(q) });
      expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
      const r = write(dir, `r${alg}.tsr`, new Uint8Array(await res.arrayBuffer()));
      expect(runOk('openssl', ['ts', '-verify', '-data', data, '-in', r, '-CAfile', rootPem, '-untrusted', untrusted])).toContain('Verification: OK');
    }
  });

  it('rejects bad requests with problem+json and writes nothing', async () => {
    const countBefore = (await (await svc.op('/audit/verify')).json()).rows;
    const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      svc.op('/pki/certificates', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const cases: [Promise<Response>, number, string][] = [
      [post({ csr: 'not a csr', profile: 'person' }), 400, 'ca-csr-malformed'],
      [post({ csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n', profile: 'person' }), 400, 'ca-csr-malformed'],
      [post({ csr: opensslCsr(dir, 'eve', '/CN=Eve').csrPem, profile: 'no-such-profile' }), 400, 'ca-profile-unknown'],
      [post({ csr: 'x', profile: 'person', extra: 1 }), 400, 'request-invalid'],
      [post('{', { 'content-type': 'application/json' }), 400, 'request-invalid'],
      [post({ csr: 'x'.repeat(300_000), profile: 'person' }), 413, 'request-too-large'],
      [post('csr=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported-media-type'],
      [fetch(`${svc.url}/pki/certificates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 401, 'auth-required'],
      [fetch(`${svc.url}/pki/certificates`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token-wrong-token' }, body: '{}' }), 401, 'auth-invalid'],
    ];
    for (const [p, status, type] of cases) {
      const res = await p;
      expect(res.status, await res.clone().text()).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await res.json()).type).toBe(`urn:kexin:problem:${type}`);
    }
    // Malformed OCSP → an OCSP malformedRequest response, not an HTTP error.
    const ocsp = await fetch(`${svc.url}/pki/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: Buffer.from('garbage') });
    expect(ocsp.status).toBe(200);
    expect(Buffer.from(await ocsp.arrayBuffer()).toString('hex')).toBe('30030a0101');
    // Malformed TSA query → a TSA rejection.
    const tsa = await fetch(`${svc.url}/pki/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: Buffer.from('garbage') });
    expect(tsa.status).toBe(200);
    const tsr = write(dir, 'bad.tsr', new Uint8Array(await tsa.arrayBuffer()));
    expect(runOk('openssl', ['ts', '-reply', '-in', tsr, '-text'])).toMatch(/Status: Rejected/);
    const countAfter = (await (await svc.op('/audit/verify')).json()).rows;
    // The only rows written: one break-glass use per operator-token request (7 refused + this verify).
    expect(countAfter).toBe(countBefore + 8);
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
  });
});
