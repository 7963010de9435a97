/** AES-256-GCM in the one layout Kexin stores: iv (12) ‖ ciphertext ‖ tag (16). */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KexinError } from '../errors.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function aesGcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  if (key.length !== 32) throw new TypeError('AES-256-GCM needs a 32-byte key');
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, ct, c.getAuthTag()]);
}

/** Throws `KEY_UNWRAP_FAILED` (500: stored data or keys are wrong, never the client's fault). */
export function aesGcmOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (key.length !== 32) throw new TypeError('AES-256-GCM needs a 32-byte key');
  if (sealed.length < IV_BYTES + TAG_BYTES) throw unwrapFailed();
  try {
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([d.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), d.final()]);
  } catch {
    throw unwrapFailed();
  }
}

export const unwrapFailed = () => new KexinError('KEY_UNWRAP_FAILED', 'encrypted data does not open under its key (tampered, or the wrong key)', 500);
