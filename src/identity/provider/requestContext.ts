/**
 * What Kexin's HTTP edge learned about a request before handing it to the authorization server, kept
 * in async-local storage for the provider's callbacks that have no other way to reach it: the TLS
 * client certificate (already checked against Kexin's CAs) and, on introspection and revocation, the
 * access token the request presented (already verified).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CertificateSubject } from '../clients/certificateSubject.ts';

export interface CheckedClientCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
  /** Chains to one of Kexin's roots, is not revoked, and may authenticate TLS clients. */
  readonly trusted: boolean;
  readonly subject: CertificateSubject | undefined;
}

export interface ProviderRequestContext {
  readonly clientCertificate?: CheckedClientCertificate | undefined;
  /** The verified access token presented for introspection or revocation: oidc-provider's payload shape. */
  readonly token?: Readonly<Record<string, unknown>> | undefined;
}

export const providerRequestContext = new AsyncLocalStorage<ProviderRequestContext>();
