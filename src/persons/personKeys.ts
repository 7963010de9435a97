/**
 * INTERIM source of the identifier data keys, until the foundation's `src/crypto/dataKeys.ts` (data
 * keys wrapped by a key-encryption key in the key store) lands on main; the registry only sees the
 * `IdentifierKeys` port, so swapping the source changes nothing else.
 *
 * How the keys are held meanwhile, without a loose key file: an Ed25519 key is created once in the
 * key store (file: encrypted PKCS#8; PKCS#11: inside the token) and its id recorded in
 * `person_key_refs`. Ed25519 signatures are deterministic (RFC 8032 §5.1.6), so signing a fixed label
 * with it always yields the same 64 bytes — a secret only whoever can use that key can compute. The two
 * 32-byte keys are HKDF-SHA-256 (RFC 5869) of that signature. The private key never leaves the store.
 */
import { createHash, hkdfSync } from 'node:crypto';
import type pg from 'pg';
import { appendAudit } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import type { KeyStore } from '../crypto/keyStore.ts';
import { withTransaction } from '../db/transaction.ts';
import type { IdentifierKeys } from './identifierCipher.ts';

const PURPOSE = 'identifiers-v1';
const LABEL = new TextEncoder().encode('kexin:persons:identifier-data-keys:v1');
/** Serialises first-start key creation across processes sharing a PostgreSQL server. */
const KEY_LOCK = 0x6b6578696e40;

export async function identifierKeysFromKeyStore(deps: { readonly pool: pg.Pool; readonly keyStore: KeyStore; readonly clock: Clock }): Promise<IdentifierKeys> {
  const storeKeyId = await withTransaction(deps.pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
    const row = (await tx.query<{ store_key_id: string }>('SELECT store_key_id FROM person_key_refs WHERE purpose = $1', [PURPOSE])).rows[0];
    if (row) return row.store_key_id;
    const key = await deps.keyStore.createKey('Ed25519', 'persons-identifier-keys');
    await tx.query('INSERT INTO person_key_refs (purpose, store_key_id, created_at) VALUES ($1, $2, $3)', [PURPOSE, key.id, deps.clock.now()]);
    await appendAudit(tx, { actor: 'system', action: 'persons.datakey.create', subject: key.id, details: { purpose: PURPOSE, backend: key.backend } }, deps.clock);
    return key.id;
  });
  const secret = await deps.keyStore.sign(storeKeyId, 'Ed25519', LABEL);
  const derive = (info: string) => new Uint8Array(hkdfSync('sha256', secret, 'kexin-persons', info, 32));
  const encryptionKey = derive('aes-256-gcm identifiers');
  return Object.freeze({
    keyId: `${PURPOSE}:${createHash('sha256').update(encryptionKey).digest('hex').slice(0, 16)}`,
    encryptionKey,
    lookupKey: derive('hmac-sha-256 identifier lookup'),
  });
}
