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
