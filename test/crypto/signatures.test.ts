import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import type { KeyAlgorithm } from '../../src/crypto/keyStore.ts';
import { schemesFor, verifySignature } from '../../src/crypto/signatures.ts';

const algorithms: KeyAlgorithm[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'Ed25519', 'SM2'];

describe('sign and verify every scheme', () => {
  const store = createMemoryKeyStore();
  for (const algorithm of algorithms) {
    for (const scheme of schemesFor(algorithm)) {
      it(`${algorithm} / ${scheme}`, async () => {
        const key = await store.createKey(algorithm, 't');
        const data = new TextEncoder().encode('kexin 可信');
        const sig = await store.sign(key.id, scheme, data);
        expect(verifySignature(key.publicKeySpki, scheme, data, sig)).toBe(true);
        const tampered = Uint8Array.from(data);
        tampered[0] ^= 1;
        expect(verifySignature(key.publicKeySpki, scheme, tampered, sig)).toBe(false);
        expect(verifySignature(key.publicKeySpki, scheme, data, sig.subarray(0, sig.length - 1))).toBe(false);
      });
    }
  }

  it('an SM2 signature binds the signer identity', async () => {
    const key = await store.createKey('SM2', 't');
    const data = new Uint8Array([1, 2, 3]);
    const sig = await store.sign(key.id, 'SM2-SM3', data, { sm2UserId: new TextEncoder().encode('ALICE123@YAHOO.COM') });
    expect(verifySignature(key.publicKeySpki, 'SM2-SM3', data, sig)).toBe(false);
    expect(verifySignature(key.publicKeySpki, 'SM2-SM3', data, sig, { sm2UserId: new TextEncoder().encode('ALICE123@YAHOO.COM') })).toBe(true);
  });

  it('refuses a scheme the key cannot use', async () => {
    const key = await store.createKey('Ed25519', 't');
    await expect(store.sign(key.id, 'ECDSA-SHA256', new Uint8Array(1))).rejects.toThrow(TypeError);
  });

  it('garbage keys and signatures verify as false, never throw', () => {
    expect(verifySignature(new Uint8Array([1, 2, 3]), 'ECDSA-SHA256', new Uint8Array(1), new Uint8Array(8))).toBe(false);
    expect(verifySignature(new Uint8Array([0x30, 0]), 'SM2-SM3', new Uint8Array(1), new Uint8Array(8))).toBe(false);
  });
});
