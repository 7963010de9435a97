/**
 * The CA service: every operation an ordered list of phases, each state change in one transaction with
 * its audit row. Issuance: check the CSR (signature first), plan, sign once (and verify the result), then
 * store the certificate (its serial unique by constraint) and its audit row in one transaction; the
 * client gets the certificate only after that COMMIT, so a crash never loses a certificate anyone
 * received, and a failure leaves nothing. Concurrent issuances share transactions (group commit).
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { appendAudit, appendAuditEntries, type AuditEntry } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import { signerFor, type KeyStore } from '../crypto/keyStore.ts';
import { defaultScheme } from '../crypto/signatures.ts';
import { createGroupCommit } from '../db/groupCommit.ts';
import type { ChannelHandlers, Listener } from '../db/notifications.ts';
import { withTransaction, type Tx } from '../db/transaction.ts';
import { KexinError } from '../errors.ts';
import { buildCrl } from './buildCrl.ts';
import { caErrors, canonicalSerial } from './caErrors.ts';
import type { CaService, CaView, CertificateView } from './caServiceTypes.ts';
import * as store from './caStore.ts';
import type { CaRecord, CertificateRecord } from './caStore.ts';
import { newSerial } from './certificate.ts';
import { checkCsr } from './checkCsr.ts';
import { checkImportedCaCertificate, createIssuingCaRequest } from './createHierarchy.ts';
import { addOcspResponder } from './hierarchy.ts';
import { prepareCertificate, signCertificate } from './issueCertificate.ts';
import { announceCertificateChanges, announceResponderChange, applyOcspMessage, OCSP_CHANNEL } from './ocspInvalidation.ts';
import { createOcspService, type OcspService } from './ocspService.ts';
import { certificateToPem, pemToDer } from './pem.ts';
import { getProfile } from './profiles.ts';
import { parseReason, transition, type RevocationReason } from './revocation.ts';
import { createTsaService } from './tsaService.ts';
import { nameToString, validatePath } from './validatePath.ts';
import { createCaRevocationSource } from './caRevocationSource.ts';
import { parseCertificate } from './certificate.ts';

export interface CaServiceDeps {
  readonly pool: pg.Pool;
  readonly keyStore: KeyStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Base URL written into CDP/AIA. */
  readonly publicUrl: string;
  /** Full CRL lifetime; republished at half-life and on every change (default 24 h). */
  readonly crlValiditySeconds?: number;
  /**
   * Cross-process notifications (PostgreSQL LISTEN), when other processes may share the database:
   * their issuances and revocations then invalidate this process's OCSP cache too.
   */
  readonly subscribe?: (channel: string, handlers: ChannelHandlers) => Promise<Listener>;
}

const hex40 = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/^(00)+(?=.)/, '').padStart(40, '0');

export type RunningCaService = CaService & { readonly ocspService: OcspService; close(): Promise<void> };

export async function createCaService(deps: CaServiceDeps): Promise<RunningCaService> {
  const { pool, keyStore, clock } = deps;
  const crlValidity = deps.crlValiditySeconds ?? 24 * 3600;

  const signerOf = async (ca: CaRecord, purpose: 'certificate' | 'crl') => {
    const key = await keyStore.getKey(ca.keyId);
    return signerFor(keyStore, key, defaultScheme(key.algorithm), { purpose });
  };

  // An active CA never changes (its certificate and chain are fixed), so active rows and their chain
  // PEM are kept in memory; pending CAs are always read afresh.
  const activeCas = new Map<string, CaRecord>();
  const chains = new Map<string, string>();
  const getCa = async (q: Tx | pg.Pool, id: string): Promise<CaRecord | undefined> => {
    const cached = activeCas.get(id);
    if (cached) return cached;
    const ca = await store.getCa(q, id);
    if (ca?.state === 'active') activeCas.set(id, ca);
    return ca;
  };

  /** PEM certificates from `ca` up to its root (root last). */
  const chainPem = async (q: Tx | pg.Pool, ca: CaRecord): Promise<string> => {
    const cached = chains.get(ca.id);
    if (cached) return cached;
    const chain: Uint8Array[] = [];
    for (let cur: CaRecord | undefined = ca; cur?.certificate;) {
      chain.push(cur.certificate);
      if (cur.externalChain.length) { chain.push(...cur.externalChain); break; }
      cur = cur.parentId ? await getCa(q, cur.parentId) : undefined;
    }
    const pem = chain.map(certificateToPem).join('');
    if (ca.state === 'active') chains.set(ca.id, pem);
    return pem;
  };

  const view = async (ca: CaRecord): Promise<CaView> => ({
    id: ca.id, name: ca.name, algorithm: ca.algorithm, role: ca.role, state: ca.state,
    certificatePem: ca.certificate ? certificateToPem(ca.certificate) : null,
    chainPem: ca.certificate ? await chainPem(pool, ca) : null,
  });

  const certView = async (c: CertificateRecord): Promise<CertificateView> => {
    const ca = await getCa(pool, c.caId);
    return {
      serial: c.serial, caId: c.caId, profile: c.profile, subject: c.subject,
      notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), status: c.status,
      revokedAt: c.revokedAt?.toISOString() ?? null, revocationReason: c.revocationReason,
      certificatePem: certificateToPem(c.der!), chainPem: ca ? await chainPem(pool, ca) : '',
    };
  };

  // Which CA issues by default for a key family, re-read now and then (another process may import one).
  const defaultIssuing = new Map<boolean, { readonly ca: CaRecord; readonly until: number }>();
  const DEFAULT_CA_TTL_MS = 60_000;

  /** The CA to issue under: the named one, else the first active issuing CA of the key's family. */
  const issuingCa = async (caId: string | undefined, keyAlgorithm: string): Promise<CaRecord> => {
    if (caId) {
      const ca = await getCa(pool, caId);
      if (!ca) throw caErrors.unknownCa(caId);
      if (ca.role !== 'issuing' || ca.state !== 'active') throw caErrors.caNotIssuing(caId);
      return ca;
    }
    const sm2 = keyAlgorithm === 'SM2';
    const cached = defaultIssuing.get(sm2);
    if (cached && cached.until > Date.now()) return cached.ca;
    const ca = (await store.listCas(pool)).find((c) => c.role === 'issuing' && c.state === 'active' && (c.algorithm === 'SM2') === sm2);
    if (!ca) throw caErrors.caNotIssuing(sm2 ? '(default SM2)' : '(default)');
    defaultIssuing.set(sm2, { ca, until: Date.now() + DEFAULT_CA_TTL_MS });
    return ca;
  };

  // A certificate and its audit row, committed together (with whatever else is issued meanwhile).
  const issuances = createGroupCommit<{ readonly cert: store.NewCertificate; readonly audit: AuditEntry }>(pool, async (tx, writes) => {
    await store.insertCertificates(tx, writes.map((w) => w.cert));
    await appendAuditEntries(tx, writes.map((w) => w.audit), clock);
    await announceCertificateChanges(tx, writes.map((w) => [w.cert.caId, w.cert.serial] as const));
  }, { name: 'certificates' });

  /** Builds, signs and stores the next full CRL of `caId` in `tx`; the CA row lock orders CRL numbers. */
  const publishCrlInTx = async (tx: Tx, caId: string): Promise<void> => {
    const ca = await store.getCa(tx, caId, { forUpdate: true });
    if (!ca?.certificate || ca.state !== 'active') return;
    const now = clock.now();
    const crlNumber = ((await store.lastCrl(tx, caId))?.crlNumber ?? 0n) + 1n;
    const nextUpdate = new Date(now.getTime() + crlValidity * 1000);
    const entries = (await store.revokedEntries(tx, caId, now)).map((e) => ({ serial: e.serial, revokedAt: e.revokedAt, reason: e.reason as RevocationReason }));
    const der = await buildCrl({ issuer: ca.certificate, signer: await signerOf(ca, 'crl'), crlNumber, thisUpdate: now, nextUpdate, entries });
    await store.insertCrl(tx, caId, crlNumber, now, nextUpdate, der);
    await appendAudit(tx, { actor: 'system', action: 'ca.crl.publish', subject: caId, details: { crlNumber: crlNumber.toString(), entries: entries.length, nextUpdate: nextUpdate.toISOString() } }, clock);
  };

  const ocspService = await createOcspService(deps);
  const reloads = new Set<Promise<void>>();
  const listener = await deps.subscribe?.(OCSP_CHANNEL, {
    onMessage: (payload) => {
      const reload = applyOcspMessage(payload, ocspService, deps.logger);
      if (reload) {
        reloads.add(reload);
        void reload.finally(() => reloads.delete(reload));
      }
    },
    onGap: () => ocspService.clear(),
  });
  const revocation = createCaRevocationSource(pool);
  const tsaService = await createTsaService(deps);

  const service: RunningCaService = {
    ocspService,
    async close() {
      await listener?.close();
      await Promise.all(reloads); // a reload must not outlive the pool it reads from
    },

    async listCas() {
      return Promise.all((await store.listCas(pool)).map(view));
    },

    async caCertificateDer(id) {
      const ca = await getCa(pool, id);
      if (!ca?.certificate) throw caErrors.unknownCa(id);
      return ca.certificate;
    },

    async crlDer(id) {
      const crl = await store.lastCrl(pool, id);
      if (!crl) throw caErrors.noCrl(id);
      return crl.der;
    },

    async issue(req, actor) {
      // 1. validate: profile known and public, CSR signature checked before any field is trusted.
      const profile = getProfile(req.profile);
      if (profile.internal) throw new KexinError('CA_PROFILE_INTERNAL', `profile "${profile.name}" is issued only by the key ceremony`, 403);
      const csr = checkCsr(req.csr, profile);
      // 2. policy: the CA, and a plan (validity clamped to the issuer and the profile).
      const ca = await issuingCa(req.caId, csr.keyAlgorithm);
      const plan = prepareCertificate({ csr, profile, issuer: { certificate: ca.certificate!, caId: ca.id }, serial: newSerial(), clock, baseUrl: deps.publicUrl });
      // 3. sign once (signCertificate verifies the signature before anything leaves).
      const signed = await signCertificate(plan, await signerOf(ca, 'certificate'));
      const serial = hex40(plan.serial);
      const subject = csr.subject.map((a) => `${a.type}=${a.value}`).join(', ');
      // 4. store and audit in one transaction; only after its COMMIT does the client get the certificate.
      await issuances.submit({
        cert: { serial, caId: ca.id, profile: profile.name, subject, notBefore: plan.notBefore, notAfter: plan.notAfter, der: signed.der, issuedAt: clock.now() },
        audit: { actor, action: 'ca.certificate.issue', subject: serial, details: { caId: ca.id, profile: profile.name, subject, notAfter: plan.notAfter.toISOString() } },
      });
      // The OCSP cache also keeps `unknown` answers (so floods of random serials cannot force signing):
      // a serial asked about before it existed must be answered afresh now.
      ocspService.invalidate(ca.id, serial);
      return { serial, certificatePem: signed.pem, chainPem: await chainPem(pool, ca) };
    },

    async getCertificate(serial) {
      const c = await store.getCertificate(pool, canonicalSerial(serial));
      if (!c?.der) throw caErrors.unknownCertificate(serial);
      return certView(c);
    },

    async revoke(serialInput, reasonInput, actor) {
      const serial = canonicalSerial(serialInput);
      const reason = parseReason(reasonInput);
      const updated = await withTransaction(pool, async (tx) => {
        const c = await store.getCertificate(tx, serial, { forUpdate: true });
        if (!c?.der) throw caErrors.unknownCertificate(serial);
        const t = transition(serial, c.status, reason);
        await store.setCertificateStatus(tx, serial, t.status, t.status === 'valid' ? null : clock.now(), t.reason);
        await appendAudit(tx, { actor, action: t.action, subject: serial, details: { caId: c.caId, reason } }, clock);
        // RFC 5280 §5: the full CRL is regenerated on every change, in the same transaction.
        await publishCrlInTx(tx, c.caId);
        await announceCertificateChanges(tx, [[c.caId, serial]]);
        return (await store.getCertificate(tx, serial))!;
      });
      ocspService.invalidate(updated.caId, serial);
      return certView(updated);
    },

    async ocsp(der) {
      const a = await ocspService.answer(der);
      return { der: a.der, cacheable: a.cacheable, etag: a.etag?.replaceAll('"', ''), maxAge: a.maxAge, lastModified: a.lastModified };
    },

    timestamp: (der) => tsaService.timestamp(der),
    tsaCertificatePem: async () => tsaService.certificatePem(),

    async requestExternalCa(req, actor) {
      if (await store.getCa(pool, req.id)) throw new KexinError('CA_EXISTS', `CA "${req.id}" already exists`, 409);
      const request = await createIssuingCaRequest({ keyStore, algorithm: req.algorithm, name: [{ type: 'C', value: 'CN' }, { type: 'O', value: 'Kexin 可信' }, { type: 'CN', value: req.name }] });
      await withTransaction(pool, async (tx) => {
        await store.insertCa(tx, { id: req.id, name: req.name, algorithm: req.algorithm, role: 'issuing', parentId: null, keyId: request.key.id, state: 'pending', certificate: null, csr: request.csrDer, externalChain: [] }, clock.now());
        await appendAudit(tx, { actor, action: 'ca.key.create', subject: request.key.id, details: { caId: req.id, algorithm: req.algorithm, backend: request.key.backend, purpose: 'external-issuing-ca' } }, clock);
      });
      return { id: req.id, csrPem: request.csrPem };
    },

    async importExternalCa(req, actor) {
      const ca = await store.getCa(pool, req.id);
      if (!ca) throw caErrors.unknownCa(req.id);
      if (ca.state !== 'pending') throw caErrors.notPending(req.id);
      const certDer = pemToDer(req.certificatePem, 'CERTIFICATE')[0]!;
      const chain = req.chainPem ? pemToDer(req.chainPem, 'CERTIFICATE') : [];
      const key = await keyStore.getKey(ca.keyId);
      await checkImportedCaCertificate({ certDer, keyInfo: key, chainDers: chain, at: clock.now() });
      await withTransaction(pool, async (tx) => {
        if ((await store.getCa(tx, ca.id, { forUpdate: true }))?.state !== 'pending') throw caErrors.notPending(ca.id);
        await store.activateCa(tx, ca.id, certDer, chain);
        await appendAudit(tx, { actor, action: 'ca.import', subject: ca.id, details: { subject: nameToString(parseCertificate(certDer).subject), chainLength: chain.length } }, clock);
        await addOcspResponder(tx, deps, { certificate: certDer, signer: signerFor(keyStore, key, defaultScheme(key.algorithm), { purpose: 'ocsp' }), caId: ca.id }, key.algorithm, ca.name);
        await publishCrlInTx(tx, ca.id);
        await announceResponderChange(tx);
      });
      await ocspService.reload();
      defaultIssuing.clear();
      return view((await store.getCa(pool, ca.id))!);
    },

    async validateCertificate(req) {
      const cas = (await store.listCas(pool)).filter((c) => c.state === 'active' && c.certificate);
      const anchors = [
        ...cas.filter((c) => c.role === 'root').map((c) => c.certificate!),
        ...cas.flatMap((c) => (c.externalChain.length ? [c.externalChain[c.externalChain.length - 1]!] : [])),
      ];
      const intermediates = [
        ...(req.intermediates ?? []),
        ...cas.filter((c) => c.role === 'issuing').map((c) => c.certificate!),
        ...cas.flatMap((c) => c.externalChain.slice(0, -1)),
      ];
      return validatePath({ leaf: req.certificate, intermediates, trustAnchors: anchors, at: req.at ?? clock.now(), revocation, requiredEku: req.requiredEku });
    },

    async refreshCrls() {
      const now = clock.now().getTime();
      for (const ca of await store.listCas(pool)) {
        if (ca.state !== 'active') continue;
        const last = await store.lastCrl(pool, ca.id);
        // Republish at half-life, so no relying party holds a CRL past its nextUpdate.
        if (last && now < (last.thisUpdate.getTime() + last.nextUpdate.getTime()) / 2) continue;
        await withTransaction(pool, (tx) => publishCrlInTx(tx, ca.id));
      }
    },
  };
  return service;
}
