/**
 * RFC 3161 time-stamps as the seal code needs them: build a TimeStampReq, read the TimeStampResp from
 * the TSA port, read and check a TimeStampToken (TSTInfo imprint, CMS signature, TSA certificate with
 * the critical id-kp-timeStamping EKU is checked by the validator's chain step).
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, children, context, DerError, expectTag, integer, oid, readAlgorithmIdentifier, readWhole, SEQUENCE, tlv, TRUE, OCTET_STRING } from '../../crypto/der.ts';
import { digest, digestAlgorithmIdentifier, digestFromOid, type DigestName } from '../../crypto/algorithmIdentifiers.ts';
import { KexinError } from '../../errors.ts';
import { readGeneralizedTime, readIntegerBytes, readOctets, readOid, readSmallInteger, TAG } from '../der.ts';
import { SIGNING_OID } from '../oids.ts';
import { checkSignedData, type CmsCheck } from './checkSignedData.ts';
import { readSignedData, type SignedData } from './readSignedData.ts';

/** The TSA port: DER TimeStampReq → DER TimeStampResp (the CA service's `timestamp`). */
export type TimestampAuthority = (requestDer: Uint8Array) => Promise<Uint8Array>;

export interface TstInfo {
  readonly policy: string;
  readonly imprintAlgorithm: DigestName | undefined;
  readonly imprint: Uint8Array;
  readonly serialHex: string;
  readonly genTime: Date;
  readonly nonce: Uint8Array | undefined;
}

export interface TimeStampToken {
  readonly der: Uint8Array;
  readonly signedData: SignedData;
  readonly tstInfo: TstInfo;
}

export function buildTimeStampReq(alg: DigestName, imprint: Uint8Array, nonce: Uint8Array): Uint8Array {
  const algDer = new Uint8Array(digestAlgorithmIdentifier(alg).toSchema().toBER());
  if (nonce.length === 0 || nonce[0] === 0 || nonce[0]! & 0x80) throw new TypeError('nonce must be a minimal positive INTEGER');
  return tlv(SEQUENCE, integer(1), tlv(SEQUENCE, algDer, tlv(OCTET_STRING, imprint)), tlv(TAG.INTEGER, nonce), TRUE);
}

export function readTstInfo(der: Uint8Array): TstInfo {
  const f = children(expectTag(readWhole(der, 'TSTInfo'), SEQUENCE, 'TSTInfo'));
  if (readSmallInteger(f[0], 'TSTInfo version') !== 1) throw new DerError('TSTInfo version is not 1');
  const [alg, hashed, ...mx] = children(expectTag(f[2], SEQUENCE, 'messageImprint'));
  if (mx.length) throw new DerError('messageImprint: too many fields');
  let i = 5;
  if (f[i]?.tag === SEQUENCE) i++; // accuracy
  if (f[i]?.tag === TAG.BOOLEAN) i++; // ordering
  const nonce = f[i]?.tag === TAG.INTEGER ? readIntegerBytes(f[i++], 'nonce') : undefined;
  return Object.freeze({
    policy: readOid(f[1], 'policy'),
    imprintAlgorithm: digestFromOid(readAlgorithmIdentifier(alg, 'hashAlgorithm').oid),
    imprint: readOctets(hashed, 'hashedMessage'),
    serialHex: Buffer.from(readIntegerBytes(f[3], 'serialNumber')).toString('hex'),
    genTime: readGeneralizedTime(f[4], 'genTime'),
    nonce,
  });
}

/** Reads a TimeStampToken (ContentInfo with SignedData over TSTInfo); `DerError` when it is not one. */
export function readTimeStampToken(der: Uint8Array): TimeStampToken {
  const signedData = readSignedData(der);
  if (signedData.eContentType !== SIGNING_OID.tstInfo || !signedData.eContent) throw new DerError('not a time-stamp token (eContentType is not id-ct-TSTInfo)');
  return Object.freeze({ der, signedData, tstInfo: readTstInfo(signedData.eContent) });
}

/** The token's CMS check (signature over TSTInfo) plus whether its imprint is the digest of `data`. */
export function checkTimeStampToken(token: TimeStampToken, data: Uint8Array | ((alg: DigestName) => Uint8Array), extraCertificates: readonly Uint8Array[] = []): { cms: CmsCheck; imprintOk: boolean } {
  const cms = checkSignedData(token.signedData, (alg) => digest(alg, token.signedData.eContent!), extraCertificates);
  const alg = token.tstInfo.imprintAlgorithm;
  const expected = alg ? (typeof data === 'function' ? data(alg) : digest(alg, data)) : undefined;
  return { cms, imprintOk: !!expected && bytesEqual(expected, token.tstInfo.imprint) };
}

/**
 * Asks the TSA for a token over `data` (digest `alg`), checks status, nonce, imprint and the token's
 * own signature, and returns the token DER. A TSA that answers anything else is a 502-class failure.
 */
export async function requestTimestamp(tsa: TimestampAuthority, data: Uint8Array, alg: DigestName = 'sha256'): Promise<TimeStampToken> {
  return requestTimestampForDigest(tsa, alg, digest(alg, data));
}

/** As `requestTimestamp`, for a digest already computed (a PDF byte range hashed while streaming). */
export async function requestTimestampForDigest(tsa: TimestampAuthority, alg: DigestName, imprint: Uint8Array): Promise<TimeStampToken> {
  // Positive and minimal as a DER INTEGER: first octet in 0x01..0x7f.
  const nonce = new Uint8Array(randomBytes(8));
  nonce[0] = (nonce[0]! & 0x7f) | 0x01;
  const resp = await tsa(buildTimeStampReq(alg, imprint, nonce));
  const fail = (why: string) => new KexinError('SEAL_TIMESTAMP_FAILED', `the time-stamping authority did not grant a token: ${why}`, 502);
  let tokenDer: Uint8Array;
  try {
    const [status, token, ...rest] = children(expectTag(readWhole(resp, 'TimeStampResp'), SEQUENCE, 'TimeStampResp'));
    const [code] = children(expectTag(status, SEQUENCE, 'PKIStatusInfo'));
    const s = readSmallInteger(code, 'PKIStatus');
    if ((s !== 0 && s !== 1) || !token || rest.length) throw fail(`status ${s}`);
    tokenDer = token.der;
  } catch (e) {
    if (e instanceof KexinError) throw e;
    throw fail('unreadable response');
  }
  const token = readTimeStampToken(tokenDer);
  const { cms, imprintOk } = checkTimeStampToken(token, () => imprint);
  const n = token.tstInfo.nonce;
  const nonceOk = !!n && bytesEqual(n, nonce);
  if (!imprintOk || !cms.signatureOk || !cms.hashOk || !nonceOk) throw fail('the token does not match the request');
  return token;
}

export { context, oid };
