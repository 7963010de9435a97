/**
 * Sign with a private KeyObject and verify against a DER SubjectPublicKeyInfo, for every scheme Kexin
 * uses. Key stores that hold keys as KeyObjects (file, memory) sign through `signWithKeyObject`;
 * everything that checks a signature (CSRs, chains, CRLs, OCSP, timestamps, seals) calls `verifySignature`.
 */
import { constants, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm, SignatureScheme, SignOptions } from './keyStore.ts';
import { sm2Sign, sm2Verify } from './sm2.ts';

interface SchemeParams {
  /** Node digest name, or null when the algorithm hashes internally (Ed25519, SM2). */
  readonly hash: string | null;
  readonly family: 'ECDSA' | 'RSA-PSS' | 'RSA-PKCS1' | 'Ed25519' | 'SM2';
}

export const SCHEMES: Readonly<Record<SignatureScheme, SchemeParams>> = Object.freeze({
  'ECDSA-SHA256': { hash: 'sha256', family: 'ECDSA' },
  'ECDSA-SHA384': { hash: 'sha384', family: 'ECDSA' },
  'ECDSA-SHA512': { hash: 'sha512', family: 'ECDSA' },
  'RSA-PSS-SHA256': { hash: 'sha256', family: 'RSA-PSS' },
  'RSA-PSS-SHA384': { hash: 'sha384', family: 'RSA-PSS' },
  'RSA-PKCS1-SHA256': { hash: 'sha256', family: 'RSA-PKCS1' },
  'RSA-PKCS1-SHA384': { hash: 'sha384', family: 'RSA-PKCS1' },
  Ed25519: { hash: null, family: 'Ed25519' },
  'SM2-SM3': { hash: null, family: 'SM2' },
});

/** Which schemes a key algorithm may sign with. */
export function schemesFor(algorithm: KeyAlgorithm): readonly SignatureScheme[] {
  switch (algorithm) {
    case 'ECDSA-P256':
    case 'ECDSA-P384':
      return ['ECDSA-SHA256', 'ECDSA-SHA384', 'ECDSA-SHA512'];
    case 'RSA-2048':
    case 'RSA-3072':
      return ['RSA-PSS-SHA256', 'RSA-PSS-SHA384', 'RSA-PKCS1-SHA256', 'RSA-PKCS1-SHA384'];
    case 'Ed25519':
      return ['Ed25519'];
    case 'SM2':
      return ['SM2-SM3'];
  }
}

/** The scheme a key algorithm signs certificates with by default. */
export function defaultScheme(algorithm: KeyAlgorithm): SignatureScheme {
  switch (algorithm) {
    case 'ECDSA-P256': return 'ECDSA-SHA256';
    case 'ECDSA-P384': return 'ECDSA-SHA384';
    case 'RSA-2048':
    case 'RSA-3072': return 'RSA-PSS-SHA256';
    case 'Ed25519': return 'Ed25519';
    case 'SM2': return 'SM2-SM3';
  }
}

function pssOptions(hash: string) {
  // RFC 4055 §3.1 / RFC 8017: salt length equal to the digest length, MGF1 with the same hash.
  const saltLength = hash === 'sha384' ? 48 : hash === 'sha512' ? 64 : 32;
  return { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
}

export function signWithKeyObject(key: KeyObject, scheme: SignatureScheme, data: Uint8Array, options?: SignOptions): Uint8Array {
  const p = SCHEMES[scheme];
  switch (p.family) {
    case 'ECDSA':
      return nodeSign(p.hash, data, { key, dsaEncoding: 'der' });
    case 'RSA-PSS':
      return nodeSign(p.hash, data, { key, ...pssOptions(p.hash!) });
    case 'RSA-PKCS1':
      return nodeSign(p.hash, data, { key, padding: constants.RSA_PKCS1_PADDING });
    case 'Ed25519':
      return nodeSign(null, data, key);
    case 'SM2':
      return sm2Sign(key, data, options?.sm2UserId);
  }
}

/** Parsed public keys by SPKI: chains and CA keys are verified against the same few keys again and again. */
const publicKeys = new Map<string, KeyObject>();
function publicKeyFor(spki: Uint8Array): KeyObject {
  const id = Buffer.from(spki).toString('base64');
  let key = publicKeys.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (publicKeys.size >= 256) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(id, key);
  }
  return key;
}

/**
 * Verifies `signature` over `data` with the public key in `spki`. Returns false for any malformed key
 * or signature: a bad signature is an answer, not an exception.
 */
export function verifySignature(spki: Uint8Array, scheme: SignatureScheme, data: Uint8Array, signature: Uint8Array, options?: SignOptions): boolean {
  const p = SCHEMES[scheme];
  try {
    if (p.family === 'SM2') return sm2Verify(spki, data, signature, options?.sm2UserId);
    const key = publicKeyFor(spki);
    switch (p.family) {
      case 'ECDSA':
        if (key.asymmetricKeyType !== 'ec') return false;
        return nodeVerify(p.hash, data, { key, dsaEncoding: 'der' }, signature);
      case 'RSA-PSS':
        if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return false;
        return nodeVerify(p.hash, data, { key, ...pssOptions(p.hash!) }, signature);
      case 'RSA-PKCS1':
        if (key.asymmetricKeyType !== 'rsa') return false;
        return nodeVerify(p.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'Ed25519':
        if (key.asymmetricKeyType !== 'ed25519') return false;
        return nodeVerify(null, data, key, signature);
    }
  } catch {
    return false;
  }
}
