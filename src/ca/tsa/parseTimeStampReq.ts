/**
 * DER TimeStampReq (RFC 3161 §2.4.1) → what the TSA needs, by a strict DER walk. Throws `TsaRejection`
 * with the PKIFailureInfo to answer with:
 * - not one complete DER TimeStampReq (bad encoding, trailing bytes, wrong structure), version ≠ 1
 *   → badDataFormat
 * - hash algorithm not accepted → badAlg. Accepted: SHA-256, SHA-384, SHA-512, SM3. SHA-1 is refused:
 *   it is not collision resistant (SHAttered 2017, chosen-prefix collisions 2020), and a time-stamp over
 *   a SHA-1 imprint would equally attest any document sharing that digest; MD5 and unknown OIDs likewise.
 *   Parameters other than absent/NULL → badAlg.
 * - hashedMessage length ≠ the algorithm's digest length → badDataFormat
 * - any request extension → unacceptedExtension (this TSA supports none)
 * - a nonce of more than 32 octets → badRequest (it is echoed, so it is bounded)
 */
import { DIGEST_LENGTH, type DigestName, digestFromOid } from '../../crypto/algorithmIdentifiers.ts';
import { children, decodeOid, expectTag, readTlv } from '../../crypto/der.ts';
import { TsaRejection } from './tsaErrors.ts';

export const TSA_ACCEPTED_DIGESTS: readonly DigestName[] = ['sha256', 'sha384', 'sha512', 'sm3'];
export const MAX_TSA_NONCE_OCTETS = 32;

export interface ParsedTimeStampReq {
  readonly hashAlgorithm: DigestName;
  readonly hashedMessage: Uint8Array;
  /** The MessageImprint exactly as received (DER), copied into TSTInfo. */
  readonly messageImprintDer: Uint8Array;
  readonly reqPolicy?: string;
  /** The nonce INTEGER's content octets as received (echoed unchanged). */
  readonly nonce?: Uint8Array;
  readonly certReq: boolean;
}

const copy = (b: Uint8Array) => Uint8Array.from(b);

export function parseTimeStampReq(der: Uint8Array): ParsedTimeStampReq {
  if (!(der instanceof Uint8Array) || der.length === 0) throw new TsaRejection('badDataFormat', 'empty request');
  let f: ReturnType<typeof children>;
  let alg: DigestName | undefined;
  let algOid: string;
  let params: ReturnType<typeof readTlv> | undefined;
  let hashedMessage: Uint8Array;
  let messageImprintDer: Uint8Array;
  let reqPolicy: string | undefined;
  let nonce: Uint8Array | undefined;
  let certReq = false;
  let extensions = false;
  try {
    const top = readTlv(der, 0);
    if (top.end !== der.length) throw new Error('trailing bytes after the TimeStampReq');
    f = children(expectTag(top, 0x30, 'TimeStampReq'));
    const v = expectTag(f[0], 0x02, 'version').content;
    if (v.length !== 1 || v[0] !== 1) throw new Error('TimeStampReq version is not 1');
    const mi = expectTag(f[1], 0x30, 'messageImprint');
    const [algId, hm, ...x] = children(mi);
    if (x.length) throw new Error('MessageImprint has extra fields');
    const [o, p, ...y] = children(expectTag(algId, 0x30, 'hashAlgorithm'));
    if (y.length) throw new Error('AlgorithmIdentifier has extra fields');
    algOid = decodeOid(expectTag(o, 0x06, 'algorithm').content);
    alg = digestFromOid(algOid);
    params = p;
    hashedMessage = copy(expectTag(hm, 0x04, 'hashedMessage').content);
    messageImprintDer = copy(mi.der);
    let i = 2;
    if (f[i]?.tag === 0x06) reqPolicy = decodeOid(f[i++]!.content);
    if (f[i]?.tag === 0x02) {
      nonce = copy(f[i++]!.content);
      if (nonce.length === 0) throw new Error('empty nonce');
    }
    if (f[i]?.tag === 0x01) {
      const b = f[i++]!.content;
      if (b.length !== 1) throw new Error('bad BOOLEAN');
      certReq = b[0] !== 0;
    }
    if (f[i]?.tag === 0xa0) {
      extensions = children(f[i++]!).length > 0;
    }
    if (i !== f.length) throw new Error('unexpected fields in TimeStampReq');
  } catch (e) {
    throw new TsaRejection('badDataFormat', `not a DER TimeStampReq: ${e instanceof Error ? e.message : ''}`, e);
  }
  if (!alg || !TSA_ACCEPTED_DIGESTS.includes(alg)) throw new TsaRejection('badAlg', `hash algorithm ${algOid} is not accepted`);
  if (params && !(params.tag === 0x05 && params.content.length === 0)) throw new TsaRejection('badAlg', 'hash algorithm parameters other than NULL');
  if (hashedMessage.length !== DIGEST_LENGTH[alg]) {
    throw new TsaRejection('badDataFormat', `a ${alg} imprint is ${DIGEST_LENGTH[alg]} octets, not ${hashedMessage.length}`);
  }
  if (extensions) throw new TsaRejection('unacceptedExtension', 'request extensions are not supported');
  if (nonce && nonce.length > MAX_TSA_NONCE_OCTETS) throw new TsaRejection('badRequest', `nonce of ${nonce.length} octets`);
  return { hashAlgorithm: alg, hashedMessage, messageImprintDer, reqPolicy, nonce, certReq };
}
