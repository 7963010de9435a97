/**
 * Holders and cards: creation (with the person, in one transaction), the card states — active,
 * suspended (挂失), revoked (cancelled, deceased, replaced), expired (derived from `valid_until`) —
 * reissue (补换卡), and the channels a holder's card is claimed into. Every transition rewrites the
 * status-list entries of the card's live credentials and bumps those lists' versions in the same
 * transaction as the change and its audit row.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { appendAudit } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import { withTransaction, type Tx } from '../db/transaction.ts';
import { maskIdentifier } from '../persons/idNumber.ts';
import type { PersonRegistry } from '../persons/personRegistry.ts';
import type { ChannelDirectory } from './channels.ts';
import { ecardErrors } from './ecardErrors.ts';
import { STATUS } from './formats/statusList.ts';
import { touchStatusLists } from './statusLists.ts';

export type CardState = 'active' | 'suspended' | 'revoked' | 'expired';
export type RevocationReason = 'cancelled' | 'deceased' | 'reissued' | 'other';

export interface CardView {
  readonly id: string;
  readonly holderId: string;
  readonly cardNumberMasked: string;
  readonly state: CardState;
  readonly stateReason: string | null;
  readonly validFrom: string;
  readonly validUntil: string;
  /** The card this one replaced (reissue). */
  readonly replaces: string | null;
}

export interface HolderInput {
  readonly name: string;
  readonly idNumber: string;
  readonly ssn?: string | undefined;
  readonly cardNumber: string;
  readonly region: string;
  /** Reference photo (JPEG/PNG/WebP bytes): enrolled as a face template, not stored. */
  readonly photo?: Uint8Array | undefined;
  /** Card validity end (default: 10 years from now). */
  readonly validUntil?: string | undefined;
}

export interface ChannelHolding {
  readonly channelId: string;
  readonly name: string | null;
  readonly class: string | null;
  readonly cardId: string;
  readonly claimedAt: string;
  readonly expiresAt: string;
}

/** A caller as the module sees one (the API maps its principal to this). */
export interface Caller {
  /** Audit actor, e.g. `operator:<id>` or `client:<id>`. */
  readonly actor: string;
  /** The system client calling, if it is one (a channel claims only into itself). */
  readonly clientId?: string | undefined;
  /**
   * An operator or an `ecard:admin` client (counter, kiosk): may claim into any channel and stands in
   * as the claim's evidence (recorded as `operator`) instead of a face session.
   */
  readonly attests: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CARD_NUMBER = /^[0-9A-Z]{9,20}$/;
const DEFAULT_VALIDITY_YEARS = 10;

interface CardRow {
  id: string; person_id: string; card_number: string; state: 'active' | 'suspended' | 'revoked'; state_reason: string | null;
  valid_from: Date; valid_until: Date; replaces: string | null;
}

export function cardView(r: CardRow, now: Date): CardView {
  const state: CardState = r.state === 'active' && r.valid_until < now ? 'expired' : r.state;
  return Object.freeze({
    id: r.id, holderId: r.person_id, cardNumberMasked: maskIdentifier(r.card_number), state, stateReason: r.state_reason,
    validFrom: r.valid_from.toISOString(), validUntil: r.valid_until.toISOString(), replaces: r.replaces,
  });
}

export async function loadCard(db: pg.Pool | Tx, id: string, lock = false): Promise<CardRow> {
  if (!UUID.test(id)) throw ecardErrors.cardNotFound();
  const r = (await db.query<CardRow>(`SELECT id, person_id, card_number, state, state_reason, valid_from, valid_until, replaces FROM ecard_cards WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id])).rows[0];
  if (!r) throw ecardErrors.cardNotFound();
  return r;
}

/** The holder's card that is not revoked (there is at most one). */
export async function loadLiveCard(db: pg.Pool | Tx, holderId: string, lock = false): Promise<CardRow> {
  if (!UUID.test(holderId)) throw ecardErrors.holderNotFound();
  const r = (await db.query<CardRow>(
    `SELECT id, person_id, card_number, state, state_reason, valid_from, valid_until, replaces FROM ecard_cards WHERE person_id = $1 AND state <> 'revoked'${lock ? ' FOR UPDATE' : ''}`, [holderId])).rows[0];
  if (!r) {
    const holder = (await db.query('SELECT 1 FROM ecard_holders WHERE person_id = $1', [holderId])).rowCount;
    throw holder ? ecardErrors.cardNotActive('revoked') : ecardErrors.holderNotFound();
  }
  return r;
}

/** The live cards of several holders, locked, by holder id (one statement for a batch of claims). */
export async function loadLiveCards(tx: Tx, holderIds: readonly string[]): Promise<Map<string, CardRow>> {
  const rows = (await tx.query<CardRow>(
    `SELECT id, person_id, card_number, state, state_reason, valid_from, valid_until, replaces FROM ecard_cards
     WHERE person_id = ANY($1::uuid[]) AND state <> 'revoked' ORDER BY id FOR UPDATE`, [[...new Set(holderIds)]])).rows;
  return new Map(rows.map((r) => [r.person_id, r]));
}

/** Sets the status entry of every live credential of `cardId`; ends them when `end` is given. Returns the lists touched. */
async function restatus(tx: Tx, cardId: string, status: number, now: Date, end?: string): Promise<number> {
  const rows = (await tx.query<{ list_id: number }>(
    `UPDATE ecard_credentials SET status = $2${end ? ', ended_at = $3, ended_reason = $4' : ''}
     WHERE card_id = $1 AND ended_at IS NULL RETURNING list_id`, end ? [cardId, status, now, end] : [cardId, status])).rows;
  await touchStatusLists(tx, rows.map((r) => r.list_id));
  return rows.length;
}

export interface CardsDeps {
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly persons: PersonRegistry;
  readonly channels: ChannelDirectory;
}

export function createCards(deps: CardsDeps) {
  const { pool, clock } = deps;

  function checkCardNumber(n: string): string {
    if (typeof n !== 'string' || !CARD_NUMBER.test(n)) throw ecardErrors.cardNumberInvalid();
    return n;
  }

  async function insertCard(tx: Tx, personId: string, cardNumber: string, validUntil: Date, replaces: string | null): Promise<CardRow> {
    const now = clock.now();
    const id = randomUUID();
    await tx.query(
      `INSERT INTO ecard_cards (id, person_id, card_number, state, valid_from, valid_until, replaces, created_at, updated_at)
       VALUES ($1, $2, $3, 'active', $4, $5, $6, $4, $4)`, [id, personId, cardNumber, now, validUntil, replaces],
    ).catch((err: { code?: string; constraint?: string }) => {
      if (err.code === '23505' && err.constraint === 'ecard_cards_card_number_key') throw ecardErrors.cardNumberTaken();
      throw err;
    });
    return { id, person_id: personId, card_number: cardNumber, state: 'active', state_reason: null, valid_from: now, valid_until: validUntil, replaces };
  }

  async function createHolder(input: HolderInput, caller: Caller): Promise<{ readonly holderId: string; readonly card: CardView; readonly personCreated: boolean }> {
    // Cheap checks first; the face pipeline (seconds) runs before the transaction opens.
    deps.persons.check(input);
    const cardNumber = checkCardNumber(input.cardNumber);
    const now = clock.now();
    const validUntil = input.validUntil === undefined ? new Date(Date.UTC(now.getUTCFullYear() + DEFAULT_VALIDITY_YEARS, now.getUTCMonth(), now.getUTCDate())) : new Date(input.validUntil);
    if (Number.isNaN(validUntil.getTime()) || validUntil <= now) throw ecardErrors.validityInvalid();
    const photo = input.photo ? await deps.persons.preparePhoto(input.photo) : undefined;
    return withTransaction(pool, async (tx) => {
      const { person, created } = await deps.persons.register(tx, input, caller.actor, photo);
      const holder = await tx.query('INSERT INTO ecard_holders (person_id, created_by, created_at) VALUES ($1, $2, $3) ON CONFLICT (person_id) DO NOTHING', [person.id, caller.actor, now]);
      if (holder.rowCount !== 1) throw ecardErrors.holderExists();
      const card = await insertCard(tx, person.id, cardNumber, validUntil, null);
      await appendAudit(tx, {
        actor: caller.actor, action: 'ecard.holder.create', subject: `holder:${person.id}`,
        details: { card: card.id, cardNumber: maskIdentifier(cardNumber), idNumber: person.idNumberMasked, region: person.region, personCreated: created, photo: photo !== undefined, validUntil: validUntil.toISOString() },
      }, clock);
      return Object.freeze({ holderId: person.id, card: cardView(card, now), personCreated: created });
    });
  }

  async function getCard(id: string): Promise<CardView> {
    return cardView(await loadCard(pool, id), clock.now());
  }

  async function holderCards(holderId: string): Promise<CardView[]> {
    if (!UUID.test(holderId)) throw ecardErrors.holderNotFound();
    const rows = (await pool.query<CardRow>('SELECT id, person_id, card_number, state, state_reason, valid_from, valid_until, replaces FROM ecard_cards WHERE person_id = $1 ORDER BY valid_from', [holderId])).rows;
    if (!rows.length) throw ecardErrors.holderNotFound();
    const now = clock.now();
    return rows.map((r) => cardView(r, now));
  }

  /** One transition: load + lock, check the state, change, restatus, audit — one transaction. */
  async function transition(cardId: string, action: 'suspend' | 'resume' | 'revoke', reason: string | undefined, caller: Caller): Promise<CardView> {
    return withTransaction(pool, async (tx) => {
      const card = await loadCard(tx, cardId, true);
      const now = clock.now();
      const current = cardView(card, now).state;
      const allowed = { suspend: ['active'], resume: ['suspended'], revoke: ['active', 'suspended', 'expired'] }[action];
      if (!allowed.includes(current)) throw ecardErrors.transitionRefused(current, `${action}${action.endsWith('e') ? 'd' : 'ed'}`);
      const next = action === 'suspend' ? 'suspended' : action === 'resume' ? 'active' : 'revoked';
      await tx.query('UPDATE ecard_cards SET state = $2, state_reason = $3, updated_at = $4 WHERE id = $1', [cardId, next, reason ?? null, now]);
      const credentials = action === 'revoke'
        ? await restatus(tx, cardId, STATUS.INVALID, now, 'card_revoked')
        : await restatus(tx, cardId, action === 'suspend' ? STATUS.SUSPENDED : STATUS.VALID, now);
      await appendAudit(tx, { actor: caller.actor, action: `ecard.card.${action}`, subject: `card:${cardId}`, details: { holder: `holder:${card.person_id}`, from: current, to: next, reason: reason ?? null, credentials } }, clock);
      return cardView({ ...card, state: next, state_reason: reason ?? null }, now);
    });
  }

  async function reissue(cardId: string, input: { readonly cardNumber: string; readonly validUntil?: string | undefined }, caller: Caller): Promise<CardView> {
    const cardNumber = checkCardNumber(input.cardNumber);
    return withTransaction(pool, async (tx) => {
      const old = await loadCard(tx, cardId, true);
      const now = clock.now();
      const current = cardView(old, now).state;
      if (current === 'revoked') throw ecardErrors.transitionRefused(current, 'reissued');
      await tx.query("UPDATE ecard_cards SET state = 'revoked', state_reason = 'reissued', updated_at = $2 WHERE id = $1", [cardId, now]);
      const ended = await restatus(tx, cardId, STATUS.INVALID, now, 'card_reissued');
      const validUntil = input.validUntil === undefined ? new Date(Date.UTC(now.getUTCFullYear() + DEFAULT_VALIDITY_YEARS, now.getUTCMonth(), now.getUTCDate())) : new Date(input.validUntil);
      if (Number.isNaN(validUntil.getTime()) || validUntil <= now) throw ecardErrors.validityInvalid();
      const card = await insertCard(tx, old.person_id, cardNumber, validUntil, cardId);
      await appendAudit(tx, {
        actor: caller.actor, action: 'ecard.card.reissue', subject: `card:${cardId}`,
        details: { holder: `holder:${old.person_id}`, from: current, newCard: card.id, cardNumber: maskIdentifier(cardNumber), credentialsEnded: ended },
      }, clock);
      return cardView(card, now);
    });
  }

  async function listChannels(holderId: string): Promise<ChannelHolding[]> {
    await holderCards(holderId);
    const rows = (await pool.query<{ channel_id: string; card_id: string; issued_at: Date; expires_at: Date }>(
      `SELECT c.channel_id, c.card_id, c.issued_at, c.expires_at FROM ecard_credentials c JOIN ecard_cards k ON k.id = c.card_id
       WHERE k.person_id = $1 AND c.ended_at IS NULL ORDER BY c.issued_at`, [holderId])).rows;
    const out: ChannelHolding[] = [];
    for (const r of rows) {
      const ch = await deps.channels.get(r.channel_id);
      out.push(Object.freeze({ channelId: r.channel_id, name: ch?.name ?? null, class: ch?.class ?? null, cardId: r.card_id, claimedAt: r.issued_at.toISOString(), expiresAt: r.expires_at.toISOString() }));
    }
    return out;
  }

  async function withdrawChannel(holderId: string, channelId: string, caller: Caller): Promise<{ readonly withdrawn: number }> {
    if (!UUID.test(holderId)) throw ecardErrors.holderNotFound();
    return withTransaction(pool, async (tx) => {
      const now = clock.now();
      const rows = (await tx.query<{ id: string; list_id: number }>(
        `UPDATE ecard_credentials c SET status = $3, ended_at = $4, ended_reason = 'channel_withdrawn'
         FROM ecard_cards k WHERE k.id = c.card_id AND k.person_id = $1 AND c.channel_id = $2 AND c.ended_at IS NULL RETURNING c.id, c.list_id`,
        [holderId, channelId, STATUS.INVALID, now])).rows;
      if (!rows.length) throw ecardErrors.channelNotHeld();
      await touchStatusLists(tx, rows.map((r) => r.list_id));
      await appendAudit(tx, { actor: caller.actor, action: 'ecard.channel.withdraw', subject: `holder:${holderId}`, details: { channel: channelId, credentials: rows.map((r) => r.id) } }, clock);
      return Object.freeze({ withdrawn: rows.length });
    });
  }

  return Object.freeze({
    createHolder, getCard, holderCards, listChannels, withdrawChannel, reissue,
    suspend: (id: string, reason: string | undefined, caller: Caller) => transition(id, 'suspend', reason, caller),
    resume: (id: string, caller: Caller) => transition(id, 'resume', undefined, caller),
    revoke: (id: string, reason: RevocationReason, caller: Caller) => transition(id, 'revoke', reason, caller),
  });
}

export type Cards = ReturnType<typeof createCards>;
