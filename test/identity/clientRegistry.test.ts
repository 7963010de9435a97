/**
 * The client registry: RFC 7591 metadata checked strictly, secrets shown once and stored only as a
 * keyed hash, no escalation through clients:admin, every change audited, deletion final.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataKeyFromBytes } from '../../src/crypto/dataKeys.ts';
import { systemClock } from '../../src/clock.ts';
import { createClientRegistry, type ClientRegistry } from '../../src/identity/clients/clientRegistry.ts';
import { clientSecretMatches } from '../../src/identity/clients/clientSecret.ts';
import { parseClientMetadata } from '../../src/identity/clients/clientMetadata.ts';
import { createPostgresAdapter, pruneOidcModels } from '../../src/identity/provider/postgresAdapter.ts';
import { fixedClock } from '../../src/clock.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const OPERATOR = { actor: 'operator:test', scopes: 'all' as const };
const EC_JWK = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };

describe('client metadata (RFC 7591)', () => {
  const base = { client_name: 'Bank of Kexin', kexin_client_class: 'bank' };

  it('defaults to client_secret_basic and client credentials, and normalises scopes', () => {
    const s = parseClientMetadata({ ...base, scope: 'face:verify  ca:issue:device face:verify' });
    expect(s).toMatchObject({ authMethod: 'client_secret_basic', grantTypes: ['client_credentials'], scopes: ['ca:issue:device', 'face:verify'], maxAssurance: 'none', status: 'active' });
  });

  it.each([
    [{ ...base, scope: 'ca:issue:ocsp' }, 'CLIENT_SCOPE_NOT_GRANTABLE'],
    [{ ...base, scope: 'ca:issue:tsa' }, 'CLIENT_SCOPE_NOT_GRANTABLE'],
    [{ ...base, scope: 'ca:issue:seal' }, 'CLIENT_SCOPE_NOT_GRANTABLE'],
    [{ ...base, scope: 'ca:issue:issuing-ca' }, 'CLIENT_SCOPE_NOT_GRANTABLE'],
    [{ ...base, scope: 'ca:issue' }, 'CLIENT_SCOPE_NOT_GRANTABLE'],
    [{ ...base, scope: 'ca:admin' }, 'CLIENT_SCOPE_NOT_GRANTABLE'],
    [{ ...base, scope: 'made:up' }, 'CLIENT_SCOPE_NOT_GRANTABLE'],
    [{ client_name: 'x' }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, kexin_client_class: 'army' }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, token_endpoint_auth_method: 'none' }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, token_endpoint_auth_method: 'client_secret_post' }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, token_endpoint_auth_method: 'private_key_jwt' }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...EC_JWK, d: 'secret' }] } }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, token_endpoint_auth_method: 'tls_client_auth' }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'not a DN' }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=a+OU=b' }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, grant_types: ['authorization_code'] }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, redirect_uris: ['https://evil.example/cb'] }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, jwks_uri: 'https://bank.example/jwks' }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, dpop_bound_access_tokens: true, tls_client_certificate_bound_access_tokens: true }, 'CLIENT_METADATA_INVALID'],
    [{ ...base, kexin_api_rate_per_second: 0 }, 'CLIENT_METADATA_INVALID'],
  ])('refuses %j with %s', (metadata, code) => {
    expect(() => parseClientMetadata(metadata)).toThrow(expect.objectContaining({ code }));
  });
});

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db?.close(); });

describe('client registry', () => {
  let registry: ClientRegistry;
  const secretKey = dataKeyFromBytes('client-secret', randomBytes(32));

  beforeAll(() => {
    registry = createClientRegistry({ pool: db.pool, clock: systemClock, secretKey });
  });

  const auditRows = async (subject: string) =>
    (await db.pool.query<{ action: string; actor: string; details: Record<string, unknown> }>('SELECT action, actor, details FROM audit_log WHERE subject = $1 ORDER BY seq', [subject])).rows;

  it('registers a secret client: the secret is shown once and stored only as a keyed hash', async () => {
    const { client, clientSecret } = await registry.register({ client_name: '12333 desk', kexin_client_class: 'hrss', scope: 'face:session' }, OPERATOR);
    expect(client).toMatchObject({ client_name: '12333 desk', kexin_client_class: 'hrss', kexin_client_class_label: expect.stringContaining('人社'), client_secret_expires_at: 0, kexin_status: 'active' });
    expect(clientSecret).toMatch(/^kxs_[A-Za-z0-9_-]{43}$/);
    const row = (await db.pool.query('SELECT * FROM oauth_clients WHERE client_id = $1', [client.client_id])).rows[0];
    expect(JSON.stringify(row)).not.toContain(clientSecret!.slice(4));
    expect(clientSecretMatches(secretKey, row.secret_hash, clientSecret!)).toBe(true);
    expect(clientSecretMatches(secretKey, row.secret_hash, `${clientSecret}x`)).toBe(false);
    expect(await registry.get(client.client_id)).not.toHaveProperty('client_secret');
    const audit = await auditRows(client.client_id);
    expect(audit).toEqual([expect.objectContaining({ action: 'identity.client.register', actor: 'operator:test' })]);
    expect(JSON.stringify(audit)).not.toContain(clientSecret!.slice(4));
  });

  it('lets a clients:admin client grant only what it holds itself', async () => {
    const admin = { actor: 'client:admin-1', scopes: new Set(['clients:admin', 'face:session']) };
    await expect(registry.register({ client_name: 'kiosk', kexin_client_class: 'kiosk', scope: 'face:session' }, admin)).resolves.toBeDefined();
    await expect(registry.register({ client_name: 'kiosk', kexin_client_class: 'kiosk', scope: 'face:session face:enrol' }, admin))
      .rejects.toMatchObject({ code: 'CLIENT_SCOPE_NOT_HELD', status: 403 });
  });

  it('replaces, disables and deletes; a deleted client is gone for good and each change is audited', async () => {
    const { client } = await registry.register({ client_name: 'Pay', kexin_client_class: 'payment', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [EC_JWK] }, scope: 'ecard:verify' }, OPERATOR);
    const id = client.client_id;
    expect(await registry.active(id)).toMatchObject({ clientId: id });
    const disabled = await registry.replace(id, { client_name: 'Pay', kexin_client_class: 'payment', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [EC_JWK] }, scope: 'ecard:verify', kexin_status: 'disabled' }, OPERATOR);
    expect(disabled.client.kexin_status).toBe('disabled');
    expect(disabled.clientSecret).toBeUndefined();
    expect(await registry.active(id)).toBeUndefined();
    expect(await registry.channel(id)).toMatchObject({ name: 'Pay', class: 'payment', status: 'disabled' });
    // Switching to a secret makes one, shown once.
    const secret = await registry.replace(id, { client_name: 'Pay', kexin_client_class: 'payment', scope: 'ecard:verify' }, OPERATOR);
    expect(secret.clientSecret).toMatch(/^kxs_/);
    await registry.remove(id, OPERATOR);
    expect(await registry.active(id)).toBeUndefined();
    await expect(registry.replace(id, { client_name: 'Pay', kexin_client_class: 'payment' }, OPERATOR)).rejects.toMatchObject({ code: 'CLIENT_DELETED', status: 410 });
    await expect(registry.remove(id, OPERATOR)).rejects.toMatchObject({ code: 'CLIENT_DELETED' });
    expect((await registry.list()).map((c) => c.client_id)).not.toContain(id);
    expect((await auditRows(id)).map((r) => r.action)).toEqual(['identity.client.register', 'identity.client.update', 'identity.client.update', 'identity.client.delete']);
    expect((await db.pool.query('SELECT secret_hash FROM oauth_clients WHERE client_id = $1', [id])).rows[0].secret_hash).toBeNull();
  });

  it('changes nothing on a refused change', async () => {
    const { client } = await registry.register({ client_name: 'Hospital', kexin_client_class: 'medical', scope: 'face:verify' }, OPERATOR);
    const before = await db.pool.query('SELECT count(*)::int AS n FROM audit_log');
    await expect(registry.replace(client.client_id, { client_name: 'Hospital', kexin_client_class: 'medical', scope: 'ca:issue:ocsp' }, OPERATOR)).rejects.toMatchObject({ code: 'CLIENT_SCOPE_NOT_GRANTABLE' });
    await expect(registry.get('kxnope')).rejects.toMatchObject({ code: 'CLIENT_NOT_FOUND', status: 404 });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n).toBe(before.rows[0].n);
    expect((await registry.get(client.client_id)).scope).toBe('face:verify');
  });
});

describe('RFC 4514 subject DNs', () => {
  it('reads escapes and reverses into certificate order', async () => {
    const { parseRfc4514 } = await import('../../src/identity/clients/certificateSubject.ts');
    expect(parseRfc4514('CN=gw\\,01, O=Bank 银行,C=CN')).toEqual([['2.5.4.6', 'CN'], ['2.5.4.10', 'Bank 银行'], ['2.5.4.3', 'gw,01']]);
    expect(parseRfc4514('CN=\\E9\\93\\B6\\E8\\A1\\8C')).toEqual([['2.5.4.3', '银行']]);
    expect(parseRfc4514('2.5.4.97=91350211M000100Y43')).toEqual([['2.5.4.97', '91350211M000100Y43']]);
    expect(parseRfc4514('XX=1')).toBeUndefined();
    expect(parseRfc4514('CN=a\\')).toBeUndefined();
  });
});

describe('oidc-provider storage adapter (PostgreSQL)', () => {
  const clock = fixedClock('2030-01-01T00:00:00Z');
  const hooks = { client: async () => undefined, verifiedToken: () => undefined, revokeToken: async () => {} };
  const Adapter = () => createPostgresAdapter(db.pool, clock, hooks);

  it('stores, finds by id, uid and user code, consumes, destroys and revokes by grant, per model', async () => {
    const A = Adapter();
    const codes = new A('DeviceCode');
    const sessions = new A('Session');
    await codes.upsert('dc1', { grantId: 'g1', userCode: 'ABCD-EFGH', kind: 'DeviceCode' }, 600);
    await sessions.upsert('s1', { uid: 'u1', kind: 'Session' }, 600);
    await sessions.upsert('dc1', { kind: 'Session', other: true }, 600);
    expect(await codes.find('dc1')).toEqual({ grantId: 'g1', userCode: 'ABCD-EFGH', kind: 'DeviceCode' });
    expect(await sessions.find('dc1')).toEqual({ kind: 'Session', other: true });
    expect(await codes.findByUserCode('ABCD-EFGH')).toMatchObject({ grantId: 'g1' });
    expect(await sessions.findByUid('u1')).toMatchObject({ uid: 'u1' });
    await codes.consume('dc1');
    expect(await codes.find('dc1')).toMatchObject({ consumed: Math.floor(clock.now().getTime() / 1000) });
    await codes.upsert('dc1', { grantId: 'g1', userCode: 'ABCD-EFGH', kind: 'DeviceCode', updated: true }, 600);
    expect(await codes.find('dc1')).toMatchObject({ updated: true });
    await codes.revokeByGrantId('g1');
    expect(await codes.find('dc1')).toBeUndefined();
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u1')).toBeUndefined();
    await expect(new A('Client').upsert('c', {}, 60)).rejects.toThrow(TypeError);
  });

  it('hides expired records and prunes them', async () => {
    const A = Adapter();
    const replay = new A('ReplayDetection');
    await replay.upsert('jti-1', { iss: 'c' }, 60);
    expect(await replay.find('jti-1')).toBeDefined();
    clock.advance(61_000);
    expect(await replay.find('jti-1')).toBeUndefined();
    await pruneOidcModels(db.pool, clock);
    expect((await db.pool.query("SELECT count(*)::int AS n FROM oidc_models WHERE model = 'ReplayDetection'")).rows[0].n).toBe(0);
  });

  it('answers the token models only from the token this request verified', async () => {
    const token = { kind: 'ClientCredentials', jti: 't1', clientId: 'c', exp: 1 };
    const revoked: unknown[] = [];
    const A = createPostgresAdapter(db.pool, clock, { ...hooks, verifiedToken: (jti) => (jti === 't1' ? token : undefined), revokeToken: async (t) => { revoked.push(t); } });
    expect(await new A('ClientCredentials').find('t1')).toEqual(token);
    expect(await new A('AccessToken').find('t1')).toBeUndefined();
    expect(await new A('ClientCredentials').find('t2')).toBeUndefined();
    await new A('ClientCredentials').destroy('t2');
    await new A('ClientCredentials').destroy('t1');
    expect(revoked).toEqual([token]);
  });
});
