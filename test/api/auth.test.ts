/**
 * The authorisation seam: authenticators → one principal → route scopes, checked before the body is
 * read; the break-glass operator token holds every scope and each use is recorded.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { authorizationCredentials, type Authenticator } from '../../src/api/auth/authenticator.ts';
import { operatorTokenAuthenticator } from '../../src/api/auth/operatorTokenAuthenticator.ts';
import { actorOf, assertScope, requireScope, requireScopeFamily } from '../../src/api/auth/requireScope.ts';
import type { BreakGlassUse } from '../../src/identity/breakGlass.ts';
import type { OperatorTokenRegistry } from '../../src/identity/operatorTokens.ts';
import { KexinError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';

const OPERATOR_TOKEN = 'operator-token-0123456789abcdef';

/** Test credentials `Test <scope> <scope>…` → a client principal with those scopes. */
const testAuthenticator: Authenticator = {
  name: 'test',
  async authenticate(request: FastifyRequest) {
    const cred = authorizationCredentials(request, 'Test');
    if (cred === undefined) return undefined;
    if (cred === 'invalid') throw new KexinError('AUTH_INVALID', 'bad test credential', 401);
    return { clientId: 'kiosk-7', kind: 'client' as const, scopes: new Set(cred.split(' ')), allScopes: false, method: 'access_token' as const };
  },
};

const registry: OperatorTokenRegistry = {
  authenticate: (t) => (t === OPERATOR_TOKEN ? { id: 'op-1', name: 'bootstrap' } : undefined),
  addEphemeral: () => {},
  reload: async () => {},
};

describe('authorisation seam', () => {
  const uses: BreakGlassUse[] = [];
  let bodiesRead = 0;
  const app = buildApp({
    logger: createLogger('silent'),
    isReady: () => true,
    authenticators: [operatorTokenAuthenticator(registry, async (u) => { uses.push(u); }), testAuthenticator],
    routes: [{
      name: 'test',
      plugin: async (a) => {
        a.addHook('preValidation', async () => { bodiesRead++; });
        a.post('/things/:id', {
          onRequest: requireScope((r) => `thing:apply:${(r.params as { id: string }).id}`),
          schema: { params: Type.Object({ id: Type.String() }), body: Type.Object({ n: Type.Integer() }) },
        }, async (req) => ({ actor: actorOf(req), n: req.body.n }));
        a.post('/issue', {
          onRequest: requireScopeFamily('ca:issue'),
          schema: { body: Type.Object({ profile: Type.String() }) },
        }, async (req) => {
          assertScope(req, 'ca:issue', `ca:issue:${req.body.profile}`);
          return { ok: true };
        });
      },
    }],
  });
  let server: Awaited<typeof app>;
  beforeAll(async () => { server = await app; });
  afterAll(async () => { await server?.close(); });

  const post = (url: string, authorization: string | undefined, payload: unknown = { n: 1 }) =>
    server.inject({ method: 'POST', url, payload: payload as object, headers: authorization ? { authorization } : {} });

  it('refuses a missing, an invalid and an insufficient credential before reading the body', async () => {
    bodiesRead = 0;
    expect((await post('/things/a', undefined)).json()).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
    expect((await post('/things/a', 'Test invalid')).json()).toMatchObject({ status: 401, code: 'AUTH_INVALID' });
    expect((await post('/things/a', 'Bearer not-the-operator-token')).json()).toMatchObject({ status: 401, code: 'AUTH_INVALID' });
    expect((await post('/things/a', 'Test thing:apply:b')).json()).toMatchObject({ status: 403, code: 'AUTH_SCOPE_MISSING', requiredScope: 'thing:apply:a' });
    expect(bodiesRead).toBe(0);
  });

  it('grants the route-specific scope, and records the caller as the actor', async () => {
    const res = await post('/things/a', 'Test thing:apply:a', { n: 5 });
    expect(res.json()).toEqual({ actor: 'client:kiosk-7', n: 5 });
  });

  it('checks body-dependent scopes in the handler: ca:issue:<profile> grants that profile only', async () => {
    expect((await post('/issue', 'Test ca:issue:device', { profile: 'device' })).statusCode).toBe(200);
    expect((await post('/issue', 'Test ca:issue:device', { profile: 'seal' })).json()).toMatchObject({ status: 403, code: 'AUTH_SCOPE_MISSING' });
    expect((await post('/issue', 'Test ca:issue', { profile: 'seal' })).statusCode).toBe(200);
    expect((await post('/issue', 'Test ca:revoke', { profile: 'device' })).statusCode).toBe(403);
  });

  it('takes the break-glass token with the scheme in any case, holding every scope, and records each use', async () => {
    uses.length = 0;
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await post('/things/zz', `${scheme} ${OPERATOR_TOKEN}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().actor).toBe('operator:op-1');
    }
    expect(uses).toHaveLength(3);
    expect(uses[0]).toMatchObject({ operator: { id: 'op-1' }, method: 'POST', route: '/things/:id' });
    expect(JSON.stringify(uses)).not.toContain(OPERATOR_TOKEN);
  });
});
