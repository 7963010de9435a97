/**
 * The face service: one-shot decisions (verify, passive liveness), template enrolment, and the
 * challenge sessions (sessions.ts). Domain code only — no Fastify types. Every decision is written to
 * the audit log (scores, thresholds, reason codes; never images or embeddings; subject ids masked).
 */
import { appendAudit } from '../audit/auditLog.ts';
import { withTransaction, type Tx } from '../db/transaction.ts';
import { countFaceDecision } from '../observability/metrics.ts';
import type { CompareResult, FaceAnalysis } from './faceEngine.ts';
import { faceErrors } from './faceErrors.ts';
import { maskSubject } from './maskSubject.ts';
import type { QualityReport } from './quality.ts';
import { createSessionService, type SessionDeps, type SessionService } from './sessions.ts';
import type { TemplateCipher } from './templateCipher.ts';
import { createTemplateStore, type TemplateStore } from './templates.ts';

/** What the session layer needs, except the template store this service builds from `cipher`. */
export interface FaceServiceDeps extends Omit<SessionDeps, 'templates'> {
  readonly cipher: TemplateCipher;
}

/** A quality report as the API shows it. */
export interface QualitySummary {
  readonly passed: boolean;
  readonly reasons: readonly { readonly code: string; readonly value: number; readonly threshold: number }[];
}

export interface VerifyReason {
  readonly image: 'probe' | 'reference';
  /** `NO_FACE`, `MULTIPLE_FACES`, `NO_EMBEDDING` or a quality reason code. */
  readonly code: string;
  readonly value?: number;
  readonly threshold?: number;
}

/** Outcome of a 1:1 comparison. */
export interface VerifyResult {
  readonly match: boolean;
  /** Cosine similarity; null when either side has no usable face. */
  readonly score: number | null;
  readonly threshold: number;
  readonly quality: { readonly probe: QualitySummary | null; readonly reference: QualitySummary | null };
  readonly reasons: readonly VerifyReason[];
}

export interface PassiveResult {
  readonly live: boolean;
  readonly score: number | null;
  readonly threshold: number;
  readonly reasons: readonly { readonly code: string; readonly value?: number; readonly threshold?: number }[];
}

/** A reference template computed from a photo, not yet stored (see `prepareTemplate`). */
export interface PreparedTemplate {
  readonly embedding: Float32Array;
  readonly quality: QualitySummary;
}

export interface EnrolResult {
  readonly subjectId: string;
  readonly enrolled: true;
  readonly quality: QualitySummary;
  readonly replaced: boolean;
}

export type VerifyInput =
  | { readonly probe: Uint8Array; readonly reference: Uint8Array; readonly subjectId?: undefined }
  | { readonly probe: Uint8Array; readonly subjectId: string; readonly reference?: undefined };

export interface FaceService {
  verify(input: VerifyInput, actor: string): Promise<VerifyResult>;
  enrolTemplate(input: { readonly subjectId: string; readonly image: Uint8Array }, actor: string): Promise<EnrolResult>;
  /** The enrolment in two steps, for callers that enrol inside their own transaction: inference first (no transaction open)… */
  prepareTemplate(image: Uint8Array): Promise<PreparedTemplate>;
  /** …then the encrypted store and its audit row, in the caller's transaction. */
  storeTemplate(tx: Tx, subjectId: string, prepared: PreparedTemplate, actor: string): Promise<EnrolResult>;
  passiveLiveness(image: Uint8Array, actor: string): Promise<PassiveResult>;
  readonly sessions: SessionService;
  readonly templates: TemplateStore;
}

export const finiteOrNull = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function qualitySummary(q: QualityReport | null): QualitySummary | null {
  if (!q) return null;
  return { passed: q.ok, reasons: q.reasons.map((r) => ({ code: r.code, value: r.value, threshold: r.threshold })) };
}

/** The engine's pair comparison in the API's terms (`a` = probe, `b` = reference). */
export function verifyResultFromCompare(r: CompareResult): VerifyResult {
  return {
    match: r.match,
    score: finiteOrNull(r.score),
    threshold: r.threshold,
    quality: { probe: qualitySummary(r.quality.a), reference: qualitySummary(r.quality.b) },
    reasons: r.reasons.map((x) => ({ image: x.image === 'a' ? 'probe' as const : 'reference' as const, code: x.code, value: x.value, threshold: x.threshold })),
  };
}

function analysisReasons(image: 'probe' | 'reference', a: FaceAnalysis): VerifyReason[] {
  if (a.status !== 'OK') return [{ image, code: a.status }];
  const out: VerifyReason[] = (a.quality?.reasons ?? []).map((r) => ({ image, code: r.code, value: r.value, threshold: r.threshold }));
  if (!a.embedding) out.push({ image, code: 'NO_EMBEDDING' });
  return out;
}

export function createFaceService(deps: FaceServiceDeps): FaceService {
  const { engine, pool, clock } = deps;
  const templates = createTemplateStore({ pool, cipher: deps.cipher });
  const sessions = createSessionService({ ...deps, templates });
  const audit = (actor: string, action: string, subject: string | undefined, details: Record<string, unknown>) =>
    withTransaction(pool, (tx) => appendAudit(tx, { actor, action, subject, details }, clock));

  async function verify(input: VerifyInput, actor: string): Promise<VerifyResult> {
    const threshold = engine.thresholds.match;
    let result: VerifyResult;
    if (input.subjectId !== undefined) {
      const template = await templates.load(input.subjectId);
      if (!template) throw faceErrors.templateNotFound();
      const probe = await engine.analyze(input.probe);
      const reasons = analysisReasons('probe', probe);
      const score = probe.embedding ? engine.similarity(probe.embedding, template) : null;
      result = { match: score !== null && reasons.length === 0 && score >= threshold, score: finiteOrNull(score), threshold, quality: { probe: qualitySummary(probe.quality), reference: null }, reasons };
    } else {
      const [a, b] = await Promise.all([engine.analyze(input.probe), engine.analyze(input.reference)]);
      result = verifyResultFromCompare(await engine.compare(a, b));
    }
    await audit(actor, 'face.verify', input.subjectId !== undefined ? `subject:${maskSubject(input.subjectId)}` : undefined, {
      mode: input.subjectId !== undefined ? 'template' : 'pair',
      match: result.match, score: result.score, threshold: result.threshold,
      reasons: result.reasons.map((r) => `${r.image}:${r.code}`), model: deps.modelId,
    });
    countFaceDecision('verify', result.match ? 'match' : 'no_match');
    return Object.freeze(result);
  }

  async function prepareTemplate(image: Uint8Array): Promise<PreparedTemplate> {
    const a = await engine.analyze(image);
    const reasons = analysisReasons('probe', a);
    if (reasons.length || !a.embedding || !a.quality) throw faceErrors.templateQuality(reasons);
    return Object.freeze({ embedding: Float32Array.from(a.embedding), quality: qualitySummary(a.quality)! });
  }

  async function storeTemplate(tx: Tx, subjectId: string, prepared: PreparedTemplate, actor: string): Promise<EnrolResult> {
    const sealed = deps.cipher.seal(subjectId, prepared.embedding);
    const replaced = await templates.store(tx, subjectId, sealed, deps.modelId, clock.now());
    await appendAudit(tx, {
      actor, action: 'face.template.enrol', subject: `subject:${maskSubject(subjectId)}`,
      details: { replaced, keyId: sealed.keyId, model: deps.modelId, quality: { passed: prepared.quality.passed } },
    }, clock);
    return Object.freeze({ subjectId, enrolled: true as const, quality: prepared.quality, replaced });
  }

  async function enrolTemplate(input: { readonly subjectId: string; readonly image: Uint8Array }, actor: string): Promise<EnrolResult> {
    const prepared = await prepareTemplate(input.image);
    return withTransaction(pool, (tx) => storeTemplate(tx, input.subjectId, prepared, actor));
  }

  async function passiveLiveness(image: Uint8Array, actor: string): Promise<PassiveResult> {
    const a = await engine.analyze(image, { passive: true, embed: false });
    const threshold = engine.thresholds.passiveLive;
    const result: PassiveResult = a.status !== 'OK' || !a.passive
      ? { live: false, score: null, threshold, reasons: [{ code: a.status === 'OK' ? 'NO_PASSIVE_RESULT' : a.status }] }
      : { live: a.passive.live, score: finiteOrNull(a.passive.score), threshold: a.passive.threshold, reasons: a.passive.reasons.map((r) => ({ code: r.code, value: r.value, threshold: r.threshold })) };
    await audit(actor, 'face.liveness.passive', undefined, { live: result.live, score: result.score, threshold: result.threshold, reasons: result.reasons.map((r) => r.code), model: deps.modelId });
    countFaceDecision('liveness', result.live ? 'live' : 'not_live');
    return Object.freeze(result);
  }

  return Object.freeze({ verify, enrolTemplate, prepareTemplate, storeTemplate, passiveLiveness, sessions, templates });
}
