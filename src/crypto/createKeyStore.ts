/** Chooses the key-store backend from configuration. */
import { createFileKeyStore, type KeyStoreLogger } from './fileKeyStore.ts';
import type { KeyStore } from './keyStore.ts';
import { createPkcs11KeyStore } from './pkcs11KeyStore.ts';

export type KeyStoreConfig =
  | {
      readonly backend: 'file';
      /** Key directory, e.g. `<KEXIN_DATA_DIR>/keys`. */
      readonly dir: string;
      /** Resolved passphrase (see `resolveFilePassphrase`). */
      readonly passphrase: string;
      readonly logger?: KeyStoreLogger;
      readonly kdfIterations?: number;
    }
  | {
      readonly backend: 'pkcs11';
      readonly library: string;
      /** The token, by label (or use `slot`). */
      readonly tokenLabel?: string;
      readonly slot?: number;
      readonly pin: string;
    };

export function createKeyStore(config: KeyStoreConfig): KeyStore {
  switch (config.backend) {
    case 'file':
      return createFileKeyStore({ dir: config.dir, passphrase: config.passphrase, logger: config.logger, kdfIterations: config.kdfIterations });
    case 'pkcs11':
      return createPkcs11KeyStore({ library: config.library, tokenLabel: config.tokenLabel, slot: config.slot, pin: config.pin });
    default:
      throw new TypeError(`unknown key-store backend ${String((config as { backend?: unknown }).backend)}`);
  }
}
