/** Storage of encrypted face templates (table `face_templates`). */
import type pg from 'pg';
import type { Tx } from '../db/transaction.ts';
import { faceErrors } from './faceErrors.ts';
import type { SealedTemplate, TemplateCipher } from './templateCipher.ts';

export interface TemplateStore {
  /** Upserts inside the caller's transaction; true when a template was replaced. */
  store(tx: Tx, subjectId: string, sealed: SealedTemplate, model: string, at: Date): Promise<boolean>;
  /** The decrypted embedding, or undefined when none is enrolled. */
  load(subjectId: string, db?: pg.Pool | Tx): Promise<Float32Array | undefined>;
}

export function createTemplateStore(deps: { readonly pool: pg.Pool; readonly cipher: TemplateCipher }): TemplateStore {
  const store: TemplateStore = {
    async store(tx, subjectId, sealed, model, at) {
      const res = await tx.query<{ replaced: boolean }>(
        `INSERT INTO face_templates (subject_id, key_id, iv, ciphertext, tag, model, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (subject_id) DO UPDATE SET key_id = EXCLUDED.key_id, iv = EXCLUDED.iv, ciphertext = EXCLUDED.ciphertext,
           tag = EXCLUDED.tag, model = EXCLUDED.model, updated_at = EXCLUDED.updated_at
         RETURNING (xmax <> 0) AS replaced`,
        [subjectId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.tag, model, at],
      );
      return res.rows[0]!.replaced;
    },
    async load(subjectId, db = deps.pool) {
      const row = (await db.query<{ key_id: string; iv: Buffer; ciphertext: Buffer; tag: Buffer }>(
        'SELECT key_id, iv, ciphertext, tag FROM face_templates WHERE subject_id = $1', [subjectId])).rows[0];
      if (!row) return undefined;
      try {
        return deps.cipher.open(subjectId, { keyId: row.key_id, iv: row.iv, ciphertext: row.ciphertext, tag: row.tag });
      } catch (err) {
        throw Object.assign(faceErrors.templateUndecryptable(), { cause: err });
      }
    },
  };
  return Object.freeze(store);
}
