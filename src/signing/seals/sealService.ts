/**
 * Seals and their lifecycle: apply → make → register → use → suspend ⇄ resume → cancel.
 *
 * `createSeal` runs the first three as visible phases:
 *   apply    — check the request (kind, names, GB 32100 credit code, image);
 *   make     — per-seal keys in the key store (ECDSA for CMS/PAdES/JWS; plus SM2 for GB/T 38540),
 *              `seal`-profile certificates through the CA service, the seal image, and the
 *              GB/T 38540 SESeal signed by the seal maker (制章人);
 *   register — assign the esID (赋码) and record the seal with its audit row in one transaction.
 * Certificates are issued (and committed by the CA) before the seal row exists: if anything after that
 * fails, they are revoked, so no usable certificate is left without a seal.
 * Suspension puts the certificates on hold, resumption releases them, cancellation (注销) revokes them —
 * each through the CA service, then the seal's state and audit row change in one transaction.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { appendAudit } from '../../audit/auditLog.ts';
import { buildCsr } from '../../ca/buildCsr.ts';
import type { CaService } from '../../ca/caServiceTypes.ts';
import { parseCertificate } from '../../ca/certificate.ts';
import { certificateToPem, pemToDer } from '../../ca/pem.ts';
import { isValidUscc } from '../../ca/uscc.ts';
import type { Clock } from '../../clock.ts';
import { signerFor, type KeyStore, type Signer } from '../../crypto/keyStore.ts';
import { withTransaction } from '../../db/transaction.ts';
import { sealErrors } from '../errors.ts';
import { makeSESeal, parseSESeal, type SESeal } from '../gbt38540/sesSeal.ts';
import type { SigningServiceKey } from '../serviceKeys.ts';
import { formatEsId } from './esId.ts';
import { acceptSealImage, renderStamp, type SealImage } from './sealImage.ts';
import { SEAL_KIND_FACTS, SEAL_KINDS, type SealKind } from './sealKinds.ts';
import * as store from './sealStore.ts';
import type { SealAlgorithm, SealRecord, SealStatus } from './sealStore.ts';

export interface CreateSealRequest {
  readonly owner: { readonly name: string; readonly creditCode: string };
  readonly kind: SealKind;
  readonly name: string;
  readonly algorithm: SealAlgorithm;
  /** Personal seals: the person whose name seal it is (the certificate's CN). */
  readonly holderName?: string | undefined;
  /** An uploaded PNG or SVG with transparency; absent → the standard stamp is drawn. */
  readonly image?: Uint8Array | undefined;
  /** True size of the seal image; defaults by kind (42 mm round 法定名称章, 20 mm name seal, …). */
  readonly imageSizeMm?: { readonly width: number; readonly height: number } | undefined;
  /** Printed on the stamp's lower arc, e.g. the esID; default none. */
  readonly stampCode?: boolean | undefined;
}

/** What applying a seal needs: its signers and certificates, and its SESeal. */
export interface SealSigners {
  readonly seal: SealRecord;
  readonly seseal: SESeal;
  /** ECDSA: PAdES, CAdES, JWS. */
  readonly cms: { readonly signer: Signer; readonly certificate: Uint8Array };
  /** SM2 seals: GB/T 38540 SES_Signature. */
  readonly sm2?: { readonly signer: Signer; readonly certificate: Uint8Array };
  readonly chain: readonly Uint8Array[];
  readonly sm2Chain?: readonly Uint8Array[];
}

export interface SealServiceDeps {
  readonly pool: pg.Pool;
  readonly keyStore: KeyStore;
  readonly ca: CaService;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Seal makers by family; SM2 seals need `maker-sm2`. */
  readonly makers: { readonly ECDSA?: SigningServiceKey; readonly SM2?: SigningServiceKey };
  /** GB/T 2260 region code written into esIDs. */
  readonly regionCode: string;
  /** SES_Header.Vid. */
  readonly vendorId: string;
}

const NAME_MAX = 64;
const TEXT_OK = /^[^\p{C}\u200b-\u200f\u2028-\u202e\u2066-\u2069]+$/u;

function checkText(value: unknown, what: string, max = NAME_MAX): string {
  if (typeof value !== 'string' || value.trim() !== value || value.length === 0 || [...value].length > max || !TEXT_OK.test(value)) {
    throw sealErrors.invalid(`${what} must be 1–${max} printable characters without surrounding spaces`, { field: what });
  }
  return value;
}

export function createSealService(deps: SealServiceDeps) {
  const { pool, keyStore, ca, clock } = deps;

  const issue = async (signer: Signer, subject: Parameters<typeof buildCsr>[0]['subject'], actor: string) => {
    const csr = await buildCsr({ signer, subject });
    const issued = await ca.issue({ csr: csr.pem, profile: 'seal' }, actor);
    return { serial: issued.serial, certificate: pemToDer(issued.certificatePem)[0]!, chain: pemToDer(issued.chainPem) };
  };

  async function sealImage(req: CreateSealRequest, esId: string): Promise<SealImage> {
    const facts = SEAL_KIND_FACTS[req.kind];
    const size = req.imageSizeMm ?? { width: facts.sizeMm, height: facts.sizeMm };
    for (const v of [size.width, size.height]) if (!Number.isInteger(v) || v < 10 || v > 80) throw sealErrors.invalid('imageSizeMm: whole millimetres, 10 to 80');
    if (req.image) return acceptSealImage(req.image, size.width, size.height);
    const text = facts.stamp === 'square'
      ? { organisation: req.holderName! }
      : { organisation: req.owner.name, sealName: req.kind === 'legal-name' ? undefined : req.name, code: req.stampCode ? esId : undefined };
    return renderStamp(facts.stamp, text, size.width);
  }

  /** apply: everything that can be refused is refused before any key exists. */
  function checkRequest(req: CreateSealRequest): void {
    if (!SEAL_KINDS.includes(req.kind)) throw sealErrors.invalid(`kind must be one of ${SEAL_KINDS.join(', ')}`);
    if (req.algorithm !== 'ECDSA' && req.algorithm !== 'SM2') throw sealErrors.invalid('algorithm must be ECDSA or SM2');
    checkText(req.owner?.name, 'owner.name', 128);
    checkText(req.name, 'name');
    if (!isValidUscc(req.owner.creditCode)) throw sealErrors.invalid('owner.creditCode is not a valid unified social credit code (GB 32100-2015)', { field: 'owner.creditCode' });
    if (req.kind === 'personal') checkText(req.holderName, 'holderName', 32);
    else if (req.holderName !== undefined) throw sealErrors.invalid('holderName is only for personal seals');
    if (!deps.makers[req.algorithm]) throw sealErrors.makerMissing(req.algorithm);
  }

  async function createSeal(req: CreateSealRequest, actor: string): Promise<SealRecord> {
    // 1. apply
    checkRequest(req);
    const id = randomUUID();
    const now = clock.now();
    const esId = formatEsId(deps.regionCode, now.getUTCFullYear(), await store.nextEsSerial(pool));
    const image = await sealImage(req, esId);
    const subject = [
      { type: 'C' as const, value: 'CN' }, { type: 'O' as const, value: req.owner.name },
      { type: 'organizationIdentifier' as const, value: req.owner.creditCode },
      { type: 'CN' as const, value: req.kind === 'personal' ? req.holderName! : req.name },
    ];
    // 2. make: per-seal keys (never shared), certificates, SESeal.
    const issuedSerials: string[] = [];
    try {
      const cmsKey = await keyStore.createKey('ECDSA-P256', `seal-${id}`);
      const cmsSigner = signerFor(keyStore, cmsKey, 'ECDSA-SHA256');
      const cms = await issue(cmsSigner, subject, actor);
      issuedSerials.push(cms.serial);
      const keys: store.SealKey[] = [{ role: 'cms', keyId: cmsKey.id, serial: cms.serial }];
      const certificates = [cms.certificate];
      let chain = cms.chain;
      if (req.algorithm === 'SM2') {
        const sm2Key = await keyStore.createKey('SM2', `seal-${id}-sm2`);
        const sm2 = await issue(signerFor(keyStore, sm2Key, 'SM2-SM3'), subject, actor);
        issuedSerials.push(sm2.serial);
        keys.unshift({ role: 'sm2', keyId: sm2Key.id, serial: sm2.serial });
        certificates.unshift(sm2.certificate);
        chain = sm2.chain;
      }
      const validity = certificates.map((c) => parseCertificate(c));
      const validStart = new Date(Math.max(...validity.map((c) => c.notBefore.value.getTime())));
      const validEnd = new Date(Math.min(...validity.map((c) => c.notAfter.value.getTime())));
      const maker = deps.makers[req.algorithm]!;
      const seseal = await makeSESeal({
        vid: deps.vendorId, esId, type: SEAL_KIND_FACTS[req.kind].sesType, name: req.name, certs: certificates,
        createDate: now, validStart, validEnd,
        picture: { type: 'PNG', data: image.png, widthMm: image.widthMm, heightMm: image.heightMm },
      }, { certificate: maker.certificate, signer: maker.signer });
      // 3. register: the seal and its audit row, together.
      const seal: SealRecord = Object.freeze({
        id, esId, kind: req.kind, name: req.name, owner: { ...req.owner }, holderName: req.holderName ?? null, algorithm: req.algorithm,
        status: 'active', image, seseal: seseal.der, keys, certificates, chain: req.algorithm === 'SM2' ? [...chain, ...cms.chain] : chain,
        validStart, validEnd, createdBy: actor, createdAt: now, statusChangedAt: now,
      });
      await withTransaction(pool, async (tx) => {
        await store.insertSeal(tx, seal);
        await appendAudit(tx, {
          actor, action: 'seal.create', subject: id,
          details: { esId, kind: req.kind, name: req.name, ownerCreditCode: req.owner.creditCode, algorithm: req.algorithm, certificates: issuedSerials, maker: maker.serial, imageUploaded: !!req.image },
        }, clock);
      });
      return seal;
    } catch (err) {
      for (const serial of issuedSerials) {
        await ca.revoke(serial, 'cessationOfOperation', 'system').catch((e: unknown) => deps.logger.error({ err: e, serial }, 'could not revoke the certificate of a seal that failed to be made'));
      }
      throw err;
    }
  }

  async function getSeal(id: string): Promise<SealRecord> {
    const s = await store.getSeal(pool, id);
    if (!s) throw sealErrors.notFound(id);
    return s;
  }

  /** Moves a seal to `to`, after changing its certificates' status with the CA (retry-safe). */
  async function changeStatus(id: string, action: 'suspend' | 'resume' | 'cancel', actor: string): Promise<SealRecord> {
    const from: Record<typeof action, SealStatus[]> = { suspend: ['active'], resume: ['suspended'], cancel: ['active', 'suspended'] };
    const to: Record<typeof action, SealStatus> = { suspend: 'suspended', resume: 'active', cancel: 'cancelled' };
    const reason = { suspend: 'certificateHold', resume: 'removeFromCRL', cancel: 'cessationOfOperation' }[action];
    const seal = await getSeal(id);
    if (!from[action].includes(seal.status)) throw sealErrors.transition(id, seal.status, action);
    for (const k of seal.keys) {
      const cert = await ca.getCertificate(k.serial);
      const done = action === 'suspend' ? cert.status === 'hold' : action === 'resume' ? cert.status === 'valid' : cert.status === 'revoked';
      if (!done) await ca.revoke(k.serial, reason, actor);
    }
    return withTransaction(pool, async (tx) => {
      const current = await store.getSeal(tx, id, { forUpdate: true });
      if (!current) throw sealErrors.notFound(id);
      if (!from[action].includes(current.status)) throw sealErrors.transition(id, current.status, action);
      const at = clock.now();
      await store.setSealStatus(tx, id, to[action], at);
      await appendAudit(tx, { actor, action: `seal.${action}`, subject: id, details: { esId: current.esId, from: current.status, to: to[action], certificates: current.keys.map((k) => k.serial) } }, clock);
      return Object.freeze({ ...current, status: to[action], statusChangedAt: at });
    });
  }

  /** The public status: what a national seal platform or a verifier syncs. */
  async function sealStatus(id: string) {
    const seal = await getSeal(id);
    const certificates = await Promise.all(seal.keys.map(async (k) => {
      const c = await ca.getCertificate(k.serial);
      return { role: k.role, serial: k.serial, status: c.status, notAfter: c.notAfter, revokedAt: c.revokedAt, revocationReason: c.revocationReason };
    }));
    return {
      id: seal.id, esId: seal.esId, status: seal.status, statusChangedAt: seal.statusChangedAt.toISOString(),
      validStart: seal.validStart.toISOString(), validEnd: seal.validEnd.toISOString(), certificates,
    };
  }

  /** The signers of an active seal within its validity, for applying it. */
  async function signersFor(id: string): Promise<SealSigners> {
    const seal = await getSeal(id);
    if (seal.status !== 'active') throw sealErrors.notActive(id, seal.status);
    const now = clock.now().getTime();
    if (now < seal.validStart.getTime() || now > seal.validEnd.getTime()) throw sealErrors.outsideValidity(id);
    const signer = async (role: 'cms' | 'sm2') => {
      const i = seal.keys.findIndex((k) => k.role === role);
      if (i < 0) return undefined;
      const key = await keyStore.getKey(seal.keys[i]!.keyId);
      return { signer: signerFor(keyStore, key, role === 'sm2' ? 'SM2-SM3' : 'ECDSA-SHA256'), certificate: seal.certificates[i]! };
    };
    const cms = (await signer('cms'))!;
    const sm2 = await signer('sm2');
    return Object.freeze({
      seal, seseal: parseSESeal(seal.seseal), cms, chain: chainOf(cms.certificate, seal.chain),
      ...(sm2 ? { sm2, sm2Chain: chainOf(sm2.certificate, seal.chain) } : {}),
    });
  }

  return {
    createSeal,
    getSeal,
    sealStatus,
    signersFor,
    findByEsId: (esId: string) => store.getSealByEsId(pool, esId),
    suspend: (id: string, actor: string) => changeStatus(id, 'suspend', actor),
    resume: (id: string, actor: string) => changeStatus(id, 'resume', actor),
    cancel: (id: string, actor: string) => changeStatus(id, 'cancel', actor),
  };
}

export type SealService = ReturnType<typeof createSealService>;

/** The CA certificates above `cert` among `pool`, issuer first, by name (the seal's own stored chain). */
export function chainOf(cert: Uint8Array, pool: readonly Uint8Array[]): Uint8Array[] {
  const parsed = pool.map((der) => ({ der, c: parseCertificate(der) }));
  const out: Uint8Array[] = [];
  let cur = parseCertificate(cert);
  for (let depth = 0; depth < 8; depth++) {
    const issuerName = Buffer.from(cur.issuer.toSchema().toBER());
    if (Buffer.from(cur.subject.toSchema().toBER()).equals(issuerName)) break; // self-signed
    const next = parsed.find((p) => Buffer.from(p.c.subject.toSchema().toBER()).equals(issuerName) && !out.includes(p.der));
    if (!next) break;
    out.push(next.der);
    cur = next.c;
  }
  return out;
}

/** The seal as the API shows it. */
export function sealView(s: SealRecord) {
  return {
    id: s.id, esId: s.esId, kind: s.kind, name: s.name, owner: s.owner, holderName: s.holderName, algorithm: s.algorithm, status: s.status,
    validStart: s.validStart.toISOString(), validEnd: s.validEnd.toISOString(),
    imageSizeMm: { width: s.image.widthMm, height: s.image.heightMm },
    certificatePem: certificateToPem(s.certificates[s.keys.findIndex((k) => k.role === (s.algorithm === 'SM2' ? 'sm2' : 'cms'))]!),
    certificates: s.keys.map((k, i) => ({ role: k.role, serial: k.serial, certificatePem: certificateToPem(s.certificates[i]!) })),
    chainPem: s.chain.map(certificateToPem).join(''),
  };
}

