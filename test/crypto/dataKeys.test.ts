/**
 * Data keys wrapped by the key store: each backend's wrapping keys (file: sealed under the passphrase;
 * PKCS#11: an AES key in SoftHSM2 that never leaves it), and the data keys built on them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.ts';
import { createDataKeys } from '../../src/crypto/dataKeys.ts';
import { createFileKeyStore } from '../../src/crypto/fileKeyStore.ts';
import type { KeyStore } from '../../src/crypto/keyStore.ts';
import { createPkcs11KeyStore } from '../../src/crypto/pkcs11KeyStore.ts';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/database.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { initSoftHsmToken, softHsmSkipReason } from '../support/softhsm.ts';

const aad = new TextEncoder().encode('kexin:test');
const secret = new Uint8Array(32).fill(7);

async function wrapsAndRefusesTampering(store: KeyStore): Promise<void> {
  const id = await store.createWrappingKey('test-kek');
  const wrapped = await store.wrap(id, secret, aad);
  expect(Buffer.from(wrapped).includes(Buffer.from(secret))).toBe(false);
  expect(Buffer.from(await store.unwrap(id, wrapped, aad))).toEqual(Buffer.from(secret));
  const flipped = Uint8Array.from(wrapped);
  flipped[20]! ^= 1;
  await expect(store.unwrap(id, flipped, aad)).rejects.toMatchObject({ code: 'KEY_UNWRAP_FAILED' });
  await expect(store.unwrap(id, wrapped, new TextEncoder().encode('kexin:other'))).rejects.toMatchObject({ code: 'KEY_UNWRAP_FAILED' });
  const other = await store.createWrappingKey('other-kek');
  await expect(store.unwrap(other, wrapped, aad)).rejects.toMatchObject({ code: 'KEY_UNWRAP_FAILED' });
}

describe('wrapping keys', () => {
  it('memory store', async () => wrapsAndRefusesTampering(createMemoryKeyStore()));

  it('file store: the key file holds no plaintext key, and reopens only with the passphrase', async () => {
    const dir = tempDir();
    const store = createFileKeyStore({ dir, passphrase: 'correct horse', kdfIterations: 10_000 });
    await wrapsAndRefusesTampering(store);
    const id = await store.createWrappingKey('reopen');
    const wrapped = await store.wrap(id, secret, aad);
    const file = readdirSync(dir).find((f) => f.startsWith(id) && f.endsWith('.kek'))!;
    expect(JSON.parse(readFileSync(join(dir, file), 'utf8'))).toMatchObject({ version: 1, id, kdf: { name: 'PBKDF2-HMAC-SHA512', iterations: 10_000 } });
    const again = createFileKeyStore({ dir, passphrase: 'correct horse', kdfIterations: 10_000 });
    expect(Buffer.from(await again.unwrap(id, wrapped, aad))).toEqual(Buffer.from(secret));
    const wrong = createFileKeyStore({ dir, passphrase: 'wrong horse', kdfIterations: 10_000 });
    await expect(wrong.unwrap(id, wrapped, aad)).rejects.toMatchObject({ code: 'KEY_STORE_LOCKED' });
  });

  const skip = softHsmSkipReason();
  it.skipIf(skip)(`PKCS#11 store (SoftHSM2)${skip ? ` — skipped: ${skip}` : ''}`, async () => {
    const token = initSoftHsmToken(tempDir());
    process.env.SOFTHSM2_CONF = token.conf;
    const store = createPkcs11KeyStore({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin });
    try {
      await wrapsAndRefusesTampering(store);
    } finally {
      await store.close();
    }
  });
});

describe('data keys', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('are created once per purpose, stored only wrapped, and survive a restart of the store', async () => {
    const keys = createMemoryKeyStore();
    const clock = fixedClock(new Date('2026-12-01T00:00:00Z'));
    const a = createDataKeys({ pool: db.pool, keys, clock });
    const k1 = await a.get('person-id');
    const sealed = k1.seal(new TextEncoder().encode('110101199003078515'), 'kexin:person-id:v1:p1');
    expect(k1.open(sealed, 'kexin:person-id:v1:p1').toString()).toBe('110101199003078515');
    expect(() => k1.open(sealed, 'kexin:person-id:v1:p2')).toThrow(expect.objectContaining({ code: 'KEY_UNWRAP_FAILED' }));
    expect(k1.keyedHash('x').equals(k1.keyedHash('x'))).toBe(true);

    // Another process (a second DataKeys on the same database and key store) gets the same key.
    const b = createDataKeys({ pool: db.pool, keys, clock });
    expect((await b.get('person-id')).id).toBe(k1.id);
    expect((await b.get('face-template')).id).not.toBe(k1.id);
    const rows = (await db.pool.query<{ purpose: string; wrapped: Buffer }>('SELECT purpose, wrapped FROM data_keys ORDER BY purpose')).rows;
    expect(rows.map((r) => r.purpose)).toEqual(['face-template', 'person-id']);
    expect(rows.every((r) => r.wrapped.length === 12 + 32 + 16)).toBe(true);
    await expect(a.get('Bad Purpose')).rejects.toThrow(TypeError);
  });
});
