/**
 * Identifiers at rest (ID numbers, social-security numbers): AES-256-GCM under a data key, with the
 * person id and the field name as additional authenticated data (a ciphertext copied into another
 * row or field does not decrypt), and HMAC-SHA-256 under a second key as the lookup hash (equality
 * search without storing the number; unlike a bare hash it cannot be brute-forced over the ~10^10
 * plausible ID numbers without the key).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** The data keys this module needs: the port `src/crypto/dataKeys.ts` will back (see personKeys.ts). */
export interface IdentifierKeys {
  /** Names the key generation, stored with every ciphertext. */
  readonly keyId: string;
  /** 32 bytes, AES-256-GCM. */
  readonly encryptionKey: Uint8Array;
  /** 32 bytes, HMAC-SHA-256. */
  readonly lookupKey: Uint8Array;
}

export type IdentifierField = 'id_number' | 'ssn';

export interface IdentifierCipher {
  readonly keyId: string;
  /** iv (12) ‖ ciphertext ‖ tag (16). */
  seal(personId: string, field: IdentifierField, value: string): Buffer;
  /** Throws when the key, tag, person or field binding does not match. */
  open(personId: string, field: IdentifierField, sealed: Uint8Array): string;
  /** Keyed hash for lookups; the field is part of the input, so equal values of two fields differ. */
  lookupHash(field: IdentifierField, value: string): Buffer;
}

const IV = 12;
const TAG = 16;
const aad = (personId: string, field: IdentifierField) => Buffer.from(`kexin:person:v1:${personId}:${field}`, 'utf8');

export function createIdentifierCipher(keys: IdentifierKeys): IdentifierCipher {
  if (keys.encryptionKey.length !== 32 || keys.lookupKey.length !== 32) throw new TypeError('identifier keys must be 32 bytes each');
  const enc = Buffer.from(keys.encryptionKey);
  const mac = Buffer.from(keys.lookupKey);
  return Object.freeze({
    keyId: keys.keyId,
    seal(personId: string, field: IdentifierField, value: string) {
      const iv = randomBytes(IV);
      const c = createCipheriv('aes-256-gcm', enc, iv);
      c.setAAD(aad(personId, field));
      return Buffer.concat([iv, c.update(value, 'utf8'), c.final(), c.getAuthTag()]);
    },
    open(personId: string, field: IdentifierField, sealed: Uint8Array) {
      const b = Buffer.from(sealed);
      if (b.length < IV + TAG) throw new Error('sealed identifier too short');
      const d = createDecipheriv('aes-256-gcm', enc, b.subarray(0, IV));
      d.setAAD(aad(personId, field));
      d.setAuthTag(b.subarray(b.length - TAG));
      return Buffer.concat([d.update(b.subarray(IV, b.length - TAG)), d.final()]).toString('utf8');
    },
    lookupHash(field: IdentifierField, value: string) {
      return createHmac('sha256', mac).update(`${field}:${value}`, 'utf8').digest();
    },
  });
}
