/**
 * /admin/clients: registering and managing system clients (scope `clients:admin`). Bodies are RFC 7591
 * client metadata; the registered client comes back with its `client_id` and, when it authenticates
 * with a secret, the `client_secret` — shown in that answer only.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { ClientRegistry, ClientView, Registrar } from '../../identity/clients/clientRegistry.ts';
import type { RoutePlugin } from '../app.ts';
import { actorOf, requireScope } from '../auth/requireScope.ts';
import { problemResponses } from '../schemas.ts';

const CLIENT_BODY_LIMIT = 64 * 1024;

const Jwk = Type.Object({
  kty: Type.Enum(['EC', 'OKP', 'RSA']), crv: Type.Optional(Type.String({ maxLength: 16 })),
  x: Type.Optional(Type.String({ maxLength: 256 })), y: Type.Optional(Type.String({ maxLength: 256 })),
  n: Type.Optional(Type.String({ maxLength: 2048 })), e: Type.Optional(Type.String({ maxLength: 16 })),
  kid: Type.Optional(Type.String({ maxLength: 128 })), use: Type.Optional(Type.Enum(['sig'])), alg: Type.Optional(Type.String({ maxLength: 16 })),
  key_ops: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 4 })),
  x5c: Type.Optional(Type.Array(Type.String({ maxLength: 8192 }), { maxItems: 4 })), 'x5t#S256': Type.Optional(Type.String({ maxLength: 64 })),
  // Private members are named so that sending one gets a clear refusal from the registry, not a schema error.
  d: Type.Optional(Type.String({ maxLength: 2048 })), p: Type.Optional(Type.String({ maxLength: 2048 })), q: Type.Optional(Type.String({ maxLength: 2048 })),
}, { additionalProperties: false });

/** RFC 7591 §2 metadata Kexin accepts (checked again, semantically, by the registry). */
const ClientMetadata = Type.Object({
  client_name: Type.String({ minLength: 1, maxLength: 128 }),
  token_endpoint_auth_method: Type.Optional(Type.Enum(['private_key_jwt', 'tls_client_auth', 'client_secret_basic', 'client_secret_post', 'none'])),
  grant_types: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 4 })),
  response_types: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 4 })),
  redirect_uris: Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 4 })),
  scope: Type.Optional(Type.String({ maxLength: 4096 })),
  jwks: Type.Optional(Type.Object({ keys: Type.Array(Jwk, { maxItems: 8 }) }, { additionalProperties: false })),
  jwks_uri: Type.Optional(Type.String({ maxLength: 512 })),
  token_endpoint_auth_signing_alg: Type.Optional(Type.String({ maxLength: 16 })),
  tls_client_auth_subject_dn: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  tls_client_auth_san_dns: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  tls_client_auth_san_uri: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  tls_client_auth_san_ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  tls_client_auth_san_email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
  tls_client_certificate_bound_access_tokens: Type.Optional(Type.Boolean()),
  dpop_bound_access_tokens: Type.Optional(Type.Boolean()),
  kexin_client_class: Type.String({ maxLength: 32 }),
  kexin_max_assurance_level: Type.Optional(Type.String({ maxLength: 32 })),
  kexin_token_rate_per_minute: Type.Optional(Type.Integer()),
  kexin_api_rate_per_second: Type.Optional(Type.Integer()),
  kexin_status: Type.Optional(Type.Enum(['active', 'disabled'])),
}, { additionalProperties: false });

const RegisteredClient = Type.Object({
  client_id: Type.String(),
  client_secret: Type.Optional(Type.String()),
  client_id_issued_at: Type.Integer(),
}, { additionalProperties: true });

const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) });

/** Who is registering: the operator may grant any grantable scope, a client only what it holds. */
function registrar(request: FastifyRequest): Registrar {
  const p = request.principal!;
  return { actor: actorOf(request), scopes: p.allScopes ? 'all' : p.scopes };
}

const withSecret = (r: { client: ClientView; clientSecret?: string | undefined }) => ({ ...r.client, ...(r.clientSecret ? { client_secret: r.clientSecret } : {}) });

export function clientRoutes(clients: ClientRegistry): RoutePlugin {
  return {
    name: 'clients',
    plugin: async (app) => {
      const admin = requireScope('clients:admin');
      const noStore = { 'cache-control': 'no-store' };

      app.post('/admin/clients', {
        onRequest: admin, bodyLimit: CLIENT_BODY_LIMIT,
        schema: { body: ClientMetadata, response: { 201: RegisteredClient, ...problemResponses(400, 401, 403) } },
      }, async (req, reply) => reply.code(201).headers(noStore).send(withSecret(await clients.register(req.body, registrar(req)))));

      app.get('/admin/clients', {
        onRequest: admin,
        schema: { response: { 200: Type.Object({ clients: Type.Array(RegisteredClient) }), ...problemResponses(401, 403) } },
      }, async () => ({ clients: await clients.list() }));

      app.get('/admin/clients/:id', {
        onRequest: admin,
        schema: { params: IdParams, response: { 200: RegisteredClient, ...problemResponses(400, 401, 403, 404) } },
      }, async (req) => clients.get(req.params.id));

      app.put('/admin/clients/:id', {
        onRequest: admin, bodyLimit: CLIENT_BODY_LIMIT,
        schema: { params: IdParams, body: ClientMetadata, response: { 200: RegisteredClient, ...problemResponses(400, 401, 403, 404, 410) } },
      }, async (req, reply) => reply.headers(noStore).send(withSecret(await clients.replace(req.params.id, req.body, registrar(req)))));

      app.post('/admin/clients/:id/secret', {
        onRequest: admin,
        schema: { params: IdParams, response: { 200: RegisteredClient, ...problemResponses(400, 401, 403, 404, 410) } },
      }, async (req, reply) => reply.headers(noStore).send(withSecret(await clients.rotateSecret(req.params.id, registrar(req)))));

      app.delete('/admin/clients/:id', {
        onRequest: admin,
        schema: { params: IdParams, response: { ...problemResponses(400, 401, 403, 404, 410) } },
      }, async (req, reply) => {
        await clients.remove(req.params.id, registrar(req));
        return reply.code(204).send();
      });
    },
  };
}
