/** A key store that keeps keys in process memory: for tests and benchmarks only. */
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { aesGcmOpen, aesGcmSeal } from '../../src/crypto/aesGcm.ts';
import { KexinError } from '../../src/errors.ts';
import { generateKeyObject } from '../../src/crypto/generateKeyObject.ts';
import { ALL_KEY_ALGORITHMS, type KeyAlgorithm, type KeyInfo, type KeyStore, type SignatureScheme, type SignOptions } from '../../src/crypto/keyStore.ts';
import { schemesFor, signWithKeyObject } from '../../src/crypto/signatures.ts';

export function createMemoryKeyStore(): KeyStore {
  const keys = new Map<string, { info: KeyInfo; privateKey: KeyObject }>();
  const wrappingKeys = new Map<string, Buffer>();
  const wrappingKey = (id: string) => {
    const k = wrappingKeys.get(id);
    if (!k) throw new KexinError('KEY_NOT_FOUND', `no wrapping key ${id} in the store`, 404);
    return k;
  };
  const find = (id: string) => {
    const k = keys.get(id);
    if (!k) throw new KexinError('KEY_NOT_FOUND', `no key ${id} in the store`, 404);
    return k;
  };
  return {
    backend: 'memory',
    algorithms: ALL_KEY_ALGORITHMS,
    async createKey(algorithm: KeyAlgorithm, label: string) {
      const { privateKey, publicKey } = generateKeyObject(algorithm);
      const info: KeyInfo = Object.freeze({
        id: randomUUID(),
        algorithm,
        label,
        backend: 'memory' as const,
        publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
      });
      keys.set(info.id, { info, privateKey });
      return info;
    },
    async getKey(id: string) {
      return find(id).info;
    },
    async sign(id: string, scheme: SignatureScheme, data: Uint8Array, options?: SignOptions) {
      const k = find(id);
      if (!schemesFor(k.info.algorithm).includes(scheme)) {
        throw new TypeError(`key ${id} (${k.info.algorithm}) cannot sign with ${scheme}`);
      }
      return signWithKeyObject(k.privateKey, scheme, data, options);
    },
    async createWrappingKey() {
      const id = randomUUID();
      wrappingKeys.set(id, randomBytes(32));
      return id;
    },
    async wrap(id, plaintext, aad) {
      return aesGcmSeal(wrappingKey(id), plaintext, aad);
    },
    async unwrap(id, wrapped, aad) {
      return aesGcmOpen(wrappingKey(id), wrapped, aad);
    },
    async close() {
      keys.clear();
      wrappingKeys.clear();
    },
  };
}
