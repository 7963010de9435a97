/** SQL for seals. Only the seal service calls it; other modules call the service. */
import type pg from 'pg';
import type { Tx } from '../../db/transaction.ts';
import type { SealKind } from './sealKinds.ts';

export type SealStatus = 'active' | 'suspended' | 'cancelled';
export type SealAlgorithm = 'ECDSA' | 'SM2';

export interface SealKey {
  /** `cms`: the ECDSA key for PAdES/CAdES/JWS; `sm2`: the SM2 key for GB/T 38540 SES_Signature. */
  readonly role: 'cms' | 'sm2';
  readonly keyId: string;
  readonly serial: string;
}

export interface SealRecord {
  readonly id: string;
  readonly esId: string;
  readonly kind: SealKind;
  readonly name: string;
  readonly owner: { readonly name: string; readonly creditCode: string };
  readonly holderName: string | null;
  readonly algorithm: SealAlgorithm;
  readonly status: SealStatus;
  readonly image: { readonly png: Uint8Array; readonly widthMm: number; readonly heightMm: number };
  readonly seseal: Uint8Array;
  readonly keys: readonly SealKey[];
  /** DER certificates in the order of `keys`. */
  readonly certificates: readonly Uint8Array[];
  /** The issuing CA's chain up to the root (DER). */
  readonly chain: readonly Uint8Array[];
  readonly validStart: Date;
  readonly validEnd: Date;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly statusChangedAt: Date;
}

const COLUMNS = `id, es_id, kind, name, owner_name, owner_credit_code, holder_name, algorithm, status, image_png, image_width_mm,
  image_height_mm, seseal, keys, certificates, chain, valid_start, valid_end, created_by, created_at, status_changed_at`;

type Row = Record<string, any>;

function record(r: Row): SealRecord {
  return Object.freeze({
    id: r.id, esId: r.es_id, kind: r.kind, name: r.name, owner: Object.freeze({ name: r.owner_name, creditCode: r.owner_credit_code }),
    holderName: r.holder_name, algorithm: r.algorithm, status: r.status,
    image: Object.freeze({ png: new Uint8Array(r.image_png), widthMm: r.image_width_mm, heightMm: r.image_height_mm }),
    seseal: new Uint8Array(r.seseal), keys: Object.freeze(r.keys as SealKey[]),
    certificates: Object.freeze((r.certificates as Buffer[]).map((c) => new Uint8Array(c))),
    chain: Object.freeze((r.chain as Buffer[]).map((c) => new Uint8Array(c))),
    validStart: r.valid_start, validEnd: r.valid_end, createdBy: r.created_by, createdAt: r.created_at, statusChangedAt: r.status_changed_at,
  });
}

export async function nextEsSerial(q: pg.Pool | Tx): Promise<number> {
  return Number((await q.query<{ n: string }>("SELECT nextval('seal_es_serial') AS n")).rows[0]!.n);
}

export async function insertSeal(tx: Tx, s: SealRecord): Promise<void> {
  await tx.query(`INSERT INTO seals (${COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)`, [
    s.id, s.esId, s.kind, s.name, s.owner.name, s.owner.creditCode, s.holderName, s.algorithm, s.status, Buffer.from(s.image.png),
    s.image.widthMm, s.image.heightMm, Buffer.from(s.seseal), JSON.stringify(s.keys), s.certificates.map((c) => Buffer.from(c)),
    s.chain.map((c) => Buffer.from(c)), s.validStart, s.validEnd, s.createdBy, s.createdAt, s.statusChangedAt,
  ]);
}

export async function getSeal(q: pg.Pool | Tx, id: string, opts: { forUpdate?: boolean } = {}): Promise<SealRecord | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const r = await q.query(`SELECT ${COLUMNS} FROM seals WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? record(r.rows[0]) : undefined;
}

export async function getSealByEsId(q: pg.Pool | Tx, esId: string): Promise<SealRecord | undefined> {
  const r = await q.query(`SELECT ${COLUMNS} FROM seals WHERE es_id = $1`, [esId]);
  return r.rows[0] ? record(r.rows[0]) : undefined;
}

export async function setSealStatus(tx: Tx, id: string, status: SealStatus, at: Date): Promise<void> {
  await tx.query('UPDATE seals SET status = $2, status_changed_at = $3 WHERE id = $1', [id, status, at]);
}
