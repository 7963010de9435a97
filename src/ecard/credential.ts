/**
 * The two artefacts one claim issues, each signed once by the issuer:
 *
 * 1. An SD-JWT VC (RFC 9901; draft-ietf-oauth-sd-jwt-vc): header `typ: dc+sd-jwt`, `x5c` = issuer
 *    certificate and its chain without the root; payload `iss`, `iat`, `exp`, `vct`, `cnf.jwk` (the
 *    device key), `status.status_list` (Token Status List), `_sd_alg`, and `_sd` digests of the
 *    selectively disclosable claims (name, id_number, ssn, card_number, region, valid_from,
 *    valid_until, photo_digest) — nothing personal is in the clear.
 * 2. The card token for the dynamic QR code (formats/cardToken.ts).
 */
import { signCoseSign1, HEADER } from './formats/cose.ts';
import { encodeCardTokenPayload, type CardTokenClaims } from './formats/cardToken.ts';
import { signCompactJws } from './formats/jws.ts';
import { makeDisclosure, SD_ALG } from './formats/sdJwt.ts';
import type { IssuerSigner } from './issuerKeys.ts';

/** The SD-JWT VC type of the e-card. */
export const ECARD_VCT = 'urn:kexin:vct:social-security-card:1';

export interface CredentialInput {
  readonly issuer: IssuerSigner;
  readonly iss: string;
  readonly iat: number;
  readonly exp: number;
  readonly holderJwk: CardTokenClaims['holderJwk'];
  readonly status: { readonly idx: number; readonly uri: string };
  /** Selectively disclosable claims (undefined values are left out). */
  readonly claims: Readonly<Record<string, unknown>>;
}

export async function issueSdJwtVc(input: CredentialInput): Promise<string> {
  const disclosures = Object.entries(input.claims).filter(([, v]) => v !== undefined).map(([k, v]) => makeDisclosure(k, v));
  const header = {
    typ: 'dc+sd-jwt',
    x5c: [input.issuer.certificate, ...input.issuer.chain.slice(0, -1)].map((c) => Buffer.from(c).toString('base64')),
  };
  const payload = {
    iss: input.iss, iat: input.iat, exp: input.exp, vct: ECARD_VCT,
    cnf: { jwk: input.holderJwk },
    status: { status_list: { idx: input.status.idx, uri: input.status.uri } },
    _sd_alg: SD_ALG,
    // RFC 9901 §4.2.4.1: digests in a random order would do; sorting hides the claims' order as well.
    _sd: disclosures.map((d) => d.digest).sort(),
  };
  const jwt = await signCompactJws(header, payload, input.issuer.alg, input.issuer.sign);
  return `${jwt}~${disclosures.map((d) => `${d.encoded}~`).join('')}`;
}

export async function issueCardToken(issuer: IssuerSigner, claims: CardTokenClaims): Promise<Uint8Array> {
  return signCoseSign1({
    protectedHeader: new Map<number, unknown>([[HEADER.alg, issuer.alg.cose], [HEADER.kid, issuer.kidBytes]]),
    payload: encodeCardTokenPayload(claims),
    sign: issuer.sign,
  });
}
