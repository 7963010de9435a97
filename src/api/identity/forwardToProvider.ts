/**
 * Handing a request to the authorization server (oidc-provider, a Koa application) from Fastify.
 * Kexin reads the body first (its own size limit, rate limit and token pre-checks), so the provider is
 * given a fresh request carrying the same socket, method and headers, the (possibly rewritten) body,
 * and forwarded-host/proto headers naming Kexin's configured public URL — never what the client
 * claimed — so every URL the provider derives (discovery, expected assertion audiences) is Kexin's.
 */
import { IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { IdentityService } from '../../identity/identityService.ts';
import { providerRequestContext, type ProviderRequestContext } from '../../identity/provider/requestContext.ts';

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-prefix'];

function freshRequest(raw: IncomingMessage, base: URL, path: string, body: Buffer | undefined): IncomingMessage {
  const req = new IncomingMessage(raw.socket);
  req.method = raw.method;
  req.httpVersion = raw.httpVersion;
  req.httpVersionMajor = raw.httpVersionMajor;
  req.httpVersionMinor = raw.httpVersionMinor;
  const headers = { ...raw.headers };
  for (const h of FORWARDING_HEADERS) delete headers[h];
  headers['x-forwarded-proto'] = base.protocol.slice(0, -1);
  headers['x-forwarded-host'] = base.host;
  delete headers['transfer-encoding'];
  if (body) headers['content-length'] = String(body.length);
  else delete headers['content-length'];
  req.headers = headers;
  req.url = path;
  // oidc-provider derives its mount path from originalUrl − url: Kexin's public path prefix, if any.
  const prefix = base.pathname.replace(/\/+$/, '');
  (req as IncomingMessage & { originalUrl?: string }).originalUrl = prefix + path;
  if (body) req.push(body);
  req.push(null);
  // The whole message is here; without this, Node treats the stream's end as an aborted request and
  // destroys the socket the real request arrived on.
  req.complete = true;
  return req;
}

/** Runs the provider on the request (which Fastify stops handling); resolves when it has answered. */
export async function forwardToProvider(opts: {
  request: FastifyRequest;
  res: ServerResponse;
  identity: IdentityService;
  /** The public base URL of the listener the request came in on. */
  base: URL;
  /** Path (and query) the provider sees. */
  path: string;
  body?: Buffer | undefined;
  context?: ProviderRequestContext;
}): Promise<void> {
  const req = freshRequest(opts.request.raw, opts.base, opts.path, opts.body);
  await providerRequestContext.run(opts.context ?? {}, () => opts.identity.handle(req, opts.res));
}
