/** A key store that keeps keys in process memory: for tests and benchmarks only. */
import { randomUUID, type KeyObject } from 'node:crypto';
import { KexinError } from '../errors.ts';
import { generateKeyObject } from './generateKeyObject.ts';
import { ALL_KEY_ALGORITHMS, type KeyAlgorithm, type KeyInfo, type KeyStore, type SignatureScheme, type SignOptions } from './keyStore.ts';
import { schemesFor, signWithKeyObject } from './signatures.ts';

export function createMemoryKeyStore(): KeyStore {
  const keys = new Map<string, { info: KeyInfo; privateKey: KeyObject }>();
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
    async close() {
      keys.clear();
    },
  };
}
