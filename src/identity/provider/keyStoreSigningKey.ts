/**
 * A signing key oidc-provider can use without holding it: its `ExternalSigningKey` (the
 * `externalSigningSupport` feature) asks `sign(data)` for the JWS signature, and this one asks Kexin's
 * key store — so the authorization server's private keys stay in the file store or the HSM.
 */
import type { KeyObject } from 'node:crypto';
import { ExternalSigningKey } from 'oidc-provider';
import type { KeyStore } from '../../crypto/keyStore.ts';
import { ecdsaDerToJose } from '../../crypto/joseEcdsa.ts';
import type { PublishedKey } from '../tokens/signingKeys.ts';

export class KeyStoreSigningKey extends ExternalSigningKey {
  readonly #key: PublishedKey;
  readonly #store: KeyStore;

  constructor(key: PublishedKey, store: KeyStore) {
    super();
    this.#key = key;
    this.#store = store;
  }

  override get kid(): string {
    return this.#key.kid;
  }

  override get alg(): string {
    return 'ES256';
  }

  override keyObject(): KeyObject {
    return this.#key.publicKey;
  }

  /** RFC 7517 §4.7: the token-signer certificate and its chain, published in the JWKS. */
  override get x5c(): string[] {
    return [...(this.#key.jwk.x5c ?? [])];
  }

  /** RFC 7518 §3.4: ES256 is r ‖ s (32 bytes each), not the DER the key store returns. */
  override async sign(data: Uint8Array): Promise<Uint8Array> {
    return ecdsaDerToJose(await this.#store.sign(this.#key.keyId, 'ECDSA-SHA256', data), 32);
  }
}
