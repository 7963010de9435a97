/**
 * Prometheus metrics (`prom-client`), in a module every layer may import (crypto, db, the domain
 * modules, the HTTP edge) without importing `src/api`. One registry per process; `GET /metrics` and the
 * optional metrics listener expose it. Helpers are typed and keep label values bounded: a label fed
 * from data (a key label, a queue name) accepts `MAX_LABEL_VALUES` distinct values, then reads `other`,
 * so a stream of new seal keys cannot grow the series without bound.
 */
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The process's metrics. */
export const metricsRegistry = new Registry();
// Process and Node.js runtime metrics (CPU, memory, event-loop delay, GC) under their usual names.
collectDefaultMetrics({ register: metricsRegistry });

/**
 * In a `node:cluster` worker: answer the primary's requests for this process's metrics (prom-client's
 * cluster protocol over the IPC channel), so one scrape of the primary sees every worker.
 */
export function answerClusterMetricsRequests(): void {
  AggregatorRegistry.setRegistries([metricsRegistry]);
  new AggregatorRegistry();
}

/** In the cluster primary: every worker's metrics, summed (histograms and counters) per series. */
export function clusterMetrics(): { readonly collect: () => Promise<string>; readonly contentType: string } {
  const aggregator = new AggregatorRegistry();
  return { collect: () => aggregator.clusterMetrics(), contentType: aggregator.contentType };
}

/** Distinct values one data-fed label may take before further ones are counted as `other`. */
export const MAX_LABEL_VALUES = 100;

const seenLabelValues = new Map<string, Set<string>>();

/** `value`, or `other` once `label` already has `MAX_LABEL_VALUES` distinct values. */
export function boundedLabel(label: string, value: string): string {
  let seen = seenLabelValues.get(label);
  if (!seen) seenLabelValues.set(label, (seen = new Set()));
  if (seen.has(value)) return value;
  if (seen.size >= MAX_LABEL_VALUES) return 'other';
  seen.add(value);
  return value;
}

// --- HTTP -------------------------------------------------------------------------------------

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

const httpDuration = new Histogram({
  name: 'kexin_http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern and status: rate from _count, latency from the buckets',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

/**
 * One answered request. `route` is the route's pattern (`/pki/certificates/:serial`), never the raw URL;
 * requests that matched no route are `unmatched`.
 */
export function observeHttpRequest(method: string, route: string | undefined, status: number, seconds: number): void {
  httpDuration.observe({ method: HTTP_METHODS.has(method) ? method : 'OTHER', route: route ?? 'unmatched', status: String(status) }, seconds);
}

// --- Signatures -------------------------------------------------------------------------------

/** What a signature is for; the key store counts every signature under one of these. */
export type SignaturePurpose =
  | 'certificate' | 'crl' | 'ocsp' | 'timestamp' | 'ca' | 'seal' | 'token' | 'ecard' | 'audit-checkpoint' | 'unspecified';

const signatures = new Counter({
  name: 'kexin_signatures_total',
  help: 'Signatures made by the key store, by key label, purpose and scheme (failed attempts have outcome="error")',
  labelNames: ['key', 'purpose', 'scheme', 'outcome'] as const,
  registers: [metricsRegistry],
});

const signatureDuration = new Histogram({
  name: 'kexin_signature_duration_seconds',
  help: 'Time to sign, by purpose and scheme (HSM round trips show here)',
  labelNames: ['purpose', 'scheme'] as const,
  buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [metricsRegistry],
});

export function observeSignature(keyLabel: string, purpose: SignaturePurpose, scheme: string, ok: boolean, seconds: number): void {
  signatures.inc({ key: boundedLabel('key', keyLabel), purpose, scheme, outcome: ok ? 'ok' : 'error' });
  if (ok) signatureDuration.observe({ purpose, scheme }, seconds);
}

// --- Queues and group commit ------------------------------------------------------------------

const queueDepth = new Gauge({
  name: 'kexin_queue_depth',
  help: 'Work waiting in a queue (group commits, face evaluation, …)',
  labelNames: ['queue'] as const,
  registers: [metricsRegistry],
});

/** The current length of the queue `name`. */
export function setQueueDepth(name: string, depth: number): void {
  queueDepth.set({ queue: boundedLabel('queue', name) }, depth);
}

const groupCommitBatch = new Histogram({
  name: 'kexin_group_commit_batch_size',
  help: 'Writes committed together in one transaction, by group commit',
  labelNames: ['name'] as const,
  buckets: [1, 2, 4, 8, 16, 32, 64, 128],
  registers: [metricsRegistry],
});

const groupCommitFallbacks = new Counter({
  name: 'kexin_group_commit_batch_failures_total',
  help: 'Batches that failed as a whole and were retried one write per transaction',
  labelNames: ['name'] as const,
  registers: [metricsRegistry],
});

export function observeGroupCommitBatch(name: string, size: number): void {
  groupCommitBatch.observe({ name: boundedLabel('queue', name) }, size);
}

export function countGroupCommitFallback(name: string): void {
  groupCommitFallbacks.inc({ name: boundedLabel('queue', name) });
}

// --- Face decisions ---------------------------------------------------------------------------

/** Which face decision: a 1:1 match, a passive liveness read, or a whole challenge session. */
export type FaceDecisionKind = 'verify' | 'liveness' | 'session';

const faceDecisions = new Counter({
  name: 'kexin_face_decisions_total',
  help: 'Face decisions by kind and outcome',
  labelNames: ['kind', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** One face decision; `outcome` is a short fixed word (`match`, `no_match`, `passed`, `failed`, `expired`, …). */
export function countFaceDecision(kind: FaceDecisionKind, outcome: string): void {
  faceDecisions.inc({ kind, outcome: boundedLabel('face-outcome', outcome) });
}
