import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm } from './keyStore.ts';

/** Generates a key pair with Node's crypto (OpenSSL) for stores that keep KeyObjects. */
export function generateKeyObject(algorithm: KeyAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (algorithm) {
    case 'ECDSA-P256': return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ECDSA-P384': return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'RSA-2048': return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'RSA-3072': return generateKeyPairSync('rsa', { modulusLength: 3072 });
    case 'Ed25519': return generateKeyPairSync('ed25519');
    // OpenSSL 3 keeps SM2 keys as EC keys on the SM2 curve (OID 1.2.156.10197.1.301).
    case 'SM2': return generateKeyPairSync('ec', { namedCurve: 'SM2' });
  }
}
