/**
 * Validation results as data (ETSI EN 319 102-1 §5.1.3): an indication, a sub-indication from the
 * standard's list, Kexin reason codes with messages, and the evidence the decision rests on. Frozen;
 * the JSON answer and the HTML report are rendered from it, never the other way round.
 */
import type { ModificationLevel } from './diff.ts';
import type { Coverage } from './analyzePdf.ts';

export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE';

/** EN 319 102-1 Table 5 sub-indications used here. */
export type SubIndication =
  | 'FORMAT_FAILURE' | 'HASH_FAILURE' | 'SIG_CRYPTO_FAILURE' | 'REVOKED' | 'EXPIRED' | 'NOT_YET_VALID'
  | 'SIG_CONSTRAINTS_FAILURE' | 'CHAIN_CONSTRAINTS_FAILURE' | 'CERTIFICATE_CHAIN_GENERAL_FAILURE' | 'CRYPTO_CONSTRAINTS_FAILURE'
  | 'OUT_OF_BOUNDS_NO_POE' | 'REVOKED_NO_POE' | 'REVOKED_CA_NO_POE' | 'TRY_LATER' | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'NO_SIGNING_CERTIFICATE_FOUND' | 'TIMESTAMP_ORDER_FAILURE';

export interface Reason {
  readonly code: string;
  readonly message: string;
}

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface TimestampResult {
  readonly kind: 'signature' | 'document' | 'ses';
  readonly genTime: string | null;
  readonly tsa: string | null;
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  readonly reasons: readonly Reason[];
}

export interface SealInfoResult {
  readonly esId: string;
  readonly name: string;
  readonly type: number;
  readonly image: { readonly png: string; readonly widthMm: number; readonly heightMm: number } | null;
  readonly maker: string | null;
  readonly makerSignatureValid: boolean;
  readonly signerInCertList: boolean;
  readonly validStart: string;
  readonly validEnd: string;
  /** The seal as registered here, when it is one of Kexin's. */
  readonly registered: { readonly id: string; readonly status: string } | null;
}

export interface SignatureResult {
  readonly index: number;
  readonly fieldName: string;
  readonly type: 'signature' | 'document-timestamp';
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  readonly reasons: readonly Reason[];
  /** The signed bytes hash to the signed digest and the signature verifies. */
  readonly intact: boolean;
  readonly coverage: Coverage;
  readonly signedRevision: number | null;
  readonly signer: CertificateInfo | null;
  readonly chain: readonly string[];
  readonly seal: SealInfoResult | null;
  /** GB/T 38540 SES_Signature (SM2 dual sealing). */
  readonly ses: { readonly valid: boolean; readonly signer: CertificateInfo | null; readonly seal: SealInfoResult; readonly reasons: readonly Reason[] } | null;
  /** Best proven signing time (a valid time-stamp), else the claimed one. */
  readonly signingTime: string | null;
  readonly signingTimeProven: boolean;
  readonly timestamps: readonly TimestampResult[];
  readonly revocation: readonly { readonly serial: string; readonly status: string; readonly source: string; readonly revokedAt: string | null }[];
  readonly modificationLevel: ModificationLevel;
  readonly docMdp: number | null;
  readonly level: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA' | null;
}

export interface DocumentValidation {
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  readonly signatures: readonly SignatureResult[];
  /** Highest modification level after the first signature. */
  readonly modificationLevel: ModificationLevel;
  readonly revisions: number;
  readonly structureProblems: readonly string[];
  readonly modifications: readonly { readonly revision: number; readonly level: ModificationLevel; readonly findings: readonly string[] }[];
  readonly validationTime: string;
}

const FAILED: readonly SubIndication[] = ['FORMAT_FAILURE', 'HASH_FAILURE', 'SIG_CRYPTO_FAILURE', 'REVOKED', 'EXPIRED', 'NOT_YET_VALID'];

/** A finding on the way to an indication. */
export interface Finding { readonly sub: SubIndication; readonly reason: Reason }

/** The indication for a set of findings: TOTAL_FAILED beats INDETERMINATE; the first finding of the worst class wins. */
export function decide(findings: readonly Finding[]): { indication: Indication; subIndication?: SubIndication } {
  const failed = findings.find((f) => FAILED.includes(f.sub));
  if (failed) return { indication: 'TOTAL_FAILED', subIndication: failed.sub };
  const ind = findings[0];
  return ind ? { indication: 'INDETERMINATE', subIndication: ind.sub } : { indication: 'TOTAL_PASSED' };
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o) && !(o instanceof Uint8Array)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}
