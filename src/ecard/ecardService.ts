/**
 * The e-card service: what the API and the CLI call. Composition only — holders and cards
 * (cards.ts), claims (claims.ts), status lists (statusLists.ts), online verification
 * (onlineVerification.ts) — around the issuer key and the trusted-issuer list verifiers use.
 */
import type pg from 'pg';
import type { Clock } from '../clock.ts';
import type { KeyStore } from '../crypto/keyStore.ts';
import { certificateToPem } from '../ca/pem.ts';
import { withTransaction } from '../db/transaction.ts';
import type { FamilyConsent, PersonRegistry } from '../persons/personRegistry.ts';
import { createCards, type Caller } from './cards.ts';
import type { ChannelDirectory } from './channels.ts';
import { createClaims, type ClaimInput, type FaceEvidence } from './claims.ts';
import { ensureIssuer, type CertificateIssuer, type IssuerId, type IssuerSigner } from './issuerKeys.ts';
import { createOnlineVerification, type VerifyRequest } from './onlineVerification.ts';
import { createStatusAllocator, createStatusListPublisher, type StatusListOptions } from './statusLists.ts';
import { trustedIssuerFrom, type TrustedIssuer } from './verifier/trustedIssuers.ts';

export interface EcardServiceDeps extends StatusListOptions {
  readonly pool: pg.Pool;
  readonly keyStore: KeyStore;
  readonly clock: Clock;
  readonly ca: CertificateIssuer;
  readonly persons: PersonRegistry;
  readonly channels: ChannelDirectory;
  readonly face: FaceEvidence | undefined;
  /** Public base URL: status list URIs and the issuer identifier derive from it. */
  readonly publicUrl: string;
  /** Which issuer signs new credentials (default `ecdsa`; `sm2` = non-standard JOSE/COSE names). */
  readonly issuer?: IssuerId;
  readonly faceMaxAgeMs?: number;
  readonly credentialLifetimeMs?: number;
}

/** What a partner's offline verifier needs: the e-card issuer certificates and the roots they chain to. */
export interface TrustBundle {
  /** The issuer identifier (`iss` of credentials, `aud` of claim proofs). */
  readonly issuer: string;
  readonly issuers: readonly { readonly kid: string; readonly alg: string; readonly certificatePem: string; readonly chainPem: string }[];
  readonly statusListTtl: number;
}

export async function createEcardService(deps: EcardServiceDeps) {
  const base = deps.publicUrl.replace(/\/+$/, '');
  const iss = `${base}/ecard`;
  const signers: IssuerSigner[] = [await ensureIssuer(deps, 'ecdsa')];
  if (deps.issuer === 'sm2') signers.push(await ensureIssuer(deps, 'sm2'));
  const active = signers.find((s) => s.id === (deps.issuer ?? 'ecdsa'))!;
  const trusted: TrustedIssuer[] = signers.map((s) => trustedIssuerFrom(s.certificate));

  const cards = createCards(deps);
  const allocator = createStatusAllocator({ pool: deps.pool, baseUrl: base, clock: deps.clock });
  const claims = createClaims({ ...deps, issuer: () => active, allocator, iss });
  const publisher = createStatusListPublisher({ ...deps, issuer: active, baseUrl: base, iss });
  const verifyOnline = createOnlineVerification({ pool: deps.pool, clock: deps.clock, baseUrl: base, issuers: () => trusted });

  return Object.freeze({
    iss,
    createHolder: cards.createHolder,
    getCard: cards.getCard,
    /** The holder (person, masked) and all their cards. */
    getHolder: async (holderId: string) => {
      const held = await cards.holderCards(holderId);
      return { holder: await deps.persons.get(holderId), cards: held };
    },
    /** 亲情服务: who manages whose card, with the member's consent on record (the person registry keeps it). */
    addFamilyMember: async (holderId: string, input: { readonly memberId: string; readonly relation: string; readonly consent: FamilyConsent }, caller: Caller) => {
      await cards.holderCards(holderId);
      await cards.holderCards(input.memberId);
      return withTransaction(deps.pool, (tx) => deps.persons.addFamilyMember(tx, { managerId: holderId, ...input }, caller.actor));
    },
    removeFamilyMember: (holderId: string, memberId: string, caller: Caller) => withTransaction(deps.pool, (tx) => deps.persons.removeFamilyMember(tx, holderId, memberId, caller.actor)),
    listFamily: async (holderId: string) => { await cards.holderCards(holderId); return deps.persons.listFamily(holderId); },
    holderCards: cards.holderCards,
    suspend: cards.suspend,
    resume: cards.resume,
    revoke: cards.revoke,
    reissue: cards.reissue,
    listChannels: cards.listChannels,
    withdrawChannel: cards.withdrawChannel,
    claimNonce: claims.nonce,
    claim: (input: ClaimInput, caller: Caller) => claims.claim(input, caller),
    statusList: publisher.get,
    verify: (req: VerifyRequest, caller: Caller) => verifyOnline(req, caller),
    trustedIssuers: (): readonly TrustedIssuer[] => trusted,
    trustBundle: (): TrustBundle => Object.freeze({
      issuer: iss,
      issuers: signers.map((s) => ({ kid: s.kid, alg: s.alg.jose, certificatePem: certificateToPem(s.certificate), chainPem: s.chain.map((c) => certificateToPem(c)).join('') })),
      statusListTtl: publisher.ttl,
    }),
  });
}

export type EcardService = Awaited<ReturnType<typeof createEcardService>>;
