/**
 * The electronic signature-seal structure of GB/T 38540-2020 (version 4):
 *
 *   SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING (签章者证书),
 *                                signatureAlgID OBJECT IDENTIFIER, signature BIT STRING,
 *                                timeStamp [0] EXPLICIT BIT STRING OPTIONAL }
 *   TBS_Sign ::= SEQUENCE { version INTEGER (4), eseal SESeal, timeInfo GeneralizedTime,
 *                           dataHash BIT STRING, propertyInfo IA5String, extDatas ExtensionDatas OPTIONAL }
 *
 * The signer signs the DER of TBS_Sign; `dataHash` is SM3 of the signed data for SM2 (SHA-256 for
 * ECDSA). `timeStamp` is an RFC 3161 TimeStampToken over the signature value (the octets of the
 * `signature` BIT STRING), carried as the octets of the BIT STRING, with [0] EXPLICIT as ofdrw writes it
 * (a bare trailing BIT STRING is also read).
 */
import { children, DerError, expectTag, oid as oidDer, readWhole, tlv, type Tlv } from '../../crypto/der.ts';
import type { Signer } from '../../crypto/keyStore.ts';
import { verifySignature } from '../../crypto/signatures.ts';
import { generalizedTime, integer } from '../../crypto/der.ts';
import { readAscii, readGeneralizedTime, readOctetAlignedBits, readOctets, readOid, readSmallInteger, TAG } from '../der.ts';
import { parseSESealTlv, SES_VERSION, sesAlgorithmOid, sesSchemeFromOid, type SESeal } from './sesSeal.ts';

export interface SesSignature {
  readonly seal: SESeal;
  readonly timeInfo: Date;
  readonly dataHash: Uint8Array;
  readonly propertyInfo: string;
  /** DER TBS_Sign (what the signature covers). */
  readonly tbsDer: Uint8Array;
  readonly signerCertificate: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  /** DER TimeStampToken over `signature`, when present. */
  readonly timeStampToken?: Uint8Array;
  readonly der: Uint8Array;
}

export interface MakeSesSignatureInput {
  readonly seal: SESeal;
  readonly signer: Signer;
  readonly signerCertificate: Uint8Array;
  readonly time: Date;
  readonly dataHash: Uint8Array;
  /** What was signed, e.g. "pdf:ByteRange=[0 1234 5678 910]" or "file:report.zip". ASCII. */
  readonly propertyInfo: string;
  /** Returns a DER TimeStampToken over the signature value; omitted → no timestamp. */
  readonly timestamp?: (signatureValue: Uint8Array) => Promise<Uint8Array>;
}

export async function makeSesSignature(input: MakeSesSignatureInput): Promise<SesSignature> {
  if (!/^[\x20-\x7e]*$/.test(input.propertyInfo)) throw new TypeError('propertyInfo is printable ASCII (IA5String)');
  const tbsDer = tlv(TAG.SEQUENCE,
    integer(SES_VERSION),
    input.seal.der,
    generalizedTime(new Date(Math.floor(input.time.getTime() / 1000) * 1000)),
    tlv(TAG.BIT_STRING, Uint8Array.of(0), input.dataHash),
    tlv(TAG.IA5_STRING, Buffer.from(input.propertyInfo, 'latin1')));
  const signature = await input.signer.sign(tbsDer);
  if (!verifySignature(input.signer.publicKeySpki, input.signer.scheme, tbsDer, signature)) {
    throw new Error('the SES_Signature does not verify with the signer key');
  }
  const timeStampToken = input.timestamp ? await input.timestamp(signature) : undefined;
  const der = tlv(TAG.SEQUENCE,
    tbsDer,
    tlv(TAG.OCTET_STRING, input.signerCertificate),
    oidDer(sesAlgorithmOid(input.signer.scheme)),
    tlv(TAG.BIT_STRING, Uint8Array.of(0), signature),
    ...(timeStampToken ? [tlv(0xa0, tlv(TAG.BIT_STRING, Uint8Array.of(0), timeStampToken))] : []));
  return parseSesSignature(der);
}

function parseTbs(t: Tlv | undefined) {
  const [version, eseal, timeInfo, dataHash, propertyInfo, ext, ...rest] = children(expectTag(t, TAG.SEQUENCE, 'TBS_Sign'));
  if (rest.length || (ext && ext.tag !== TAG.SEQUENCE)) throw new DerError('TBS_Sign: unexpected fields');
  const v = readSmallInteger(version, 'TBS_Sign version');
  if (v !== SES_VERSION) throw new DerError(`TBS_Sign version ${v}: only version 4 is read`);
  if (!eseal) throw new DerError('TBS_Sign: missing eseal');
  return {
    seal: parseSESealTlv(eseal),
    timeInfo: readGeneralizedTime(timeInfo, 'timeInfo'),
    dataHash: readOctetAlignedBits(dataHash, 'dataHash'),
    propertyInfo: readAscii(propertyInfo, 'propertyInfo'),
  };
}

/** Parses a DER SES_Signature v4; `DerError` for anything that is not one. */
export function parseSesSignature(der: Uint8Array): SesSignature {
  const top = readWhole(der, 'SES_Signature');
  const [tbs, cert, alg, sig, ts, ...rest] = children(expectTag(top, TAG.SEQUENCE, 'SES_Signature'));
  if (rest.length) throw new DerError('SES_Signature: too many fields');
  let timeStampToken: Uint8Array | undefined;
  if (ts) {
    const bits = ts.tag === 0xa0 ? children(ts) : [ts];
    if (bits.length !== 1) throw new DerError('SES_Signature timeStamp: expected one BIT STRING');
    timeStampToken = readOctetAlignedBits(bits[0], 'SES_Signature timeStamp');
  }
  return Object.freeze({
    ...parseTbs(tbs),
    tbsDer: tbs!.der,
    signerCertificate: readOctets(cert, 'SES_Signature cert'),
    signatureAlgorithm: readOid(alg, 'SES_Signature signatureAlgID'),
    signature: readOctetAlignedBits(sig, 'SES_Signature signature'),
    ...(timeStampToken ? { timeStampToken } : {}),
    der: top.der,
  });
}

/** Whether the signature over TBS_Sign verifies with the signer certificate's key (`spki`). */
export function checkSesSignature(s: SesSignature, spki: Uint8Array): boolean {
  const scheme = sesSchemeFromOid(s.signatureAlgorithm);
  return !!scheme && verifySignature(spki, scheme, s.tbsDer, s.signature);
}
