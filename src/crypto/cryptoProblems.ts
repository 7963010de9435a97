/** The key store's and data keys' problem codes: one status and title each. */
import { defineProblems } from '../errors.ts';

export const CRYPTO_PROBLEMS = defineProblems({
  KEY_ALGORITHM_UNSUPPORTED: { status: 400, title: 'Key algorithm is not supported by this key store' },
  KEY_NOT_FOUND: { status: 404, title: 'No such key in the key store' },
  KEY_STORE_CORRUPT: { status: 500, title: 'Key store contents are damaged' },
  KEY_STORE_KEY_UNSUPPORTED: { status: 500, title: 'A key in the key store is of a kind Kexin does not use' },
  KEY_STORE_LOCKED: { status: 503, title: 'Key store is locked' },
  KEY_STORE_UNAVAILABLE: { status: 503, title: 'Key store is unavailable' },
  KEY_UNWRAP_FAILED: { status: 500, title: 'Encrypted data does not open under its key' },
});
