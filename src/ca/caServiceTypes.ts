/** What the CA offers the rest of Kexin and the API: the port routes and the CLI call. */
import type { KeyAlgorithm } from '../crypto/keyStore.ts';
import type { PathValidationResult, RevocationSource } from './validatePath.ts';

/** A CA as published on GET /pki/cas. */
export interface CaView {
  readonly id: string;
  readonly name: string;
  /** Starts with ECDSA, RSA, Ed25519 or SM2. */
  readonly algorithm: KeyAlgorithm;
  readonly role: 'root' | 'issuing';
  readonly state: 'pending' | 'active';
  readonly certificatePem: string | null;
  /** From this CA up to its root. */
  readonly chainPem: string | null;
}

export interface IssuedCertificate {
  readonly serial: string;
  readonly certificatePem: string;
  /** From the issuing CA up to the root. */
  readonly chainPem: string;
}

export interface CertificateView extends IssuedCertificate {
  readonly caId: string;
  readonly profile: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly status: 'valid' | 'revoked' | 'hold';
  readonly revokedAt: string | null;
  readonly revocationReason: string | null;
}

export interface OcspAnswer {
  readonly der: Uint8Array;
  readonly cacheable: boolean;
  readonly etag?: string | undefined;
  readonly maxAge?: number | undefined;
  readonly lastModified?: Date | undefined;
}

export interface CaService {
  listCas(): Promise<CaView[]>;
  caCertificateDer(id: string): Promise<Uint8Array>;
  crlDer(id: string): Promise<Uint8Array>;
  issue(req: { csr: string; profile: string; caId?: string | undefined }, actor: string): Promise<IssuedCertificate>;
  getCertificate(serial: string): Promise<CertificateView>;
  revoke(serial: string, reason: string, actor: string): Promise<CertificateView>;
  ocsp(requestDer: Uint8Array): Promise<OcspAnswer>;
  timestamp(queryDer: Uint8Array): Promise<Uint8Array>;
  /** TSA certificate then its chain to the root, PEM. */
  tsaCertificatePem(): Promise<string>;
  /** A new issuing CA whose certificate an external (qualified) root will sign: returns its CSR. */
  requestExternalCa(req: { id: string; name: string; algorithm: KeyAlgorithm }, actor: string): Promise<{ id: string; csrPem: string }>;
  importExternalCa(req: { id: string; certificatePem: string; chainPem?: string | undefined }, actor: string): Promise<CaView>;
  /**
   * Validates a certificate against Kexin's roots (and imported external roots), with revocation from
   * the CA's own records: what the seal, e-card and identity modules call before trusting a signer.
   */
  validateCertificate(req: {
    certificate: Uint8Array; intermediates?: readonly Uint8Array[]; at?: Date; requiredEku?: readonly string[];
    /** Revocation evidence the caller holds (e.g. a signed document's embedded OCSP/CRLs): asked first; its `unknown` falls back to the CA's records. */
    revocation?: RevocationSource;
  }): Promise<PathValidationResult>;
  /** Republish CRLs that are due (called on a timer). */
  refreshCrls(): Promise<void>;
}
