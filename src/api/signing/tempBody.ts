/**
 * Large request bodies (PDFs and files to seal or verify, up to `limit` bytes) go to a temporary file
 * as they arrive, never into memory; the file is removed when the response has been sent. Over the
 * limit → 413 at once (Content-Length) or as soon as the count passes it.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { KexinError } from '../../errors.ts';

export interface TempBody {
  readonly path: string;
  readonly size: number;
}

const tooLarge = (limit: number) => new KexinError('REQUEST_TOO_LARGE', `the body exceeds ${limit} bytes`, 413);

export async function bodyToTempFile(request: FastifyRequest, payload: Readable, limit: number): Promise<TempBody> {
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  const dir = mkdtempSync(join(tmpdir(), 'kexin-body-'));
  const path = join(dir, 'body');
  // Removed whatever happens to the request or response.
  request.raw.once('close', () => setTimeout(() => rmSync(dir, { recursive: true, force: true }), 0).unref());
  request.server.log.trace?.({ path }, 'request body to temp file');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(size > limit ? tooLarge(limit) : null, chunk);
    },
  });
  try {
    await pipeline(payload, counter, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (err instanceof KexinError) throw err;
    throw new KexinError('REQUEST_INVALID', 'the request body could not be read', 400);
  }
  return { path, size };
}

/** Deletes a temp body's directory (also done when the request closes). */
export function removeTempBody(body: TempBody | undefined): void {
  if (body) rmSync(join(body.path, '..'), { recursive: true, force: true });
}
