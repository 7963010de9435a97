/**
 * The signature algorithms of e-card artefacts and their names in JOSE and COSE.
 * ES256 (ECDSA P-256 with SHA-256) is the default: RFC 7518 §3.4 (JOSE "ES256"), RFC 9053 §2.1 (COSE -7).
 * SM2 with SM3 (GB/T 32918.2, user id "1234567812345678") is optional for the issuer and is NOT
 * registered in JOSE or COSE: Kexin uses the private name "SM2-SM3" (RFC 7515 §4.1.1 private name)
 * and the COSE private-use value -65600 (RFC 9052 §16.4: values below -65536 are private use). Only
 * verifiers that know this convention (Kexin's own) accept SM2-signed e-cards.
 */
import type { SignatureScheme } from '../../crypto/keyStore.ts';

export interface EcardAlgorithm {
  readonly scheme: SignatureScheme;
  readonly jose: string;
  readonly cose: number;
  /** Bytes of r and of s in the raw signature. */
  readonly size: number;
}

export const ES256: EcardAlgorithm = Object.freeze({ scheme: 'ECDSA-SHA256', jose: 'ES256', cose: -7, size: 32 });
export const SM2_SM3: EcardAlgorithm = Object.freeze({ scheme: 'SM2-SM3', jose: 'SM2-SM3', cose: -65600, size: 32 });

export const ALGORITHMS: readonly EcardAlgorithm[] = [ES256, SM2_SM3];

export const byJose = (name: unknown): EcardAlgorithm | undefined => ALGORITHMS.find((a) => a.jose === name);
export const byCose = (value: unknown): EcardAlgorithm | undefined => ALGORITHMS.find((a) => a.cose === value);
