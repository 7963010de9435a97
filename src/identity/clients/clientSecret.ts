/**
 * Client secrets for legacy systems (`client_secret_basic`): 256 random bits, shown once, stored only
 * as HMAC-SHA-256 under a data key held through the key store. A keyed hash rather than a slow one:
 * the secret has full entropy, so a slow hash adds nothing against guessing, while the key means a
 * copy of the database alone cannot even test a guess — and the token endpoint stays fast.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataKey } from '../../crypto/dataKeys.ts';

/** The data key that hashes client secrets. */
export const CLIENT_SECRET_KEY_PURPOSE = 'client-secret';

export function generateClientSecret(): string {
  return `kxs_${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a secret under `key`. */
export function hashClientSecret(key: DataKey, secret: string): Buffer {
  return key.keyedHash(`kexin:client-secret:v1:${secret}`);
}

/** Constant-time check of a presented secret against a stored hash. */
export function clientSecretMatches(key: DataKey, stored: Uint8Array, presented: string): boolean {
  const h = hashClientSecret(key, presented);
  return stored.length === h.length && timingSafeEqual(stored, h);
}
