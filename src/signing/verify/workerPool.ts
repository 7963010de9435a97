/**
 * A small pool of worker threads for PDF analysis, with an admission limit: when every worker is busy
 * and the queue is full the caller gets `VERIFY_BUSY` (503 + Retry-After) at once, instead of waiting
 * in an unbounded queue. A task that runs past its time budget has its worker terminated (and
 * replaced) and fails with `VERIFY_TIMEOUT`.
 */
import { Worker } from 'node:worker_threads';
import { KexinError } from '../../errors.ts';
import { sealErrors } from '../errors.ts';
import type { PdfAnalysis } from './analyzePdf.ts';

export interface AnalyzePool {
  analyze(input: { path: string } | { bytes: Uint8Array }): Promise<PdfAnalysis>;
  close(): Promise<void>;
}

export interface PoolOptions {
  readonly workers?: number;
  readonly queue?: number;
  /** Per document. */
  readonly timeoutMs?: number;
}

interface Task { id: number; input: { path: string } | { bytes: Uint8Array }; resolve: (a: PdfAnalysis) => void; reject: (e: unknown) => void }

export function createAnalyzePool(opts: PoolOptions = {}): AnalyzePool {
  const size = opts.workers ?? 1;
  const maxQueue = opts.queue ?? 8;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const url = new URL('./analyzeWorker.ts', import.meta.url);
  const queue: Task[] = [];
  let nextId = 1;
  let closed = false;
  interface Slot { worker: Worker; task?: Task; timer?: NodeJS.Timeout }
  const slots: Slot[] = [];

  const spawn = (): Slot => {
    const slot: Slot = { worker: new Worker(url) };
    slot.worker.unref();
    slot.worker.on('message', (m: { id: number; analysis?: PdfAnalysis; error?: string; message?: string }) => {
      const t = slot.task;
      if (!t || t.id !== m.id) return;
      clearTimeout(slot.timer);
      slot.task = undefined;
      if (m.analysis) t.resolve(m.analysis);
      else if (m.error === 'unreadable') t.reject(new KexinError('VERIFY_PDF_UNREADABLE', `the file is not a readable PDF: ${m.message}`, 422));
      else t.reject(new KexinError('VERIFY_FAILED', 'the document could not be analysed', 500));
      pump();
    });
    slot.worker.on('error', () => replace(slot, new KexinError('VERIFY_FAILED', 'the document could not be analysed', 500)));
    return slot;
  };
  const replace = (slot: Slot, err: unknown) => {
    clearTimeout(slot.timer);
    const t = slot.task;
    slot.task = undefined;
    void slot.worker.terminate();
    const i = slots.indexOf(slot);
    if (i >= 0 && !closed) slots[i] = spawn();
    t?.reject(err);
    pump();
  };
  const pump = () => {
    for (const slot of slots) {
      if (slot.task || queue.length === 0) continue;
      const t = queue.shift()!;
      slot.task = t;
      slot.timer = setTimeout(() => replace(slot, new KexinError('VERIFY_TIMEOUT', 'the document took too long to analyse', 422)), timeoutMs);
      slot.worker.postMessage({ id: t.id, ...t.input });
    }
  };
  for (let i = 0; i < size; i++) slots.push(spawn());

  return {
    analyze(input) {
      if (closed) return Promise.reject(new TypeError('pool closed'));
      const busy = slots.every((s) => s.task);
      if (busy && queue.length >= maxQueue) return Promise.reject(sealErrors.busy());
      return new Promise<PdfAnalysis>((resolve, reject) => {
        queue.push({ id: nextId++, input, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const t of queue.splice(0)) t.reject(new TypeError('pool closed'));
      await Promise.all(slots.map((s) => { clearTimeout(s.timer); return s.worker.terminate(); }));
    },
  };
}
