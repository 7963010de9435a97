/**
 * Claiming a card into a channel (签发/领取): real name + real person + real card, then a credential
 * bound to the holder's device key and to the channel. One ordered pipeline:
 *
 *   1. channel     — a registered system client; a client claims only into itself
 *   2. device key  — a public P-256 JWK
 *   3. proof       — a JWS by that key over the server's nonce (OpenID4VCI §8.2.1.1 `jwt` proof)
 *   4. family      — when a manager claims for a family member, the consent relation must exist
 *   5a. sign       — read the live card and the person, allocate a status entry, sign the SD-JWT VC
 *                    and the card token (once each); nothing recorded yet
 *   5b. record     — one transaction, group-committed with concurrent claims (like the CA's issuance):
 *                    nonce used once → face session used once (or the operator is the evidence) → the
 *                    card, locked, still the same and active → the channel's previous credential ends
 *                    → credential row → audit
 *
 * Steps 1–5a change nothing; a failure in 5b rolls its claim back, the nonce and face session included,
 * and the signed bytes are dropped unseen (their status entry stays unused — VALID, referenced by nothing).
 */
import { createHash, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type pg from 'pg';
import { appendAuditEntries, type AuditEntry } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import { createGroupCommit } from '../db/groupCommit.ts';
import { multiRowValues } from '../db/multiRowValues.ts';
import type { Tx } from '../db/transaction.ts';
import { maskIdentifier } from '../persons/idNumber.ts';
import type { PersonRegistry } from '../persons/personRegistry.ts';
import { cardView, loadLiveCard, loadLiveCards, type Caller } from './cards.ts';
import type { Channel, ChannelDirectory } from './channels.ts';
import { issueCardToken, issueSdJwtVc } from './credential.ts';
import { ecardErrors } from './ecardErrors.ts';
import type { CardTokenClaims } from './formats/cardToken.ts';
import { STATUS } from './formats/statusList.ts';
import type { IssuerSigner } from './issuerKeys.ts';
import { touchStatusLists, type StatusAllocator } from './statusLists.ts';

/** Port: single use of a passed face session (the face service's `sessions.consume`). */
export interface FaceEvidence {
  consume(tx: Tx, sessionId: string, expect: { readonly subjectId: string; readonly maxAgeMs: number; readonly purpose: string }, actor: string): Promise<{ readonly sessionId: string; readonly passedAt: string }>;
}

export interface ClaimInput {
  readonly holderId: string;
  readonly channelId: string;
  readonly deviceJwk: unknown;
  readonly proof: string;
  readonly faceSessionId?: string | undefined;
  /** 亲情服务: the family member claiming for the holder (the face session is then the manager's). */
  readonly managerId?: string | undefined;
}

export interface ClaimResult {
  readonly credentialId: string;
  readonly cardId: string;
  /** The SD-JWT VC (issuance form: JWT~disclosures~). */
  readonly credential: string;
  /** The issuer-signed card token for dynamic QR codes, base64url. */
  readonly cardToken: string;
  readonly statusList: { readonly id: number; readonly idx: number; readonly uri: string };
  readonly channel: Channel;
  readonly expiresAt: string;
  readonly evidence: 'face_session' | 'operator';
}

export interface ClaimsDeps {
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly persons: PersonRegistry;
  readonly channels: ChannelDirectory;
  readonly issuer: () => IssuerSigner;
  readonly allocator: StatusAllocator;
  /** Undefined when face models are not loaded: claims then need an operator. */
  readonly face: FaceEvidence | undefined;
  /** The issuer identifier (`iss`, and the `aud` a proof must name). */
  readonly iss: string;
  /** How long a passed face session stays usable for a claim (default 5 minutes). */
  readonly faceMaxAgeMs?: number;
  /** Credential lifetime (default 365 days; never past the card's validity). */
  readonly credentialLifetimeMs?: number;
}

/** A claim between signing and commit (see the group commit in `createClaims`). */
interface PendingClaim {
  readonly credentialId: string; readonly holderId: string; readonly cardId: string; readonly channelId: string; readonly cardRef: string;
  readonly jkt: string; readonly issuerId: string; readonly listId: number; readonly idx: number; readonly nonceHash: Buffer;
  readonly faceSessionId: string | undefined; readonly managerId: string | undefined; readonly actor: string; readonly expiresAt: Date;
  readonly cardNumberMasked: string;
}

export const NONCE_TTL_MS = 5 * 60_000;
/** Accepted distance of the proof's `iat` from now. */
export const PROOF_SKEW_S = 300;
const PROOF_TYP = 'openid4vci-proof+jwt';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const hashNonce = (nonce: string) => createHash('sha256').update(nonce, 'utf8').digest();

function checkDeviceJwk(j: unknown): CardTokenClaims['holderJwk'] {
  const k = j as Record<string, unknown> | null;
  if (!k || typeof k !== 'object' || Array.isArray(k)) throw ecardErrors.deviceKeyInvalid('must be a JWK object');
  if (k.d !== undefined) throw ecardErrors.deviceKeyInvalid('must not contain a private key');
  if (k.kty !== 'EC' || k.crv !== 'P-256') throw ecardErrors.deviceKeyInvalid('must be an EC P-256 key');
  const ok = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v);
  if (!ok(k.x) || !ok(k.y)) throw ecardErrors.deviceKeyInvalid('x and y must be 32-byte base64url values');
  const jwk = { kty: 'EC' as const, crv: 'P-256' as const, x: k.x as string, y: k.y as string };
  try {
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw ecardErrors.deviceKeyInvalid('the point is not on the curve');
  }
  return jwk;
}

export function createClaims(deps: ClaimsDeps) {
  const { pool, clock } = deps;
  const faceMaxAge = deps.faceMaxAgeMs ?? 5 * 60_000;
  const lifetime = deps.credentialLifetimeMs ?? 365 * 86_400_000;
  let issuedNonces = 0;

  async function nonce(): Promise<{ readonly nonce: string; readonly expiresAt: string }> {
    const value = randomBytes(32).toString('base64url');
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + NONCE_TTL_MS);
    // Expired nonces are swept every 100 issued, so the table stays the size of five minutes of claims.
    if (++issuedNonces % 100 === 0) await pool.query('DELETE FROM ecard_claim_nonces WHERE expires_at < $1', [now]);
    await pool.query('INSERT INTO ecard_claim_nonces (nonce_hash, expires_at) VALUES ($1, $2)', [hashNonce(value), expiresAt]);
    return Object.freeze({ nonce: value, expiresAt: expiresAt.toISOString() });
  }

  /** Step 3: the proof verifies with the device key; returns its nonce. */
  async function checkProof(proof: string, jwk: CardTokenClaims['holderJwk']): Promise<string> {
    if (typeof proof !== 'string' || proof.length > 4096) throw ecardErrors.proofInvalid('must be a compact JWS');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw ecardErrors.proofInvalid('must be a compact JWS');
    }
    if (header.typ !== PROOF_TYP) throw ecardErrors.proofInvalid(`typ must be ${PROOF_TYP}`);
    if (header.jwk !== undefined) {
      const h = header.jwk as Record<string, unknown>;
      if (h.x !== jwk.x || h.y !== jwk.y || h.crv !== jwk.crv) throw ecardErrors.proofInvalid('signed by another key than deviceJwk');
    }
    let payload: Record<string, unknown>;
    try {
      const r = await compactVerify(proof, await importJWK(jwk as JWK, 'ES256'), { algorithms: ['ES256'] });
      payload = JSON.parse(Buffer.from(r.payload).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw ecardErrors.proofInvalid('signature does not verify with deviceJwk');
    }
    if (payload.aud !== deps.iss) throw ecardErrors.proofInvalid(`aud must be ${deps.iss}`);
    const now = Math.floor(clock.now().getTime() / 1000);
    if (!Number.isSafeInteger(payload.iat) || Math.abs((payload.iat as number) - now) > PROOF_SKEW_S) throw ecardErrors.proofInvalid('iat is not current');
    if (typeof payload.nonce !== 'string' || payload.nonce.length > 128) throw ecardErrors.proofInvalid('nonce missing');
    return payload.nonce;
  }

  /**
   * Step 5b for a batch of claims, in one group-committed transaction, with one statement per step for
   * the whole batch (on the embedded database every round trip counts): use the nonces, lock the cards
   * and re-check them, use the face sessions, end replaced credentials, insert, audit. A claim that
   * fails a check throws; the group commit then retries each claim alone, so it fails alone.
   */
  const commits = createGroupCommit<PendingClaim>(pool, async (tx, items) => {
    const now = clock.now();
    // Two claims of one card into one channel in the same batch: settle them one after the other.
    if (new Set(items.map((it) => `${it.cardId}/${it.channelId}`)).size !== items.length) throw new Error('same card and channel twice in one batch');
    const used = new Set((await tx.query<{ nonce_hash: Buffer }>(
      'DELETE FROM ecard_claim_nonces WHERE nonce_hash = ANY($1::bytea[]) AND expires_at >= $2 RETURNING nonce_hash', [items.map((it) => it.nonceHash), now])).rows.map((r) => r.nonce_hash.toString('hex')));
    for (const it of items) if (!used.has(it.nonceHash.toString('hex'))) throw ecardErrors.nonceInvalid();
    // The cards were read before signing; locked now, each must still be the same, active card.
    const cards = await loadLiveCards(tx, items.map((it) => it.holderId));
    for (const it of items) {
      const card = cards.get(it.holderId);
      const state = card ? cardView(card, now).state : 'revoked';
      if (!card || card.id !== it.cardId || state !== 'active') throw ecardErrors.cardNotActive(card && card.id === it.cardId ? state : 'revoked');
    }
    const evidence = new Map<string, { method: 'face_session' | 'operator'; session?: string; passedAt?: string; subject: string; actor: string }>();
    for (const it of items) {
      if (it.faceSessionId === undefined) {
        evidence.set(it.credentialId, { method: 'operator', subject: `person:${it.holderId}`, actor: it.actor });
        continue;
      }
      const subject = it.managerId ?? it.holderId;
      const s = await deps.face!.consume(tx, it.faceSessionId, { subjectId: subject, maxAgeMs: faceMaxAge, purpose: 'ecard.claim' }, it.actor);
      evidence.set(it.credentialId, { method: 'face_session', session: s.sessionId, passedAt: s.passedAt, subject: `person:${subject}`, actor: it.actor });
    }
    // A channel holds one live credential per card: a new device replaces the old one.
    const replaced = (await tx.query<{ id: string; card_id: string; channel_id: string; list_id: number }>(
      `UPDATE ecard_credentials c SET status = $3, ended_at = $4, ended_reason = 'replaced'
       FROM unnest($1::uuid[], $2::text[]) AS t(card_id, channel_id)
       WHERE c.card_id = t.card_id AND c.channel_id = t.channel_id AND c.ended_at IS NULL RETURNING c.id, c.card_id, c.channel_id, c.list_id`,
      [items.map((it) => it.cardId), items.map((it) => it.channelId), STATUS.INVALID, now])).rows;
    await touchStatusLists(tx, replaced.map((r) => r.list_id));
    const { sql, params } = multiRowValues(items.map((it) => [
      it.credentialId, it.cardId, it.channelId, it.cardRef, it.jkt, it.issuerId, it.listId, it.idx, 0, JSON.stringify(evidence.get(it.credentialId)), it.actor, now, it.expiresAt,
    ]));
    await tx.query(`INSERT INTO ecard_credentials (id, card_id, channel_id, card_ref, device_jkt, issuer_id, list_id, idx, status, evidence, issued_by, issued_at, expires_at) ${sql}`, params);
    await appendAuditEntries(tx, items.map((it) => {
      const e = evidence.get(it.credentialId)!;
      return {
        actor: it.actor, action: 'ecard.claim', subject: `card:${it.cardId}`,
        details: {
          holder: `holder:${it.holderId}`, credential: it.credentialId, channel: it.channelId, cardNumber: it.cardNumberMasked,
          evidence: { method: e.method, session: e.session ?? null, subject: e.subject }, deviceJkt: it.jkt,
          statusList: { id: it.listId, idx: it.idx }, replaced: replaced.filter((r) => r.card_id === it.cardId && r.channel_id === it.channelId).map((r) => r.id), issuer: it.issuerId,
        },
      } satisfies AuditEntry;
    }), clock);
  });

  async function claim(input: ClaimInput, caller: Caller): Promise<ClaimResult> {
    // 1. Channel.
    if (typeof input.channelId !== 'string' || input.channelId.length > 64) throw ecardErrors.channelUnknown();
    const channel = await deps.channels.get(input.channelId);
    if (!channel) throw ecardErrors.channelUnknown();
    if (!caller.attests && caller.clientId !== channel.id) throw ecardErrors.channelMismatch();
    // 2–3. Device key and its proof over our nonce.
    const jwk = checkDeviceJwk(input.deviceJwk);
    const proofNonce = await checkProof(input.proof, jwk);
    // 4. Evidence: whose face, and whether the caller may stand in for it.
    if (!UUID.test(input.holderId)) throw ecardErrors.holderNotFound();
    if (input.managerId !== undefined && !(await deps.persons.managesFamilyMember(input.managerId, input.holderId))) throw ecardErrors.familyNotManaged();
    if (input.faceSessionId === undefined && !caller.attests) throw ecardErrors.evidenceRequired();
    if (input.faceSessionId !== undefined && !deps.face) throw ecardErrors.evidenceRequired();

    // 5a. Read what the credential says, allocate its status entry, sign both artefacts once. Nothing
    // is recorded yet: if 5b refuses, the signed bytes are dropped unseen and the entry stays unused.
    const card = await loadLiveCard(pool, input.holderId);
    const now = clock.now();
    const view = cardView(card, now);
    if (view.state !== 'active') throw ecardErrors.cardNotActive(view.state);
    const { person, idNumber, ssn } = await deps.persons.revealIdentifiers(input.holderId);
    const issuer = deps.issuer();
    const entry = await deps.allocator.allocate();
    const iat = Math.floor(now.getTime() / 1000);
    const exp = Math.floor(Math.min(now.getTime() + lifetime, card.valid_until.getTime()) / 1000);
    const status = { idx: entry.idx, uri: entry.uri };
    const credential = await issueSdJwtVc({
      issuer, iss: deps.iss, iat, exp, holderJwk: jwk, status,
      claims: {
        name: person.name, id_number: idNumber, ssn: ssn ?? undefined, card_number: card.card_number, region: person.region,
        valid_from: view.validFrom.slice(0, 10), valid_until: view.validUntil.slice(0, 10),
        photo_digest: person.photoSha256 ? { alg: 'sha-256', value: Buffer.from(person.photoSha256, 'hex').toString('base64url') } : undefined,
      },
    });
    const cardRef = randomBytes(16).toString('base64url');
    const cardToken = await issueCardToken(issuer, { cardRef, iat, exp, holderJwk: jwk, status });

    // 5b. One transaction (shared with concurrent claims): nonce, evidence, card re-check, record, audit.
    const credentialId = randomUUID();
    await commits.submit({
      credentialId, holderId: input.holderId, cardId: card.id, channelId: channel.id, cardRef, jkt: await calculateJwkThumbprint(jwk as JWK),
      issuerId: issuer.id, listId: entry.listId, idx: entry.idx, nonceHash: hashNonce(proofNonce), faceSessionId: input.faceSessionId,
      managerId: input.managerId, actor: caller.actor, expiresAt: new Date(exp * 1000), cardNumberMasked: maskIdentifier(card.card_number),
    });
    return Object.freeze({
      credentialId, cardId: card.id, credential, cardToken: Buffer.from(cardToken).toString('base64url'),
      statusList: Object.freeze({ id: entry.listId, idx: entry.idx, uri: entry.uri }), channel, expiresAt: new Date(exp * 1000).toISOString(),
      evidence: input.faceSessionId !== undefined ? 'face_session' as const : 'operator' as const,
    });
  }

  return Object.freeze({ nonce, claim });
}

export type Claims = ReturnType<typeof createClaims>;
