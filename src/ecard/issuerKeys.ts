/**
 * The e-card issuer: a key in the key store and its `ecard-issuer` certificate from Kexin's CA,
 * created on first start and recorded in `ecard_issuers`. ECDSA P-256 (ES256) is the default issuer;
 * an SM2 issuer (non-standard JOSE/COSE names, see formats/algorithms.ts) is created when asked for.
 *
 * First start on several processes at once: the certificate is issued outside any transaction (the CA
 * opens its own), then inserted with ON CONFLICT DO NOTHING — the loser re-reads the winner's row;
 * its own certificate stays recorded by the CA, unused.
 */
import type pg from 'pg';
import { appendAudit } from '../audit/auditLog.ts';
import { buildCsr } from '../ca/buildCsr.ts';
import { pemToDer } from '../ca/pem.ts';
import type { Clock } from '../clock.ts';
import { derToRawSignature } from '../crypto/ecdsaSignatureFormat.ts';
import { signerFor, type KeyStore } from '../crypto/keyStore.ts';
import { withTransaction } from '../db/transaction.ts';
import { ES256, SM2_SM3, type EcardAlgorithm } from './formats/algorithms.ts';
import { issuerKid } from './verifier/trustedIssuers.ts';

export type IssuerId = 'ecdsa' | 'sm2';

/** What signs e-card artefacts: the store's key, bound to its certificate. */
export interface IssuerSigner {
  readonly id: IssuerId;
  readonly alg: EcardAlgorithm;
  /** base64url of the 8-byte kid (SHA-256 of the certificate). */
  readonly kid: string;
  readonly kidBytes: Uint8Array;
  readonly certificate: Uint8Array;
  /** Issuing CA up to the root; `x5c` carries the certificate and the chain without the root. */
  readonly chain: readonly Uint8Array[];
  /** Raw r ‖ s over `data`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Port: the CA's issuance (CaService.issue). */
export interface CertificateIssuer {
  issue(req: { csr: string; profile: string; caId?: string }, actor: string): Promise<{ serial: string; certificatePem: string; chainPem: string }>;
}

const SPECS: Record<IssuerId, { alg: EcardAlgorithm; key: 'ECDSA-P256' | 'SM2'; caId: string; cn: string }> = {
  ecdsa: { alg: ES256, key: 'ECDSA-P256', caId: 'ecdsa-issuing-1', cn: 'Kexin E-Card Issuer (ECDSA)' },
  sm2: { alg: SM2_SM3, key: 'SM2', caId: 'sm2-issuing-1', cn: 'Kexin E-Card Issuer (SM2)' },
};

interface Row { id: IssuerId; key_id: string; certificate: Buffer; chain: Buffer[] }

function signerFrom(keyStore: KeyStore, r: Row): IssuerSigner {
  const spec = SPECS[r.id];
  const certificate = new Uint8Array(r.certificate);
  const kid = issuerKid(certificate);
  return Object.freeze({
    id: r.id, alg: spec.alg, kid, kidBytes: new Uint8Array(Buffer.from(kid, 'base64url')), certificate,
    chain: r.chain.map((c) => new Uint8Array(c)),
    sign: async (data: Uint8Array) => derToRawSignature(await keyStore.sign(r.key_id, spec.alg.scheme, data), spec.alg.size),
  });
}

export async function ensureIssuer(deps: { readonly pool: pg.Pool; readonly keyStore: KeyStore; readonly clock: Clock; readonly ca: CertificateIssuer }, id: IssuerId): Promise<IssuerSigner> {
  const load = async () => (await deps.pool.query<Row>('SELECT id, key_id, certificate, chain FROM ecard_issuers WHERE id = $1', [id])).rows[0];
  const existing = await load();
  if (existing) return signerFrom(deps.keyStore, existing);
  const spec = SPECS[id];
  const key = await deps.keyStore.createKey(spec.key, `ecard-issuer-${id}`);
  const csr = await buildCsr({ signer: signerFor(deps.keyStore, key, spec.alg.scheme), subject: [{ type: 'C', value: 'CN' }, { type: 'O', value: 'Kexin 可信' }, { type: 'CN', value: spec.cn }] });
  const issued = await deps.ca.issue({ csr: csr.pem, profile: 'ecard-issuer', caId: spec.caId }, 'system');
  const certificate = pemToDer(issued.certificatePem)[0]!;
  const chain = pemToDer(issued.chainPem);
  await withTransaction(deps.pool, async (tx) => {
    const r = await tx.query(
      'INSERT INTO ecard_issuers (id, algorithm, key_id, serial, certificate, chain, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING',
      [id, spec.key, key.id, issued.serial, certificate, chain.map((c) => Buffer.from(c)), deps.clock.now()]);
    if (r.rowCount === 1) await appendAudit(tx, { actor: 'system', action: 'ecard.issuer.create', subject: issued.serial, details: { issuer: id, keyId: key.id, algorithm: spec.key } }, deps.clock);
  });
  return signerFrom(deps.keyStore, (await load())!);
}
