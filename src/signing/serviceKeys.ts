/**
 * The signing module's own keys, made at start (its key ceremony) and renewed before they expire:
 * the GB/T 38540 seal makers (制章人: one ECDSA, one SM2 where the key store and the CA have SM2) and
 * the key that signs the verification codes printed on sealed documents. Keys are created in the key
 * store and certified through the CA service like any other subject; each creation is audited.
 * Two processes starting together may both create one: the unique index keeps the first, and the
 * loser's certificate is revoked.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { appendAudit } from '../audit/auditLog.ts';
import { buildCsr } from '../ca/buildCsr.ts';
import type { CaService } from '../ca/caServiceTypes.ts';
import type { NameInput } from '../ca/names.ts';
import { pemToDer } from '../ca/pem.ts';
import { parseCertificate } from '../ca/certificate.ts';
import type { Clock } from '../clock.ts';
import { signerFor, type KeyAlgorithm, type KeyStore, type Signer } from '../crypto/keyStore.ts';
import { defaultScheme } from '../crypto/signatures.ts';
import { withTransaction } from '../db/transaction.ts';

export type ServiceKeyPurpose = 'maker-ecdsa' | 'maker-sm2' | 'print';

export interface SigningServiceKey {
  readonly purpose: ServiceKeyPurpose;
  readonly serial: string;
  readonly certificate: Uint8Array;
  /** Issuing CA up to the root. */
  readonly chain: readonly Uint8Array[];
  readonly notAfter: Date;
  readonly signer: Signer;
}

/** Who makes seals: the operating organisation (GB 32100 credit code). */
export interface MakerIdentity {
  readonly name: string;
  readonly creditCode: string;
}

export interface ServiceKeyDeps {
  readonly pool: pg.Pool;
  readonly keyStore: KeyStore;
  readonly ca: CaService;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maker: MakerIdentity;
}

/** Renew a service key this long before its certificate expires. */
export const SERVICE_KEY_RENEW_BEFORE_MS = 30 * 86_400_000;

const PLAN: Record<ServiceKeyPurpose, { algorithm: KeyAlgorithm; profile: string; subject: (m: MakerIdentity) => NameInput }> = {
  'maker-ecdsa': {
    algorithm: 'ECDSA-P256', profile: 'seal',
    subject: (m) => [{ type: 'C', value: 'CN' }, { type: 'O', value: m.name }, { type: 'organizationIdentifier', value: m.creditCode }, { type: 'CN', value: `${m.name} 电子印章制作 ECDSA` }],
  },
  'maker-sm2': {
    algorithm: 'SM2', profile: 'seal',
    subject: (m) => [{ type: 'C', value: 'CN' }, { type: 'O', value: m.name }, { type: 'organizationIdentifier', value: m.creditCode }, { type: 'CN', value: `${m.name} 电子印章制作 SM2` }],
  },
  print: {
    algorithm: 'ECDSA-P256', profile: 'token-signer',
    subject: (m) => [{ type: 'C', value: 'CN' }, { type: 'O', value: m.name }, { type: 'CN', value: `${m.name} 打印件核验码` }],
  },
};

interface Row { id: string; purpose: ServiceKeyPurpose; key_id: string; serial: string; certificate: Buffer; chain: Buffer[]; not_after: Date }

async function load(deps: ServiceKeyDeps, row: Row): Promise<SigningServiceKey> {
  const key = await deps.keyStore.getKey(row.key_id);
  return Object.freeze({
    purpose: row.purpose, serial: row.serial, certificate: new Uint8Array(row.certificate),
    chain: row.chain.map((c) => new Uint8Array(c)), notAfter: row.not_after, signer: signerFor(deps.keyStore, key, defaultScheme(key.algorithm)),
  });
}

async function create(deps: ServiceKeyDeps, purpose: ServiceKeyPurpose): Promise<SigningServiceKey> {
  const plan = PLAN[purpose];
  const key = await deps.keyStore.createKey(plan.algorithm, `signing-${purpose}`);
  const signer = signerFor(deps.keyStore, key, defaultScheme(plan.algorithm));
  const csr = await buildCsr({ signer, subject: plan.subject(deps.maker) });
  const issued = await deps.ca.issue({ csr: csr.pem, profile: plan.profile }, 'system');
  const certificate = pemToDer(issued.certificatePem)[0]!;
  const chain = pemToDer(issued.chainPem);
  const notAfter = parseCertificate(certificate).notAfter.value;
  const now = deps.clock.now();
  const inserted = await withTransaction(deps.pool, async (tx) => {
    await tx.query('UPDATE signing_service_keys SET active = false WHERE purpose = $1 AND active AND not_after < $2', [purpose, new Date(now.getTime() + SERVICE_KEY_RENEW_BEFORE_MS)]);
    const r = await tx.query(
      `INSERT INTO signing_service_keys (id, purpose, key_id, serial, certificate, chain, not_after, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      [`${purpose}-${issued.serial.slice(-12)}`, purpose, key.id, issued.serial, Buffer.from(certificate), chain.map((c) => Buffer.from(c)), notAfter, now]);
    if (r.rowCount) {
      await appendAudit(tx, { actor: 'system', action: 'seal.service-key.create', subject: issued.serial, details: { purpose, keyId: key.id, backend: key.backend, notAfter: notAfter.toISOString() } }, deps.clock);
    }
    return r.rowCount === 1;
  });
  if (!inserted) {
    // Another process won the race: its key is the one in use; ours must not stay valid unused.
    await deps.ca.revoke(issued.serial, 'superseded', 'system').catch((err: unknown) => deps.logger.warn({ err, serial: issued.serial }, 'could not revoke a superseded seal service key'));
    return (await active(deps, purpose))!;
  }
  deps.logger.info({ purpose, serial: issued.serial }, 'signing service key created');
  return Object.freeze({ purpose, serial: issued.serial, certificate, chain, notAfter, signer });
}

async function active(deps: ServiceKeyDeps, purpose: ServiceKeyPurpose): Promise<SigningServiceKey | undefined> {
  const r = await deps.pool.query<Row>('SELECT id, purpose, key_id, serial, certificate, chain, not_after FROM signing_service_keys WHERE purpose = $1 AND active', [purpose]);
  return r.rows[0] ? load(deps, r.rows[0]) : undefined;
}

/**
 * The active key for each purpose, created or renewed as needed. `maker-sm2` is skipped (undefined)
 * when the key store cannot make SM2 keys or the CA has no SM2 issuing CA.
 */
export async function ensureServiceKeys(deps: ServiceKeyDeps): Promise<Partial<Record<ServiceKeyPurpose, SigningServiceKey>>> {
  const out: Partial<Record<ServiceKeyPurpose, SigningServiceKey>> = {};
  const cas = await deps.ca.listCas();
  for (const purpose of Object.keys(PLAN) as ServiceKeyPurpose[]) {
    const plan = PLAN[purpose];
    const family = plan.algorithm === 'SM2';
    if (!deps.keyStore.algorithms.includes(plan.algorithm) || !cas.some((c) => c.role === 'issuing' && c.state === 'active' && (c.algorithm === 'SM2') === family)) {
      deps.logger.warn({ purpose }, 'no key store or CA support for this signing service key: skipped');
      continue;
    }
    const current = await active(deps, purpose);
    const due = !current || current.notAfter.getTime() - deps.clock.now().getTime() < SERVICE_KEY_RENEW_BEFORE_MS;
    out[purpose] = due ? await create(deps, purpose) : current;
  }
  return out;
}
