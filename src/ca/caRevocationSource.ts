/**
 * Revocation status from the CA's own records, for path validation inside Kexin (seals, e-cards,
 * tokens): the same data the CRLs and OCSP responses are made from, without a network round trip.
 * Certificates of issuers Kexin does not run answer `unknown`.
 */
import type pg from 'pg';
import type * as pkijs from 'pkijs';
import { bytesEqual, serialHex } from './certificate.ts';
import * as store from './caStore.ts';
import type { RevocationReason } from './revocation.ts';
import type { RevocationSource, RevocationStatus } from './validatePath.ts';

export function createCaRevocationSource(pool: pg.Pool): RevocationSource {
  return {
    async status(cert: pkijs.Certificate, issuer: pkijs.Certificate): Promise<RevocationStatus> {
      const issuerDer = new Uint8Array(issuer.toSchema(false).toBER());
      const ca = (await store.listCas(pool)).find((c) => c.certificate && bytesEqual(c.certificate, issuerDer));
      if (!ca) return { status: 'unknown', source: 'kexin: issuer not operated by this CA' };
      const serial = serialHex(cert);
      const s = await store.certificateStatus(pool, ca.id, serial);
      if (!s) return { status: 'unknown', source: `kexin:${ca.id}` };
      if (s.status === 'valid') return { status: 'good', source: `kexin:${ca.id}` };
      return { status: 'revoked', revokedAt: s.revokedAt!, reason: (s.revocationReason ?? undefined) as RevocationReason | undefined, source: `kexin:${ca.id}` };
    },
  };
}
