/**
 * The authorization server's endpoints on Kexin's root: discovery (OpenID Connect Discovery and
 * RFC 8414 at their well-known paths), the JWKS, and the token, introspection and revocation
 * endpoints. Each POST is read by Kexin first — size-limited, admitted within the claimed client's
 * rate, the TLS client certificate checked against Kexin's CAs, and (introspection, revocation) a JWT
 * access token verified and replaced by its id — then answered by oidc-provider. Errors here are
 * OAuth's `{error, error_description}`, as the provider's own are.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KexinError } from '../../errors.ts';
import type { IdentityService } from '../../identity/identityService.ts';
import { OAUTH_ROUTES } from '../../identity/provider/providerContract.ts';
import type { ProviderRequestContext } from '../../identity/provider/requestContext.ts';
import type { RoutePlugin } from '../app.ts';
import { looksLikeJwt } from '../auth/operatorTokenAuthenticator.ts';
import { forwardToProvider } from './forwardToProvider.ts';
import { isTls, peerCertificateDer } from './tlsRequest.ts';

/** Token, introspection and revocation requests are a few form fields and one assertion or token. */
const FORM_BODY_LIMIT = 16 * 1024;
const FORM = 'application/x-www-form-urlencoded';

/** The client a token-endpoint request claims to be (not yet authenticated): for its rate limit. */
function claimedClientId(request: FastifyRequest, form: URLSearchParams): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    try {
      // RFC 6749 §2.3.1: the id is form-urlencoded before it is put in the header.
      if (colon > 0) return decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '));
    } catch { /* malformed: the provider will say so */ }
  }
  const assertion = form.get('client_assertion');
  if (assertion && looksLikeJwt(assertion)) {
    try {
      const claims = JSON.parse(Buffer.from(assertion.split('.')[1]!, 'base64url').toString('utf8')) as { sub?: unknown };
      if (typeof claims.sub === 'string') return claims.sub;
    } catch { /* malformed */ }
  }
  return form.get('client_id') ?? undefined;
}

export function oauthRoutes(identity: IdentityService, urls: { readonly publicUrl: string; readonly tlsPublicUrl?: string | undefined }): RoutePlugin {
  const httpBase = new URL(`${urls.publicUrl}/`);
  const tlsBase = urls.tlsPublicUrl ? new URL(`${urls.tlsPublicUrl}/`) : undefined;
  const baseOf = (request: FastifyRequest) => (isTls(request) && tlsBase ? tlsBase : httpBase);

  /** The TLS client certificate, checked once per request that reaches the provider. */
  const certificateContext = async (request: FastifyRequest): Promise<ProviderRequestContext> => {
    const der = peerCertificateDer(request);
    return der ? { clientCertificate: await identity.checkClientCertificate(der) } : {};
  };

  return {
    name: 'oauth',
    plugin: async (app) => {
      app.addContentTypeParser(FORM, { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT }, (_req, body, done) => done(null, body));
      const forwardGet = (path: string) => async (request: FastifyRequest, reply: FastifyReply) => {
        reply.hijack();
        await forwardToProvider({ request, res: reply.raw, identity, base: baseOf(request), path });
      };
      // RFC 8414 §3: the same metadata as OpenID Connect Discovery.
      // Errors Kexin raises before the provider answers are OAuth's too (src/api/problem.ts).
      const config = { errorFormat: 'oauth' as const };
      app.get('/.well-known/openid-configuration', { config }, forwardGet('/.well-known/openid-configuration'));
      app.get('/.well-known/oauth-authorization-server', { config }, forwardGet('/.well-known/openid-configuration'));
      app.get(OAUTH_ROUTES.jwks, { config }, forwardGet(OAUTH_ROUTES.jwks));

      const body = (request: FastifyRequest) => {
        if (!Buffer.isBuffer(request.body)) throw new KexinError('REQUEST_INVALID', `the body must be ${FORM}`, 400);
        return request.body;
      };

      app.post(OAUTH_ROUTES.token, { config }, async (request, reply) => {
        const raw = body(request);
        const admission = await identity.admitTokenRequest(claimedClientId(request, new URLSearchParams(raw.toString('utf8'))), request.ip);
        if (!admission.ok) throw new KexinError('RATE_LIMITED', 'too many token requests for this client; slow down', 429, { retryAfter: admission.retryAfterSeconds });
        const context = await certificateContext(request);
        reply.hijack();
        reply.raw.once('finish', () => admission.settle(reply.raw.statusCode === 200));
        await forwardToProvider({ request, res: reply.raw, identity, base: baseOf(request), path: OAUTH_ROUTES.token, body: raw, context });
      });

      // Kexin's access tokens are JWTs the provider neither stores nor introspects: verify the token
      // here, and let the provider look it up by its id (its adapter answers from the verified claims).
      for (const path of [OAUTH_ROUTES.introspection, OAUTH_ROUTES.revocation]) {
        app.post(path, { config }, async (request, reply) => {
          const form = new URLSearchParams(body(request).toString('utf8'));
          const tokens = form.getAll('token');
          let token: Record<string, unknown> | undefined;
          if (tokens.length === 1 && looksLikeJwt(tokens[0]!)) {
            token = await identity.tokenForLookup(tokens[0]!);
            // An unknown or bad token is "not active" (RFC 7662 §2.2) / "already gone" (RFC 7009 §2.2).
            form.set('token', token ? String(token.jti) : 'kexin-unknown-token');
          }
          const context = { ...(await certificateContext(request)), token };
          reply.hijack();
          await forwardToProvider({ request, res: reply.raw, identity, base: baseOf(request), path, body: Buffer.from(form.toString()), context });
        });
      }
    },
  };
}
