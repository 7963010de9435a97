/**
 * The `kexin` command against a running service that holds the embedded database (it must go over
 * HTTP, not fail on the lock), the external-root ceremony with OpenSSL as the qualified root, and the
 * local path once the service has stopped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/database.ts';
import { freshDatabaseUrl, ROOT, spawnService, type SpawnedService } from '../support/spawnService.ts';
import { hasTool, opensslCsr, runOk, write } from '../support/tools.ts';

/** Real face photos for evaluation (not in the repository: ../shared/facedata). */
const FACES = join(ROOT, '..', 'shared', 'facedata', 'verify');

describe.skipIf(!hasTool('openssl'))('kexin CLI', () => {
  let svc: SpawnedService;
  let dir: string;
  const kexin = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['bin/kexin.js', ...args], { cwd: ROOT, env: svc.env, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };

  beforeAll(async () => {
    dir = tempDir('kexin-cli-');
    const url = await freshDatabaseUrl();
    svc = await spawnService(url ? { env: { DATABASE_URL: url } } : {});
  }, 180_000);
  afterAll(async () => { await svc?.stop(); });

  it('lists, issues, revokes and verifies the audit chain through the running service', () => {
    const list = kexin('ca', 'list');
    expect(list.status, list.err).toBe(0);
    expect(JSON.parse(list.out).cas.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(['ecdsa-root', 'ecdsa-issuing-1', 'sm2-root', 'sm2-issuing-1']));

    const { csr } = opensslCsr(dir, 'cli', '/CN=CLI Person');
    const issued = kexin('ca', 'issue', '--csr', csr, '--profile', 'person');
    expect(issued.status, issued.err).toBe(0);
    const { serial } = JSON.parse(issued.out);
    expect(serial).toMatch(/^[0-9a-f]{40}$/);

    const revoked = kexin('ca', 'revoke', serial, '--reason', 'keyCompromise');
    expect(revoked.status, revoked.err).toBe(0);
    expect(JSON.parse(revoked.out).status).toBe('revoked');

    const again = kexin('ca', 'revoke', serial, '--reason', 'keyCompromise');
    expect(again.status).toBe(1);
    expect(again.err).toContain('CA_CERTIFICATE_ALREADY_REVOKED');

    const audit = kexin('audit', 'verify');
    expect(audit.status, audit.err).toBe(0);
    expect(audit.out).toMatch(/audit chain intact: \d+ rows/);
  }, 180_000); // six CLI processes, each a cold Node start: seconds apiece on a loaded 2-core machine

  it('runs the external-root ceremony with OpenSSL as the qualified root, then issues under it', () => {
    // The "qualified CA": an OpenSSL root Kexin does not control.
    const rootKey = join(dir, 'qroot.key');
    const rootPem = join(dir, 'qroot.pem');
    runOk('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', rootKey, '-out', rootPem, '-days', '3650', '-subj', '/C=CN/O=Qualified CA (test)/CN=Qualified Root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);

    const req = kexin('ca', 'request', '--id', 'ext-ecdsa', '--name', 'Kexin Issuing CA under Qualified Root', '--algorithm', 'ECDSA-P256');
    expect(req.status, req.err).toBe(0);
    expect(req.out).toContain('BEGIN CERTIFICATE REQUEST');
    const csrFile = write(dir, 'ext.csr', req.out);
    const ext = write(dir, 'ext.cnf', 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    const certFile = join(dir, 'ext.pem');
    runOk('openssl', ['x509', '-req', '-in', csrFile, '-CA', rootPem, '-CAkey', rootKey, '-CAcreateserial', '-days', '1825', '-extfile', ext, '-out', certFile]);

    // Before the import, the pending CA cannot issue.
    const { csr } = opensslCsr(dir, 'ext-leaf', '/CN=Under Qualified Root');
    const early = kexin('ca', 'issue', '--csr', csr, '--profile', 'person', '--ca', 'ext-ecdsa');
    expect(early.status).toBe(1);
    expect(early.err).toContain('CA_NOT_ISSUING');

    // A certificate that does not chain to the root it is imported with is refused.
    const otherRoot = join(dir, 'other-root.pem');
    runOk('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'o.key'), '-out', otherRoot, '-days', '1', '-subj', '/CN=Other Root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const refused = kexin('ca', 'import', '--id', 'ext-ecdsa', '--cert', certFile, '--chain', otherRoot);
    expect(refused.status).toBe(1);
    expect(refused.err).toContain('CA_IMPORT_REJECTED');
    const imported = kexin('ca', 'import', '--id', 'ext-ecdsa', '--cert', certFile, '--chain', rootPem);
    expect(imported.status, imported.err).toBe(0);
    expect(JSON.parse(imported.out)).toMatchObject({ id: 'ext-ecdsa', state: 'active', role: 'issuing' });

    const leaf = kexin('ca', 'issue', '--csr', csr, '--profile', 'person', '--ca', 'ext-ecdsa');
    expect(leaf.status, leaf.err).toBe(0);
    const issued = JSON.parse(leaf.out);
    const leafFile = write(dir, 'ext-leaf.pem', issued.certificatePem);
    const chainFile = write(dir, 'ext-chain.pem', issued.chainPem);
    expect(runOk('openssl', ['verify', '-x509_strict', '-CAfile', rootPem, '-untrusted', chainFile, leafFile])).toContain('OK');
    // The running service answers OCSP for the new CA at once, even when the import ran in this CLI
    // process on a shared PostgreSQL (its NOTIFY made the service load the new responder).
    const ocsp = runOk('openssl', ['ocsp', '-issuer', certFile, '-cert', leafFile, '-url', `${svc.url}/pki/ocsp`, '-CAfile', rootPem, '-verify_other', chainFile]);
    expect(ocsp).toContain(`${leafFile}: good`);
    expect(ocsp).toContain('Response verify OK');
  }, 180_000);

  it('serve converted the face models on first start; models build finds them up to date', () => {
    const build = kexin('models', 'build');
    expect(build.status, build.err).toBe(0);
    expect(build.out).toMatch(/built 0, up to date [1-9]\d*/);
    expect(build.out).toMatch(/face-detector|facemesh/);
  });

  // A user's clone without ../shared skips (saying why); CI must have the photos, so there it fails instead.
  it.skipIf(!existsSync(FACES) && !process.env.CI)('face compare goes through the running service and prints exactly what /face/verify answers', async () => {
    if (!existsSync(FACES)) throw new Error(`CI is set but ${FACES} is absent: face compare was not tested`);
    const person = readdirSync(FACES).filter((d) => !d.includes('.')).sort()[0]!;
    const photo = join(FACES, person, readdirSync(join(FACES, person)).sort()[0]!);
    const res = kexin('face', 'compare', photo, photo);
    expect(res.status, res.err).toBe(0);
    const printed = JSON.parse(res.out);
    // A photo against itself: one embedding twice, a certain match.
    expect(printed.match).toBe(true);
    expect(printed.score).toBeGreaterThan(0.99);
    expect(printed.reasons).toEqual([]);
    // The CLI adds and drops nothing: the service answers the same pair with the same document.
    const image = readFileSync(photo).toString('base64');
    const direct = await svc.op('/face/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ probe: image, reference: image }) });
    expect(direct.status).toBe(200);
    expect(printed).toEqual(await direct.json());
  });

  it('manages system clients, and rotates then disables the break-glass token, through the running service', async () => {
    const created = kexin('clients', 'create', '--name', 'CLI kiosk', '--class', 'kiosk', '--scope', 'face:session');
    expect(created.status, created.err).toBe(0);
    const client = JSON.parse(created.out);
    expect(client).toMatchObject({ client_name: 'CLI kiosk', kexin_client_class: 'kiosk', scope: 'face:session', client_secret: expect.stringMatching(/^kxs_/) });
    expect(client.kexin_client_class_label).toContain('自助终端');
    expect(JSON.parse(kexin('clients', 'list').out).clients.map((c: { client_id: string }) => c.client_id)).toContain(client.client_id);
    const refused = kexin('clients', 'create', '--name', 'Greedy', '--class', 'bank', '--scope', 'ca:issue:ocsp');
    expect(refused.status).toBe(1);
    expect(refused.err).toContain('CLIENT_SCOPE_NOT_GRANTABLE');

    expect((await svc.op('/audit/verify')).status).toBe(200);
    const rotated = kexin('operator', 'rotate');
    expect(rotated.status, rotated.err).toBe(0);
    const token = rotated.out.trim();
    expect(token).toMatch(/^kx_/);
    expect((await svc.op('/audit/verify')).status).toBe(401);
    const withNew = () => fetch(`${svc.url}/audit/verify`, { headers: { authorization: `Bearer ${token}` } });
    expect((await withNew()).status).toBe(200);

    const disabled = kexin('operator', 'disable');
    expect(disabled.status, disabled.err).toBe(0);
    expect((await withNew()).status).toBe(401);
    // The local CLI (its process token in the data dir) keeps working.
    expect(kexin('clients', 'delete', client.client_id).status).toBe(0);
    expect(kexin('audit', 'verify').status).toBe(0);
  });

  it('works locally on the data dir once the service has stopped', async () => {
    await svc.stop();
    const audit = kexin('audit', 'verify');
    expect(audit.status, audit.err).toBe(0);
    expect(audit.out).toMatch(/audit chain intact/);
    const rotated = kexin('operator', 'rotate');
    expect(rotated.status, rotated.err).toBe(0);
    expect(rotated.out.trim()).toMatch(/^kx_/);
  });
});
