import * as asn1js from 'asn1js';
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

  // The registered OIDs and parameter rules (a round trip alone would pass a consistently wrong table):
  // RFC 5758 §3.2 (ECDSA: parameters absent), RFC 4055 §5 (PKCS#1 v1.5: NULL) and §3.1 (PSS: params),
  // RFC 8410 §3 (Ed25519: absent), GM/T 0006 (SM2-with-SM3: 1.2.156.10197.1.501).
  it.each<[SignatureScheme, string, 'absent' | 'null' | 'sequence']>([
    ['ECDSA-SHA256', '1.2.840.10045.4.3.2', 'absent'], ['ECDSA-SHA384', '1.2.840.10045.4.3.3', 'absent'], ['ECDSA-SHA512', '1.2.840.10045.4.3.4', 'absent'],
    ['RSA-PSS-SHA256', '1.2.840.113549.1.1.10', 'sequence'], ['RSA-PSS-SHA384', '1.2.840.113549.1.1.10', 'sequence'],
    ['RSA-PKCS1-SHA256', '1.2.840.113549.1.1.11', 'null'], ['RSA-PKCS1-SHA384', '1.2.840.113549.1.1.12', 'null'],
    ['Ed25519', '1.3.101.112', 'absent'], ['SM2-SM3', '1.2.156.10197.1.501', 'absent'],
  ])('%s is OID %s with parameters %s', (scheme, oid, params) => {
    const seq = asn1js.fromBER(signatureAlgorithmIdentifier(scheme).toSchema().toBER()).result as asn1js.Sequence;
    const [id, p] = seq.valueBlock.value;
    expect((id as asn1js.ObjectIdentifier).valueBlock.toString()).toBe(oid);
    if (params === 'absent') expect(p).toBeUndefined();
    else if (params === 'null') expect(p).toBeInstanceOf(asn1js.Null);
    else expect(p).toBeInstanceOf(asn1js.Sequence);
  });

  it.each<[KeyAlgorithm, number]>([['ECDSA-P256', 256], ['ECDSA-P384', 384], ['RSA-2048', 2048], ['Ed25519', 256], ['SM2', 256]])('reads %s key facts', async (algorithm, bits) => {
    const key = await createMemoryKeyStore().createKey(algorithm, 't');
    expect(publicKeyFacts(key.publicKeySpki)).toMatchObject({ algorithm, bits });
  });

  it('hashes SM3 (GB/T 32905 example "abc")', () => {
    expect(Buffer.from(digest('sm3', new TextEncoder().encode('abc'))).toString('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });
});
