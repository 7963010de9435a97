/**
 * Encryption of face templates at rest: AES-256-GCM under the `face-template` data key (held through
 * the key store, see crypto/dataKeys.ts), with the subject id as additional authenticated data (a
 * ciphertext moved to another subject's row fails to decrypt).
 */
import type { DataKey } from '../crypto/dataKeys.ts';

export interface SealedTemplate {
  /** Which data key sealed it (`DataKey.id`). */
  readonly keyId: string;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

export interface TemplateCipher {
  readonly keyId: string;
  seal(subjectId: string, embedding: ArrayLike<number>): SealedTemplate;
  /** Throws when the ciphertext, tag, key or subject binding does not match. */
  open(subjectId: string, sealed: SealedTemplate): Float32Array;
}

/** The data key's purpose. */
export const TEMPLATE_KEY_PURPOSE = 'face-template';

const aad = (subjectId: string) => `kexin:face-template:v1:${subjectId}`;

export function createTemplateCipher(key: DataKey): TemplateCipher {
  const keyId = key.id;
  return Object.freeze({
    keyId,
    seal(subjectId: string, embedding: ArrayLike<number>): SealedTemplate {
      const sealed = key.seal(Buffer.from(Float32Array.from(embedding).buffer), aad(subjectId));
      return { keyId, iv: sealed.subarray(0, 12), ciphertext: sealed.subarray(12, sealed.length - 16), tag: sealed.subarray(sealed.length - 16) };
    },
    open(subjectId: string, sealed: SealedTemplate): Float32Array {
      if (sealed.keyId !== keyId) throw new Error('template sealed under another data key');
      const plain = key.open(Buffer.concat([sealed.iv, sealed.ciphertext, sealed.tag]), aad(subjectId));
      if (plain.length % 4 !== 0) throw new Error('template length is not a float32 vector');
      return new Float32Array(plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.length));
    },
  });
}
