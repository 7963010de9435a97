/**
 * The CA's rows. Every function takes the caller's client: inside a transaction, only that
 * transaction's client may be used.
 */
import type pg from 'pg';
import type { KeyAlgorithm } from '../crypto/keyStore.ts';
import { multiRowValues } from '../db/multiRowValues.ts';

type Q = Pick<pg.PoolClient, 'query'> | pg.Pool;

export interface CaRecord {
  readonly id: string;
  readonly name: string;
  readonly algorithm: KeyAlgorithm;
  readonly role: 'root' | 'issuing';
  readonly parentId: string | null;
  readonly keyId: string;
  readonly state: 'pending' | 'active';
  readonly certificate: Uint8Array | null;
  readonly csr: Uint8Array | null;
  /** DER certificates above this CA up to its root, for externally rooted CAs. */
  readonly externalChain: readonly Uint8Array[];
}

export type CertificateStatus = 'valid' | 'revoked' | 'hold';

export interface CertificateRecord {
  readonly serial: string;
  readonly caId: string;
  readonly profile: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly der: Uint8Array | null;
  readonly status: CertificateStatus;
  readonly revokedAt: Date | null;
  readonly revocationReason: string | null;
  readonly issuedAt: Date;
}

const u8 = (b: Buffer | null) => (b ? new Uint8Array(b) : null);

function toCa(r: any): CaRecord {
  return Object.freeze({
    id: r.id, name: r.name, algorithm: r.algorithm, role: r.role, parentId: r.parent_id, keyId: r.key_id, state: r.state,
    certificate: u8(r.certificate), csr: u8(r.csr), externalChain: (r.external_chain ?? []).map((b: Buffer) => new Uint8Array(b)),
  });
}

function toCert(r: any): CertificateRecord {
  return Object.freeze({
    serial: r.serial, caId: r.ca_id, profile: r.profile, subject: r.subject, notBefore: r.not_before, notAfter: r.not_after,
    der: u8(r.der), status: r.status, revokedAt: r.revoked_at, revocationReason: r.revocation_reason, issuedAt: r.issued_at,
  });
}

export async function listCas(q: Q): Promise<CaRecord[]> {
  return (await q.query('SELECT * FROM ca_authorities ORDER BY created_at, id')).rows.map(toCa);
}

export async function getCa(q: Q, id: string, opts: { forUpdate?: boolean } = {}): Promise<CaRecord | undefined> {
  const r = (await q.query(`SELECT * FROM ca_authorities WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id])).rows[0];
  return r ? toCa(r) : undefined;
}

export async function insertCa(q: Q, ca: CaRecord, at: Date): Promise<void> {
  await q.query(
    `INSERT INTO ca_authorities (id, name, algorithm, role, parent_id, key_id, state, certificate, csr, external_chain, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [ca.id, ca.name, ca.algorithm, ca.role, ca.parentId, ca.keyId, ca.state, ca.certificate && Buffer.from(ca.certificate), ca.csr && Buffer.from(ca.csr), ca.externalChain.map((c) => Buffer.from(c)), at],
  );
}

export async function activateCa(q: Q, id: string, certificate: Uint8Array, externalChain: readonly Uint8Array[]): Promise<void> {
  await q.query(`UPDATE ca_authorities SET state = 'active', certificate = $2, external_chain = $3 WHERE id = $1 AND state = 'pending'`,
    [id, Buffer.from(certificate), externalChain.map((c) => Buffer.from(c))]);
}

/** A newly signed certificate's row. */
export type NewCertificate = Omit<CertificateRecord, 'status' | 'revokedAt' | 'revocationReason'> & { readonly der: Uint8Array };

/**
 * Stores signed certificates (one statement for a whole group commit). The serial's primary key makes
 * a duplicate fail the transaction, so no two stored certificates ever share a serial.
 */
export async function insertCertificates(q: Q, certs: readonly NewCertificate[]): Promise<void> {
  if (certs.length === 0) return;
  const { sql, params } = multiRowValues(certs.map((c) => [c.serial, c.caId, c.profile, c.subject, c.notBefore, c.notAfter, Buffer.from(c.der), 'valid', c.issuedAt]));
  await q.query(`INSERT INTO ca_certificates (serial, ca_id, profile, subject, not_before, not_after, der, status, issued_at) ${sql}`, params);
}

export async function getCertificate(q: Q, serial: string, opts: { forUpdate?: boolean } = {}): Promise<CertificateRecord | undefined> {
  const r = (await q.query(`SELECT * FROM ca_certificates WHERE serial = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [serial])).rows[0];
  return r ? toCert(r) : undefined;
}

export async function setCertificateStatus(q: Q, serial: string, status: CertificateStatus, revokedAt: Date | null, reason: string | null): Promise<void> {
  await q.query('UPDATE ca_certificates SET status = $2, revoked_at = $3, revocation_reason = $4 WHERE serial = $1', [serial, status, revokedAt, reason]);
}

/** Status for OCSP: one indexed lookup; undefined = never issued by that CA. */
export async function certificateStatus(q: Q, caId: string, serial: string): Promise<Pick<CertificateRecord, 'status' | 'revokedAt' | 'revocationReason'> | undefined> {
  const r = (await q.query('SELECT status, revoked_at, revocation_reason FROM ca_certificates WHERE serial = $1 AND ca_id = $2 AND der IS NOT NULL', [serial, caId])).rows[0];
  return r ? { status: r.status, revokedAt: r.revoked_at, revocationReason: r.revocation_reason } : undefined;
}

/** Entries of the next full CRL: revoked and on-hold certificates not yet expired. */
export async function revokedEntries(q: Q, caId: string, at: Date): Promise<{ serial: string; revokedAt: Date; reason: string }[]> {
  return (await q.query(
    `SELECT serial, revoked_at, revocation_reason FROM ca_certificates WHERE ca_id = $1 AND status <> 'valid' AND not_after > $2 ORDER BY revoked_at, serial`,
    [caId, at],
  )).rows.map((r) => ({ serial: r.serial, revokedAt: r.revoked_at, reason: r.revocation_reason }));
}

export async function lastCrl(q: Q, caId: string): Promise<{ crlNumber: bigint; thisUpdate: Date; nextUpdate: Date; der: Uint8Array } | undefined> {
  const r = (await q.query('SELECT crl_number, this_update, next_update, der FROM ca_crls WHERE ca_id = $1 ORDER BY crl_number DESC LIMIT 1', [caId])).rows[0];
  return r ? { crlNumber: BigInt(r.crl_number), thisUpdate: r.this_update, nextUpdate: r.next_update, der: new Uint8Array(r.der) } : undefined;
}

export async function insertCrl(q: Q, caId: string, crlNumber: bigint, thisUpdate: Date, nextUpdate: Date, der: Uint8Array): Promise<void> {
  await q.query('INSERT INTO ca_crls (ca_id, crl_number, this_update, next_update, der) VALUES ($1, $2, $3, $4, $5)',
    [caId, crlNumber.toString(), thisUpdate, nextUpdate, Buffer.from(der)]);
}

export interface ServiceKeyRecord {
  readonly id: string;
  readonly purpose: 'ocsp' | 'tsa';
  readonly caId: string;
  readonly keyId: string;
  readonly serial: string;
}

export async function insertServiceKey(q: Q, k: ServiceKeyRecord, at: Date): Promise<void> {
  await q.query('INSERT INTO ca_service_keys (id, purpose, ca_id, key_id, serial, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [k.id, k.purpose, k.caId, k.keyId, k.serial, at]);
}

export async function activeServiceKeys(q: Q): Promise<(ServiceKeyRecord & { certificate: Uint8Array })[]> {
  return (await q.query(
    `SELECT k.id, k.purpose, k.ca_id, k.key_id, k.serial, c.der FROM ca_service_keys k JOIN ca_certificates c ON c.serial = k.serial WHERE k.active ORDER BY k.created_at`,
  )).rows.map((r) => ({ id: r.id, purpose: r.purpose, caId: r.ca_id, keyId: r.key_id, serial: r.serial, certificate: new Uint8Array(r.der) }));
}
