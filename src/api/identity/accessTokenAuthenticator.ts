/**
 * OAuth access tokens on Kexin's APIs: `Authorization: Bearer <jwt>` or `Authorization: DPoP <jwt>`
 * with a `DPoP` proof header (RFC 9449 §7.1), over the plain or the TLS listener (RFC 8705: the TLS
 * client certificate for certificate-bound tokens). Kexin's resource server decides; this turns its
 * answer into the request's principal.
 */
import type { FastifyRequest } from 'fastify';
import type { ResourceServer } from '../../identity/tokens/resourceServer.ts';
import { authorizationCredentials, type Authenticator } from '../auth/authenticator.ts';
import { looksLikeJwt } from '../auth/operatorTokenAuthenticator.ts';
import type { Principal } from '../auth/principal.ts';
import { isTls, peerCertificateDer } from './tlsRequest.ts';

/** Every `DPoP` header line, separately: two proofs are refused (RFC 9449 §4.3), never joined into one. */
function dpopHeaders(request: FastifyRequest): string[] {
  const raw = request.raw.rawHeaders ?? [];
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'dpop') out.push(raw[i + 1]!);
  return out;
}

export function accessTokenAuthenticator(rs: ResourceServer, urls: { readonly publicUrl: string; readonly tlsPublicUrl?: string | undefined }): Authenticator {
  return {
    name: 'access-token',
    async authenticate(request: FastifyRequest): Promise<Principal | undefined> {
      const bearer = authorizationCredentials(request, 'Bearer');
      const dpop = bearer === undefined ? authorizationCredentials(request, 'DPoP') : undefined;
      const token = bearer ?? dpop;
      if (token === undefined || !looksLikeJwt(token)) return undefined;
      const proofs = dpopHeaders(request);
      const base = isTls(request) && urls.tlsPublicUrl ? urls.tlsPublicUrl : urls.publicUrl;
      const caller = await rs.authenticate({
        scheme: dpop !== undefined ? 'dpop' : 'bearer', token, dpopProofs: proofs, method: request.method,
        url: base + request.url, peerCertificate: peerCertificateDer(request),
      });
      return Object.freeze({
        clientId: caller.clientId, kind: 'client' as const, scopes: caller.scopes, allScopes: false,
        method: caller.method, certThumbprint: caller.certThumbprint, clientClass: caller.clientClass,
      });
    },
  };
}
