/**
 * Kexin's APIs refuse every token that should not let its bearer in: another audience or a missing
 * scope → 403; expired, `alg: none`, signed by a foreign key or by Kexin's key but altered → 401; a
 * disabled or deleted client's tokens stop at once; a channel client never gets an OCSP, TSA, seal or
 * CA certificate; per-client rates answer 429 with Retry-After; nothing is written on refusal.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.ts';
import { ecdsaDerToJose } from '../../src/crypto/joseEcdsa.ts';
import { ACCESS_TOKEN_TTL_SECONDS, CLOCK_SKEW_SECONDS, PUBLISH_AHEAD_MS, SIGNING_KEY_LIFETIME_MS } from '../../src/identity/tokens/signingKeys.ts';
import { auditModule, caModule, identityModule } from '../../src/modules.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { opensslCsr } from '../support/tools.ts';
import { tempDir } from '../support/database.ts';

let svc: TestService;
const dir = tempDir('kexin-tokens-');
// Stands at the real time until the key-rotation tests (last) move it on.
const clock = fixedClock(new Date());

beforeAll(async () => {
  svc = await startTestService({ modules: [auditModule(), caModule(), identityModule()], clock });
});
afterAll(async () => { await svc?.stop(); });

const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string>, payload?: unknown) =>
  svc.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });

async function register(metadata: Record<string, unknown>) {
  const res = await inject('POST', '/admin/clients', svc.auth, metadata);
  expect(res.statusCode).toBe(201);
  return res.json() as { client_id: string; client_secret: string };
}

/** A token from the token endpoint, as a client with a secret gets it. */
async function tokenFor(c: { client_id: string; client_secret: string }, scope: string) {
  const res = await inject('POST', '/oauth/token', {
    authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded',
  }, `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`);
  return res;
}

async function accessToken(c: { client_id: string; client_secret: string }, scope: string): Promise<string> {
  const res = await tokenFor(c, scope);
  expect(res.statusCode).toBe(200);
  return res.json().access_token;
}

/** A JWT signed with Kexin's active token key (through the key store), claims as given. */
async function signWithKexinKey(header: Record<string, unknown>, payload: Record<string, unknown>, key = svc.services.identity!.keys().active): Promise<string> {
  const active = key;
  const input = `${jose.base64url.encode(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: active.kid, ...header }))}.${jose.base64url.encode(JSON.stringify(payload))}`;
  const der = await svc.ctx.keyStore.sign(active.keyId, 'ECDSA-SHA256', new TextEncoder().encode(input));
  return `${input}.${jose.base64url.encode(ecdsaDerToJose(der, 32))}`;
}

const claims = (clientId: string, over: Record<string, unknown> = {}) => {
  const now = Math.floor(clock.now().getTime() / 1000);
  return { iss: svc.ctx.config.publicUrl, aud: `${svc.ctx.config.publicUrl}/`, sub: clientId, client_id: clientId, jti: randomUUID(), iat: now, exp: now + 300, scope: 'audit:read', ...over };
};

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** Audit rows other than break-glass use (each operator call writes one) and token issuance. */
const auditCount = async () => (await svc.ctx.db.pool.query<{ n: number }>(
  "SELECT count(*)::int AS n FROM audit_log WHERE action NOT IN ('operator.token.use', 'identity.token.issue')")).rows[0]!.n;
const certificateCount = async () => (await svc.ctx.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ca_certificates')).rows[0]!.n;

describe('tokens Kexin refuses', () => {
  let channel: { client_id: string; client_secret: string };
  beforeAll(async () => {
    channel = await register({ client_name: 'Channel', kexin_client_class: 'bank', scope: 'audit:read ca:issue:device' });
  });

  it('accepts its own well-formed token (the control for everything below)', async () => {
    const t = await signWithKexinKey({}, claims(channel.client_id));
    expect((await inject('GET', '/audit/verify', bearer(t))).statusCode).toBe(200);
  });

  it('403 for another audience or a missing scope', async () => {
    const other = await signWithKexinKey({}, claims(channel.client_id, { aud: 'https://partner.example/api' }));
    const res = await inject('GET', '/audit/verify', bearer(other));
    expect(res.json()).toMatchObject({ status: 403, code: 'AUTH_AUDIENCE_MISMATCH' });
    const t = await accessToken(channel, 'audit:read');
    expect((await inject('POST', '/pki/certificates/01/revoke', bearer(t), { reason: 'keyCompromise' })).json()).toMatchObject({ status: 403, code: 'AUTH_SCOPE_MISSING', requiredScope: 'ca:revoke' });
  });

  it('401 for an expired token, alg none, a foreign key, a changed payload, the wrong type or issuer', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signWithKexinKey({}, claims(channel.client_id, { iat: now - 3600, exp: now - 600 }));
    const good = await signWithKexinKey({}, claims(channel.client_id));
    const [h, p, s] = good.split('.') as [string, string, string];
    const none = `${jose.base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${p}.`;
    const foreignKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const foreign = await new jose.SignJWT(claims(channel.client_id)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: svc.services.identity!.keys().active.kid }).sign(foreignKey);
    const altered = `${h}.${jose.base64url.encode(JSON.stringify(claims(channel.client_id, { scope: 'audit:read ca:revoke' })))}.${s}`;
    const idToken = await signWithKexinKey({ typ: 'JWT' }, claims(channel.client_id));
    const otherIssuer = await signWithKexinKey({}, claims(channel.client_id, { iss: 'https://evil.example' }));
    for (const t of [expired, none, foreign, altered, idToken, otherIssuer, 'a.b.c']) {
      const res = await inject('GET', '/audit/verify', bearer(t));
      expect(res.json(), t).toMatchObject({ status: 401, code: 'AUTH_INVALID' });
    }
  });

  it('narrows a token to what its client holds now, and stops a disabled or deleted client\'s tokens at once', async () => {
    const c = await register({ client_name: 'Soon gone', kexin_client_class: 'other', scope: 'audit:read ca:issue:device' });
    const t = await accessToken(c, 'audit:read');
    expect((await inject('GET', '/audit/verify', bearer(t))).statusCode).toBe(200);
    // Scope taken away: the token (which still says audit:read) no longer grants it.
    expect((await inject('PUT', `/admin/clients/${c.client_id}`, svc.auth, { client_name: 'Soon gone', kexin_client_class: 'other', scope: 'ca:issue:device' })).statusCode).toBe(200);
    expect((await inject('GET', '/audit/verify', bearer(t))).statusCode).toBe(403);
    expect((await inject('PUT', `/admin/clients/${c.client_id}`, svc.auth, { client_name: 'Soon gone', kexin_client_class: 'other', scope: 'audit:read', kexin_status: 'disabled' })).statusCode).toBe(200);
    expect((await inject('GET', '/audit/verify', bearer(t))).statusCode).toBe(401);
    expect((await tokenFor(c, 'audit:read')).statusCode).toBe(401);
    expect((await inject('PUT', `/admin/clients/${c.client_id}`, svc.auth, { client_name: 'Soon gone', kexin_client_class: 'other', scope: 'audit:read' })).statusCode).toBe(200);
    expect((await inject('GET', '/audit/verify', bearer(t))).statusCode).toBe(200);
    expect((await inject('DELETE', `/admin/clients/${c.client_id}`, svc.auth)).statusCode).toBe(204);
    expect((await inject('GET', '/audit/verify', bearer(t))).statusCode).toBe(401);
    expect((await tokenFor(c, 'audit:read')).statusCode).toBe(401);
    expect((await inject('GET', `/admin/clients/${c.client_id}`, svc.auth)).json()).toMatchObject({ kexin_status: 'deleted' });
  });

  it('never gives a channel an OCSP, TSA, seal or CA certificate, and writes nothing when it refuses', async () => {
    const before = { audit: await auditCount(), certificates: await certificateCount() };
    // Not grantable at all …
    for (const scope of ['ca:issue', 'ca:issue:ocsp', 'ca:issue:tsa', 'ca:issue:seal', 'ca:issue:issuing-ca', 'ca:issue:root-ca', 'ca:issue:token-signer', 'ca:admin']) {
      const res = await inject('POST', '/admin/clients', svc.auth, { client_name: 'Greedy', kexin_client_class: 'bank', scope });
      expect(res.json(), scope).toMatchObject({ status: 400, code: 'CLIENT_SCOPE_NOT_GRANTABLE' });
    }
    // … and a device-certificate scope does not stretch to them.
    const t = await accessToken(channel, 'ca:issue:device');
    const { csrPem } = opensslCsr(dir, 'greedy', '/CN=Kexin OCSP');
    for (const profile of ['ocsp', 'tsa', 'seal', 'issuing-ca', 'root-ca', 'token-signer']) {
      const res = await inject('POST', '/pki/certificates', bearer(t), { csr: csrPem, profile });
      expect(res.json(), profile).toMatchObject({ status: 403, code: 'AUTH_SCOPE_MISSING' });
    }
    // Refusals of every other kind change nothing either.
    await inject('GET', '/audit/verify', bearer('a.b.c'));
    await inject('GET', '/audit/verify', bearer(await signWithKexinKey({}, claims(channel.client_id, { aud: 'x' }))));
    await inject('POST', '/admin/clients', bearer(t), { client_name: 'x', kexin_client_class: 'bank' });
    await tokenFor({ client_id: channel.client_id, client_secret: 'wrong' }, 'audit:read');
    await tokenFor(channel, 'ca:revoke');
    expect({ audit: await auditCount(), certificates: await certificateCount() }).toEqual(before);
    // The device certificate it may have: issued.
    const { csrPem: deviceCsr } = opensslCsr(dir, 'device', '/CN=kiosk-17');
    expect((await inject('POST', '/pki/certificates', bearer(t), { csr: deviceCsr, profile: 'device' })).statusCode).toBe(201);
  });

  it('records who called: the audit actor of an API call is the client', async () => {
    const t = await accessToken(channel, 'ca:issue:device');
    const { csrPem } = opensslCsr(dir, 'actor', '/CN=kiosk-18');
    const serial = (await inject('POST', '/pki/certificates', bearer(t), { csr: csrPem, profile: 'device' })).json().serial;
    const row = (await svc.ctx.db.pool.query('SELECT actor FROM audit_log WHERE subject = $1 AND action = $2', [serial, 'ca.certificate.issue'])).rows[0];
    expect(row.actor).toBe(`client:${channel.client_id}`);
  });
});

describe('per-client rates', () => {
  it('429 with Retry-After on the APIs beyond the client\'s rate', async () => {
    const c = await register({ client_name: 'Slow', kexin_client_class: 'kiosk', scope: 'audit:read', kexin_api_rate_per_second: 1 });
    const t = await accessToken(c, 'audit:read');
    const codes: number[] = [];
    let limited;
    for (let i = 0; i < 4; i++) {
      const res = await inject('GET', '/audit/verify', bearer(t));
      codes.push(res.statusCode);
      if (res.statusCode === 429) limited = res;
    }
    expect(codes.slice(0, 2)).toEqual([200, 200]);
    expect(codes).toContain(429);
    expect(limited!.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited!.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
  });

  it('429 with Retry-After at the token endpoint, counting only tokens the client got', async () => {
    const c = await register({ client_name: 'Few tokens', kexin_client_class: 'kiosk', scope: 'audit:read', kexin_token_rate_per_minute: 6 });
    // Failed attempts in the client's name do not use up its tokens.
    for (let i = 0; i < 3; i++) expect((await tokenFor({ ...c, client_secret: 'wrong' }, 'audit:read')).statusCode).toBe(401);
    expect((await tokenFor(c, 'audit:read')).statusCode).toBe(200);
    const limited = await tokenFor(c, 'audit:read');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('429 for a flood of failed attempts from one address', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 25; i++) statuses.add((await tokenFor({ client_id: 'kxnosuchclient00', client_secret: 'x' }, 'audit:read')).statusCode);
    expect([...statuses].sort()).toEqual([401, 429]);
  });
});

describe('signing key rotation', () => {
  const jwks = async () => (await inject('GET', '/oauth/jwks', {})).json().keys as { kid: string }[];
  const kidOfNewToken = async (c: { client_id: string; client_secret: string }) => jose.decodeProtectedHeader(await accessToken(c, 'audit:read')).kid;

  it('publishes the next key before it signs, and keeps the old one until its tokens have expired', async () => {
    const c = await register({ client_name: 'Rotation watcher', kexin_client_class: 'other', scope: 'audit:read' });
    const identity = svc.services.identity!;
    const first = identity.keys().active;
    expect((await jwks()).map((k) => k.kid)).toEqual([first.kid]);
    expect(await kidOfNewToken(c)).toBe(first.kid);

    // Near the end of its life: a next key is published, the first still signs.
    clock.advance(SIGNING_KEY_LIFETIME_MS - PUBLISH_AHEAD_MS);
    expect(await identity.rotateSigningKeys()).toBe(true);
    const published = (await jwks()).map((k) => k.kid);
    expect(published).toHaveLength(2);
    expect(published[0]).toBe(first.kid);
    const next = published[1]!;
    expect(await kidOfNewToken(c)).toBe(first.kid);

    // Published long enough: the next key signs; the first is still published, its tokens still work.
    clock.advance(PUBLISH_AHEAD_MS);
    expect(await identity.rotateSigningKeys()).toBe(true);
    expect((await jwks()).map((k) => k.kid)).toEqual([next, first.kid]);
    expect(await kidOfNewToken(c)).toBe(next);
    const byFirst = await signWithKexinKey({}, claims(c.client_id), first);
    expect((await inject('GET', '/audit/verify', bearer(byFirst))).statusCode).toBe(200);

    // Once every token it signed has expired, the first key is gone.
    clock.advance((ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000 + 1000);
    expect(await identity.rotateSigningKeys()).toBe(true);
    expect((await jwks()).map((k) => k.kid)).toEqual([next]);
    const late = await signWithKexinKey({}, claims(c.client_id), first);
    expect((await inject('GET', '/audit/verify', bearer(late))).statusCode).toBe(401);
    expect(await identity.rotateSigningKeys()).toBe(false);

    const actions = (await svc.ctx.db.pool.query("SELECT action FROM audit_log WHERE action LIKE 'identity.signing-key.%' ORDER BY seq")).rows.map((r) => r.action);
    expect(actions).toEqual(['identity.signing-key.create', 'identity.signing-key.create', 'identity.signing-key.activate', 'identity.signing-key.retire']);
  });

  it('rotates on the operator\'s word: the next key is published at once and signs after the publication delay', async () => {
    const c = await register({ client_name: 'Forced rotation watcher', kexin_client_class: 'other', scope: 'audit:read clients:admin' });
    const asClient = await inject('POST', '/admin/oauth/keys/rotate', bearer(await signWithKexinKey({}, claims(c.client_id, { scope: 'clients:admin' }))));
    expect(asClient.json()).toMatchObject({ status: 403, code: 'OPERATOR_ONLY' });
    const current = svc.services.identity!.keys().active.kid;
    const res = await inject('POST', '/admin/oauth/keys/rotate', svc.auth);
    expect(res.statusCode).toBe(200);
    const keys = res.json().keys as { kid: string; state: string }[];
    expect(keys).toEqual([{ kid: current, state: 'active' }, { kid: expect.any(String), state: 'next' }]);
    expect(await kidOfNewToken(c)).toBe(current);
    clock.advance(PUBLISH_AHEAD_MS);
    expect(await svc.services.identity!.rotateSigningKeys()).toBe(true);
    expect(await kidOfNewToken(c)).toBe(keys[1]!.kid);
  });
});
