/**
 * Encryption of face templates at rest: AES-256-GCM under one 32-byte data key, with the subject id
 * as additional authenticated data (a ciphertext moved to another subject's row fails to decrypt).
 *
 * Where the data key lives: `<dataDir>/keys/face-template.key`, 32 random bytes, mode 0600, created
 * on first start. The `KeyStore` port only signs (private keys never leave it) and offers no
 * wrap/unwrap, so the data key cannot be protected by it yet. This is the development arrangement;
 * the production path is a data key wrapped by an HSM key (PKCS#11 C_WrapKey/C_UnwrapKey with an
 * AES key that never leaves the HSM), unwrapped once at start — the same `TemplateCipher` interface.
 * Losing this file makes every stored template unreadable (subjects re-enrol); back it up with the
 * key store.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface SealedTemplate {
  /** First 8 bytes of SHA-256(data key), hex: which key sealed it. */
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

const aad = (subjectId: string) => Buffer.from(`kexin:face-template:v1:${subjectId}`, 'utf8');

export function createTemplateCipher(dataKey: Buffer): TemplateCipher {
  if (dataKey.length !== 32) throw new TypeError('face template data key must be 32 bytes');
  const key = Buffer.from(dataKey);
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const cipher: TemplateCipher = {
    keyId,
    seal(subjectId, embedding) {
      const plain = Buffer.from(Float32Array.from(embedding).buffer);
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(aad(subjectId));
      const ciphertext = Buffer.concat([c.update(plain), c.final()]);
      return { keyId, iv, ciphertext, tag: c.getAuthTag() };
    },
    open(subjectId, sealed) {
      if (sealed.keyId !== keyId) throw new Error('template sealed under another data key');
      const d = createDecipheriv('aes-256-gcm', key, sealed.iv);
      d.setAAD(aad(subjectId));
      d.setAuthTag(sealed.tag);
      const plain = Buffer.concat([d.update(sealed.ciphertext), d.final()]);
      if (plain.length % 4 !== 0) throw new Error('template length is not a float32 vector');
      return new Float32Array(plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.length));
    },
  };
  return Object.freeze(cipher);
}

/** Path of the development data key under the data directory. */
export function templateKeyPath(dataDir: string): string {
  return path.join(dataDir, 'keys', 'face-template.key');
}

/** Reads the data key file, creating it (0600, exclusive create) when absent. */
export function loadOrCreateTemplateKey(dataDir: string): Buffer {
  const file = templateKeyPath(dataDir);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      const fd = openSync(file, 'wx', 0o600);
      try { writeSync(fd, randomBytes(32)); } finally { closeSync(fd); }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process won the race
    }
  }
  if ((statSync(file).mode & 0o077) !== 0) throw new Error(`${file} must not be readable by group or others (chmod 600)`);
  const key = readFileSync(file);
  if (key.length !== 32) throw new Error(`${file} must hold exactly 32 bytes`);
  return key;
}
