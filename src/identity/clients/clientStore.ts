/** SQL for `oauth_clients`: the registry's only access to its table. */
import type pg from 'pg';
import type { Tx } from '../../db/transaction.ts';
import type { ClientSettings } from './clientMetadata.ts';

export interface ClientRow {
  readonly clientId: string;
  readonly settings: ClientSettings;
  readonly secretHash: Buffer | null;
  readonly secretKeyId: string | null;
  readonly status: 'active' | 'disabled' | 'deleted';
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface Row {
  client_id: string; settings: ClientSettings; secret_hash: Buffer | null; secret_key_id: string | null;
  status: ClientRow['status']; created_by: string; created_at: Date; updated_at: Date;
}

const COLUMNS = 'client_id, metadata AS settings, secret_hash, secret_key_id, status, created_by, created_at, updated_at';

const toRow = (r: Row): ClientRow => Object.freeze({
  clientId: r.client_id, settings: Object.freeze(r.settings), secretHash: r.secret_hash, secretKeyId: r.secret_key_id,
  status: r.status, createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at,
});

export async function getClient(q: pg.Pool | Tx, clientId: string, opts: { forUpdate?: boolean } = {}): Promise<ClientRow | undefined> {
  const r = (await q.query<Row>(`SELECT ${COLUMNS} FROM oauth_clients WHERE client_id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [clientId])).rows[0];
  return r ? toRow(r) : undefined;
}

export async function listClients(q: pg.Pool | Tx): Promise<ClientRow[]> {
  return (await q.query<Row>(`SELECT ${COLUMNS} FROM oauth_clients WHERE status <> 'deleted' ORDER BY created_at, client_id`)).rows.map(toRow);
}

/** Settings are kept whole as JSON (`metadata`); the columns beside them are for operators' queries. */
const params = (s: ClientSettings) => [s.name, s.clientClass, s.maxAssurance, s.authMethod, [...s.scopes], JSON.stringify(s), s.tokenRatePerMinute, s.apiRatePerSecond];

export async function insertClient(tx: Tx, c: { clientId: string; settings: ClientSettings; secretHash: Buffer | null; secretKeyId: string | null; createdBy: string; at: Date }): Promise<void> {
  await tx.query(
    `INSERT INTO oauth_clients (client_id, name, class, max_assurance, auth_method, scopes, metadata, token_rate_per_minute, api_rate_per_second,
       secret_hash, secret_key_id, status, created_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)`,
    [c.clientId, ...params(c.settings), c.secretHash, c.secretKeyId, c.settings.status, c.createdBy, c.at],
  );
}

export async function updateClient(tx: Tx, c: { clientId: string; settings: ClientSettings; secretHash: Buffer | null; secretKeyId: string | null; at: Date }): Promise<void> {
  await tx.query(
    `UPDATE oauth_clients SET name = $2, class = $3, max_assurance = $4, auth_method = $5, scopes = $6, metadata = $7,
       token_rate_per_minute = $8, api_rate_per_second = $9, secret_hash = $10, secret_key_id = $11, status = $12, updated_at = $13
     WHERE client_id = $1`,
    [c.clientId, ...params(c.settings), c.secretHash, c.secretKeyId, c.settings.status, c.at],
  );
}

export async function markDeleted(tx: Tx, clientId: string, at: Date): Promise<void> {
  await tx.query(`UPDATE oauth_clients SET status = 'deleted', secret_hash = NULL, secret_key_id = NULL, updated_at = $2 WHERE client_id = $1`, [clientId, at]);
}
