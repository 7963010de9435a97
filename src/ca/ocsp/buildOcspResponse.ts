/**
 * The OCSP responder core (RFC 6960, RFC 5019 profile): parsed request + certificate-status port →
 * signed DER OCSPResponse. Never throws: every failure is an OCSPResponse with an error status.
 *
 * - The issuer of each CertID is found by recomputing issuerNameHash/issuerKeyHash with the CertID's
 *   own hash algorithm (SHA-1, SHA-256, SHA-384, SHA-512, SM3) against every configured issuer.
 * - One response carries one signature, so all CertIDs must belong to one issuer. A request whose
 *   CertIDs span issuers, or names no configured issuer, is answered `unauthorized` (RFC 6960 §2.3).
 * - A CertID with a hash algorithm Kexin does not accept, or a serial Kexin cannot have issued
 *   (negative, > 20 octets), is answered `unknown` inside the response of the issuer the other CertIDs
 *   select (or of the only configured responder); alone, with several responders, it is `unauthorized`.
 * - ResponderID is byKey; the responder certificate is included in `certs`; the nonce (RFC 8954) is
 *   echoed byte for byte; times are whole seconds (RFC 5019 §2.2.4 / RFC 5280 GeneralizedTime).
 */
import * as asn1js from 'asn1js';
import { signatureAlgorithmIdentifier } from '../../crypto/algorithmIdentifiers.ts';
import type { Clock } from '../../clock.ts';
import type { RevocationReason } from '../revocation.ts';
import { OCSP_RESPONSE_STATUS, type OcspErrorStatus, ocspErrorResponse } from './ocspErrorResponse.ts';
import { BIT_STRING, context, generalizedTime, OCTET_STRING, SEQUENCE, tlv } from '../../crypto/der.ts';
import { type OcspResponderConfig, type PreparedResponder, prepareResponder } from './ocspResponder.ts';
import { type ParsedOcspRequest, OID_OCSP_NONCE, parseOcspRequest } from './parseOcspRequest.ts';

export { ocspErrorResponse } from './ocspErrorResponse.ts';

export const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OID_OCSP_BASIC_DER = new Uint8Array(new asn1js.ObjectIdentifier({ value: OID_OCSP_BASIC }).toBER());
const OID_OCSP_NONCE_DER = new Uint8Array(new asn1js.ObjectIdentifier({ value: OID_OCSP_NONCE }).toBER());

export type CertificateStatusAnswer =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason?: RevocationReason }
  | { readonly status: 'unknown' };

/** The status port: `serialHex` is Kexin's canonical serial (40 lowercase hex digits). */
export type OcspLookup = (issuerId: string, serialHex: string) => CertificateStatusAnswer | Promise<CertificateStatusAnswer>;

export interface RespondOptions {
  /** DER OCSPRequest, or one already parsed. */
  readonly request: Uint8Array | ParsedOcspRequest;
  /** Configs, or responders prepared once with `prepareResponders` (cheaper per request). */
  readonly responders: readonly (OcspResponderConfig | PreparedResponder)[];
  readonly lookup: OcspLookup;
  readonly clock: Clock;
  /** nextUpdate = thisUpdate + this; omitted → no nextUpdate. */
  readonly nextUpdateSeconds?: number;
  /** Receives the cause of an internalError / malformedRequest (for logging). */
  readonly onError?: (error: unknown) => void;
}

export interface OcspAnswer {
  readonly der: Uint8Array;
  readonly responseStatus: keyof typeof OCSP_RESPONSE_STATUS;
  /** Present for successful responses. */
  readonly producedAt?: Date;
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date;
  /** The issuer the response was signed for. */
  readonly issuerId?: string;
}

/** RFC 5280 §5.3.1 CRLReason codes (7 is unused). */
const CRL_REASON_CODE: Readonly<Record<RevocationReason, number>> = {
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4,
  cessationOfOperation: 5, certificateHold: 6, removeFromCRL: 8, privilegeWithdrawn: 9, aACompromise: 10,
};

function isPrepared(r: OcspResponderConfig | PreparedResponder): r is PreparedResponder {
  return typeof (r as PreparedResponder).matches === 'function';
}

/** Prepared responders per config object, so passing the same configs again costs no parsing. */
const preparedCache = new WeakMap<OcspResponderConfig, PreparedResponder>();

export function prepareResponders(configs: readonly (OcspResponderConfig | PreparedResponder)[]): PreparedResponder[] {
  return configs.map((c) => {
    if (isPrepared(c)) return c;
    let p = preparedCache.get(c);
    if (!p) preparedCache.set(c, (p = prepareResponder(c)));
    return p;
  });
}

const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
const fail = (status: OcspErrorStatus): OcspAnswer => ({ der: ocspErrorResponse(status), responseStatus: status });

function certStatusDer(answer: CertificateStatusAnswer): Uint8Array {
  switch (answer.status) {
    case 'good':
      return Uint8Array.of(0x80, 0x00); // [0] IMPLICIT NULL
    case 'unknown':
      return Uint8Array.of(0x82, 0x00); // [2] IMPLICIT NULL
    case 'revoked': {
      // [1] IMPLICIT RevokedInfo { revocationTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
      const time = generalizedTime(wholeSeconds(answer.revokedAt));
      if (answer.reason === undefined) return tlv(0xa1, time);
      return tlv(0xa1, time, tlv(context(0), Uint8Array.of(0x0a, 0x01, CRL_REASON_CODE[answer.reason])));
    }
  }
}

/** Which responder answers: the one issuer every recognised CertID names, or null (unauthorized). */
export function selectResponder(parsed: ParsedOcspRequest, responders: readonly PreparedResponder[]): { responder: PreparedResponder; matched: boolean[] } | null {
  let chosen: PreparedResponder | undefined;
  const matched: boolean[] = [];
  for (const { certId } of parsed.requests) {
    const alg = certId.hashAlgorithm;
    const r = alg ? responders.find((x) => x.matches(alg, certId.issuerNameHash, certId.issuerKeyHash)) : undefined;
    matched.push(r !== undefined);
    if (!r) {
      if (alg) return null; // an accepted hash that names no issuer of ours: not authorised to answer
      continue; // unsupported hash algorithm: answered unknown
    }
    if (chosen && chosen !== r) return null; // spans issuers
    chosen = r;
  }
  if (!chosen) {
    if (responders.length !== 1) return null;
    chosen = responders[0]!;
  }
  return { responder: chosen, matched };
}

export async function respond(options: RespondOptions): Promise<OcspAnswer> {
  const { clock, lookup, onError } = options;
  let parsed: ParsedOcspRequest;
  try {
    parsed = options.request instanceof Uint8Array ? parseOcspRequest(options.request) : options.request;
  } catch (e) {
    onError?.(e);
    return fail('malformedRequest');
  }
  let responders: PreparedResponder[];
  try {
    responders = prepareResponders(options.responders);
  } catch (e) {
    onError?.(e);
    return fail('internalError');
  }
  const selected = selectResponder(parsed, responders);
  if (!selected) return fail('unauthorized');
  const { responder, matched } = selected;
  try {
    const now = wholeSeconds(clock.now());
    const nextUpdate = options.nextUpdateSeconds === undefined ? undefined : new Date(now.getTime() + options.nextUpdateSeconds * 1000);
    const thisUpdateDer = generalizedTime(now);
    const nextUpdateDer = nextUpdate ? tlv(context(0), generalizedTime(nextUpdate)) : new Uint8Array(0);
    const singles: Uint8Array[] = [];
    for (let i = 0; i < parsed.requests.length; i++) {
      const { certId } = parsed.requests[i]!;
      const answer: CertificateStatusAnswer = matched[i] && certId.serialInRange
        ? await lookup(responder.issuerId, certId.serialNumber)
        : { status: 'unknown' };
      singles.push(tlv(SEQUENCE, certId.der, certStatusDer(answer), thisUpdateDer, nextUpdateDer));
    }
    // ResponseData (version v1 DEFAULT omitted): responderID byKey [2], producedAt, responses, [1] extensions
    const tbsDer = tlv(SEQUENCE,
      tlv(context(2), tlv(OCTET_STRING, responder.responderKeyHash)),
      thisUpdateDer,
      tlv(SEQUENCE, ...singles),
      parsed.nonceExtnValue
        ? tlv(context(1), tlv(SEQUENCE, tlv(SEQUENCE, OID_OCSP_NONCE_DER, tlv(OCTET_STRING, parsed.nonceExtnValue))))
        : new Uint8Array(0));
    const { signer } = responder.config;
    const signature = await signer.sign(tbsDer);
    // Pre-encoded parts (tbs, certificate) are concatenated, not re-encoded.
    const basic = tlv(SEQUENCE,
      tbsDer,
      new Uint8Array(signatureAlgorithmIdentifier(signer.scheme).toSchema().toBER()),
      tlv(BIT_STRING, Uint8Array.of(0), signature),
      tlv(context(0), tlv(SEQUENCE, responder.config.responderCertDer)));
    const der = tlv(SEQUENCE,
      Uint8Array.of(0x0a, 0x01, OCSP_RESPONSE_STATUS.successful),
      tlv(context(0), tlv(SEQUENCE, OID_OCSP_BASIC_DER, tlv(OCTET_STRING, basic))));
    return { der, responseStatus: 'successful', producedAt: now, thisUpdate: now, nextUpdate, issuerId: responder.issuerId };
  } catch (e) {
    onError?.(e);
    return fail('internalError');
  }
}
