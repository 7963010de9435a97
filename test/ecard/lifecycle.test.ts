/**
 * Holders, claims and card states on a real database: the claim's evidence (face session used once,
 * for this holder, fresh; or an operator), its bad inputs (each a typed error, nothing issued, nothing
 * consumed), card transitions and their effect on every live credential's status entry, channels
 * listed and withdrawn, reissue, family claims, and the online verifier with replay detection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/auditLog.ts';
import { KexinError } from '../../src/errors.ts';
import { idNumber } from '../support/idNumbers.ts';
import { claimWith, createEcardWorld, holder, newDevice, OPERATOR, passedFaceSession, type EcardWorld } from './fixture.ts';

const CHANNEL_CLIENT = { actor: 'client:hrss-app', clientId: 'hrss-app', attests: false };
const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof KexinError ? e.code : `unexpected: ${String(e)}`));
const count = async (w: EcardWorld, table: string) => (await w.db.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;

describe('e-card lifecycle', () => {
  let world: EcardWorld;
  let seq = 600;
  const newHolder = async (extra: Record<string, unknown> = {}) => {
    seq++;
    return world.ecard.createHolder({ name: `持卡人${seq}`, idNumber: idNumber(seq), cardNumber: `A00000${seq}`, region: '440305', ...extra }, OPERATOR);
  };

  beforeAll(async () => { world = await createEcardWorld(); });
  afterAll(async () => { await world?.close(); });

  it('creates a holder with person and card in one transaction, refusing bad input with nothing written', async () => {
    const h = await newHolder();
    expect(h).toMatchObject({ personCreated: true, card: { state: 'active', cardNumberMasked: `A000*${String(seq).padStart(4, '0').slice(-4)}`.replace(/^A000\*/, 'A000*') } });
    const before = [await count(world, 'persons'), await count(world, 'ecard_cards')];
    const id = idNumber(900);
    const bad = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    expect(await code(world.ecard.createHolder({ name: '甲', idNumber: bad, cardNumber: 'A99999990', region: '440305' }, OPERATOR))).toBe('PERSON_ID_NUMBER_CHECKSUM');
    expect(await code(world.ecard.createHolder({ name: '甲', idNumber: id, cardNumber: 'a-1', region: '440305' }, OPERATOR))).toBe('ECARD_CARD_NUMBER_INVALID');
    expect(await code(world.ecard.createHolder({ name: '甲', idNumber: id, cardNumber: `A00000${seq}`, region: '440305' }, OPERATOR))).toBe('ECARD_CARD_NUMBER_TAKEN');
    expect(await code(world.ecard.createHolder({ name: `持卡人${seq}`, idNumber: idNumber(seq), cardNumber: 'A99999991', region: '440305' }, OPERATOR))).toBe('ECARD_HOLDER_EXISTS');
    expect([await count(world, 'persons'), await count(world, 'ecard_cards')]).toEqual(before);
  });

  it('claims with a passed face session of the holder, used once, fresh, for this holder only', async () => {
    const { holderId } = await newHolder();
    const other = await newHolder();
    const device = await newDevice();
    // A channel client must bring a face session.
    expect(await code(claimWith(world, device, { holderId }, CHANNEL_CLIENT))).toBe('ECARD_EVIDENCE_REQUIRED');
    // Someone else's session.
    const foreign = await passedFaceSession(world, other.holderId);
    expect(await code(claimWith(world, device, { holderId, faceSessionId: foreign }, CHANNEL_CLIENT))).toBe('FACE_SESSION_SUBJECT_MISMATCH');
    // A channel claims only into itself.
    const session = await passedFaceSession(world, holderId);
    expect(await code(claimWith(world, device, { holderId, faceSessionId: session, channelId: 'icbc' }, CHANNEL_CLIENT))).toBe('ECARD_CHANNEL_MISMATCH');
    // Refusals consumed nothing: the session still works.
    const r = await claimWith(world, device, { holderId, faceSessionId: session }, CHANNEL_CLIENT);
    expect(r).toMatchObject({ evidence: 'face_session', channel: { id: 'hrss-app' } });
    expect(await code(claimWith(world, device, { holderId, faceSessionId: session }, CHANNEL_CLIENT))).toBe('FACE_SESSION_CONSUMED');
    // Stale: passed more than five minutes before the claim.
    const old = await passedFaceSession(world, holderId);
    world.clock.advance(6 * 60_000);
    expect(await code(claimWith(world, device, { holderId, faceSessionId: old }, CHANNEL_CLIENT))).toBe('FACE_SESSION_STALE');
    // A failed session (another person's face against the enrolled template is the face service's
    // job; here: a session that did not pass) is no evidence.
    const s = await world.face.sessions.create({ subjectId: holderId, testActions: ['blink'] }, 'client:hrss-app');
    expect(await code(claimWith(world, device, { holderId, faceSessionId: s.id }, CHANNEL_CLIENT))).toBe('FACE_SESSION_NOT_PASSED');
    const evidence = (await world.db.pool.query("SELECT evidence FROM ecard_credentials WHERE channel_id = 'hrss-app' AND evidence->>'method' = 'face_session'")).rows;
    expect(evidence[0].evidence).toMatchObject({ method: 'face_session', session, subject: `person:${holderId}` });
  });

  it('refuses bad claims with their own codes and issues nothing', async () => {
    const { holderId } = await newHolder();
    const device = await newDevice();
    const before = await count(world, 'ecard_credentials');
    expect(await code(claimWith(world, device, { holderId, channelId: 'no-such-channel' }))).toBe('ECARD_CHANNEL_UNKNOWN');
    expect(await code(claimWith(world, device, { holderId: '00000000-0000-4000-8000-000000000000' }))).toBe('ECARD_HOLDER_NOT_FOUND');
    // Foreign holder key: the proof is signed by another key than the one submitted.
    const thief = await newDevice();
    const { nonce } = await world.ecard.claimNonce();
    const iat = Math.floor(world.clock.now().getTime() / 1000);
    const foreignProof = await holder.signClaimProof({ privateKey: thief.keys.privateKey, jwk: thief.jwk, audience: world.ecard.iss, nonce, iat });
    expect(await code(world.ecard.claim({ holderId, channelId: 'hrss-app', deviceJwk: device.jwk, proof: foreignProof }, OPERATOR))).toBe('ECARD_PROOF_INVALID');
    const proof = await holder.signClaimProof({ privateKey: device.keys.privateKey, jwk: device.jwk, audience: world.ecard.iss, nonce, iat });
    expect(await code(world.ecard.claim({ holderId, channelId: 'hrss-app', deviceJwk: { ...device.jwk, d: 'x' }, proof }, OPERATOR))).toBe('ECARD_DEVICE_KEY_INVALID');
    expect(await code(world.ecard.claim({ holderId, channelId: 'hrss-app', deviceJwk: { ...device.jwk, x: device.jwk.y }, proof }, OPERATOR))).toBe('ECARD_DEVICE_KEY_INVALID');
    expect(await code(world.ecard.claim({ holderId, channelId: 'hrss-app', deviceJwk: device.jwk, proof: 'not.a.jws' }, OPERATOR))).toBe('ECARD_PROOF_INVALID');
    const wrongAud = await holder.signClaimProof({ privateKey: device.keys.privateKey, jwk: device.jwk, audience: 'https://elsewhere', nonce, iat });
    expect(await code(world.ecard.claim({ holderId, channelId: 'hrss-app', deviceJwk: device.jwk, proof: wrongAud }, OPERATOR))).toBe('ECARD_PROOF_INVALID');
    const unknownNonce = await holder.signClaimProof({ privateKey: device.keys.privateKey, jwk: device.jwk, audience: world.ecard.iss, nonce: 'made-up', iat });
    expect(await code(world.ecard.claim({ holderId, channelId: 'hrss-app', deviceJwk: device.jwk, proof: unknownNonce }, OPERATOR))).toBe('ECARD_NONCE_INVALID');
    expect(await count(world, 'ecard_credentials')).toBe(before);
    // The nonce survived the refusals and works once.
    await world.ecard.claim({ holderId, channelId: 'hrss-app', deviceJwk: device.jwk, proof }, OPERATOR);
    expect(await code(world.ecard.claim({ holderId, channelId: 'hrss-app', deviceJwk: device.jwk, proof }, OPERATOR))).toBe('ECARD_NONCE_INVALID');
  });

  it('commits concurrent claims together, and a bad one in the same burst fails alone', async () => {
    const holders = await Promise.all([0, 1, 2, 3, 4].map(() => newHolder()));
    const phone = await newDevice();
    const { nonce } = await world.ecard.claimNonce();
    const iat = Math.floor(world.clock.now().getTime() / 1000);
    const reused = await holder.signClaimProof({ privateKey: phone.keys.privateKey, jwk: phone.jwk, audience: world.ecard.iss, nonce, iat });
    await world.ecard.claim({ holderId: holders[4]!.holderId, channelId: 'hrss-app', deviceJwk: phone.jwk, proof: reused }, OPERATOR);
    const results = await Promise.all([
      ...holders.slice(0, 4).map((h) => code(claimWith(world, phone, { holderId: h.holderId }))),
      // Same nonce again, for another holder: refused, alone.
      code(world.ecard.claim({ holderId: holders[3]!.holderId, channelId: 'icbc', deviceJwk: phone.jwk, proof: reused }, OPERATOR)),
    ]);
    expect(results).toEqual(['resolved', 'resolved', 'resolved', 'resolved', 'ECARD_NONCE_INVALID']);
    for (const h of holders.slice(0, 4)) expect((await world.ecard.listChannels(h.holderId)).map((c) => c.channelId)).toEqual(['hrss-app']);
  });

  it('suspends, resumes, revokes and reissues, rewriting every live credential\'s status entry', async () => {
    const { holderId, card } = await newHolder();
    const phone = await newDevice();
    const a = await claimWith(world, phone, { holderId, channelId: 'hrss-app' });
    const b = await claimWith(world, phone, { holderId, channelId: 'icbc' });
    const verifyQr = async (c: typeof a) => world.ecard.verify({ qr: await holder.makeDynamicQr({ cardToken: c.cardToken, privateKey: phone.keys.privateKey, now: world.clock.now().getTime() }) }, OPERATOR);
    expect((await verifyQr(a)).valid).toBe(true);
    await world.ecard.suspend(card.id, 'reported lost', OPERATOR);
    expect(await verifyQr(a)).toMatchObject({ valid: false, reasons: ['CARD_SUSPENDED'], card: { state: 'suspended' } });
    expect((await verifyQr(b)).reasons).toEqual(['CARD_SUSPENDED']);
    expect(await code(world.ecard.suspend(card.id, undefined, OPERATOR))).toBe('ECARD_TRANSITION_REFUSED');
    expect(await code(claimWith(world, phone, { holderId }))).toBe('ECARD_CARD_NOT_ACTIVE');
    await world.ecard.resume(card.id, OPERATOR);
    expect((await verifyQr(a)).valid).toBe(true);

    expect((await world.ecard.listChannels(holderId)).map((c) => c.channelId).sort()).toEqual(['hrss-app', 'icbc']);
    expect(await world.ecard.withdrawChannel(holderId, 'icbc', OPERATOR)).toEqual({ withdrawn: 1 });
    expect((await verifyQr(b)).reasons).toEqual(['CARD_REVOKED']);
    expect((await verifyQr(a)).valid).toBe(true);
    expect(await code(world.ecard.withdrawChannel(holderId, 'icbc', OPERATOR))).toBe('ECARD_CHANNEL_NOT_HELD');
    expect((await world.ecard.listChannels(holderId)).map((c) => c.channelId)).toEqual(['hrss-app']);

    // A new phone in the same channel replaces the old credential.
    const newPhone = await newDevice();
    const a2 = await claimWith(world, newPhone, { holderId, channelId: 'hrss-app' });
    expect((await verifyQr(a)).reasons).toEqual(['CARD_REVOKED']);
    expect((await world.ecard.verify({ qr: await holder.makeDynamicQr({ cardToken: a2.cardToken, privateKey: newPhone.keys.privateKey, now: world.clock.now().getTime() }) }, OPERATOR)).valid).toBe(true);

    // Reissue: the old card and its credentials end; the new card is active and claimable.
    const next = await world.ecard.reissue(card.id, { cardNumber: `B00000${seq}` }, OPERATOR);
    expect(next).toMatchObject({ state: 'active', replaces: card.id });
    expect((await world.ecard.getCard(card.id)).state).toBe('revoked');
    expect((await world.ecard.verify({ qr: await holder.makeDynamicQr({ cardToken: a2.cardToken, privateKey: newPhone.keys.privateKey, now: world.clock.now().getTime() }) }, OPERATOR)).reasons).toEqual(['CARD_REVOKED']);
    expect(await code(world.ecard.resume(card.id, OPERATOR))).toBe('ECARD_TRANSITION_REFUSED');
    const c = await claimWith(world, newPhone, { holderId });
    expect(c.cardId).toBe(next.id);
    await world.ecard.revoke(next.id, 'deceased', OPERATOR);
    expect(await code(claimWith(world, newPhone, { holderId }))).toBe('ECARD_CARD_NOT_ACTIVE');
    // The published list says the same as the database.
    const list = await world.ecard.statusList(a.statusList.id);
    expect(list.maxAge).toBeGreaterThan(0);
  });

  it('detects a replayed QR code online within its minute', async () => {
    const { holderId } = await newHolder();
    const phone = await newDevice();
    const c = await claimWith(world, phone, { holderId });
    const qr = await holder.makeDynamicQr({ cardToken: c.cardToken, privateKey: phone.keys.privateKey, now: world.clock.now().getTime() });
    expect((await world.ecard.verify({ qr }, OPERATOR)).valid).toBe(true);
    expect((await world.ecard.verify({ qr }, OPERATOR)).reasons).toEqual(['NONCE_REPLAYED']);
    world.clock.advance(120_000);
    expect((await world.ecard.verify({ qr }, OPERATOR)).reasons).toEqual(['QR_EXPIRED']);
  });

  it('lets a family member claim with their own face, only with the holder\'s consent on record', async () => {
    const elder = await newHolder();
    const child = await newHolder();
    const phone = await newDevice();
    const session = await passedFaceSession(world, child.holderId);
    expect(await code(claimWith(world, phone, { holderId: elder.holderId, managerId: child.holderId, faceSessionId: session }, CHANNEL_CLIENT))).toBe('ECARD_FAMILY_NOT_MANAGED');
    const { withTransaction } = await import('../../src/db/transaction.ts');
    await withTransaction(world.db.pool, (tx) => world.persons.addFamilyMember(tx, { managerId: child.holderId, memberId: elder.holderId, relation: 'parent', consent: { method: 'counter', reference: 'form-2026-001' } }, 'operator:test'));
    const r = await claimWith(world, phone, { holderId: elder.holderId, managerId: child.holderId, faceSessionId: session }, CHANNEL_CLIENT);
    expect(r.evidence).toBe('face_session');
  });

  it('audits everything in the same transactions, never with a full ID number or card number', async () => {
    const rows = (await world.db.pool.query("SELECT action, details FROM audit_log WHERE action LIKE 'ecard.%' OR action LIKE 'persons.%'")).rows;
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['ecard.issuer.create', 'ecard.holder.create', 'ecard.claim', 'ecard.card.suspend', 'ecard.card.resume', 'ecard.card.revoke', 'ecard.card.reissue', 'ecard.channel.withdraw', 'ecard.verify', 'persons.person.create']) expect(actions, a).toContain(a);
    const text = JSON.stringify(rows);
    expect(text).not.toMatch(/\d{17}[\dX]/);
    expect(text).not.toMatch(/A00000\d{3}/);
    expect((await verifyAuditChain(world.db.pool)).ok).toBe(true);
  });
});
