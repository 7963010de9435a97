/**
 * Checks one CMS SignerInfo (RFC 5652 §5.4, §5.6): the messageDigest attribute against the content's
 * digest, the contentType attribute against eContentType, the signature over the DER signed attributes
 * with the signer certificate's key, and the ESS signing-certificate(-v2) binding (RFC 5035) to that
 * certificate. Returns findings as data; every check runs before any field is trusted by a caller.
 */
import { bytesEqual, children, expectTag, readAlgorithmIdentifier, SEQUENCE } from '../../crypto/der.ts';
import { certificateParts } from '../../crypto/der.ts';
import { digest, digestFromOid, type DigestName } from '../../crypto/algorithmIdentifiers.ts';
import type { SignatureScheme } from '../../crypto/keyStore.ts';
import { verifySignature } from '../../crypto/signatures.ts';
import { readOctets, readOid, readTime, TAG } from '../der.ts';
import { SIGNING_OID } from '../oids.ts';
import { attribute, findSignerCertificate, signerInfoScheme, type SignedData, type SignerInfo } from './readSignedData.ts';

export type CmsProblem =
  | 'NO_SIGNED_ATTRIBUTES' | 'DIGEST_ALGORITHM_UNSUPPORTED' | 'SIGNATURE_ALGORITHM_UNSUPPORTED' | 'SIGNER_CERTIFICATE_NOT_FOUND'
  | 'MESSAGE_DIGEST_MISSING' | 'MESSAGE_DIGEST_MISMATCH' | 'CONTENT_TYPE_MISMATCH' | 'SIGNATURE_INVALID'
  | 'SIGNING_CERTIFICATE_MISSING' | 'SIGNING_CERTIFICATE_MISMATCH' | 'ATTRIBUTE_MALFORMED';

export interface CmsCheck {
  readonly signerInfo: SignerInfo;
  readonly signerCertificate: Uint8Array | undefined;
  readonly digestAlgorithm: DigestName | undefined;
  readonly scheme: SignatureScheme | undefined;
  /** messageDigest equals the content digest. */
  readonly hashOk: boolean;
  /** The signature over the signed attributes verifies with the signer certificate. */
  readonly signatureOk: boolean;
  readonly problems: readonly CmsProblem[];
  /** The signingTime attribute, if any (a claim, not a proof). */
  readonly signingTime: Date | undefined;
}

/** Whether the ESS signing-certificate(-v2) attribute names `cert` (RFC 5035 §5.4). */
function signingCertificateMatches(info: SignerInfo, cert: Uint8Array): boolean | undefined {
  const v2 = attribute(info.signedAttrs, SIGNING_OID.signingCertificateV2);
  const v1 = attribute(info.signedAttrs, SIGNING_OID.signingCertificate);
  const a = v2 ?? v1;
  if (!a || a.values.length !== 1) return undefined;
  const [certs] = children(expectTag(a.values[0], SEQUENCE, 'SigningCertificate'));
  const [first] = children(expectTag(certs, SEQUENCE, 'certs'));
  const fields = children(expectTag(first, SEQUENCE, 'ESSCertID'));
  let hashAlg: DigestName | undefined = v2 ? 'sha256' : 'sha1';
  let k = 0;
  if (v2 && fields[0]?.tag === SEQUENCE) hashAlg = digestFromOid(readAlgorithmIdentifier(fields[k++], 'hashAlgorithm').oid);
  const certHash = readOctets(fields[k++], 'certHash');
  if (!hashAlg || !bytesEqual(digest(hashAlg, cert), certHash)) return false;
  const issuerSerial = fields[k];
  if (issuerSerial) {
    const [, serial] = children(expectTag(issuerSerial, SEQUENCE, 'IssuerSerial'));
    if (!serial || !bytesEqual(serial.der, certificateParts(cert).serial)) return false;
  }
  return true;
}

/**
 * Checks the first SignerInfo of `sd`. `contentDigest(alg)` returns the digest of the (detached or
 * encapsulated) content with the algorithm the SignerInfo names.
 */
export function checkSignedData(sd: SignedData, contentDigest: (alg: DigestName) => Uint8Array, extraCertificates: readonly Uint8Array[] = []): CmsCheck {
  const info = sd.signerInfos[0]!;
  const problems: CmsProblem[] = [];
  const cert = findSignerCertificate(info, [...sd.certificates, ...extraCertificates]);
  const scheme = signerInfoScheme(info);
  let hashOk = false;
  let signatureOk = false;
  let signingTime: Date | undefined;
  if (!info.digestAlgorithm) problems.push('DIGEST_ALGORITHM_UNSUPPORTED');
  if (!scheme) problems.push('SIGNATURE_ALGORITHM_UNSUPPORTED');
  if (!cert) problems.push('SIGNER_CERTIFICATE_NOT_FOUND');
  if (!info.signedAttrsDer) {
    problems.push('NO_SIGNED_ATTRIBUTES');
  } else {
    try {
      const md = attribute(info.signedAttrs, SIGNING_OID.messageDigest);
      if (!md || md.values.length !== 1) problems.push('MESSAGE_DIGEST_MISSING');
      else if (info.digestAlgorithm) {
        hashOk = bytesEqual(readOctets(md.values[0], 'messageDigest'), contentDigest(info.digestAlgorithm));
        if (!hashOk) problems.push('MESSAGE_DIGEST_MISMATCH');
      }
      const ct = attribute(info.signedAttrs, SIGNING_OID.contentType);
      if (!ct || ct.values.length !== 1 || readOid(ct.values[0], 'contentType') !== sd.eContentType) problems.push('CONTENT_TYPE_MISMATCH');
      const st = attribute(info.signedAttrs, SIGNING_OID.signingTime);
      if (st?.values.length === 1) signingTime = readTime(st.values[0], 'signingTime');
      if (cert) {
        const m = signingCertificateMatches(info, cert);
        if (m === undefined) problems.push('SIGNING_CERTIFICATE_MISSING');
        else if (!m) problems.push('SIGNING_CERTIFICATE_MISMATCH');
      }
    } catch {
      problems.push('ATTRIBUTE_MALFORMED');
    }
    if (cert && scheme) {
      signatureOk = verifySignature(certificateParts(cert).spki, scheme, info.signedAttrsDer, info.signature);
      if (!signatureOk) problems.push('SIGNATURE_INVALID');
    }
  }
  return Object.freeze({ signerInfo: info, signerCertificate: cert, digestAlgorithm: info.digestAlgorithm, scheme, hashOk, signatureOk, problems: Object.freeze(problems), signingTime });
}

export { TAG };
