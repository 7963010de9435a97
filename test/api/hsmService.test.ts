/**
 * The whole service on an HSM: KEXIN_KEY_BACKEND=pkcs11 against a SoftHSM2 token. Every CA key is
 * generated in the token; the SM2 hierarchy is skipped because PKCS#11 has no SM2 mechanism.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/database.ts';
import { softHsmSkipReason, initSoftHsmToken } from '../support/softhsm.ts';
import { freshDatabaseUrl, spawnService, type SpawnedService } from '../support/spawnService.ts';
import { hasTool, opensslCsr, runOk, write } from '../support/tools.ts';

const skip = softHsmSkipReason() ?? (hasTool('openssl') ? undefined : 'openssl not found');
if (skip) console.warn(`SKIPPED service-on-HSM test: ${skip}`);

describe.skipIf(skip !== undefined)('service with keys in a PKCS#11 token (SoftHSM2)', () => {
  let svc: SpawnedService;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('kexin-hsm-');
    const token = initSoftHsmToken(join(dir, 'hsm'));
    const url = await freshDatabaseUrl();
    svc = await spawnService({
      env: {
        KEXIN_KEY_BACKEND: 'pkcs11', KEXIN_PKCS11_LIBRARY: token.library, KEXIN_PKCS11_TOKEN: token.tokenLabel, KEXIN_PKCS11_PIN: token.pin,
        SOFTHSM2_CONF: token.conf, ...(url ? { DATABASE_URL: url } : {}),
      },
    });
  }, 180_000);
  afterAll(async () => { await svc?.stop(); });

  it('builds the ECDSA hierarchy in the token, skips SM2 loudly, and issues certificates openssl accepts', async () => {
    const cas = (await (await fetch(`${svc.url}/pki/cas`)).json()).cas as { id: string; certificatePem: string; role: string }[];
    expect(cas.map((c) => c.id).sort()).toEqual(['ecdsa-issuing-1', 'ecdsa-root']);
    expect(svc.logs.join('')).toMatch(/cannot create SM2 keys: no SM2 hierarchy/);
    expect(svc.logs.join('')).toMatch(/"keys":"pkcs11"/);

    const { csrPem } = opensslCsr(dir, 'hsm-leaf', '/CN=HSM Person');
    const res = await svc.op('/pki/certificates', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csr: csrPem, profile: 'person' }) });
    expect(res.status).toBe(201);
    const cert = await res.json();
    const root = write(dir, 'root.pem', cas.find((c) => c.role === 'root')!.certificatePem);
    const chain = write(dir, 'chain.pem', cert.chainPem);
    const leaf = write(dir, 'leaf.pem', cert.certificatePem);
    expect(runOk('openssl', ['verify', '-x509_strict', '-CAfile', root, '-untrusted', chain, leaf])).toContain('OK');
    // No private key material on disk: the data dir holds no key files.
    expect(runOk('sh', ['-c', `find ${svc.dataDir} -name '*.p8' | wc -l`]).trim()).toBe('0');
  });
});
