/**
 * The first-start key ceremony: for ECDSA and for SM2 each, a root CA, an issuing CA and a delegated
 * OCSP responder; and a time-stamping unit under the ECDSA issuing CA. One transaction (with an
 * advisory lock, so two processes starting at once create one hierarchy), every key and certificate
 * audited. Certificates of roots, issuing CAs and service keys are recorded like any other.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { appendAudit, appendAuditEntries } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import type { KeyAlgorithm, KeyStore } from '../crypto/keyStore.ts';
import { withTransaction, type Tx } from '../db/transaction.ts';
import { createIssuingCa, createOcspResponderCert, createRootCa, createTsaCert, type CaMaterial, type SigningCa } from './createHierarchy.ts';
import type { NameInput } from './names.ts';
import { parseCertificate } from './certificate.ts';
import * as store from './caStore.ts';

const CEREMONY_LOCK = 0x6b6578696e01; // "kexin" + 1

export interface HierarchyDeps {
  readonly pool: pg.Pool;
  readonly keyStore: KeyStore;
  readonly clock: Clock;
  readonly publicUrl: string;
  readonly logger?: Pick<Logger, 'warn'>;
}


const name = (cn: string): NameInput => [{ type: 'C', value: 'CN' }, { type: 'O', value: 'Kexin 可信' }, { type: 'CN', value: cn }];

interface Family {
  readonly prefix: string;
  readonly label: string;
  readonly rootAlgorithm: KeyAlgorithm;
  readonly algorithm: KeyAlgorithm;
  readonly tsa: boolean;
}

const FAMILIES: readonly Family[] = [
  { prefix: 'ecdsa', label: 'ECDSA', rootAlgorithm: 'ECDSA-P384', algorithm: 'ECDSA-P256', tsa: true },
  { prefix: 'sm2', label: 'SM2', rootAlgorithm: 'SM2', algorithm: 'SM2', tsa: false },
];

/** Records a certificate the ceremony signed: its row, and the audit of its key and issuance. */
async function recordCertificate(tx: Tx, m: CaMaterial, caId: string, profile: string, subject: string, clock: Clock): Promise<void> {
  const cert = parseCertificate(m.certificate.der);
  await store.insertCertificates(tx, [{
    serial: m.serial, caId, profile, subject, der: m.certificate.der,
    notBefore: cert.notBefore.value, notAfter: cert.notAfter.value, issuedAt: clock.now(),
  }]);
  await appendAuditEntries(tx, [
    { actor: 'system', action: 'ca.key.create', subject: m.key.id, details: { algorithm: m.key.algorithm, backend: m.key.backend, purpose: profile } },
    { actor: 'system', action: 'ca.certificate.issue', subject: m.serial, details: { caId, profile, subject } },
  ], clock);
}

/** Creates and records a delegated OCSP responder for an issuing CA (also used after an external import). */
export async function addOcspResponder(tx: Tx, deps: HierarchyDeps, issuer: SigningCa, algorithm: KeyAlgorithm, label: string): Promise<void> {
  const m = await createOcspResponderCert({ keyStore: deps.keyStore, issuer, algorithm, name: name(`Kexin ${label} OCSP Responder`), clock: deps.clock, baseUrl: deps.publicUrl });
  await recordCertificate(tx, m, issuer.caId, 'ocsp', `CN=Kexin ${label} OCSP Responder`, deps.clock);
  await store.insertServiceKey(tx, { id: `${issuer.caId}-ocsp`, purpose: 'ocsp', caId: issuer.caId, keyId: m.key.id, serial: m.serial }, deps.clock.now());
}

/** Runs the ceremony if this database has no CA yet; returns whether it did. */
export async function initialiseHierarchy(deps: HierarchyDeps): Promise<boolean> {
  const { keyStore, clock } = deps;
  return withTransaction(deps.pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CEREMONY_LOCK]);
    if ((await store.listCas(tx)).length > 0) return false;
    const created: string[] = [];
    const skipped: string[] = [];
    for (const f of FAMILIES) {
      // A token without the family's algorithm (SoftHSM and many HSMs lack SM2) skips that family,
      // loudly, rather than leaving the service without any CA.
      if (!keyStore.algorithms.includes(f.rootAlgorithm) || !keyStore.algorithms.includes(f.algorithm)) {
        skipped.push(f.prefix);
        deps.logger?.warn({ family: f.prefix, backend: keyStore.backend }, `key store cannot create ${f.rootAlgorithm} keys: no ${f.label} hierarchy`);
        continue;
      }
      created.push(f.prefix);
      const rootId = `${f.prefix}-root`;
      const issuingId = `${f.prefix}-issuing-1`;
      const root = await createRootCa({ keyStore, algorithm: f.rootAlgorithm, name: name(`Kexin ${f.label} Root CA`), clock, validityYears: 20 });
      await store.insertCa(tx, { id: rootId, name: `Kexin ${f.label} Root CA`, algorithm: f.rootAlgorithm, role: 'root', parentId: null, keyId: root.key.id, state: 'active', certificate: root.certificate.der, csr: null, externalChain: [] }, clock.now());
      await recordCertificate(tx, root, rootId, 'root-ca', `CN=Kexin ${f.label} Root CA`, clock);
      const rootSigner: SigningCa = { certificate: root.certificate.der, signer: root.signer, caId: rootId };

      const issuing = await createIssuingCa({ keyStore, root: rootSigner, algorithm: f.algorithm, name: name(`Kexin ${f.label} Issuing CA 1`), clock, baseUrl: deps.publicUrl, validityYears: 10 });
      await store.insertCa(tx, { id: issuingId, name: `Kexin ${f.label} Issuing CA 1`, algorithm: f.algorithm, role: 'issuing', parentId: rootId, keyId: issuing.key.id, state: 'active', certificate: issuing.certificate.der, csr: null, externalChain: [] }, clock.now());
      await recordCertificate(tx, issuing, rootId, 'issuing-ca', `CN=Kexin ${f.label} Issuing CA 1`, clock);
      const issuingSigner: SigningCa = { certificate: issuing.certificate.der, signer: issuing.signer, caId: issuingId };

      await addOcspResponder(tx, deps, issuingSigner, f.algorithm, f.label);
      if (f.tsa) {
        const tsa = await createTsaCert({ keyStore, issuer: issuingSigner, algorithm: f.algorithm, name: name('Kexin Time-Stamping Unit 1'), clock, baseUrl: deps.publicUrl, validityYears: 5 });
        await recordCertificate(tx, tsa, issuingId, 'tsa', 'CN=Kexin Time-Stamping Unit 1', clock);
        await store.insertServiceKey(tx, { id: 'tsa-1', purpose: 'tsa', caId: issuingId, keyId: tsa.key.id, serial: tsa.serial }, clock.now());
      }
    }
    await appendAudit(tx, { actor: 'system', action: 'ca.hierarchy.create', details: { families: created, skipped } }, clock);
    return true;
  });
}
