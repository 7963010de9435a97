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
import type { FastifyInstance, FastifyRequest } from 'fastify';
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
  // Removed once the response is sent or the request aborted (see `cleanupTempBodies`).
  (request as FastifyRequest & { [TEMP_DIRS]?: string[] })[TEMP_DIRS] = [...((request as FastifyRequest & { [TEMP_DIRS]?: string[] })[TEMP_DIRS] ?? []), dir];
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

const TEMP_DIRS = Symbol('kexin temp bodies');

/** Hooks that delete a request's temp bodies once its response has been sent (or it was aborted). */
export function cleanupTempBodies(app: FastifyInstance): void {
  const clean = async (request: FastifyRequest) => {
    for (const dir of (request as FastifyRequest & { [TEMP_DIRS]?: string[] })[TEMP_DIRS] ?? []) rmSync(dir, { recursive: true, force: true });
  };
  app.addHook('onResponse', clean);
  app.addHook('onRequestAbort', clean);
}
