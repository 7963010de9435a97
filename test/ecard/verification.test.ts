/**
 * Credentials and dynamic QR codes, checked by independent implementations and by Kexin's offline
 * verifier: the OpenWallet Foundation SD-JWT VC library verifies issuer signature, disclosures, key
 * binding and status list; `qrcode` (an independent encoder) places the QR text in a version ≤ 15 code
 * at level M and jsQR reads it back from pixels. Then every forgery named in the issue gets its reason.
 */
import { X509Certificate } from 'node:crypto';
import { ES256 as OwfEs256, digest } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIssuer } from '../../src/ecard/issuerKeys.ts';
import { issueSdJwtVc } from '../../src/ecard/credential.ts';
import { parseQrText } from '../../src/ecard/formats/dynamicQr.ts';
import { createOfflineVerifier, type EcardVerifier } from '../../src/ecard/verifier/offlineVerifier.ts';
import { createMemoryReplayGuard } from '../../src/ecard/verifier/replayGuard.ts';
import { createStatusListCache, type StatusListCache } from '../../src/ecard/verifier/statusSource.ts';
import { loadTrustedIssuers, type TrustedIssuer } from '../../src/ecard/verifier/trustedIssuers.ts';
import { pemToDer } from '../../src/ca/pem.ts';
import { idNumber } from '../support/idNumbers.ts';
import { decodeQr, renderQr } from '../support/qr.ts';
import { claimWith, createEcardWorld, holder, newDevice, OPERATOR, type Device, type EcardWorld } from './fixture.ts';

const AUD = 'https://pharmacy.example.cn';

describe('e-card credentials and QR codes', () => {
  let world: EcardWorld;
  let device: Device;
  let claim: Awaited<ReturnType<typeof claimWith>>;
  let issuers: readonly TrustedIssuer[];
  let cache: StatusListCache;
  let verifier: EcardVerifier;
  const id = idNumber(501);

  beforeAll(async () => {
    world = await createEcardWorld();
    const { holderId } = await world.ecard.createHolder({ name: '陈小明', idNumber: id, ssn: id, cardNumber: 'A00000501', region: '440305' }, OPERATOR);
    device = await newDevice();
    claim = await claimWith(world, device, { holderId });
    // A partner's verifier: trust anchors (the roots) + the published trust bundle, then the status list.
    const bundle = world.ecard.trustBundle();
    const loaded = await loadTrustedIssuers({ anchors: world.anchors, issuers: bundle.issuers.map((i) => ({ certificate: pemToDer(i.certificatePem)[0]!, chain: pemToDer(i.chainPem) })), at: world.clock.now() });
    expect(loaded.refused).toEqual([]);
    issuers = loaded.issuers;
    cache = createStatusListCache({ issuers, clock: world.clock });
    expect(cache.ingest((await world.ecard.statusList(claim.statusList.id)).jwt)).toMatchObject({ ok: true, uri: claim.statusList.uri, size: 1 << 20 });
    verifier = createOfflineVerifier({ issuers, status: cache, clock: world.clock, replay: createMemoryReplayGuard() });
  });
  afterAll(async () => { await world?.close(); });

  const present = (disclose: string[], nonce = 'n-1', credential = claim.credential, iat = Math.floor(world.clock.now().getTime() / 1000)) =>
    holder.presentSdJwt({ credential, disclose, privateKey: device.keys.privateKey, audience: AUD, nonce, iat });
  const qr = (opts: { now?: number; purpose?: 'identity' | 'medical' | 'payment'; privateKey?: CryptoKey; cardToken?: string } = {}) =>
    holder.makeDynamicQr({ cardToken: opts.cardToken ?? claim.cardToken, privateKey: opts.privateKey ?? device.keys.privateKey, purpose: opts.purpose ?? 'medical', now: opts.now ?? world.clock.now().getTime() });

  it('issues an SD-JWT VC that the OpenWallet Foundation library verifies, with key binding and status list', async () => {
    const [jwt] = claim.credential.split('~');
    const header = JSON.parse(Buffer.from(jwt!.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'ES256', typ: 'dc+sd-jwt' });
    const issuerJwk = new X509Certificate(Buffer.from(header.x5c[0], 'base64')).publicKey.export({ format: 'jwk' });
    const statusJwt = (await world.ecard.statusList(claim.statusList.id)).jwt;
    const owf = new SDJwtVcInstance({
      hasher: digest, hashAlg: 'sha-256',
      verifier: await OwfEs256.getVerifier(issuerJwk),
      kbVerifier: async (data, sig, payload) => (await OwfEs256.getVerifier((payload as { cnf: { jwk: object } }).cnf.jwk))(data, sig),
      statusListFetcher: async (uri) => { expect(uri).toBe(claim.statusList.uri); return statusJwt; },
    });
    const presentation = await present(['card_number', 'valid_until']);
    const r = await owf.verify(presentation, { keyBindingNonce: 'n-1', requiredClaimKeys: ['card_number', 'valid_until'], currentDate: Math.floor(world.clock.now().getTime() / 1000) });
    expect(r.payload).toMatchObject({ card_number: 'A00000501', vct: 'urn:kexin:vct:social-security-card:1' });
    expect(r.payload).not.toHaveProperty('id_number');
    expect(r.payload).not.toHaveProperty('name');
    expect(r.kb?.payload).toMatchObject({ aud: AUD, nonce: 'n-1' });
    // Every claim is selectively disclosable: the issuance form holds them, the JWT payload does not.
    expect(holder.disclosableClaims(claim.credential).sort()).toEqual(['card_number', 'id_number', 'name', 'region', 'ssn', 'valid_from', 'valid_until']);
    expect(Buffer.from(jwt!.split('.')[1]!, 'base64url').toString()).not.toContain(id);
    // A tampered disclosure fails the independent library too.
    const [j, d0, ...rest] = presentation.split('~');
    const forged = Buffer.from(JSON.stringify([JSON.parse(Buffer.from(d0!, 'base64url').toString())[0], 'card_number', 'B99999999'])).toString('base64url');
    await expect(owf.verify([j, forged, ...rest].join('~'), { keyBindingNonce: 'n-1' })).rejects.toThrow();
  });

  it('verifies a minimal presentation offline: only what the pharmacy asked for', async () => {
    const r = await verifier.verifyPresentation(await present(['card_number', 'valid_until']), { audience: AUD, nonce: 'n-1', requiredClaims: ['card_number', 'valid_until'] });
    expect(r).toMatchObject({ valid: true, format: 'sd-jwt', reasons: [], card: { state: 'valid', status: { uri: claim.statusList.uri, idx: claim.statusList.idx } } });
    expect(Object.keys(r.disclosed).sort()).toEqual(['card_number', 'valid_until', 'vct']);
    expect(r.card.asOf).toBe(world.clock.now().toISOString());
    expect(Object.isFrozen(r)).toBe(true);
    const full = await verifier.verifyPresentation(await present(['name', 'id_number']), { audience: AUD, nonce: 'n-1' });
    expect(full).toMatchObject({ valid: true, disclosed: { name: '陈小明', id_number: id } });
  });

  it('gives each forgery of a presentation its reason code', async () => {
    const expect1 = { audience: AUD, nonce: 'n-1' };
    const good = await present(['card_number']);
    const [jwt, disc, kb] = good.split('~');
    // Forged issuer signature: one byte of the signature changed.
    const [h, p, s] = jwt!.split('.');
    const sig = Buffer.from(s!, 'base64url'); sig[10]! ^= 1;
    expect((await verifier.verifyPresentation(`${h}.${p}.${sig.toString('base64url')}~${disc}~${kb}`, expect1)).reasons).toEqual(['ISSUER_SIGNATURE_INVALID']);
    // Forged claim in the signed payload (signature no longer covers it).
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()); payload.exp += 1000;
    expect((await verifier.verifyPresentation(`${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}~${disc}~${kb}`, expect1)).reasons).toEqual(['ISSUER_SIGNATURE_INVALID']);
    // Tampered disclosure.
    const d = JSON.parse(Buffer.from(disc!, 'base64url').toString()); d[2] = 'B99999999';
    expect((await verifier.verifyPresentation(`${jwt}~${Buffer.from(JSON.stringify(d)).toString('base64url')}~${kb}`, expect1)).reasons).toEqual(['DISCLOSURE_TAMPERED']);
    // A disclosure added after the holder signed (sd_hash no longer matches).
    const nameDisc = claim.credential.split('~').slice(1).find((x) => x && JSON.parse(Buffer.from(x, 'base64url').toString())[1] === 'name');
    expect((await verifier.verifyPresentation(`${jwt}~${disc}~${nameDisc}~${kb}`, expect1)).reasons).toEqual(['PRESENTATION_ALTERED']);
    // Foreign holder key: a copied credential presented by another device.
    const thief = await newDevice();
    const stolen = await holder.presentSdJwt({ credential: claim.credential, disclose: ['card_number'], privateKey: thief.keys.privateKey, audience: AUD, nonce: 'n-1', iat: Math.floor(world.clock.now().getTime() / 1000) });
    expect((await verifier.verifyPresentation(stolen, expect1)).reasons).toEqual(['HOLDER_SIGNATURE_INVALID']);
    // No key binding at all; another audience; another nonce; an old KB-JWT.
    expect((await verifier.verifyPresentation(`${jwt}~${disc}~`, expect1)).reasons).toEqual(['HOLDER_BINDING_MISSING']);
    expect((await verifier.verifyPresentation(good, { audience: 'https://other.example', nonce: 'n-1' })).reasons).toEqual(['KB_AUDIENCE_MISMATCH']);
    expect((await verifier.verifyPresentation(good, { audience: AUD, nonce: 'n-2' })).reasons).toEqual(['KB_NONCE_MISMATCH']);
    const old = await present(['card_number'], 'n-1', claim.credential, Math.floor(world.clock.now().getTime() / 1000) - 3600);
    expect((await verifier.verifyPresentation(old, expect1)).reasons).toEqual(['KB_STALE']);
    expect((await verifier.verifyPresentation(good, { ...expect1, requiredClaims: ['valid_until'] })).reasons).toEqual(['CLAIM_NOT_DISCLOSED']);
    for (const junk of ['', '~', 'a.b.c~', 'x'.repeat(40_000), `${jwt}~${'A'.repeat(5000)}~`, `${'~'.repeat(100)}`]) {
      const r = await verifier.verifyPresentation(junk, expect1);
      expect(r.valid, junk.slice(0, 20)).toBe(false);
    }
  });

  it('flags an issuer-signed ID number that fails the GB 11643 checksum', async () => {
    // Only the issuer's key can produce this: sign one directly (a buggy or compromised registry).
    const signer = await ensureIssuer({ pool: world.db.pool, keyStore: world.keyStore, clock: world.clock, ca: undefined as never }, 'ecdsa');
    const bad = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    const now = Math.floor(world.clock.now().getTime() / 1000);
    const credential = await issueSdJwtVc({ issuer: signer, iss: world.ecard.iss, iat: now, exp: now + 3600, holderJwk: device.jwk, status: { idx: claim.statusList.idx, uri: claim.statusList.uri }, claims: { id_number: bad } });
    const r = await verifier.verifyPresentation(await present(['id_number'], 'n-1', credential), { audience: AUD, nonce: 'n-1' });
    expect(r.reasons).toEqual(['ID_CHECKSUM_INVALID']);
  });

  it('makes a dynamic QR code that fits version ≤ 15 at level M, reads back from pixels, and verifies offline', async () => {
    const text = await qr();
    expect(text).toMatch(/^KX1:[0-9A-Z $%*+\-./:]+$/);
    const independent = QRCode.create(text, { errorCorrectionLevel: 'M' });
    expect(independent.version).toBeLessThanOrEqual(15);
    // The holder page's encoder (uqr), rendered to pixels and decoded by jsQR.
    const pixels = renderQr(text);
    expect(pixels.version).toBeLessThanOrEqual(15);
    expect(decodeQr(pixels.rgba, pixels.size, pixels.size)).toBe(text);
    console.info(`dynamic QR: ${text.length} characters, version ${independent.version}-M (qrcode), ${pixels.version}-M (uqr)`);

    const r = await verifier.verifyQr(text, { purpose: 'medical' });
    expect(r).toMatchObject({ valid: true, format: 'qr', purpose: 'medical', card: { state: 'valid' }, reasons: [] });
    expect(r.disclosed).toEqual({ card_ref: r.card.ref, purpose: 'medical' });
    expect(JSON.stringify(r)).not.toContain('A00000501');
  });

  it('gives each forgery of a QR code its reason code', async () => {
    const now = world.clock.now().getTime();
    // Replayed within its minute.
    const once = await qr();
    expect((await verifier.verifyQr(once)).valid).toBe(true);
    expect((await verifier.verifyQr(once)).reasons).toEqual(['NONCE_REPLAYED']);
    // Expired: a screenshot shown two minutes later.
    expect((await verifier.verifyQr(await qr({ now: now - 120_000 }))).reasons).toEqual(['QR_EXPIRED']);
    expect((await verifier.verifyQr(await qr({ now: now + 120_000 }))).reasons).toEqual(['QR_NOT_YET_VALID']);
    // Foreign holder key: the card token copied to another phone.
    const thief = await newDevice();
    expect((await verifier.verifyQr(await qr({ privateKey: thief.keys.privateKey }))).reasons).toEqual(['HOLDER_SIGNATURE_INVALID']);
    // Forged issuer signature on the card token.
    const token = Buffer.from(claim.cardToken, 'base64url'); token[token.length - 5]! ^= 1;
    expect((await verifier.verifyQr(await qr({ cardToken: token.toString('base64url') }))).reasons).toEqual(['ISSUER_SIGNATURE_INVALID']);
    // Purpose.
    expect((await verifier.verifyQr(await qr({ purpose: 'payment' }), { purpose: 'medical' })).reasons).toEqual(['PURPOSE_MISMATCH']);
    // Junk never throws.
    const good = await qr();
    for (const junk of ['', 'KX1:', 'KX1:!!!', 'HC1:ABC', good.slice(0, good.length - 7), `${good}00`, `KX1:${'Z'.repeat(1500)}`, good.replace('KX1:', 'KX1:A')]) {
      const r = await verifier.verifyQr(junk);
      expect(r.valid, junk.slice(0, 12)).toBe(false);
    }
    expect(parseQrText(good)).toBeDefined();
    // A verifier without the issuer: unknown.
    const stranger = createOfflineVerifier({ issuers: [], status: cache, clock: world.clock });
    expect((await stranger.verifyQr(await qr())).reasons).toEqual(['ISSUER_UNKNOWN']);
  });

  it('signs with the SM2 issuer when configured (private JOSE/COSE names), verified by Kexin\'s verifier', async () => {
    const { createEcardService } = await import('../../src/ecard/ecardService.ts');
    const { createStaticChannelDirectory } = await import('../../src/ecard/channels.ts');
    const sm2 = await createEcardService({
      pool: world.db.pool, keyStore: world.keyStore, clock: world.clock, ca: world.ca, persons: world.persons, channels: createStaticChannelDirectory([]),
      face: world.face.sessions, publicUrl: 'https://kexin.example.gov.cn', issuer: 'sm2',
    });
    const { holderId } = await sm2.createHolder({ name: '国密', idNumber: idNumber(502), cardNumber: 'A00000502', region: '440305' }, OPERATOR);
    const phone = await newDevice();
    const { nonce } = await sm2.claimNonce();
    const proof = await holder.signClaimProof({ privateKey: phone.keys.privateKey, jwk: phone.jwk, audience: sm2.iss, nonce, iat: Math.floor(world.clock.now().getTime() / 1000) });
    const c = await sm2.claim({ holderId, channelId: 'kexin-counter', deviceJwk: phone.jwk, proof }, OPERATOR);
    expect(JSON.parse(Buffer.from(c.credential.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'SM2-SM3' });
    const bundle = sm2.trustBundle();
    expect(bundle.issuers.map((i) => i.alg)).toEqual(['ES256', 'SM2-SM3']);
    const loaded = await loadTrustedIssuers({ anchors: world.anchors, issuers: bundle.issuers.map((i) => ({ certificate: pemToDer(i.certificatePem)[0]!, chain: pemToDer(i.chainPem) })), at: world.clock.now() });
    expect(loaded.refused).toEqual([]);
    const sm2Cache = createStatusListCache({ issuers: loaded.issuers, clock: world.clock });
    expect(sm2Cache.ingest((await sm2.statusList(c.statusList.id)).jwt)).toMatchObject({ ok: true });
    const v = createOfflineVerifier({ issuers: loaded.issuers, status: sm2Cache, clock: world.clock });
    const now = world.clock.now().getTime();
    expect(await v.verifyQr(await holder.makeDynamicQr({ cardToken: c.cardToken, privateKey: phone.keys.privateKey, now }))).toMatchObject({ valid: true, issuer: { subject: expect.stringContaining('SM2') } });
    const pres = await holder.presentSdJwt({ credential: c.credential, disclose: ['card_number'], privateKey: phone.keys.privateKey, audience: AUD, nonce: 'n-9', iat: Math.floor(now / 1000) });
    expect(await v.verifyPresentation(pres, { audience: AUD, nonce: 'n-9' })).toMatchObject({ valid: true, disclosed: { card_number: 'A00000502' } });
    const token = Buffer.from(c.cardToken, 'base64url'); token[token.length - 3]! ^= 1;
    expect((await v.verifyQr(await holder.makeDynamicQr({ cardToken: token, privateKey: phone.keys.privateKey, now }))).reasons).toEqual(['ISSUER_SIGNATURE_INVALID']);
  });

  it('reports suspension once the new status list is fetched, and the old list as stale or expired', async () => {
    await world.ecard.suspend(claim.cardId, 'lost', OPERATOR);
    expect((await verifier.verifyQr(await qr())).valid).toBe(true); // cached list: still the old answer
    world.clock.advance(1000);
    expect(cache.ingest((await world.ecard.statusList(claim.statusList.id)).jwt)).toMatchObject({ ok: true });
    const r = await verifier.verifyQr(await qr());
    expect(r).toMatchObject({ valid: false, reasons: ['CARD_SUSPENDED'], card: { state: 'suspended', asOf: world.clock.now().toISOString() } });
    await world.ecard.resume(claim.cardId, OPERATOR);
    world.clock.advance(1000);
    cache.ingest((await world.ecard.statusList(claim.statusList.id)).jwt);
    expect((await verifier.verifyQr(await qr())).valid).toBe(true);
    world.clock.advance(301_000);
    const stale = await verifier.verifyQr(await qr());
    expect(stale).toMatchObject({ valid: true, warnings: ['STATUS_LIST_STALE'] });
    world.clock.advance(86_400_000);
    expect((await verifier.verifyQr(await qr())).reasons).toEqual(['STATUS_LIST_EXPIRED']);
  });
});
