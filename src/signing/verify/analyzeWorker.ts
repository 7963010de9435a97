/**
 * Worker-thread entry: analyses one PDF (a file path, or bytes) and posts the plain-data result, so
 * parsing and hashing a large or hostile document never blocks the service's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { analyzePdf, PdfUnreadable } from './analyzePdf.ts';
import { bufferSource, fileSource, type ByteSource } from '../pdf/source.ts';

/** Copies every byte view so posting it does not drag whole file buffers along. */
function compact(v: unknown, depth = 0): unknown {
  if (depth > 64) return v;
  if (v instanceof Uint8Array) return v.slice();
  if (v instanceof Date || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => compact(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = compact(x, depth + 1);
  return out;
}

parentPort!.on('message', (task: { id: number; path?: string; bytes?: Uint8Array }) => {
  let src: ByteSource | undefined;
  try {
    src = task.path ? fileSource(task.path) : bufferSource(task.bytes!);
    const analysis = analyzePdf(src);
    parentPort!.postMessage({ id: task.id, analysis: compact(analysis) });
  } catch (e) {
    const unreadable = e instanceof PdfUnreadable;
    parentPort!.postMessage({ id: task.id, error: unreadable ? 'unreadable' : 'internal', message: unreadable ? e.message : 'the document could not be analysed' });
  } finally {
    src?.close();
  }
});
