/**
 * DER TimeStampReq (RFC 3161 §2.4.1) → what the TSA needs. Throws `TsaRejection` with the
 * PKIFailureInfo to answer with:
 * - not one complete DER TimeStampReq (bad encoding, trailing bytes), version ≠ 1 → badDataFormat
 * - hash algorithm not accepted → badAlg. Accepted: SHA-256, SHA-384, SHA-512, SM3. SHA-1 is refused:
 *   it is not collision resistant (SHAttered, 2017), and a timestamp over a SHA-1 imprint would attest
 *   any document sharing that digest; MD5 and unknown OIDs likewise.
 * - hashedMessage length ≠ the algorithm's digest length → badDataFormat
 * - any request extension → unacceptedExtension (this TSA supports none)
 * - a nonce longer than 32 octets → badRequest (the nonce is echoed, so it is bounded)
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { DIGEST_LENGTH, type DigestName, digestFromOid } from '../../crypto/algorithmIdentifiers.ts';
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

export function parseTimeStampReq(der: Uint8Array): ParsedTimeStampReq {
  if (!(der instanceof Uint8Array) || der.length === 0) throw new TsaRejection('badDataFormat', 'empty request');
  const asn = asn1js.fromBER(der);
  if (asn.offset === -1 || asn.result.error) throw new TsaRejection('badDataFormat', 'request is not DER');
  if (asn.offset !== der.length) throw new TsaRejection('badDataFormat', 'trailing bytes after the TimeStampReq');
  let req: pkijs.TimeStampReq;
  try {
    req = new pkijs.TimeStampReq({ schema: asn.result });
  } catch (e) {
    throw new TsaRejection('badDataFormat', 'not a TimeStampReq', e);
  }
  if (req.version !== 1) throw new TsaRejection('badDataFormat', `TimeStampReq version ${req.version}`);
  const oid = req.messageImprint.hashAlgorithm.algorithmId;
  const alg = digestFromOid(oid);
  if (!alg || !TSA_ACCEPTED_DIGESTS.includes(alg)) throw new TsaRejection('badAlg', `hash algorithm ${oid} is not accepted`);
  const params = req.messageImprint.hashAlgorithm.algorithmParams;
  if (params !== undefined && !(params instanceof asn1js.Null)) throw new TsaRejection('badAlg', 'hash algorithm parameters other than NULL');
  const hashedMessage = new Uint8Array(req.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (hashedMessage.length !== DIGEST_LENGTH[alg]) {
    throw new TsaRejection('badDataFormat', `a ${alg} imprint is ${DIGEST_LENGTH[alg]} octets, not ${hashedMessage.length}`);
  }
  if (req.extensions && req.extensions.length > 0) throw new TsaRejection('unacceptedExtension', 'request extensions are not supported');
  let nonce: Uint8Array | undefined;
  if (req.nonce) {
    nonce = new Uint8Array(req.nonce.valueBlock.valueHexView);
    if (nonce.length === 0 || nonce.length > MAX_TSA_NONCE_OCTETS) throw new TsaRejection('badRequest', `nonce of ${nonce.length} octets`);
  }
  const messageImprintDer = new Uint8Array((asn.result as asn1js.Sequence).valueBlock.value[1]!.toBER());
  return { hashAlgorithm: alg, hashedMessage, messageImprintDer, reqPolicy: req.reqPolicy, nonce, certReq: req.certReq === true };
}
