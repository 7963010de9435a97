/**
 * Identifiers at rest (ID numbers, social-security numbers): AES-256-GCM under the `person-identifier`
 * data key, with the person id and the field name as additional authenticated data (a ciphertext
 * copied into another row or field does not open), and HMAC-SHA-256 under a second data key,
 * `person-identifier-lookup`, as the lookup hash (equality search without storing the number; unlike a
 * bare hash it cannot be brute-forced over the ~10^10 plausible ID numbers without the key). Both data
 * keys are held wrapped by the key store (crypto/dataKeys.ts).
 */
import type { DataKey, DataKeys } from '../crypto/dataKeys.ts';

export const IDENTIFIER_KEY_PURPOSE = 'person-identifier';
export const IDENTIFIER_LOOKUP_KEY_PURPOSE = 'person-identifier-lookup';

export type IdentifierField = 'id_number' | 'ssn';

export interface IdentifierCipher {
  /** Which data key sealed a value (stored with the row). */
  readonly keyId: string;
  /** iv (12) ‖ ciphertext ‖ tag (16). */
  seal(personId: string, field: IdentifierField, value: string): Buffer;
  /** Throws when the key, tag, person or field binding does not match. */
  open(personId: string, field: IdentifierField, sealed: Uint8Array): string;
  /** Keyed hash for lookups; the field is part of the input, so equal values of two fields differ. */
  lookupHash(field: IdentifierField, value: string): Buffer;
}

const aad = (personId: string, field: IdentifierField) => `kexin:${IDENTIFIER_KEY_PURPOSE}:v1:${personId}:${field}`;

export function createIdentifierCipher(keys: { readonly encryption: DataKey; readonly lookup: DataKey }): IdentifierCipher {
  if (keys.encryption.id === keys.lookup.id) throw new TypeError('identifier encryption and lookup need two different data keys');
  return Object.freeze({
    keyId: keys.encryption.id,
    seal: (personId: string, field: IdentifierField, value: string) => keys.encryption.seal(Buffer.from(value, 'utf8'), aad(personId, field)),
    open: (personId: string, field: IdentifierField, sealed: Uint8Array) => keys.encryption.open(sealed, aad(personId, field)).toString('utf8'),
    lookupHash: (field: IdentifierField, value: string) => keys.lookup.keyedHash(`${field}:${value}`),
  });
}

/** The cipher over the service's data keys (created on first use, wrapped by the key store). */
export async function identifierCipherFrom(dataKeys: DataKeys): Promise<IdentifierCipher> {
  return createIdentifierCipher({ encryption: await dataKeys.get(IDENTIFIER_KEY_PURPOSE), lookup: await dataKeys.get(IDENTIFIER_LOOKUP_KEY_PURPOSE) });
}
