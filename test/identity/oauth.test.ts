/**
 * Kexin's authorization server driven by panva's openid-client over HTTP(S), against the running
 * service: discovery, client credentials with a secret, with private_key_jwt and with mutual TLS (a
 * client certificate issued by Kexin's CA through its own API), DPoP-bound tokens used on a Kexin API,
 * introspection and revocation.
 */
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as jose from 'jose';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditModule, caModule, identityModule } from '../../src/modules.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { opensslCsr, write } from '../support/tools.ts';
import { tempDir } from '../support/database.ts';

let svc: TestService;
let issuer: URL;
const dir = tempDir('kexin-oauth-');

/** Registers a client as the operator, through the admin API. */
async function register(metadata: Record<string, unknown>): Promise<{ client_id: string; client_secret?: string } & Record<string, unknown>> {
  const res = await svc.app.inject({ method: 'POST', url: '/admin/clients', headers: svc.auth, payload: metadata });
  if (res.statusCode !== 201) throw new Error(`registration failed: ${res.body}`);
  return res.json();
}

const insecure = { execute: [client.allowInsecureRequests] };
/** The OAuth `error` of a failed openid-client call (in its body, or its WWW-Authenticate challenge). */
async function oauthError(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    const err = e as { error?: string; cause?: { parameters?: { error?: string } }[] };
    return err.error ?? err.cause?.[0]?.parameters?.error;
  }
  return undefined;
}
const ecKeyPair = () => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

beforeAll(async () => {
  svc = await startTestService({ modules: [auditModule(), caModule(), identityModule()], listen: true, tls: true });
  issuer = new URL(svc.url!);
});
afterAll(async () => { await svc?.stop(); });

describe('discovery', () => {
  it('publishes OpenID and RFC 8414 metadata for the issuer, with mTLS aliases', async () => {
    const oidc = await (await fetch(`${svc.url}/.well-known/openid-configuration`)).json();
    const rfc8414 = await (await fetch(`${svc.url}/.well-known/oauth-authorization-server`)).json();
    expect(rfc8414).toEqual(oidc);
    expect(oidc).toMatchObject({
      issuer: svc.url,
      token_endpoint: `${svc.url}/oauth/token`,
      introspection_endpoint: `${svc.url}/oauth/introspect`,
      revocation_endpoint: `${svc.url}/oauth/revoke`,
      jwks_uri: `${svc.url}/oauth/jwks`,
      grant_types_supported: expect.arrayContaining(['client_credentials']),
      token_endpoint_auth_methods_supported: expect.arrayContaining(['private_key_jwt', 'tls_client_auth', 'client_secret_basic']),
      tls_client_certificate_bound_access_tokens: true,
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256']),
      mtls_endpoint_aliases: { token_endpoint: `${svc.ctx.config.tls!.publicUrl}/oauth/token` },
    });
    expect(oidc.token_endpoint_auth_methods_supported).not.toContain('none');
  });

  it('ignores a forged Host: URLs are always the configured public ones', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/.well-known/openid-configuration', headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } });
    expect(res.json().token_endpoint).toBe(`${svc.url}/oauth/token`);
  });

  it('publishes ES256 keys whose x5c chains to Kexin\'s root (checked by OpenSSL)', async () => {
    const jwks = await (await fetch(`${svc.url}/oauth/jwks`)).json();
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key).not.toHaveProperty('d');
    const pem = (b64: string) => new X509Certificate(Buffer.from(b64, 'base64')).toString();
    const [leaf, ...chain] = key.x5c as string[];
    expect(new X509Certificate(Buffer.from(leaf!, 'base64')).publicKey.export({ format: 'jwk' })).toMatchObject({ x: key.x, y: key.y });
    const root = chain.pop()!;
    const out = execFileSync('openssl', ['verify', '-CAfile', write(dir, 'root.pem', pem(root)), '-untrusted', write(dir, 'chain.pem', chain.map(pem).join('')), write(dir, 'leaf.pem', pem(leaf!))]).toString();
    expect(out).toContain(': OK');
  });
});

describe('client credentials', () => {
  it('with client_secret_basic: a token for the requested scopes, usable on a Kexin API', async () => {
    const reg = await register({ client_name: 'Legacy HR system', kexin_client_class: 'hrss', scope: 'audit:read face:verify' });
    const config = await client.discovery(issuer, reg.client_id, undefined, client.ClientSecretBasic(reg.client_secret!), insecure);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'audit:read' });
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'audit:read', expires_in: expect.any(Number) });
    const header = jose.decodeProtectedHeader(tokens.access_token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    // RFC 9068: verified with the published keys, by jose (not by Kexin's code).
    const { payload } = await jose.jwtVerify(tokens.access_token, jose.createRemoteJWKSet(new URL(`${svc.url}/oauth/jwks`)), { issuer: svc.url, audience: `${svc.url}/`, typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: reg.client_id, sub: reg.client_id, scope: 'audit:read' });
    const res = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${svc.url}/audit/verify`), 'GET');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });

  it('with private_key_jwt: the client proves itself with its key', async () => {
    const { privateKey, publicKey } = await ecKeyPair();
    const reg = await register({
      client_name: 'Bank channel', kexin_client_class: 'bank', token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'bank-1', alg: 'ES256' }] }, scope: 'audit:read',
    });
    expect(reg).not.toHaveProperty('client_secret');
    const config = await client.discovery(issuer, reg.client_id, undefined, client.PrivateKeyJwt({ key: privateKey, kid: 'bank-1' }), insecure);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'audit:read' });
    expect((await client.fetchProtectedResource(config, tokens.access_token, new URL(`${svc.url}/audit/verify`), 'GET')).status).toBe(200);
    // The same assertion key, but an unregistered one: refused.
    const other = (await ecKeyPair()).privateKey;
    const bad = await client.discovery(issuer, reg.client_id, undefined, client.PrivateKeyJwt({ key: other, kid: 'bank-1' }), insecure);
    expect(await oauthError(client.clientCredentialsGrant(bad, { scope: 'audit:read' }))).toBe('invalid_client');
  });

  it('refuses a scope the client is not registered for, and a request without a scope', async () => {
    const reg = await register({ client_name: 'Kiosk', kexin_client_class: 'kiosk', scope: 'face:session' });
    const config = await client.discovery(issuer, reg.client_id, undefined, client.ClientSecretBasic(reg.client_secret!), insecure);
    expect(await oauthError(client.clientCredentialsGrant(config, { scope: 'face:session audit:read' }))).toBe('invalid_scope');
    expect(await oauthError(client.clientCredentialsGrant(config, {}))).toBe('invalid_scope');
    const wrong = await client.discovery(issuer, reg.client_id, undefined, client.ClientSecretBasic(`${reg.client_secret}x`), insecure);
    expect(await oauthError(client.clientCredentialsGrant(wrong, { scope: 'face:session' }))).toBe('invalid_client');
  });
});

/** The PEM of every Kexin CA (what a TLS client trusts for the server, and sends a certificate for). */
async function kexinCasPem(): Promise<string> {
  const { cas } = await (await fetch(`${svc.url}/pki/cas`)).json() as { cas: { certificatePem: string | null }[] };
  return cas.flatMap((c) => (c.certificatePem ? [c.certificatePem] : [])).join('');
}

/** A device certificate for `subject` (an OpenSSL key and CSR), issued by Kexin's CA through its API. */
async function deviceCertificate(name: string, subject: string, token: string): Promise<{ certPem: string; keyPem: string }> {
  const { key, csrPem } = opensslCsr(dir, name, subject);
  const res = await fetch(`${svc.url}/pki/certificates`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ csr: csrPem, profile: 'device' }),
  });
  expect(res.status).toBe(201);
  return { certPem: (await res.json()).certificatePem, keyPem: readFileSync(key, 'utf8') };
}

describe('mutual TLS (RFC 8705)', () => {
  let enrolmentToken: string;
  beforeAll(async () => {
    // The system that enrols devices holds ca:issue:device only, and gets its certificates over the API.
    const enrol = await register({ client_name: 'Device enrolment', kexin_client_class: 'hrss', scope: 'ca:issue:device' });
    const config = await client.discovery(issuer, enrol.client_id, undefined, client.ClientSecretBasic(enrol.client_secret!), insecure);
    enrolmentToken = (await client.clientCredentialsGrant(config, { scope: 'ca:issue:device' })).access_token;
  });

  it('authenticates by client certificate and binds the token to it; the API wants the same certificate', async () => {
    const gw = await deviceCertificate('gw', '/O=Bank of Kexin/CN=bank-gw-01', enrolmentToken);
    const reg = await register({
      client_name: 'Bank gateway', kexin_client_class: 'bank', token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=bank-gw-01,O=Bank of Kexin', tls_client_certificate_bound_access_tokens: true, scope: 'audit:read',
    });
    const ca = await kexinCasPem();
    const agent = new Agent({ connect: { cert: gw.certPem, key: gw.keyPem, ca } });
    const config = await client.discovery(issuer, reg.client_id, { use_mtls_endpoint_aliases: true }, client.TlsClientAuth(), insecure);
    config[client.customFetch] = (url, options) => undiciFetch(url, { ...options, dispatcher: agent } as never) as never;
    const tokens = await client.clientCredentialsGrant(config, { scope: 'audit:read' });
    const thumbprint = new X509Certificate(gw.certPem).fingerprint256.replaceAll(':', '').toLowerCase();
    expect(jose.decodeJwt(tokens.access_token).cnf).toEqual({ 'x5t#S256': Buffer.from(thumbprint, 'hex').toString('base64url') });

    const tlsUrl = svc.ctx.config.tls!.publicUrl;
    const over = (a: Agent | undefined, base = tlsUrl) => undiciFetch(`${base}/audit/verify`, { headers: { authorization: `Bearer ${tokens.access_token}` }, ...(a ? { dispatcher: a } : {}) });
    expect((await over(agent)).status).toBe(200);
    // Without the certificate (plain HTTP), or with another of Kexin's certificates: refused.
    const plain = await over(undefined, svc.url!);
    expect(plain.status).toBe(401);
    expect(((await plain.json()) as { code: string }).code).toBe('AUTH_CERTIFICATE_REQUIRED');
    const other = await deviceCertificate('other', '/CN=someone-else', enrolmentToken);
    expect((await over(new Agent({ connect: { cert: other.certPem, key: other.keyPem, ca } }))).status).toBe(401);
    // Another certificate (trusted, but a different subject) cannot get the gateway's tokens.
    const impostor = await client.discovery(issuer, reg.client_id, { use_mtls_endpoint_aliases: true }, client.TlsClientAuth(), insecure);
    impostor[client.customFetch] = (url, options) => undiciFetch(url, { ...options, dispatcher: new Agent({ connect: { cert: other.certPem, key: other.keyPem, ca } }) } as never) as never;
    expect(await oauthError(client.clientCredentialsGrant(impostor, { scope: 'audit:read' }))).toBe('invalid_client');
  });

  it('refuses a certificate Kexin did not issue, even with the registered subject', async () => {
    const reg = await register({
      client_name: 'Pay gateway', kexin_client_class: 'payment', token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=pay-gw', scope: 'audit:read',
    });
    const key = write(dir, 'self.key', execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']));
    const cert = execFileSync('openssl', ['req', '-new', '-x509', '-key', key, '-subj', '/CN=pay-gw', '-days', '1']).toString();
    const config = await client.discovery(issuer, reg.client_id, { use_mtls_endpoint_aliases: true }, client.TlsClientAuth(), insecure);
    const agent = new Agent({ connect: { cert, key: readFileSync(key, 'utf8'), ca: await kexinCasPem() } });
    config[client.customFetch] = (url, options) => undiciFetch(url, { ...options, dispatcher: agent } as never) as never;
    expect(await oauthError(client.clientCredentialsGrant(config, { scope: 'audit:read' }))).toBe('invalid_client');
  });
});

describe('DPoP (RFC 9449)', () => {
  let config: client.Configuration;
  let keyPair: CryptoKeyPair;
  let token: string;

  beforeAll(async () => {
    const reg = await register({ client_name: 'Mobile back-end', kexin_client_class: 'hrss', dpop_bound_access_tokens: true, scope: 'audit:read' });
    config = await client.discovery(issuer, reg.client_id, undefined, client.ClientSecretBasic(reg.client_secret!), insecure);
    keyPair = await client.randomDPoPKeyPair('ES256');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'audit:read' }, { DPoP: client.getDPoPHandle(config, keyPair) });
    expect(tokens.token_type).toBe('dpop');
    token = tokens.access_token;
    expect(jose.decodeJwt(token).cnf).toEqual({ jkt: await jose.calculateJwkThumbprint(await jose.exportJWK(keyPair.publicKey)) });
  });

  /** A proof made by hand (jose), to replay it or point it elsewhere. */
  const proof = async (htm: string, htu: string) => new jose.SignJWT({ htm, htu, jti: crypto.randomUUID(), ath: jose.base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)))) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await jose.exportJWK(keyPair.publicKey) }).setIssuedAt().sign(keyPair.privateKey);
  const call = (p: string | undefined, scheme = 'DPoP') => fetch(`${svc.url}/audit/verify`, { headers: { authorization: `${scheme} ${token}`, ...(p ? { dpop: p } : {}) } });

  it('uses the bound token on a Kexin API with a fresh proof', async () => {
    const res = await client.fetchProtectedResource(config, token, new URL(`${svc.url}/audit/verify`), 'GET', undefined, undefined, { DPoP: client.getDPoPHandle(config, keyPair) });
    expect(res.status).toBe(200);
  });

  it('refuses a replayed proof, a proof for another URL or method, no proof, and the token as a bearer token', async () => {
    const p = await proof('GET', `${svc.url}/audit/verify`);
    expect((await call(p)).status).toBe(200);
    const replay = await call(p);
    expect(replay.status).toBe(401);
    expect((await replay.json()).code).toBe('AUTH_DPOP_INVALID');
    expect((await call(await proof('GET', `${svc.url}/pki/cas`))).status).toBe(401);
    expect((await call(await proof('POST', `${svc.url}/audit/verify`))).status).toBe(401);
    expect((await call(undefined)).status).toBe(401);
    expect((await call(await proof('GET', `${svc.url}/audit/verify`), 'Bearer')).status).toBe(401);
  });

  it('does not issue a DPoP client a token without a proof', async () => {
    expect(await oauthError(client.clientCredentialsGrant(config, { scope: 'audit:read' }))).toMatch(/^invalid_(request|grant|dpop_proof)$/);
  });
});

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  it('introspects for the token\'s client and for resource servers; a revoked token stops at once', async () => {
    const owner = await register({ client_name: 'Channel', kexin_client_class: 'other', scope: 'audit:read' });
    const rs = await register({ client_name: 'Partner API', kexin_client_class: 'government', scope: 'tokens:introspect' });
    const bystander = await register({ client_name: 'Bystander', kexin_client_class: 'other', scope: 'audit:read' });
    const cfg = async (c: { client_id: string; client_secret?: string }) => client.discovery(issuer, c.client_id, undefined, client.ClientSecretBasic(c.client_secret!), insecure);
    const ownerConfig = await cfg(owner);
    const token = (await client.clientCredentialsGrant(ownerConfig, { scope: 'audit:read' })).access_token;

    const byRs = await client.tokenIntrospection(await cfg(rs), token);
    expect(byRs).toMatchObject({ active: true, client_id: owner.client_id, scope: 'audit:read', token_type: 'Bearer', iss: svc.url, aud: `${svc.url}/` });
    expect((await client.tokenIntrospection(ownerConfig, token)).active).toBe(true);
    expect((await client.tokenIntrospection(await cfg(bystander), token)).active).toBe(false);
    expect((await client.tokenIntrospection(await cfg(rs), `${token.slice(0, -4)}AAAA`)).active).toBe(false);

    // Someone else's revocation does nothing; the owner's is immediate everywhere.
    await client.tokenRevocation(await cfg(bystander), token).catch(() => {});
    expect((await client.fetchProtectedResource(ownerConfig, token, new URL(`${svc.url}/audit/verify`), 'GET')).status).toBe(200);
    await client.tokenRevocation(ownerConfig, token);
    expect((await client.tokenIntrospection(await cfg(rs), token)).active).toBe(false);
    const after = await fetch(`${svc.url}/audit/verify`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
    const audit = (await svc.ctx.db.pool.query('SELECT action, actor FROM audit_log WHERE subject = $1 ORDER BY seq', [jose.decodeJwt(token).jti])).rows;
    expect(audit).toEqual([
      { action: 'identity.token.issue', actor: `client:${owner.client_id}` },
      { action: 'identity.token.revoke', actor: `client:${owner.client_id}` },
    ]);
  });
});
