/**
 * Data keys: one 32-byte key per purpose (`face-template`, `person-id` …), generated once, stored only
 * wrapped by a key-store wrapping key (an AES key in the HSM, or in a passphrase-sealed file), and
 * unwrapped into memory on first use. What encrypts personal data at rest and keys the hashes that look
 * it up — never a loose key file beside the database.
 */
import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../clock.ts';
import { aesGcmOpen, aesGcmSeal } from './aesGcm.ts';
import type { KeyWrapper } from './keyStore.ts';

export interface DataKey {
  readonly purpose: string;
  /** First 8 bytes of SHA-256(key), hex: which key sealed a stored value (safe to store and log). */
  readonly id: string;
  /**
   * AES-256-GCM, iv ‖ ciphertext ‖ tag; `aad` binds the ciphertext to its row — include the purpose and
   * the record id (e.g. `kexin:person-id:v1:<personId>`), so a ciphertext moved elsewhere fails to open.
   */
  seal(plaintext: Uint8Array, aad: string): Buffer;
  /** `KEY_UNWRAP_FAILED` when the ciphertext or its binding was altered. */
  open(sealed: Uint8Array, aad: string): Buffer;
  /** HMAC-SHA-256 under the key: equal inputs give equal outputs, unguessable without the key. */
  keyedHash(value: string | Uint8Array): Buffer;
}

export interface DataKeys {
  /** The key for `purpose`, created on first use. */
  get(purpose: string): Promise<DataKey>;
  /** Adopts existing key material for `purpose` (migrating a key from elsewhere); no-op if one exists. */
  adopt(purpose: string, key: Uint8Array): Promise<void>;
}

const PURPOSE = /^[a-z][a-z0-9-]{0,62}$/;
const wrapAad = (purpose: string) => Buffer.from(`kexin:data-key:v1:${purpose}`, 'utf8');

/** A data key over raw key bytes (what the store unwraps; tests make their own). */
export function dataKeyFromBytes(purpose: string, raw: Uint8Array): DataKey {
  if (raw.length !== 32) throw new TypeError('a data key is 32 bytes');
  const sealAad = (aad: string) => Buffer.from(aad, 'utf8');
  // One KeyObject for the HMAC: Node prepares a raw-buffer key afresh on every createHmac, which
  // costs ten times the hash itself (measured: ~5k vs ~50k keyed hashes/s on this machine).
  const hmacKey = createSecretKey(Buffer.from(raw));
  return Object.freeze({
    purpose,
    id: createHash('sha256').update(raw).digest('hex').slice(0, 16),
    seal: (plaintext: Uint8Array, aad: string) => aesGcmSeal(raw, plaintext, sealAad(aad)),
    open: (sealed: Uint8Array, aad: string) => aesGcmOpen(raw, sealed, sealAad(aad)),
    keyedHash: (value: string | Uint8Array) => createHmac('sha256', hmacKey).update(value).digest(),
  });
}

export function createDataKeys(deps: { pool: pg.Pool; keys: KeyWrapper; clock: Clock }): DataKeys {
  const { pool, keys, clock } = deps;
  const loaded = new Map<string, Promise<DataKey>>();

  /** The wrapping key new data keys use: the one earlier rows use, else a new one. */
  const wrappingKeyId = async (): Promise<string> => {
    const row = (await pool.query<{ wrapping_key_id: string }>('SELECT wrapping_key_id FROM data_keys ORDER BY created_at LIMIT 1')).rows[0];
    return row?.wrapping_key_id ?? keys.createWrappingKey('kexin-data-keys');
  };

  /** Inserts `raw` for `purpose` unless a key exists (another process may race us: theirs wins). */
  const store = async (purpose: string, raw: Uint8Array): Promise<void> => {
    const kek = await wrappingKeyId();
    const wrapped = await keys.wrap(kek, raw, wrapAad(purpose));
    await pool.query(
      'INSERT INTO data_keys (purpose, wrapping_key_id, wrapped, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (purpose) DO NOTHING',
      [purpose, kek, Buffer.from(wrapped), clock.now()],
    );
  };

  const load = async (purpose: string): Promise<DataKey> => {
    const read = async () => (await pool.query<{ wrapping_key_id: string; wrapped: Buffer }>('SELECT wrapping_key_id, wrapped FROM data_keys WHERE purpose = $1', [purpose])).rows[0];
    let row = await read();
    if (!row) {
      const raw = randomBytes(32);
      await store(purpose, raw);
      raw.fill(0);
      row = await read();
      if (!row) throw new Error(`data key ${purpose} vanished after insert`);
    }
    return dataKeyFromBytes(purpose, Buffer.from(await keys.unwrap(row.wrapping_key_id, row.wrapped, wrapAad(purpose))));
  };

  return {
    get(purpose) {
      if (!PURPOSE.test(purpose)) return Promise.reject(new TypeError(`data key purpose must match ${PURPOSE}`));
      let p = loaded.get(purpose);
      if (!p) {
        p = load(purpose);
        loaded.set(purpose, p);
        p.catch(() => loaded.delete(purpose));
      }
      return p;
    },
    async adopt(purpose, key) {
      if (!PURPOSE.test(purpose)) throw new TypeError(`data key purpose must match ${PURPOSE}`);
      if (key.length !== 32) throw new TypeError('a data key is 32 bytes');
      await store(purpose, key);
    },
  };
}
