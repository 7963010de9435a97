/**
 * A configured responder: one issuing CA and the delegated OCSP responder (certificate + Signer) that
 * answers for it, with the CertID hashes of the issuer precomputed per digest.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type DigestName, digest } from '../../crypto/algorithmIdentifiers.ts';
import type { Signer } from '../../crypto/keyStore.ts';
import { KexinError } from '../../errors.ts';

export interface OcspResponderConfig {
  /** The id `lookup` receives for this issuer (e.g. Kexin's CA id); default: hex SHA-256 of the issuer certificate. */
  readonly issuerId?: string;
  readonly issuerCertDer: Uint8Array;
  /** Delegated responder certificate (EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck) issued by the issuer. */
  readonly responderCertDer: Uint8Array;
  readonly signer: Signer;
}

export interface PreparedResponder {
  readonly issuerId: string;
  readonly config: OcspResponderConfig;
  /** SHA-1 of the responder's subjectPublicKey bits: ResponderID byKey (RFC 6960 §4.2.2.3). */
  readonly responderKeyHash: Uint8Array;
  /** Whether a CertID hashed with `alg` names this issuer. */
  matches(alg: DigestName, issuerNameHash: Uint8Array, issuerKeyHash: Uint8Array): boolean;
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

function parseCert(der: Uint8Array, what: string): pkijs.Certificate {
  try {
    const asn = asn1js.fromBER(der);
    if (asn.offset !== der.length) throw new Error('trailing bytes');
    return new pkijs.Certificate({ schema: asn.result });
  } catch (e) {
    throw new KexinError('OCSP_RESPONDER_CONFIG_INVALID', `${what} is not a DER certificate`, 500, undefined, { cause: e });
  }
}

export function prepareResponder(config: OcspResponderConfig): PreparedResponder {
  const issuer = parseCert(config.issuerCertDer, 'issuerCertDer');
  const responder = parseCert(config.responderCertDer, 'responderCertDer');
  const responderSpki = new Uint8Array(responder.subjectPublicKeyInfo.toSchema().toBER());
  if (!eq(responderSpki, config.signer.publicKeySpki)) {
    throw new KexinError('OCSP_RESPONDER_CONFIG_INVALID', 'the responder signer key is not the key of responderCertDer', 500);
  }
  const nameDer = new Uint8Array(issuer.subject.toSchema().toBER());
  const keyBits = new Uint8Array(issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  const cache = new Map<DigestName, { name: Uint8Array; key: Uint8Array }>();
  const hashes = (alg: DigestName) => {
    let h = cache.get(alg);
    if (!h) cache.set(alg, (h = { name: digest(alg, nameDer), key: digest(alg, keyBits) }));
    return h;
  };
  const respKeyBits = new Uint8Array(responder.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  return {
    issuerId: config.issuerId ?? createHash('sha256').update(config.issuerCertDer).digest('hex'),
    config,
    responderKeyHash: digest('sha1', respKeyBits),
    matches(alg, issuerNameHash, issuerKeyHash) {
      const h = hashes(alg);
      return eq(h.name, issuerNameHash) && eq(h.key, issuerKeyHash);
    },
  };
}
