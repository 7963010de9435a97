/**
 * The optional HTTPS listener (KEXIN_TLS_PORT) for mutual TLS (RFC 8705): the same application as the
 * plain listener, on a server that asks every client for a certificate. Node's TLS accepts any
 * certificate here (`rejectUnauthorized: false`); Kexin decides — path to its own roots, revocation
 * from its own records — where it matters (client authentication at the token endpoint) and binds
 * tokens to certificate thumbprints, which need no chain.
 *
 * The server's own key is the one deliberate exception to "private keys live in the key store":
 * Node's TLS stack needs the key in process memory (it has no PKCS#11 hook), so the listener makes an
 * ephemeral P-256 key at every start, never written anywhere, and has Kexin's CA certify it (`server`
 * profile, audited). To keep a TLS key in an HSM, terminate TLS in front of Kexin — which then cannot
 * check client certificates itself (not supported yet).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { isIP } from 'node:net';
import { createServer, type Server } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildCsr } from '../ca/buildCsr.ts';
import type { CaService } from '../ca/caServiceTypes.ts';
import type { HttpLimits } from '../config.ts';
import type { Signer } from '../crypto/keyStore.ts';

export interface TlsListener {
  readonly server: Server;
  close(): Promise<void>;
}

function ipBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return Uint8Array.from(ip.split('.').map(Number));
  const full = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head, tail] = full.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Uint8Array.from(groups.flatMap((g) => { const n = parseInt(g || '0', 16); return [n >> 8, n & 0xff]; }));
}

export async function startTlsListener(app: FastifyInstance, opts: {
  readonly host: string; readonly port: number; readonly publicUrl: string; readonly ca: CaService; readonly logger: Logger;
  /** The plain listener's time limits, applied here too (slow clients are cut off on both). */
  readonly http: HttpLimits;
}): Promise<TlsListener> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer: Signer = {
    keyId: 'tls-listener-ephemeral', scheme: 'ECDSA-SHA256',
    publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    sign: async (data) => new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'der' })),
  };
  const hostname = new URL(opts.publicUrl).hostname.replace(/^\[|\]$/g, '');
  const names = new Set([hostname, ...(opts.host !== '0.0.0.0' && opts.host !== '::' ? [opts.host] : [])]);
  const ips = [...names].filter((n) => isIP(n));
  const dns = [...names].filter((n) => !isIP(n));
  const csr = await buildCsr({ signer, subject: [{ type: 'O', value: 'Kexin 可信' }, { type: 'CN', value: hostname }], dnsNames: dns, ipAddresses: ips.map(ipBytes) });
  const issued = await opts.ca.issue({ csr: csr.pem, profile: 'server' }, 'system');
  // The CAs whose names the server sends in its CertificateRequest (RFC 8446 §4.2.4): Kexin's.
  const cas = (await opts.ca.listCas()).flatMap((c) => (c.certificatePem ? [c.certificatePem] : []));
  const server = createServer({
    key: privateKey.export({ format: 'pem', type: 'pkcs8' }), cert: issued.certificatePem + issued.chainPem, ca: cas,
    requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2',
    requestTimeout: opts.http.requestTimeoutMs, headersTimeout: opts.http.headersTimeoutMs,
    keepAliveTimeout: opts.http.keepAliveTimeoutMs, connectionsCheckingInterval: opts.http.checkIntervalMs,
  }, (req, res) => app.routing(req, res));
  server.setTimeout(opts.http.idleTimeoutMs);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  opts.logger.info({ url: opts.publicUrl, serial: issued.serial }, 'TLS listener ready (client certificates requested)');
  return {
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
