/** What a request's connection says about TLS: which listener, and the client certificate if any. */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

/** The TLS listener's sockets are TLSSockets; the plain listener's are not. */
export function isTls(request: FastifyRequest): boolean {
  return (request.raw.socket as Partial<TLSSocket>).encrypted === true;
}

/** DER of the certificate the TLS client presented on this connection, or undefined. */
export function peerCertificateDer(request: FastifyRequest): Uint8Array | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || typeof socket.getPeerX509Certificate !== 'function') return undefined;
  const cert = socket.getPeerX509Certificate();
  return cert ? new Uint8Array(cert.raw) : undefined;
}
