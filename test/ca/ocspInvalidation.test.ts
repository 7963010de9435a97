/**
 * Two Kexin processes on one PostgreSQL: a revocation committed by one must reach the other's
 * pre-signed OCSP cache (LISTEN/NOTIFY), also after the notification connection was cut.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaService, type RunningCaService } from '../../src/ca/caService.ts';
import { initialiseHierarchy } from '../../src/ca/hierarchy.ts';
import { systemClock } from '../../src/clock.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { listen } from '../../src/db/notifications.ts';
import { createLogger } from '../../src/logger.ts';
import { eventually } from '../support/eventually.ts';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/database.ts';
import { opensslCsr, runOk, write } from '../support/tools.ts';

const REAL_PG = !!process.env.DATABASE_URL;

describe.skipIf(!REAL_PG)('OCSP caches across processes sharing PostgreSQL (runs only with DATABASE_URL: the embedded database has one process)', () => {
  let db: TestDatabase;
  let poolB: pg.Pool;
  let a: RunningCaService;
  let b: RunningCaService;
  const dir = tempDir('ocsp-x-');
  const logger = createLogger('silent');

  beforeAll(async () => {
    db = await createTestDatabase();
    poolB = new pg.Pool({ connectionString: db.url });
    const keyStore = createMemoryKeyStore(); // the processes share key files in real life
    const common = { keyStore, clock: systemClock, logger, publicUrl: 'http://127.0.0.1:8080' };
    const subscribe = (channel: string, handlers: Parameters<typeof listen>[2]) => listen(db.url!, channel, handlers, logger);
    await initialiseHierarchy({ ...common, pool: db.pool });
    a = await createCaService({ ...common, pool: db.pool, subscribe });
    b = await createCaService({ ...common, pool: poolB, subscribe });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await poolB?.end();
    await db?.close();
  });

  const issuerPem = async () => (await a.listCas()).find((c) => c.id === 'ecdsa-issuing-1')!.certificatePem!;

  /** Issues through `a`; returns what `openssl ocsp` needs to ask about it (no nonce: the cached path). */
  async function issued(name: string) {
    const { csrPem } = opensslCsr(dir, name, `/CN=${name}`);
    const cert = await a.issue({ csr: csrPem, profile: 'person', caId: 'ecdsa-issuing-1' }, 'test');
    const leaf = write(dir, `${name}.pem`, cert.certificatePem);
    const issuer = write(dir, 'issuer.pem', await issuerPem());
    const reqFile = join(dir, `${name}.req`);
    runOk('openssl', ['ocsp', '-issuer', issuer, '-cert', leaf, '-no_nonce', '-reqout', reqFile]);
    return { serial: cert.serial, leaf, issuer, request: new Uint8Array(readFileSync(reqFile)) };
  }

  async function statusFrom(svc: RunningCaService, c: Awaited<ReturnType<typeof issued>>): Promise<string> {
    const resp = write(dir, `resp-${Math.random()}.der`, (await svc.ocsp(c.request)).der);
    return runOk('openssl', ['ocsp', '-respin', resp, '-issuer', c.issuer, '-cert', c.leaf, '-noverify']).split('\n')[0]!.split(': ')[1]!.trim();
  }


  it('a revocation through one process reaches the other process\'s cached answer', async () => {
    const c = await issued('cross-1');
    expect(await statusFrom(b, c)).toBe('good');
    const cached = await b.ocsp(c.request);
    expect(cached.cacheable).toBe(true);
    await a.revoke(c.serial, 'keyCompromise', 'test');
    await eventually(async () => (await statusFrom(b, c)) === 'revoked');
  });

  it('after the notification connection is cut, the cache is dropped and the listener comes back', async () => {
    const c = await issued('cross-2');
    expect(await statusFrom(b, c)).toBe('good');
    const listeners = async () => (await db.pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN kexin_ocsp'")).rows.map((r) => r.pid);
    const before = await listeners();
    expect(before).toHaveLength(2);
    await db.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);
    await eventually(async () => (await listeners()).filter((p) => !before.includes(p)).length === 2);
    await a.revoke(c.serial, 'certificateHold', 'test');
    await eventually(async () => (await statusFrom(b, c)) === 'revoked');
    await a.revoke(c.serial, 'removeFromCRL', 'test');
    await eventually(async () => (await statusFrom(b, c)) === 'good');
  });
});
