/**
 * The registry of sealed documents (用印登记): what was sealed, by which seals, at which level, with
 * the digests of the input and of the sealed result; the sealed file itself when asked, in 1 MB chunks
 * written in the same transaction as the record and its audit row.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Tx } from '../../db/transaction.ts';

export type DocumentFormat = 'pdf' | 'cades' | 'gbt38540' | 'jws';

export interface SealedDocument {
  readonly id: string;
  /** Short verification code printed on the document (Crockford base32, 80 bits). */
  readonly code: string;
  readonly format: DocumentFormat;
  readonly level: string;
  readonly sealIds: readonly string[];
  readonly esIds: readonly string[];
  readonly inputSha256: Uint8Array;
  readonly inputLength: number;
  readonly outputSha256: Uint8Array;
  readonly outputLength: number;
  readonly kept: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly archiveTimestampAt: Date | null;
  readonly archiveExpiresAt: Date | null;
  readonly renewals: number;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 16 Crockford base32 characters (80 random bits), grouped XXXX-XXXX-XXXX-XXXX. */
export function newVerificationCode(): string {
  const b = randomBytes(10);
  let bits = 0n;
  for (const x of b) bits = (bits << 8n) | BigInt(x);
  let s = '';
  for (let i = 0; i < 16; i++) s = CROCKFORD[Number((bits >> BigInt(5 * i)) & 31n)] + s;
  return s.match(/.{4}/g)!.join('-');
}

/** A typed code, normalised (case, O→0, I/L→1, separators), or undefined. */
export function normaliseCode(input: string): string | undefined {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (!/^[0-9A-HJKMNP-TV-Z]{16}$/.test(s)) return undefined;
  return s.match(/.{4}/g)!.join('-');
}

const COLUMNS = 'id, code, format, level, seal_ids, es_ids, input_sha256, input_length, output_sha256, output_length, kept, created_by, created_at, archive_timestamp_at, archive_expires_at, renewals';

function record(r: Record<string, any>): SealedDocument {
  return Object.freeze({
    id: r.id, code: r.code, format: r.format, level: r.level, sealIds: r.seal_ids, esIds: r.es_ids,
    inputSha256: new Uint8Array(r.input_sha256), inputLength: Number(r.input_length),
    outputSha256: new Uint8Array(r.output_sha256), outputLength: Number(r.output_length), kept: r.kept,
    createdBy: r.created_by, createdAt: r.created_at, archiveTimestampAt: r.archive_timestamp_at, archiveExpiresAt: r.archive_expires_at, renewals: r.renewals,
  });
}

export async function insertDocument(tx: Tx, d: SealedDocument): Promise<void> {
  await tx.query(`INSERT INTO sealed_documents (${COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`, [
    d.id, d.code, d.format, d.level, d.sealIds, d.esIds, Buffer.from(d.inputSha256), d.inputLength, Buffer.from(d.outputSha256), d.outputLength,
    d.kept, d.createdBy, d.createdAt, d.archiveTimestampAt, d.archiveExpiresAt, d.renewals,
  ]);
}

export const CHUNK_BYTES = 1024 * 1024;

/** Writes the file as chunks (replacing any previous ones), reading it piece by piece. */
export async function storeFile(tx: Tx, id: string, length: number, read: (pos: number, len: number) => Uint8Array): Promise<void> {
  await tx.query('DELETE FROM sealed_document_chunks WHERE document_id = $1', [id]);
  for (let seq = 0, pos = 0; pos < length; seq++, pos += CHUNK_BYTES) {
    await tx.query('INSERT INTO sealed_document_chunks (document_id, seq, data) VALUES ($1, $2, $3)', [id, seq, Buffer.from(read(pos, Math.min(CHUNK_BYTES, length - pos)))]);
  }
}

export async function getDocument(q: pg.Pool | Tx, idOrCode: string, opts: { forUpdate?: boolean } = {}): Promise<SealedDocument | undefined> {
  const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrCode);
  const code = byId ? undefined : normaliseCode(idOrCode);
  if (!byId && !code) return undefined;
  const r = await q.query(`SELECT ${COLUMNS} FROM sealed_documents WHERE ${byId ? 'id' : 'code'} = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [byId ? idOrCode.toLowerCase() : code]);
  return r.rows[0] ? record(r.rows[0]) : undefined;
}

/** The kept file's chunks, in order, one query each (memory: one chunk at a time). */
export async function* readFileChunks(pool: pg.Pool, id: string): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq++) {
    const r = await pool.query<{ data: Buffer }>('SELECT data FROM sealed_document_chunks WHERE document_id = $1 AND seq = $2', [id, seq]);
    if (!r.rows[0]) return;
    yield r.rows[0].data;
  }
}

/** Documents whose newest archive time-stamp expires before `before` (kept B-LTA files only). */
export async function documentsDueForRenewal(pool: pg.Pool, before: Date, limit = 100): Promise<string[]> {
  const r = await pool.query<{ id: string }>('SELECT id FROM sealed_documents WHERE kept AND archive_expires_at IS NOT NULL AND archive_expires_at < $1 ORDER BY archive_expires_at LIMIT $2', [before, limit]);
  return r.rows.map((x) => x.id);
}

export async function recordRenewal(tx: Tx, id: string, outputSha256: Uint8Array, outputLength: number, at: Date, expires: Date | null): Promise<void> {
  await tx.query('UPDATE sealed_documents SET output_sha256 = $2, output_length = $3, archive_timestamp_at = $4, archive_expires_at = $5, renewals = renewals + 1 WHERE id = $1', [id, Buffer.from(outputSha256), outputLength, at, expires]);
}
