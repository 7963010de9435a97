/**
 * The CA's time-stamping unit (RFC 3161): the TSA key and certificate from the service-key table,
 * a random 128-bit serial per token (unique without a database round trip on the hot path), and the
 * chain to the root for clients that ask for certificates.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { logFailure } from '../logger.ts';
import type { Clock } from '../clock.ts';
import { signerFor, type KeyStore } from '../crypto/keyStore.ts';
import { defaultScheme } from '../crypto/signatures.ts';
import { KexinError } from '../errors.ts';
import * as store from './caStore.ts';
import { certificateToPem } from './pem.ts';
import { timestamp, timestampRejection, type TsaConfig } from './tsa/issueTimestamp.ts';

/** Kexin's TSA policy (placeholder private arc, like the certificate policies in profiles.ts). */
export const TSA_POLICY_OID = '1.3.6.1.4.1.99999.2.1';

export interface TsaService {
  timestamp(queryDer: Uint8Array): Promise<Uint8Array>;
  /** TSA certificate then its chain to the root, PEM. */
  certificatePem(): string;
}

export async function createTsaService(deps: { pool: pg.Pool; keyStore: KeyStore; clock: Clock; logger: Logger }): Promise<TsaService> {
  const { pool, keyStore, clock, logger } = deps;
  const k = (await store.activeServiceKeys(pool)).find((s) => s.purpose === 'tsa');
  if (!k) {
    return {
      timestamp: async () => timestampRejection('systemFailure', 'no time-stamping unit is configured'),
      certificatePem: () => { throw new KexinError('CA_TSA_NOT_CONFIGURED', 'no time-stamping unit is configured', 404); },
    };
  }
  const chain: Uint8Array[] = [];
  for (let ca = await store.getCa(pool, k.caId); ca?.certificate; ca = ca.parentId ? await store.getCa(pool, ca.parentId) : undefined) {
    chain.push(ca.certificate);
    if (ca.externalChain.length) { chain.push(...ca.externalChain); break; }
  }
  const key = await keyStore.getKey(k.keyId);
  const tsa: TsaConfig = {
    certDer: k.certificate,
    // The issuing CA only: relying parties hold the root as their trust anchor.
    chainDers: chain.slice(0, -1),
    signer: signerFor(keyStore, key, defaultScheme(key.algorithm), { purpose: 'timestamp' }),
    policyOid: TSA_POLICY_OID,
    // genTime comes from the host clock (NTP-disciplined in production): state a 1 s accuracy.
    accuracy: { seconds: 1 },
    ordering: false,
  };
  const pem = [k.certificate, ...chain].map(certificateToPem).join('');
  return {
    timestamp: (requestDer) => timestamp({
      requestDer, tsa, clock,
      serial: randomBytes(16),
      onError: (err) => logFailure(logger, err, 'time-stamping failed'),
    }),
    certificatePem: () => pem,
  };
}
