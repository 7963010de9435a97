/**
 * CMS SignedData (RFC 5652) for detached content, CAdES-style (ETSI EN 319 122-1): one SignerInfo
 * identified by issuerAndSerialNumber, signed attributes contentType, messageDigest,
 * signing-certificate-v2 (RFC 5035: ESSCertIDv2 with SHA-256, issuerSerial) and, when asked,
 * signingTime (PAdES baseline omits it: the time is the signature dictionary's /M) and further signed
 * attributes (the seal). Unsigned attributes are added after signing, from the signature value: the
 * signature time-stamp (B-T) and the GB/T 38540 SES_Signature (dual sealing).
 * The private key never leaves the Signer: it signs the DER SET OF signed attributes.
 */
import { certificateParts, context, generalizedTime, integer, OCTET_STRING, oid, SEQUENCE, setOf, tlv, utcTime } from '../../crypto/der.ts';
import { digest, digestAlgorithmIdentifier, signatureAlgorithmIdentifier, type DigestName } from '../../crypto/algorithmIdentifiers.ts';
import type { Signer } from '../../crypto/keyStore.ts';
import { verifySignature } from '../../crypto/signatures.ts';
import { SIGNING_OID } from '../oids.ts';

export interface CmsAttribute {
  readonly oid: string;
  /** DER of each AttributeValue. */
  readonly values: readonly Uint8Array[];
}

export interface BuildSignedDataInput {
  /** The digest of the detached content. */
  readonly contentDigest: Uint8Array;
  readonly digestAlgorithm: DigestName;
  readonly signer: Signer;
  readonly signerCertificate: Uint8Array;
  /** Further certificates for the `certificates` field (the chain; the signer's is always included). */
  readonly chain?: readonly Uint8Array[];
  readonly signingTime?: Date;
  readonly signedAttributes?: readonly CmsAttribute[];
  /** Called with the signature value once it exists: e.g. the signature time-stamp token. */
  readonly unsignedAttributes?: (signature: Uint8Array) => Promise<readonly CmsAttribute[]>;
}

export interface BuiltSignedData {
  /** ContentInfo { id-signedData, SignedData }, DER. */
  readonly der: Uint8Array;
  readonly signature: Uint8Array;
}

export const encodeAttribute = (a: CmsAttribute) => tlv(SEQUENCE, oid(a.oid), setOf(a.values));

/** signing-certificate-v2 value: SigningCertificateV2 { certs: [ESSCertIDv2 { certHash, issuerSerial }] }. */
export function signingCertificateV2(certDer: Uint8Array): Uint8Array {
  const { issuer, serial } = certificateParts(certDer);
  const essCertIdV2 = tlv(SEQUENCE,
    // hashAlgorithm DEFAULT id-sha256: omitted in DER
    tlv(OCTET_STRING, digest('sha256', certDer)),
    tlv(SEQUENCE, tlv(SEQUENCE, tlv(context(4), issuer)), serial));
  return tlv(SEQUENCE, tlv(SEQUENCE, essCertIdV2));
}

/** RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise. */
export function cmsTime(d: Date): Uint8Array {
  const t = new Date(Math.floor(d.getTime() / 1000) * 1000);
  const y = t.getUTCFullYear();
  return y >= 1950 && y < 2050 ? utcTime(t) : generalizedTime(t);
}

export async function buildSignedData(input: BuildSignedDataInput): Promise<BuiltSignedData> {
  const cert = certificateParts(input.signerCertificate);
  if (Buffer.compare(Buffer.from(cert.spki), Buffer.from(input.signer.publicKeySpki)) !== 0) {
    throw new TypeError('the signer key is not the key of the signer certificate');
  }
  const attrs = [
    encodeAttribute({ oid: SIGNING_OID.contentType, values: [oid(SIGNING_OID.data)] }),
    encodeAttribute({ oid: SIGNING_OID.messageDigest, values: [tlv(OCTET_STRING, input.contentDigest)] }),
    encodeAttribute({ oid: SIGNING_OID.signingCertificateV2, values: [signingCertificateV2(input.signerCertificate)] }),
    ...(input.signingTime ? [encodeAttribute({ oid: SIGNING_OID.signingTime, values: [cmsTime(input.signingTime)] })] : []),
    ...(input.signedAttributes ?? []).map(encodeAttribute),
  ];
  const signedAttrs = setOf(attrs);
  const signature = await input.signer.sign(signedAttrs);
  // A signer checks itself: a faulty token never yields a signature nobody can verify.
  if (!verifySignature(input.signer.publicKeySpki, input.signer.scheme, signedAttrs, signature)) {
    throw new Error('the CMS signature does not verify with the signer key');
  }
  const unsigned = input.unsignedAttributes ? await input.unsignedAttributes(signature) : [];
  const digestAlg = new Uint8Array(digestAlgorithmIdentifier(input.digestAlgorithm).toSchema().toBER());
  const signerInfo = tlv(SEQUENCE,
    integer(1),
    tlv(SEQUENCE, cert.issuer, cert.serial),
    digestAlg,
    setOf(attrs, context(0)),
    new Uint8Array(signatureAlgorithmIdentifier(input.signer.scheme).toSchema().toBER()),
    tlv(OCTET_STRING, signature),
    ...(unsigned.length ? [setOf(unsigned.map(encodeAttribute), context(1))] : []));
  const certs = [input.signerCertificate, ...(input.chain ?? [])];
  const signedData = tlv(SEQUENCE,
    integer(1),
    tlv(0x31, digestAlg),
    tlv(SEQUENCE, oid(SIGNING_OID.data)), // detached: no eContent
    setOf(certs, context(0)),
    tlv(0x31, signerInfo));
  return { der: tlv(SEQUENCE, oid(SIGNING_OID.signedData), tlv(context(0), signedData)), signature };
}
