/**
 * The trust half of validation (ETSI EN 319 102-1, simplified as EU DSS and pyHanko do it): from an
 * analysis (`analyzePdf`, or a detached signature's), decide each signature's indication —
 *   format → integrity (hash, signature) → modifications vs DocMDP → signer chain and revocation
 *   (at the validation time, else at the best proven signing time: a valid time-stamp is proof of
 *   existence, so a certificate that expired or was revoked *after* it still passes) → the seal
 *   (maker signature, certList, validity) → time-stamp order.
 * Certificate paths go through the CA service (`validateCertificate`: Kexin's roots, its records),
 * with the document's embedded DSS evidence asked first for past times. Certificates from the document
 * are pre-selected under a signature-check budget, so a set of look-alike intermediates cannot make
 * path building explode.
 */
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { parseCertificate, spkiDer } from '../../ca/certificate.ts';
import type { CaService } from '../../ca/caServiceTypes.ts';
import { certificateToPem } from '../../ca/pem.ts';
import { nameToString, type PathValidationResult } from '../../ca/validatePath.ts';
import { bytesEqual } from '../../crypto/der.ts';
import { schemeFromAlgorithmIdentifier } from '../../crypto/algorithmIdentifiers.ts';
import { verifySignature } from '../../crypto/signatures.ts';
import { SIGNING_OID } from '../oids.ts';
import type { PdfAnalysis, SealAnalysis, SignatureAnalysis, TimestampAnalysis } from './analyzePdf.ts';
import { levelRank, maxLevel, type ModificationLevel } from './diff.ts';
import { embeddedRevocationSource } from './embeddedRevocation.ts';
import { decide, deepFreeze, type CertificateInfo, type DocumentValidation, type Finding, type Reason, type SealInfoResult, type SignatureResult, type SubIndication, type TimestampResult } from './result.ts';

/** Signature checks spent choosing intermediates from a document, per path. */
export const INTERMEDIATE_SIGNATURE_BUDGET = 32;
export const MAX_DOCUMENT_CERTIFICATES = 128;

/**
 * Path results reused for this long (the same TSA, seal-maker and seal certificates recur in every
 * document): a revocation shows up in verification results at most this late — far less than the
 * OCSP/CRL freshness (RFC 5019 caches hours) relying parties accept.
 */
export const PATH_CACHE_TTL_MS = 30_000;
const PATH_CACHE_MAX = 1024;

export interface PathCache {
  get(key: string, now: number): PathValidationResult | undefined;
  set(key: string, value: PathValidationResult, now: number): void;
}

export function createPathCache(): PathCache {
  const m = new Map<string, { value: PathValidationResult; at: number }>();
  return {
    get(key, now) {
      const e = m.get(key);
      if (!e || now - e.at > PATH_CACHE_TTL_MS || now < e.at) { m.delete(key); return undefined; }
      return e.value;
    },
    set(key, value, now) {
      m.set(key, { value, at: now });
      if (m.size > PATH_CACHE_MAX) m.delete(m.keys().next().value!);
    },
  };
}

export interface ValidationDeps {
  readonly ca: CaService;
  readonly now: Date;
  /** Optional memo of path results (see PATH_CACHE_TTL_MS). */
  readonly pathCache?: PathCache;
  /** The registry's view of a seal by esID, if it is one of Kexin's. */
  readonly findSeal?: (esId: string) => Promise<{ id: string; status: string } | undefined>;
}

type Parsed = { der: Uint8Array; cert: pkijs.Certificate };

/** Parsed certificates by content (pkijs parsing costs ~ms; the same few certificates recur in every document). */
const parsedCache = new Map<string, pkijs.Certificate>();
function parsed(der: Uint8Array): pkijs.Certificate {
  const k = createHash('sha256').update(der).digest('base64');
  let c = parsedCache.get(k);
  if (!c) {
    c = parseCertificate(der);
    parsedCache.set(k, c);
    if (parsedCache.size > 512) parsedCache.delete(parsedCache.keys().next().value!);
  }
  return c;
}

function parseAll(ders: readonly Uint8Array[]): Parsed[] {
  const out: Parsed[] = [];
  const seen = new Set<string>();
  for (const der of ders.slice(0, MAX_DOCUMENT_CERTIFICATES)) {
    const k = Buffer.from(der).toString('base64');
    if (seen.has(k)) continue;
    seen.add(k);
    try { out.push({ der, cert: parsed(der) }); } catch { /* ignored: a malformed extra certificate */ }
  }
  return out;
}

/** Intermediates from `pool` that really issued the certificates on the way up from `leaf`. */
export function selectIntermediates(leaf: Uint8Array, pool: readonly Uint8Array[]): { chosen: Uint8Array[]; exhausted: boolean } {
  const candidates = parseAll(pool);
  let cur: pkijs.Certificate;
  try { cur = parsed(leaf); } catch { return { chosen: [], exhausted: false }; }
  const chosen: Uint8Array[] = [];
  let checks = 0;
  for (let depth = 0; depth < 6; depth++) {
    const issuerName = Buffer.from(cur.issuer.toSchema().toBER());
    if (Buffer.from(cur.subject.toSchema().toBER()).equals(issuerName)) break;
    const scheme = schemeFromAlgorithmIdentifier(new Uint8Array(cur.signatureAlgorithm.toSchema().toBER()));
    let found: Parsed | undefined;
    for (const c of candidates) {
      if (chosen.some((x) => bytesEqual(x, c.der)) || !Buffer.from(c.cert.subject.toSchema().toBER()).equals(issuerName)) continue;
      if (++checks > INTERMEDIATE_SIGNATURE_BUDGET) return { chosen, exhausted: true };
      if (scheme && verifySignature(spkiDer(c.cert), scheme, new Uint8Array(cur.tbsView), new Uint8Array(cur.signatureValue.valueBlock.valueHexView))) { found = c; break; }
    }
    if (!found) break;
    chosen.push(found.der);
    cur = found.cert;
  }
  return { chosen, exhausted: false };
}

function certInfo(der: Uint8Array | undefined): CertificateInfo | null {
  if (!der) return null;
  try {
    const c = parsed(der);
    return {
      subject: nameToString(c.subject), issuer: nameToString(c.issuer),
      serial: Buffer.from(c.serialNumber.valueBlock.valueHexView).toString('hex'),
      notBefore: c.notBefore.value.toISOString(), notAfter: c.notAfter.value.toISOString(),
    };
  } catch {
    return null;
  }
}

const PATH_PAST_RETRY: readonly string[] = ['OUT_OF_BOUNDS_NO_POE', 'REVOKED_NO_POE', 'REVOKED_CA_NO_POE', 'TRY_LATER'];

/** Path validation now; if that fails for a reason a proof of existence cures, again at `poe`. */
async function validateChain(deps: ValidationDeps, cert: Uint8Array, pool: readonly Uint8Array[], poe: Date | undefined, evidence: PdfAnalysis['dss'], requiredEku?: string[]): Promise<{ path: PathValidationResult; at: Date; budgetExhausted: boolean }> {
  const { chosen, exhausted } = selectIntermediates(cert, pool);
  const key = `${createHash('sha256').update(cert).update(Buffer.concat(chosen)).digest('base64')}|${requiredEku?.join(',') ?? ''}`;
  const clockNow = deps.now.getTime();
  let now = deps.pathCache?.get(`now|${key}`, clockNow);
  if (!now) {
    now = await deps.ca.validateCertificate({ certificate: cert, intermediates: chosen, at: deps.now, ...(requiredEku ? { requiredEku } : {}) });
    deps.pathCache?.set(`now|${key}`, now, clockNow);
  }
  if (now.valid || !poe || !PATH_PAST_RETRY.includes(now.subIndication ?? '')) return { path: now, at: deps.now, budgetExhausted: exhausted };
  const pastKey = `${poe.toISOString()}|${key}|${evidence.ocsps.length}:${evidence.crls.length}`;
  let past = evidence.ocsps.length + evidence.crls.length === 0 ? deps.pathCache?.get(pastKey, clockNow) : undefined;
  if (!past) {
    past = await deps.ca.validateCertificate({
      certificate: cert, intermediates: chosen, at: poe, ...(requiredEku ? { requiredEku } : {}),
      revocation: embeddedRevocationSource({ ...evidence, certificates: [...evidence.certificates, ...pool] }, poe),
    });
    if (evidence.ocsps.length + evidence.crls.length === 0) deps.pathCache?.set(pastKey, past, clockNow);
  }
  return { path: past, at: poe, budgetExhausted: exhausted };
}

/** Maps a path result to a finding (`label`: whose path). `pastValidation`: validated at a proven time. */
function pathFinding(r: PathValidationResult, label: string, pastValidation: boolean): Finding | undefined {
  if (r.valid) return undefined;
  const message = `${label}: ${r.reasons.map((x) => x.message).join('; ') || r.subIndication}`;
  let sub = (r.subIndication ?? 'CERTIFICATE_CHAIN_GENERAL_FAILURE') as SubIndication;
  // Revoked or expired already at the proven signing time: the signature was made too late.
  if (pastValidation && sub === 'REVOKED_NO_POE') sub = 'REVOKED';
  if (pastValidation && sub === 'OUT_OF_BOUNDS_NO_POE') sub = 'EXPIRED';
  if (r.subIndication === 'FORMAT_FAILURE') sub = 'FORMAT_FAILURE';
  return { sub, reason: { code: `${label.toUpperCase().replace(/[^A-Z]+/g, '_')}_${r.reasons[0]?.code ?? sub}`, message } };
}

async function timestampResult(deps: ValidationDeps, t: TimestampAnalysis, later: Date | undefined, evidence: PdfAnalysis['dss']): Promise<TimestampResult & { valid: boolean }> {
  const findings: Finding[] = [];
  if (!t.imprintOk) findings.push({ sub: 'HASH_FAILURE', reason: { code: 'TIMESTAMP_IMPRINT_MISMATCH', message: 'the time-stamp is not over this data' } });
  if (!t.signatureOk) findings.push({ sub: 'SIG_CRYPTO_FAILURE', reason: { code: 'TIMESTAMP_SIGNATURE_INVALID', message: `the time-stamp token does not verify (${t.problems.join(', ')})` } });
  if (t.tsaCertificate) {
    const { path, at } = await validateChain(deps, t.tsaCertificate, t.certificates, later, evidence, [SIGNING_OID.kpTimeStamping]);
    const f = pathFinding(path, 'tsa', at !== deps.now);
    if (f) findings.push(f);
  } else {
    findings.push({ sub: 'NO_SIGNING_CERTIFICATE_FOUND', reason: { code: 'TSA_CERTIFICATE_MISSING', message: 'the time-stamp carries no TSA certificate' } });
  }
  const d = decide(findings);
  return {
    kind: t.kind, genTime: t.genTime?.toISOString() ?? null, tsa: certInfo(t.tsaCertificate)?.subject ?? null,
    ...d, reasons: findings.map((f) => f.reason), valid: d.indication === 'TOTAL_PASSED',
  };
}

async function sealResult(deps: ValidationDeps, s: SealAnalysis, at: Date, findings: Finding[], evidence: PdfAnalysis['dss'], label = 'seal'): Promise<SealInfoResult> {
  if (!s.makerSignatureOk) findings.push({ sub: 'SIG_CRYPTO_FAILURE', reason: { code: 'SEAL_MAKER_SIGNATURE_INVALID', message: `the ${label}'s SESeal is not validly signed by its maker` } });
  if (!s.signerInCertList) findings.push({ sub: 'SIG_CONSTRAINTS_FAILURE', reason: { code: 'SEAL_CERT_NOT_IN_CERTLIST', message: `the signing certificate is not one of the ${label}'s certificates (certList): the seal was applied by someone it does not belong to` } });
  if (at.getTime() < s.validStart.getTime() || at.getTime() > s.validEnd.getTime()) {
    findings.push({ sub: 'SIG_CONSTRAINTS_FAILURE', reason: { code: 'SEAL_OUTSIDE_VALIDITY', message: `the ${label} was applied outside its validity (${s.validStart.toISOString()} – ${s.validEnd.toISOString()})` } });
  }
  const maker = await validateChain(deps, s.makerCertificate, [], at, evidence);
  const mf = pathFinding(maker.path, 'seal maker', maker.at !== deps.now);
  if (mf) findings.push(mf);
  const registered = deps.findSeal ? await deps.findSeal(s.esId) : undefined;
  return {
    esId: s.esId, name: s.name, type: s.type,
    image: s.picture.type.toUpperCase() === 'PNG' ? { png: Buffer.from(s.picture.data).toString('base64'), widthMm: s.picture.widthMm, heightMm: s.picture.heightMm } : null,
    maker: certInfo(s.makerCertificate)?.subject ?? null, makerSignatureValid: s.makerSignatureOk, signerInCertList: s.signerInCertList,
    validStart: s.validStart.toISOString(), validEnd: s.validEnd.toISOString(), registered: registered ?? null,
  };
}

const PERMITTED: Record<number, ModificationLevel> = { 1: 'LTA_UPDATES', 2: 'FORM_FILLING', 3: 'ANNOTATIONS' };

function levelOf(sig: SignatureAnalysis, analysis: PdfAnalysis): SignatureResult['level'] {
  if (sig.type !== 'signature' || !sig.cms) return null;
  const ts = sig.timestamps.some((t) => t.kind === 'signature');
  const later = analysis.signatures.filter((x) => x.signedRevision !== null && sig.signedRevision !== null && x.signedRevision > sig.signedRevision);
  const lta = later.some((x) => x.type === 'document-timestamp');
  const lt = analysis.dss.certificates.length > 0 && (analysis.dss.ocsps.length + analysis.dss.crls.length > 0);
  return lta && lt ? 'B-LTA' : lt && ts ? 'B-LT' : ts ? 'B-T' : 'B-B';
}

export async function validateSignatures(analysis: PdfAnalysis, deps: ValidationDeps): Promise<DocumentValidation> {
  const evidence = analysis.dss;
  const certification = analysis.signatures.find((s) => s.docMdp !== undefined);
  const docTimestamps = analysis.signatures.filter((s) => s.type === 'document-timestamp');
  const results: SignatureResult[] = [];
  for (const sig of analysis.signatures) {
    const findings: Finding[] = [];
    const add = (sub: SubIndication, code: string, message: string) => findings.push({ sub, reason: { code, message } });
    // 1. format
    for (const p of sig.formatProblems) add('FORMAT_FAILURE', p.split(':')[0]!, p);
    if (sig.coverage === 'UNCLEAR' && !sig.formatProblems.length) add('FORMAT_FAILURE', 'COVERAGE_UNCLEAR', 'the signed bytes do not end at a revision boundary');
    // 2. integrity
    let intact = false;
    const cms = sig.cms;
    if (sig.type === 'signature') {
      if (!cms && sig.ses) intact = sig.ses.signatureOk && sig.ses.dataHashOk;
      else if (!cms) { if (!findings.length) add('FORMAT_FAILURE', 'CMS_MISSING', 'no CMS signature'); }
      else {
        if (!cms.signerCertificate) add('NO_SIGNING_CERTIFICATE_FOUND', 'SIGNER_CERTIFICATE_NOT_FOUND', 'the CMS does not carry the signing certificate');
        if (!cms.hashOk) add('HASH_FAILURE', 'DIGEST_MISMATCH', 'the signed bytes were changed: their digest is not the signed one');
        if (cms.signerCertificate && !cms.signatureOk) add('SIG_CRYPTO_FAILURE', 'SIGNATURE_INVALID', 'the signature value does not verify with the signing certificate');
        for (const p of cms.problems.filter((x) => ['SIGNING_CERTIFICATE_MISMATCH', 'SIGNING_CERTIFICATE_MISSING', 'CONTENT_TYPE_MISMATCH', 'ATTRIBUTE_MALFORMED', 'SEAL_MALFORMED', 'SES_SIGNATURE_MALFORMED'].includes(x))) add('FORMAT_FAILURE', p, `CMS: ${p}`);
        intact = cms.hashOk && cms.signatureOk;
      }
    } else {
      const t = sig.timestamps[0];
      if (t && !t.imprintOk) add('HASH_FAILURE', 'DIGEST_MISMATCH', 'the time-stamped bytes were changed');
      intact = !!t && t.imprintOk && t.signatureOk;
    }
    // 3. modifications after the signed revision, judged against DocMDP (default: form filling and signing).
    const permitted = certification && certification.signedRevision !== null && sig.signedRevision !== null && certification.signedRevision <= sig.signedRevision
      ? PERMITTED[certification.docMdp!]! : 'FORM_FILLING';
    if (sig.signedRevision !== null && levelRank(sig.modificationLevel) > levelRank(permitted)) {
      const details = analysis.diffs.slice(sig.signedRevision).flatMap((d) => d.findings.filter((f) => levelRank(f.level) > levelRank(permitted)).map((f) => f.reason));
      add('FORMAT_FAILURE', certification ? 'DOCMDP_VIOLATION' : 'MODIFIED_AFTER_SIGNING', `the document was changed after this signature beyond what is permitted (${permitted}): ${details.slice(0, 5).join('; ')}`);
    }
    // 4. time-stamps: a later document time-stamp is proof of existence for the ones before it.
    const laterDocTs = (rev: number | null) => docTimestamps.find((d) => d.signedRevision !== null && rev !== null && d.signedRevision > rev && d.timestamps[0]?.genTime)?.timestamps[0]?.genTime;
    const tsResults: (TimestampResult & { valid: boolean })[] = [];
    let poe: Date | undefined;
    for (const t of sig.timestamps) {
      const r = await timestampResult(deps, t, laterDocTs(sig.signedRevision), evidence);
      tsResults.push(r);
      if (r.valid && t.genTime && t.kind !== 'document' && (!poe || t.genTime < poe)) poe = t.genTime;
      if (!r.valid && sig.type === 'document-timestamp') findings.push({ sub: r.subIndication ?? 'TRY_LATER', reason: r.reasons[0] ?? { code: 'TIMESTAMP_INVALID', message: 'document time-stamp invalid' } });
    }
    if (sig.type === 'document-timestamp' && tsResults[0]?.valid) poe = sig.timestamps[0]!.genTime;
    // 5. the signer's certificate path.
    let signer: CertificateInfo | null = null;
    let chain: string[] = [];
    let revocation: SignatureResult['revocation'] = [];
    if (sig.type === 'signature' && cms?.signerCertificate) {
      signer = certInfo(cms.signerCertificate);
      const { path, at, budgetExhausted } = await validateChain(deps, cms.signerCertificate, [...cms.certificates, ...evidence.certificates], poe, evidence);
      chain = path.chain.map((c) => c.subject);
      revocation = path.revocation.map((r) => ({ serial: r.serial, status: r.status, source: r.source, revokedAt: r.revokedAt?.toISOString() ?? null }));
      const f = pathFinding(path, 'signer', at !== deps.now);
      if (f) findings.push(f);
      if (budgetExhausted && !path.valid) add('NO_CERTIFICATE_CHAIN_FOUND', 'PATH_BUDGET_EXHAUSTED', `more than ${INTERMEDIATE_SIGNATURE_BUDGET} candidate issuers were tried; path building stopped`);
    }
    // 6. the seal, and the GB/T 38540 SES_Signature (dual sealing).
    const when = poe ?? sig.claimedSigningTime ?? deps.now;
    const seal = sig.seal ? await sealResult(deps, sig.seal, when, findings, evidence) : null;
    if (!signer && sig.ses) signer = certInfo(sig.ses.signerCertificate);
    let ses: SignatureResult['ses'] = null;
    if (sig.ses) {
      const sf: Finding[] = [];
      if (!sig.ses.signatureOk) sf.push({ sub: 'SIG_CRYPTO_FAILURE', reason: { code: 'SES_SIGNATURE_INVALID', message: 'the GB/T 38540 signature does not verify' } });
      if (!sig.ses.dataHashOk) sf.push({ sub: 'HASH_FAILURE', reason: { code: 'SES_DATA_HASH_MISMATCH', message: 'the GB/T 38540 signature is not over these bytes' } });
      const sesPoe = sig.ses.timestamp?.signatureOk && sig.ses.timestamp.imprintOk ? sig.ses.timestamp.genTime : poe;
      const p = await validateChain(deps, sig.ses.signerCertificate, [...evidence.certificates], sesPoe, evidence);
      const pf = pathFinding(p.path, 'SES signer', p.at !== deps.now);
      if (pf) sf.push(pf);
      const sesSeal = await sealResult(deps, sig.ses.seal, sesPoe ?? sig.ses.timeInfo, sf, evidence, 'SM2 seal');
      ses = { valid: sf.length === 0, signer: certInfo(sig.ses.signerCertificate), seal: sesSeal, reasons: sf.map((f) => f.reason) };
      findings.push(...sf);
    }
    // 7. order: the signature's time-stamp before any later document time-stamp.
    const later = laterDocTs(sig.signedRevision);
    if (poe && later && later < poe) add('TIMESTAMP_ORDER_FAILURE', 'TIMESTAMP_ORDER', 'a later document time-stamp is dated before this signature\'s time-stamp');
    const d = decide(findings);
    results.push({
      index: sig.index, fieldName: sig.fieldName, type: sig.type, ...d, reasons: findings.map((f) => f.reason), intact,
      coverage: sig.coverage, signedRevision: sig.signedRevision, signer, chain, seal, ses,
      signingTime: (poe ?? sig.claimedSigningTime)?.toISOString() ?? null, signingTimeProven: !!poe,
      timestamps: tsResults, revocation, modificationLevel: sig.modificationLevel, docMdp: sig.docMdp ?? null, level: levelOf(sig, analysis),
    });
  }
  const firstSigned = Math.min(...analysis.signatures.map((s) => s.signedRevision ?? Infinity));
  const modificationLevel = Number.isFinite(firstSigned) ? maxLevel(...analysis.diffs.slice(firstSigned).map((x) => x.level)) : 'NONE';
  const docFindings: Finding[] = results.filter((r) => r.indication !== 'TOTAL_PASSED').map((r) => ({ sub: r.subIndication!, reason: r.reasons[0]! }));
  if (results.length === 0) docFindings.push({ sub: 'FORMAT_FAILURE', reason: { code: 'NO_SIGNATURES', message: 'the document carries no signature' } });
  const doc = results.length === 0 ? { indication: 'INDETERMINATE' as const, subIndication: 'FORMAT_FAILURE' as const } : decide(docFindings);
  return deepFreeze({
    ...doc, signatures: results, modificationLevel, revisions: analysis.revisions.length, structureProblems: analysis.structureProblems,
    modifications: analysis.diffs.map((x, i) => ({ revision: i + 1, level: x.level, findings: x.findings.map((f) => f.reason) })),
    validationTime: deps.now.toISOString(),
  });
}

export { certificateToPem };
export type { Reason };
