/**
 * Revocation evidence carried by a signed document (the PAdES DSS, ETSI EN 319 142-1 §5.4.2): OCSP
 * responses and CRLs, each trusted only after its signature verifies — an OCSP response by the
 * certificate's issuer or by a responder that issuer certified for id-kp-OCSPSigning (RFC 6960
 * §4.2.2.2), a CRL by the issuer. It answers as a `RevocationSource`: `unknown` when it holds nothing
 * that speaks for the certificate, so the CA's own records answer instead.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { schemeFromAlgorithmIdentifier } from '../../crypto/algorithmIdentifiers.ts';
import { verifySignature } from '../../crypto/signatures.ts';
import { bytesEqual, nameDer, serialHex, spkiDer, X509_OID } from '../../ca/certificate.ts';
import type { RevocationSource, RevocationStatus } from '../../ca/validatePath.ts';
import type { ReasonName } from '../../ca/revocationReasons.ts';

/** At most this many embedded responses and CRLs are read from one document. */
export const MAX_EMBEDDED_REVOCATION = 64;

const REASONS: readonly ReasonName[] = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', 'removeFromCRL' as ReasonName, 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'] as ReasonName[];

function parse<T>(der: Uint8Array, make: (schema: asn1js.AsnType) => T): T | undefined {
  try {
    const a = asn1js.fromBER(new Uint8Array(der).buffer as ArrayBuffer);
    if (a.offset === -1) return undefined;
    return make(a.result);
  } catch {
    return undefined;
  }
}

function signedBy(tbs: Uint8Array, algorithm: pkijs.AlgorithmIdentifier, signature: asn1js.BitString, signer: pkijs.Certificate): boolean {
  const scheme = schemeFromAlgorithmIdentifier(new Uint8Array(algorithm.toSchema().toBER()));
  return !!scheme && verifySignature(spkiDer(signer), scheme, tbs, new Uint8Array(signature.valueBlock.valueHexView));
}

export interface EmbeddedEvidence {
  readonly ocsps: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
  /** Certificates that may be OCSP responders (from the DSS and the responses themselves). */
  readonly certificates: readonly Uint8Array[];
}

/**
 * `at`: the time the status is needed for. A "good" answer counts only when it was issued at or after
 * `at` (an older one cannot speak for that time); a revocation counts whenever it is proven.
 */
export function embeddedRevocationSource(evidence: EmbeddedEvidence, at: Date): RevocationSource & { readonly used: RevocationStatus[] } {
  const ocsps = evidence.ocsps.slice(0, MAX_EMBEDDED_REVOCATION).map((d) => parse(d, (s) => new pkijs.OCSPResponse({ schema: s }))).filter((x) => !!x);
  const crls = evidence.crls.slice(0, MAX_EMBEDDED_REVOCATION).map((d) => parse(d, (s) => new pkijs.CertificateRevocationList({ schema: s }))).filter((x) => !!x);
  const extraCerts = evidence.certificates.slice(0, MAX_EMBEDDED_REVOCATION).map((d) => parse(d, (s) => new pkijs.Certificate({ schema: s }))).filter((x) => !!x);
  const used: RevocationStatus[] = [];

  const fromOcsp = (cert: pkijs.Certificate, issuer: pkijs.Certificate): RevocationStatus | undefined => {
    const serial = serialHex(cert);
    const issuerKey = new Uint8Array(issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
    for (const r of ocsps) {
      if (r.responseStatus.valueBlock.valueDec !== 0 || !r.responseBytes) continue;
      const basic = parse(new Uint8Array(r.responseBytes.response.valueBlock.valueHexView), (s) => new pkijs.BasicOCSPResponse({ schema: s }));
      if (!basic) continue;
      const single = basic.tbsResponseData.responses.find((sr) => {
        const alg = sr.certID.hashAlgorithm.algorithmId === '1.3.14.3.2.26' ? 'sha1' : sr.certID.hashAlgorithm.algorithmId === '2.16.840.1.101.3.4.2.1' ? 'sha256' : undefined;
        if (!alg) return false;
        const keyHash = createHash(alg).update(issuerKey).digest();
        const nameHash = createHash(alg).update(nameDer(issuer.subject)).digest();
        return Buffer.from(sr.certID.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^(00)+(?=.)/, '').padStart(40, '0') === serial
          && bytesEqual(new Uint8Array(sr.certID.issuerKeyHash.valueBlock.valueHexView), keyHash)
          && bytesEqual(new Uint8Array(sr.certID.issuerNameHash.valueBlock.valueHexView), nameHash);
      });
      if (!single) continue;
      const tbs = new Uint8Array(basic.tbsResponseData.tbsView);
      // The responder: the issuer itself, or a certificate it issued with id-kp-OCSPSigning.
      const candidates = [issuer, ...(basic.certs ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate), ...extraCerts];
      const responder = candidates.find((c) => {
        if (!signedBy(tbs, basic.signatureAlgorithm, basic.signature, c)) return false;
        if (c === issuer || bytesEqual(spkiDer(c), spkiDer(issuer))) return true;
        const eku = c.extensions?.find((e) => e.extnID === X509_OID.extKeyUsage)?.parsedValue as pkijs.ExtKeyUsage | undefined;
        return bytesEqual(nameDer(c.issuer), nameDer(issuer.subject)) && !!eku?.keyPurposes.includes(X509_OID.kpOcspSigning)
          && signedBy(new Uint8Array(c.tbsView), c.signatureAlgorithm, c.signatureValue, issuer);
      });
      if (!responder) continue;
      const status = single.certStatus as asn1js.Primitive | asn1js.Constructed;
      const tag = status.idBlock.tagNumber;
      const producedAt = basic.tbsResponseData.producedAt;
      if (tag === 0) {
        if (producedAt.getTime() < at.getTime()) continue;
        return { status: 'good', source: `dss:ocsp producedAt ${producedAt.toISOString()}` };
      }
      if (tag === 1) {
        const info = status as asn1js.Constructed;
        const t = info.valueBlock.value[0] as asn1js.GeneralizedTime;
        const reason = info.valueBlock.value[1] ? ((info.valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.Enumerated).valueBlock.valueDec : undefined;
        return { status: 'revoked', revokedAt: t.toDate(), ...(reason !== undefined && REASONS[reason] ? { reason: REASONS[reason] } : {}), source: `dss:ocsp producedAt ${producedAt.toISOString()}` };
      }
    }
    return undefined;
  };

  const fromCrl = (cert: pkijs.Certificate, issuer: pkijs.Certificate): RevocationStatus | undefined => {
    const serial = serialHex(cert);
    for (const crl of crls) {
      if (!bytesEqual(nameDer(crl.issuer), nameDer(issuer.subject))) continue;
      if (!signedBy(new Uint8Array(crl.tbsView), crl.signature, crl.signatureValue, issuer)) continue;
      const entry = crl.revokedCertificates?.find((e) => Buffer.from(e.userCertificate.valueBlock.valueHexView).toString('hex').replace(/^(00)+(?=.)/, '').padStart(40, '0') === serial);
      if (entry) return { status: 'revoked', revokedAt: entry.revocationDate.value, source: `dss:crl thisUpdate ${crl.thisUpdate.value.toISOString()}` };
      if (crl.thisUpdate.value.getTime() < at.getTime()) continue;
      return { status: 'good', source: `dss:crl thisUpdate ${crl.thisUpdate.value.toISOString()}` };
    }
    return undefined;
  };

  return {
    used,
    status(cert, issuer) {
      const s = fromOcsp(cert, issuer) ?? fromCrl(cert, issuer) ?? { status: 'unknown' as const, source: 'dss: no evidence' };
      used.push(s);
      return s;
    },
  };
}
