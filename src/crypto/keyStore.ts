/**
 * The key-store port. Private keys never leave an implementation: callers ask it to sign.
 * Backends: encrypted PKCS#8 files (fileKeyStore.ts) and PKCS#11 tokens (pkcs11KeyStore.ts).
 */
import { observeSignature, type SignaturePurpose } from '../observability/metrics.ts';

/** Key algorithms Kexin creates. No RSA below 2048 bits, no curve below P-256. */
export type KeyAlgorithm = 'ECDSA-P256' | 'ECDSA-P384' | 'RSA-2048' | 'RSA-3072' | 'Ed25519' | 'SM2';

/**
 * Signature schemes. Output encodings are those X.509/CMS carry: ECDSA and SM2 as DER
 * `Ecdsa-Sig-Value` (r, s), RSA as the raw signature block, Ed25519 as the raw 64 bytes.
 */
export type SignatureScheme =
  | 'ECDSA-SHA256'
  | 'ECDSA-SHA384'
  | 'ECDSA-SHA512'
  | 'RSA-PSS-SHA256'
  | 'RSA-PSS-SHA384'
  | 'RSA-PKCS1-SHA256'
  | 'RSA-PKCS1-SHA384'
  | 'Ed25519'
  | 'SM2-SM3';

/** GB/T 32918.2 / GM/T 0009 default signer identity, the 16 ASCII bytes "1234567812345678". */
export const SM2_DEFAULT_USER_ID = new TextEncoder().encode('1234567812345678');

/** Public facts about a stored key. */
export interface KeyInfo {
  /** Store-unique id, safe to persist and log. */
  readonly id: string;
  readonly algorithm: KeyAlgorithm;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeySpki: Uint8Array;
  /** Human label, e.g. "root-ecdsa". */
  readonly label: string;
  readonly backend: 'file' | 'pkcs11' | 'memory';
}

export interface SignOptions {
  /** SM2 only: the signer's distinguishing identifier (default `SM2_DEFAULT_USER_ID`). */
  readonly sm2UserId?: Uint8Array;
}

/** Every key algorithm Kexin uses. */
export const ALL_KEY_ALGORITHMS: readonly KeyAlgorithm[] = Object.freeze(['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072', 'Ed25519', 'SM2']);

/**
 * Symmetric wrapping keys (AES-256) that never leave the store, like private keys. They protect the
 * data keys (`dataKeys.ts`) that encrypt personal data at rest: wrapped form = iv (12) ‖ ciphertext ‖
 * GCM tag (16), AES-256-GCM with the caller's additional authenticated data.
 */
export interface KeyWrapper {
  /** Generates a new AES-256 wrapping key inside the store; returns its id. */
  createWrappingKey(label: string): Promise<string>;
  wrap(id: string, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** `KEY_UNWRAP_FAILED` when the wrapped bytes, the key or the AAD do not match. */
  unwrap(id: string, wrapped: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

export interface KeyStore extends KeyWrapper {
  readonly backend: KeyInfo['backend'];
  /** The algorithms this store can create keys for (a PKCS#11 token has no standard SM2 mechanism). */
  readonly algorithms: readonly KeyAlgorithm[];
  /** Generates a new key inside the store and returns its public facts. */
  createKey(algorithm: KeyAlgorithm, label: string): Promise<KeyInfo>;
  /** Public facts of an existing key; `KEY_NOT_FOUND` when absent. */
  getKey(id: string): Promise<KeyInfo>;
  /** Signs `data` (the message, hashed by the scheme) with the key `id`. */
  sign(id: string, scheme: SignatureScheme, data: Uint8Array, options?: SignOptions): Promise<Uint8Array>;
  /** Releases sessions and handles. */
  close(): Promise<void>;
}

export interface SignerOptions extends SignOptions {
  /** What the signatures are for (metrics); `unspecified` if not given. */
  readonly purpose?: SignaturePurpose;
}

/** A key bound to one scheme: what certificate, CRL, OCSP, TSA and seal code asks to sign with. */
export interface Signer {
  readonly keyId: string;
  readonly scheme: SignatureScheme;
  readonly publicKeySpki: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * A signer for `key` under `scheme`. Every signature is counted (`kexin_signatures_total`) under the
 * key's label and `purpose`, so operators see who is spending the key store's capacity.
 */
export function signerFor(store: KeyStore, key: KeyInfo, scheme: SignatureScheme, options: SignerOptions = {}): Signer {
  const { purpose = 'unspecified', ...signOptions } = options;
  return {
    keyId: key.id,
    scheme,
    publicKeySpki: key.publicKeySpki,
    async sign(data) {
      const started = performance.now();
      let ok = false;
      try {
        const signature = await store.sign(key.id, scheme, data, signOptions);
        ok = true;
        return signature;
      } finally {
        observeSignature(key.label, purpose, scheme, ok, (performance.now() - started) / 1000);
      }
    },
  };
}
