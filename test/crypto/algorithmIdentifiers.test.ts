import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import type { KeyAlgorithm, SignatureScheme } from '../../src/crypto/keyStore.ts';
import { digest, publicKeyFacts, schemeFromAlgorithmIdentifier, signatureAlgorithmIdentifier } from '../../src/crypto/algorithmIdentifiers.ts';

describe('algorithm identifiers', () => {
  const schemes: SignatureScheme[] = ['ECDSA-SHA256', 'ECDSA-SHA384', 'ECDSA-SHA512', 'RSA-PSS-SHA256', 'RSA-PSS-SHA384', 'RSA-PKCS1-SHA256', 'RSA-PKCS1-SHA384', 'Ed25519', 'SM2-SM3'];
  it.each(schemes)('%s round-trips through DER', (scheme) => {
    const der = new Uint8Array(signatureAlgorithmIdentifier(scheme).toSchema().toBER());
    expect(schemeFromAlgorithmIdentifier(der)).toBe(scheme);
  });

  it.each<[KeyAlgorithm, number]>([['ECDSA-P256', 256], ['ECDSA-P384', 384], ['RSA-2048', 2048], ['Ed25519', 256], ['SM2', 256]])('reads %s key facts', async (algorithm, bits) => {
    const key = await createMemoryKeyStore().createKey(algorithm, 't');
    expect(publicKeyFacts(key.publicKeySpki)).toMatchObject({ algorithm, bits });
  });

  it('hashes SM3 (GB/T 32905 example "abc")', () => {
    expect(Buffer.from(digest('sm3', new TextEncoder().encode('abc'))).toString('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });
});
