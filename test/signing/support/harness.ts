/**
 * A CA (ECDSA and SM2 hierarchies, TSA) on a fresh test database with the memory key store, and the
 * signing module's service keys: what the seal tests build on. One per test file.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCaService, type RunningCaService } from '../../../src/ca/caService.ts';
import { initialiseHierarchy } from '../../../src/ca/hierarchy.ts';
import { fixedClock } from '../../../src/clock.ts';
import { createMemoryKeyStore } from '../../support/memoryKeyStore.ts';
import type { KeyStore } from '../../../src/crypto/keyStore.ts';
import { createLogger } from '../../../src/logger.ts';
import { ensureServiceKeys, type SigningServiceKey, type ServiceKeyPurpose } from '../../../src/signing/serviceKeys.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

export const MAKER = { name: '某某市人力资源和社会保障局', creditCode: '111100000000133772' };
export const OWNER = { name: '某某市社会保险事业管理中心', creditCode: '12440300MB2C12345Y' };

export interface CaHarness {
  readonly db: TestDatabase;
  readonly keyStore: KeyStore;
  readonly ca: RunningCaService;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly serviceKeys: Partial<Record<ServiceKeyPurpose, SigningServiceKey>>;
  close(): Promise<void>;
}

/**
 * `start`: the frozen clock's start (default: an hour ago, so external tools accept the certificates).
 * The CA's CRL, certificate and OCSP URLs are served on a loopback port for the life of the harness, so
 * external verifiers (pdfsig/NSS) that follow CDP/AIA get real answers.
 */
export async function startCaHarness(start = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000)): Promise<CaHarness> {
  let caRef: RunningCaService | undefined;
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      void (async () => {
        const ca = caRef;
        const m = /^\/pki\/cas\/([a-z0-9-]+)\/(crl|cert)$/.exec(req.url ?? '');
        if (ca && m) {
          const der = m[2] === 'crl' ? await ca.crlDer(m[1]!) : await ca.caCertificateDer(m[1]!);
          res.writeHead(200, { 'content-type': m[2] === 'crl' ? 'application/pkix-crl' : 'application/pkix-cert' }).end(Buffer.from(der));
        } else if (ca && req.url?.startsWith('/pki/ocsp')) {
          const der = req.method === 'POST' ? Buffer.concat(body) : Buffer.from(decodeURIComponent(req.url.slice('/pki/ocsp/'.length)), 'base64');
          res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(Buffer.from((await ca.ocsp(der)).der));
        } else res.writeHead(404).end();
      })().catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const db = await createTestDatabase();
  const keyStore = createMemoryKeyStore();
  const clock = fixedClock(start);
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const deps = { pool: db.pool, keyStore, clock, logger, publicUrl };
  await initialiseHierarchy(deps);
  const ca = await createCaService(deps);
  caRef = ca;
  await ca.refreshCrls();
  const serviceKeys = await ensureServiceKeys({ pool: db.pool, keyStore, ca, clock, logger, maker: MAKER });
  return {
    db, keyStore, ca, clock, serviceKeys,
    async close() {
      server.close();
      await ca.close();
      await db.close();
    },
  };
}

/** The signing service on a CA harness (one per test file). */
export async function startSigningHarness(start?: Date) {
  const { createSigningService } = await import('../../../src/signing/signingService.ts');
  const h = await startCaHarness(start);
  const signing = await createSigningService({
    pool: h.db.pool, keyStore: h.keyStore, ca: h.ca, clock: h.clock, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    publicUrl: 'https://kexin.example.gov.cn', maker: MAKER, regionCode: '440300',
  });
  return { ...h, signing };
}
