/**
 * The RFC 3161 time-stamp authority core: DER TimeStampReq → DER TimeStampResp. Never throws: every
 * refusal is a TimeStampResp with PKIStatus rejection (2) and a PKIFailureInfo (RFC 3161 §2.4.2).
 *
 * Granted tokens: TSTInfo (v1, policy, messageImprint copied byte for byte, serialNumber, genTime in
 * UTC — with milliseconds when the accuracy is below one second —, accuracy, nonce echoed, optional
 * tsa name) inside CMS SignedData (RFC 5652, eContentType id-ct-TSTInfo), one SignerInfo identified by
 * issuerAndSerialNumber, signed attributes contentType, messageDigest, signingCertificateV2 (RFC 5816:
 * ESSCertIDv2 with SHA-256 certHash, hashAlgorithm omitted as DEFAULT, and issuerSerial) and, unless
 * disabled, signingTime. The digest follows the signer (SHA-256/384/512 for ECDSA/RSA, SM3 for SM2,
 * SHA-512 for Ed25519 per RFC 8419). The signature algorithm is the one `signatureAlgorithmIdentifier`
 * gives — for SM2, SM2-with-SM3 1.2.156.10197.1.501, which is what OpenSSL 3.0 writes and accepts in
 * CMS (GM/T 0010's 1.2.156.10197.1.301.1 "sm2-1" is not used). `certReq` true → the TSA certificate
 * and `chainDers` are in `certificates`; false → no certificates.
 * The private key never leaves the Signer: the DER SET OF signed attributes is passed to `signer.sign`.
 */
import * as asn1js from 'asn1js';
import { certificateParts, context, generalizedTime, integer, OCTET_STRING, oid, SEQUENCE, setOf, tlv, utcTime } from '../../crypto/der.ts';
import { type DigestName, digest, digestAlgorithmIdentifier } from '../../crypto/algorithmIdentifiers.ts';
import type { SignatureScheme, Signer } from '../../crypto/keyStore.ts';
import { signatureAlgorithmIdentifier } from '../../crypto/algorithmIdentifiers.ts';
import type { Clock } from '../../clock.ts';
import { type ParsedTimeStampReq, parseTimeStampReq } from './parseTimeStampReq.ts';
import { PKI_FAILURE_INFO, type PkiFailureInfo, TsaRejection } from './tsaErrors.ts';

export const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const OID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
const OID_TST_INFO_DER = oid(OID_TST_INFO);
const OID_SIGNED_DATA_DER = oid(OID_SIGNED_DATA);
const EMPTY = new Uint8Array(0);

export interface TsaAccuracy {
  readonly seconds?: number;
  readonly millis?: number;
  readonly micros?: number;
}

export interface TsaConfig {
  /** The TSA certificate (critical EKU id-kp-timeStamping only, RFC 3161 §2.3). */
  readonly certDer: Uint8Array;
  /** Issuing CA(s) up to, optionally, the root; sent with the TSA certificate when certReq is true. */
  readonly chainDers: readonly Uint8Array[];
  readonly signer: Signer;
  /** Default policy, used when the request names none. */
  readonly policyOid: string;
  /** Further policies a request may ask for (policyOid is always accepted). */
  readonly acceptedPolicies?: readonly string[];
  readonly accuracy: TsaAccuracy;
  /** Kexin does not guarantee ordering beyond genTime. */
  readonly ordering: false;
  /** Put the TSA's subject in TSTInfo.tsa (directoryName). Default false. */
  readonly includeTsaName?: boolean;
  /** Add the signingTime signed attribute. Default true. */
  readonly signingTime?: boolean;
}

export interface TimestampOptions {
  readonly requestDer: Uint8Array;
  readonly tsa: TsaConfig;
  /** Unique per token, positive, ≤ 160 bits (RFC 3161 §2.4.2): e.g. a DB sequence or 16 random bytes. */
  readonly serial: bigint | Uint8Array;
  readonly clock: Clock;
  /** Receives the cause of a systemFailure rejection (for logging). */
  readonly onError?: (error: unknown) => void;
}

export type TimestampResult =
  | { readonly der: Uint8Array; readonly granted: true; readonly genTime: Date; readonly serialHex: string; readonly request: ParsedTimeStampReq }
  | { readonly der: Uint8Array; readonly granted: false; readonly failInfo: PkiFailureInfo; readonly reason: string };

/** Signature scheme → CMS digest algorithm. */
export function cmsDigestFor(scheme: SignatureScheme): DigestName {
  switch (scheme) {
    case 'ECDSA-SHA384':
    case 'RSA-PSS-SHA384':
    case 'RSA-PKCS1-SHA384':
      return 'sha384';
    case 'ECDSA-SHA512':
    case 'Ed25519':
      return 'sha512';
    case 'SM2-SM3':
      return 'sm3';
    default:
      return 'sha256';
  }
}

/** DER of a PKIFailureInfo BIT STRING with one named bit set (trailing zero bits removed). */
function failInfoBitString(bit: number): asn1js.BitString {
  const bytes = new Uint8Array(Math.floor(bit / 8) + 1);
  bytes[bytes.length - 1] = 0x80 >> (bit % 8);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (bit % 8) });
}

/** A rejection TimeStampResp (status 2, statusString, failInfo). */
export function timestampRejection(failInfo: PkiFailureInfo, text?: string): Uint8Array {
  const fields: asn1js.AsnType[] = [new asn1js.Integer({ value: 2 })];
  if (text) fields.push(new asn1js.Sequence({ value: [new asn1js.Utf8String({ value: text })] }));
  fields.push(failInfoBitString(PKI_FAILURE_INFO[failInfo]));
  return new Uint8Array(new asn1js.Sequence({ value: [new asn1js.Sequence({ value: fields })] }).toBER());
}

/** Positive INTEGER content octets (minimal, leading 0x00 when the high bit is set). */
function positiveIntegerOctets(serial: bigint | Uint8Array): Uint8Array {
  let mag: Uint8Array;
  if (typeof serial === 'bigint') {
    if (serial <= 0n) throw new RangeError('serial must be positive');
    const h = serial.toString(16);
    mag = Uint8Array.from(Buffer.from(h.length % 2 ? `0${h}` : h, 'hex'));
  } else {
    let i = 0;
    while (i < serial.length && serial[i] === 0) i++;
    mag = serial.subarray(i);
    if (mag.length === 0) throw new RangeError('serial must be positive');
  }
  if (mag.length > 20) throw new RangeError('serial must fit 160 bits');
  return mag[0]! & 0x80 ? Uint8Array.from([0, ...mag]) : Uint8Array.from(mag);
}

function accuracyDer(a: TsaAccuracy): Uint8Array {
  const parts: Uint8Array[] = [];
  if (a.seconds) parts.push(integer(a.seconds));
  if (a.millis) parts.push(tlv(0x80, integer(a.millis).subarray(2))); // [0] IMPLICIT INTEGER
  if (a.micros) parts.push(tlv(0x81, integer(a.micros).subarray(2))); // [1] IMPLICIT INTEGER
  return parts.length ? tlv(SEQUENCE, ...parts) : EMPTY;
}

function checkAccuracy(a: TsaAccuracy): void {
  const ok = (x: number | undefined, max: number) => x === undefined || (Number.isInteger(x) && x >= 0 && x <= max);
  if (!ok(a.seconds, 2 ** 31 - 1) || !ok(a.millis, 999) || !ok(a.micros, 999)) throw new RangeError('accuracy: seconds ≥ 0, millis and micros 0..999');
}

const attribute = (attrOid: string, value: Uint8Array) => tlv(SEQUENCE, oid(attrOid), tlv(0x31, value));

/** Parsed TSA certificates, per DER buffer (configs are long-lived). */
const parsedCerts = new WeakMap<Uint8Array, ReturnType<typeof certificateParts>>();
function tsaCertificate(der: Uint8Array) {
  let c = parsedCerts.get(der);
  if (!c) parsedCerts.set(der, (c = certificateParts(der)));
  return c;
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

function fail(failInfo: PkiFailureInfo, reason: string): TimestampResult {
  return { der: timestampRejection(failInfo, reason), granted: false, failInfo, reason };
}

export async function issueTimestamp(options: TimestampOptions): Promise<TimestampResult> {
  const { tsa, clock } = options;
  let req: ParsedTimeStampReq;
  try {
    req = parseTimeStampReq(options.requestDer);
  } catch (e) {
    if (e instanceof TsaRejection) return fail(e.failInfo, e.message);
    options.onError?.(e);
    return fail('badDataFormat', 'request could not be read');
  }
  const accepted = [tsa.policyOid, ...(tsa.acceptedPolicies ?? [])];
  if (req.reqPolicy !== undefined && !accepted.includes(req.reqPolicy)) return fail('unacceptedPolicy', `policy ${req.reqPolicy} is not offered`);
  const policy = req.reqPolicy ?? tsa.policyOid;
  try {
    checkAccuracy(tsa.accuracy);
    const serialOctets = positiveIntegerOctets(options.serial);
    const cert = tsaCertificate(tsa.certDer);
    if (!eq(cert.spki, tsa.signer.publicKeySpki)) {
      throw new Error('the TSA signer key is not the key of the TSA certificate');
    }
    const now = clock.now();
    const a = tsa.accuracy;
    const subSecond = !a.seconds && ((a.millis ?? 0) > 0 || (a.micros ?? 0) > 0);
    const genTime = subSecond ? now : new Date(Math.floor(now.getTime() / 1000) * 1000);

    // TSTInfo (ordering FALSE is DEFAULT: omitted)
    const tstInfoDer = tlv(SEQUENCE,
      integer(1),
      oid(policy),
      req.messageImprintDer,
      tlv(0x02, serialOctets),
      generalizedTime(genTime, subSecond),
      accuracyDer(a),
      req.nonce ? tlv(0x02, req.nonce) : EMPTY,
      tsa.includeTsaName ? tlv(context(0), tlv(context(4), cert.subject)) : EMPTY);

    // Signed attributes
    const md = cmsDigestFor(tsa.signer.scheme);
    const essCertIdV2 = tlv(SEQUENCE,
      // hashAlgorithm DEFAULT id-sha256: omitted (DER)
      tlv(OCTET_STRING, digest('sha256', tsa.certDer)),
      tlv(SEQUENCE, tlv(SEQUENCE, tlv(context(4), cert.issuer)), cert.serial)); // issuerSerial
    const attrs = [
      attribute(OID_CONTENT_TYPE, OID_TST_INFO_DER),
      attribute(OID_MESSAGE_DIGEST, tlv(OCTET_STRING, digest(md, tstInfoDer))),
      attribute(OID_SIGNING_CERTIFICATE_V2, tlv(SEQUENCE, tlv(SEQUENCE, essCertIdV2))),
    ];
    if (tsa.signingTime !== false) {
      const y = genTime.getUTCFullYear();
      // RFC 5652 §11.3: UTCTime for 1950–2049
      attrs.push(attribute(OID_SIGNING_TIME, y >= 1950 && y < 2050 ? utcTime(genTime) : generalizedTime(genTime)));
    }
    // RFC 5652 §5.4: the signature covers the DER SET OF; the SignerInfo carries it as [0] IMPLICIT.
    const signature = await tsa.signer.sign(setOf(attrs));
    const digestAlgDer = new Uint8Array(digestAlgorithmIdentifier(md).toSchema().toBER());
    const signerInfo = tlv(SEQUENCE,
      integer(1),
      tlv(SEQUENCE, cert.issuer, cert.serial), // issuerAndSerialNumber
      digestAlgDer,
      setOf(attrs, context(0)),
      new Uint8Array(signatureAlgorithmIdentifier(tsa.signer.scheme).toSchema().toBER()),
      tlv(OCTET_STRING, signature));
    const signedData = tlv(SEQUENCE,
      integer(3), // RFC 5652 §5.1: eContentType other than id-data
      tlv(0x31, digestAlgDer),
      tlv(SEQUENCE, OID_TST_INFO_DER, tlv(context(0), tlv(OCTET_STRING, tstInfoDer))),
      req.certReq ? setOf([tsa.certDer, ...tsa.chainDers], context(0)) : EMPTY,
      tlv(0x31, signerInfo));
    const der = tlv(SEQUENCE,
      tlv(SEQUENCE, integer(0)), // PKIStatusInfo { granted }
      tlv(SEQUENCE, OID_SIGNED_DATA_DER, tlv(context(0), signedData)));
    return { der, granted: true, genTime, serialHex: Buffer.from(serialOctets).toString('hex'), request: req };
  } catch (e) {
    options.onError?.(e);
    return fail('systemFailure', 'the time-stamp could not be produced');
  }
}

/** DER TimeStampResp for `options.requestDer` (granted or rejection); never throws. */
export async function timestamp(options: TimestampOptions): Promise<Uint8Array> {
  return (await issueTimestamp(options)).der;
}
