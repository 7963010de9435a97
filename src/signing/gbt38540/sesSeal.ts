/**
 * The electronic seal structure of GB/T 38540-2020 (version 4), DER exactly as the standard writes it:
 *
 *   SESeal ::= SEQUENCE { eSealInfo SES_SealInfo, cert OCTET STRING (制章人证书),
 *                         signAlgID OBJECT IDENTIFIER, signedValue BIT STRING }
 *   SES_SealInfo ::= SEQUENCE { header SES_Header, esID IA5String, property SES_ESPropertyInfo,
 *                               picture SES_ESPictrueInfo, extDatas ExtensionDatas OPTIONAL }
 *   SES_Header ::= SEQUENCE { ID IA5String ("ES"), version INTEGER (4), Vid IA5String }
 *   SES_ESPropertyInfo ::= SEQUENCE { type INTEGER, name UTF8String, certListType INTEGER,
 *                                     certList SES_CertList, createDate GeneralizedTime,
 *                                     validStart GeneralizedTime, validEnd GeneralizedTime }
 *   SES_CertList ::= CHOICE { certs SEQUENCE OF OCTET STRING,          -- certListType 1
 *                             certDigestList SEQUENCE OF CertDigestObj } -- certListType 2
 *   CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }
 *   SES_ESPictrueInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER }
 *
 * The maker (制章人) signs the DER of SES_SealInfo (as ofdrw and the published GB/T 38540 verifiers
 * do). Picture width and height are in millimetres. SM2 seals are signed SM2-with-SM3
 * (1.2.156.10197.1.501); Kexin's ECDSA seals carry ecdsa-with-SHA256 in the same field.
 */
import { bytesEqual, children, DerError, expectTag, oid as oidDer, readTlv, readWhole, tlv, type Tlv } from '../../crypto/der.ts';
import type { SignatureScheme, Signer } from '../../crypto/keyStore.ts';
import { verifySignature } from '../../crypto/signatures.ts';
import { OID } from '../../crypto/algorithmIdentifiers.ts';
import { generalizedTime, integer } from '../../crypto/der.ts';
import { readAscii, readGeneralizedTime, readOctetAlignedBits, readOctets, readOid, readSmallInteger, readUtf8, TAG } from '../der.ts';

/** GB/T 38540 seal types: 1 单位印章 (organisation seal), 2 个人印章 (personal seal). */
export type SealType = 1 | 2;

export interface SealPicture {
  /** "PNG" (Kexin writes PNG; "OFD", "JPG", "BMP", "SVG" are read). */
  readonly type: string;
  readonly data: Uint8Array;
  readonly widthMm: number;
  readonly heightMm: number;
}

export interface SealInfo {
  /** Vendor identifier (SES_Header.Vid). */
  readonly vid: string;
  readonly esId: string;
  readonly type: SealType;
  readonly name: string;
  /** certListType 1: the signer certificates themselves (DER). */
  readonly certs: readonly Uint8Array[];
  /** certListType 2 (read only): digests of the signer certificates. */
  readonly certDigests?: readonly { readonly type: string; readonly value: Uint8Array }[];
  readonly createDate: Date;
  readonly validStart: Date;
  readonly validEnd: Date;
  readonly picture: SealPicture;
}

export interface SESeal {
  readonly info: SealInfo;
  /** The DER SES_SealInfo the maker signed. */
  readonly sealInfoDer: Uint8Array;
  /** The maker's (制章人) certificate, DER. */
  readonly makerCertificate: Uint8Array;
  readonly signAlgorithm: string;
  readonly signature: Uint8Array;
  /** The whole SESeal, DER. */
  readonly der: Uint8Array;
}

export const SES_VERSION = 4;
const IA5 = (s: string) => {
  if (!/^[\x00-\x7f]*$/.test(s)) throw new TypeError(`IA5String must be ASCII: ${s}`);
  return tlv(TAG.IA5_STRING, Buffer.from(s, 'latin1'));
};
const UTF8 = (s: string) => tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));
const OCTETS = (b: Uint8Array) => tlv(TAG.OCTET_STRING, b);
const BITS = (b: Uint8Array) => tlv(TAG.BIT_STRING, Uint8Array.of(0), b);
/** GB/T 38540 times are whole seconds, UTC. */
const TIME = (d: Date) => generalizedTime(new Date(Math.floor(d.getTime() / 1000) * 1000));

/** The OBJECT IDENTIFIER a seal or seal signature carries for `scheme`. */
export function sesAlgorithmOid(scheme: SignatureScheme): string {
  switch (scheme) {
    case 'SM2-SM3': return OID.sm2WithSm3;
    case 'ECDSA-SHA256': return OID.ecdsaWithSha256;
    case 'ECDSA-SHA384': return OID.ecdsaWithSha384;
    default: throw new TypeError(`GB/T 38540 structures are signed with SM2 or ECDSA, not ${scheme}`);
  }
}

/** The scheme named by a seal's signAlgID, or undefined. */
export function sesSchemeFromOid(oid: string): SignatureScheme | undefined {
  return oid === OID.sm2WithSm3 ? 'SM2-SM3' : oid === OID.ecdsaWithSha256 ? 'ECDSA-SHA256' : oid === OID.ecdsaWithSha384 ? 'ECDSA-SHA384' : undefined;
}

export function encodeSealInfo(info: SealInfo): Uint8Array {
  if (!Number.isInteger(info.picture.widthMm) || !Number.isInteger(info.picture.heightMm)) throw new TypeError('seal picture size is whole millimetres');
  const header = tlv(TAG.SEQUENCE, IA5('ES'), integer(SES_VERSION), IA5(info.vid));
  const certList = tlv(TAG.SEQUENCE, ...info.certs.map(OCTETS));
  const property = tlv(TAG.SEQUENCE,
    integer(info.type), UTF8(info.name), integer(1), certList,
    TIME(info.createDate), TIME(info.validStart), TIME(info.validEnd));
  const picture = tlv(TAG.SEQUENCE, IA5(info.picture.type), OCTETS(info.picture.data), integer(info.picture.widthMm), integer(info.picture.heightMm));
  return tlv(TAG.SEQUENCE, header, IA5(info.esId), property, picture);
}

/** Builds and signs a v4 SESeal with the maker's key; the signature is checked before it is returned. */
export async function makeSESeal(info: SealInfo, maker: { certificate: Uint8Array; signer: Signer }): Promise<SESeal> {
  const sealInfoDer = encodeSealInfo(info);
  const signature = await maker.signer.sign(sealInfoDer);
  if (!verifySignature(maker.signer.publicKeySpki, maker.signer.scheme, sealInfoDer, signature)) {
    throw new Error('the seal maker signature does not verify with its own key');
  }
  const algorithm = sesAlgorithmOid(maker.signer.scheme);
  const der = tlv(TAG.SEQUENCE, sealInfoDer, OCTETS(maker.certificate), oidDer(algorithm), BITS(signature));
  return Object.freeze({ info, sealInfoDer, makerCertificate: maker.certificate, signAlgorithm: algorithm, signature, der });
}

function readCertList(type: number, t: Tlv | undefined): Pick<SealInfo, 'certs' | 'certDigests'> {
  const items = children(expectTag(t, TAG.SEQUENCE, 'certList'));
  if (type === 1) return { certs: items.map((c) => readOctets(c, 'certList certificate')) };
  if (type === 2) {
    return {
      certs: [],
      certDigests: items.map((c) => {
        const [kind, value, ...rest] = children(expectTag(c, TAG.SEQUENCE, 'CertDigestObj'));
        if (rest.length) throw new DerError('CertDigestObj: too many fields');
        return { type: readAscii(kind, 'CertDigestObj type', TAG.PRINTABLE_STRING), value: readOctets(value, 'CertDigestObj value') };
      }),
    };
  }
  throw new DerError(`certListType ${type} is neither 1 nor 2`);
}

/** Reads SES_SealInfo (strict DER). */
export function parseSealInfo(t: Tlv): SealInfo {
  const [header, esId, property, picture, ext, ...rest] = children(expectTag(t, TAG.SEQUENCE, 'SES_SealInfo'));
  if (rest.length || (ext && ext.tag !== TAG.SEQUENCE)) throw new DerError('SES_SealInfo: unexpected fields');
  const [id, version, vid, ...hx] = children(expectTag(header, TAG.SEQUENCE, 'SES_Header'));
  if (hx.length) throw new DerError('SES_Header: too many fields');
  if (readAscii(id, 'SES_Header ID') !== 'ES') throw new DerError('SES_Header ID is not "ES"');
  const v = readSmallInteger(version, 'SES_Header version');
  if (v !== SES_VERSION) throw new DerError(`SES_Header version ${v}: only version 4 (GB/T 38540-2020) is read`);
  const p = children(expectTag(property, TAG.SEQUENCE, 'SES_ESPropertyInfo'));
  if (p.length !== 7) throw new DerError('SES_ESPropertyInfo: expected 7 fields');
  const type = readSmallInteger(p[0], 'seal type');
  const certListType = readSmallInteger(p[2], 'certListType');
  const pic = children(expectTag(picture, TAG.SEQUENCE, 'SES_ESPictrueInfo'));
  if (pic.length !== 4) throw new DerError('SES_ESPictrueInfo: expected 4 fields');
  return Object.freeze({
    vid: readAscii(vid, 'SES_Header Vid'),
    esId: readAscii(esId, 'esID'),
    type: type as SealType,
    name: readUtf8(p[1], 'seal name'),
    ...readCertList(certListType, p[3]),
    createDate: readGeneralizedTime(p[4], 'createDate'),
    validStart: readGeneralizedTime(p[5], 'validStart'),
    validEnd: readGeneralizedTime(p[6], 'validEnd'),
    picture: Object.freeze({
      type: readAscii(pic[0], 'picture type'),
      data: readOctets(pic[1], 'picture data'),
      widthMm: readSmallInteger(pic[2], 'picture width'),
      heightMm: readSmallInteger(pic[3], 'picture height'),
    }),
  });
}

export function parseSESealTlv(t: Tlv): SESeal {
  const [info, cert, alg, sig, ...rest] = children(expectTag(t, TAG.SEQUENCE, 'SESeal'));
  if (rest.length) throw new DerError('SESeal: too many fields');
  if (!info) throw new DerError('SESeal: missing eSealInfo');
  return Object.freeze({
    info: parseSealInfo(info),
    sealInfoDer: info.der,
    makerCertificate: readOctets(cert, 'SESeal cert'),
    signAlgorithm: readOid(alg, 'SESeal signAlgID'),
    signature: readOctetAlignedBits(sig, 'SESeal signedValue'),
    der: t.der,
  });
}

/** Parses a DER SESeal; `DerError` for anything that is not one. */
export function parseSESeal(der: Uint8Array): SESeal {
  return parseSESealTlv(readWhole(der, 'SESeal'));
}

/** Whether the maker's signature over SES_SealInfo verifies with the key in the maker certificate. */
export function checkSealSignature(seal: SESeal, makerSpki: Uint8Array): boolean {
  const scheme = sesSchemeFromOid(seal.signAlgorithm);
  return !!scheme && verifySignature(makerSpki, scheme, seal.sealInfoDer, seal.signature);
}

/** Whether `certDer` is one of the seal's signer certificates (certList, by value or by digest). */
export function sealListsCertificate(seal: SESeal, certDer: Uint8Array, digestOf: (alg: string, data: Uint8Array) => Uint8Array | undefined): boolean {
  if (seal.info.certs.some((c) => bytesEqual(c, certDer))) return true;
  return (seal.info.certDigests ?? []).some((d) => {
    const h = digestOf(d.type, certDer);
    return !!h && bytesEqual(h, d.value);
  });
}

export { readTlv };
