/**
 * The person registry: one record per citizen (name, ID number, social-security number, region,
 * reference face template). Free of any service's concepts — the e-card, citizen login and the pension
 * qualification all call it. Functions that change state take the caller's transaction, so a holder,
 * a pensioner or a login account is created together with its person or not at all; each change
 * writes its audit row there too. ID numbers are sealed, looked up by keyed hash, and leave the module
 * masked, except through `revealIdentifiers` (for credential issuance).
 */
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { appendAudit } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import type { Tx } from '../db/transaction.ts';
import { KexinError } from '../errors.ts';
import { checkIdNumber, maskIdentifier } from './idNumber.ts';
import type { IdentifierCipher } from './identifierCipher.ts';
import { personErrors } from './personErrors.ts';
import { checkRegionCode } from './region.ts';

export interface PersonInput {
  readonly name: string;
  /** 18 characters, GB 11643 checksum. */
  readonly idNumber: string;
  /** Social-security number (社会保障号码); for most citizens equal to the ID number. */
  readonly ssn?: string | undefined;
  /** GB/T 2260 code of the region the person is insured in. */
  readonly region: string;
}

/** A validated, normalised `PersonInput`. */
export interface CheckedPersonInput {
  readonly name: string;
  readonly idNumber: string;
  readonly ssn: string | undefined;
  readonly region: string;
  readonly birthDate: string;
}

/** A person as other modules and the API see one: identifiers masked. */
export interface PersonView {
  readonly id: string;
  readonly name: string;
  /** `1101**********1234` */
  readonly idNumberMasked: string;
  readonly ssnMasked: string | null;
  readonly region: string;
  readonly birthDate: string;
  readonly templateEnrolled: boolean;
  /** Hex SHA-256 of the photo the reference template was made from. */
  readonly photoSha256: string | null;
  readonly createdAt: string;
}

/** Port: enrolment of a reference face template (the face service implements it). */
export interface ReferenceFaceEnrolment {
  /** Runs the face pipeline on the photo, outside any transaction; throws a 4xx KexinError when unusable. */
  prepare(image: Uint8Array): Promise<object>;
  /** Stores what `prepare` made for `subjectId` inside the caller's transaction (encrypted, audited). */
  store(tx: Tx, subjectId: string, prepared: object, actor: string): Promise<void>;
}

/** A reference photo, prepared before the transaction (face inference takes seconds). */
export interface PreparedPhoto {
  readonly sha256: Buffer;
  readonly template: object;
}

export interface FamilyConsent {
  /** How the member consented: a passed face session, a signed form, in person at a counter, or a guardian's decision. */
  readonly method: 'face_session' | 'signed_form' | 'counter' | 'guardian';
  /** Evidence reference (session id, form number, staff id…), at most 128 characters. */
  readonly reference: string;
}

export interface FamilyMember {
  readonly member: PersonView;
  readonly relation: string;
  readonly consent: FamilyConsent & { readonly recordedBy: string; readonly recordedAt: string };
  readonly since: string;
}

/** 亲情服务: one person manages at most this many family members. */
export const MAX_FAMILY_MEMBERS = 8;

export interface PersonRegistry {
  /** Validates and normalises; throws the typed error of the first problem. */
  check(input: PersonInput): CheckedPersonInput;
  /** Runs the face pipeline on a reference photo (call before opening the transaction). */
  preparePhoto(image: Uint8Array): Promise<PreparedPhoto>;
  /**
   * Creates the person, or links to the one with this ID number (same name required). A photo is
   * enrolled as the reference template when given (replacing one only for a new person or one without).
   */
  register(tx: Tx, input: PersonInput, actor: string, photo?: PreparedPhoto): Promise<{ readonly person: PersonView; readonly created: boolean }>;
  get(id: string, db?: pg.Pool | Tx): Promise<PersonView>;
  findByIdNumber(idNumber: string, db?: pg.Pool | Tx): Promise<PersonView | undefined>;
  /** The person with the clear identifiers, for putting into a credential the person receives (one read). */
  revealIdentifiers(id: string, db?: pg.Pool | Tx): Promise<{ readonly person: PersonView; readonly idNumber: string; readonly ssn: string | null }>;
  addFamilyMember(tx: Tx, input: { readonly managerId: string; readonly memberId: string; readonly relation: string; readonly consent: FamilyConsent }, actor: string): Promise<FamilyMember>;
  removeFamilyMember(tx: Tx, managerId: string, memberId: string, actor: string): Promise<void>;
  listFamily(managerId: string, db?: pg.Pool | Tx): Promise<FamilyMember[]>;
  /** Whether `managerId` currently manages `memberId`. */
  managesFamilyMember(managerId: string, memberId: string, db?: pg.Pool | Tx): Promise<boolean>;
}

export interface PersonRegistryDeps {
  readonly pool: pg.Pool;
  readonly cipher: IdentifierCipher;
  readonly clock: Clock;
  /** Absent when face models are not loaded: registering with a photo is then refused. */
  readonly faces?: ReferenceFaceEnrolment | undefined;
}

interface Row {
  id: string; name: string; id_number_masked: string; ssn_masked: string | null; region: string; photo_sha256: Buffer | null;
  template_at: Date | null; created_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Control characters (C0, DEL, C1) and line/paragraph separators never belong in a name.
const BAD_NAME = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const COLUMNS = `id, name, id_number_masked, ssn_masked, region, photo_sha256, template_at, created_at`;

export function createPersonRegistry(deps: PersonRegistryDeps): PersonRegistry {
  const { pool, cipher, clock } = deps;

  function view(r: Row, birthDate: string): PersonView {
    return Object.freeze({
      id: r.id, name: r.name, idNumberMasked: r.id_number_masked, ssnMasked: r.ssn_masked, region: r.region, birthDate,
      templateEnrolled: r.template_at !== null, photoSha256: r.photo_sha256 ? r.photo_sha256.toString('hex') : null, createdAt: r.created_at.toISOString(),
    });
  }

  async function load(db: pg.Pool | Tx, id: string, lock = false): Promise<PersonView | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = (await db.query<Row & { id_number_sealed: Buffer }>(`SELECT ${COLUMNS}, id_number_sealed FROM persons WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id])).rows[0];
    if (!row) return undefined;
    return view(row, birthDateOf(row.id, row.id_number_sealed));
  }

  function birthDateOf(id: string, sealed: Buffer): string {
    const idNumber = openOrFail(id, 'id_number', sealed);
    return `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
  }

  function openOrFail(id: string, field: 'id_number' | 'ssn', sealed: Buffer): string {
    try {
      return cipher.open(id, field, sealed);
    } catch (err) {
      throw Object.assign(personErrors.undecryptable(), { cause: err });
    }
  }

  function check(input: PersonInput): CheckedPersonInput {
    const name = typeof input.name === 'string' ? input.name.normalize('NFC').trim() : '';
    if (name.length < 1 || name.length > 64 || BAD_NAME.test(name)) throw personErrors.name();
    const today = clock.now().toISOString().slice(0, 10).replaceAll('-', '');
    const id = checkIdNumber(input.idNumber, today);
    if (!id.ok) throw personErrors.idNumber(id.problem);
    const region = checkRegionCode(input.region);
    if (!region.ok) throw personErrors.region(region.problem);
    const ssn = input.ssn === undefined ? undefined : String(input.ssn).toUpperCase();
    if (ssn !== undefined && !/^[0-9A-Z]{9,20}$/.test(ssn)) throw personErrors.ssn();
    return Object.freeze({ name, idNumber: id.idNumber, ssn, region: input.region, birthDate: id.birthDate });
  }

  async function preparePhoto(image: Uint8Array): Promise<PreparedPhoto> {
    if (!deps.faces) throw new KexinError('FACE_MODELS_MISSING', 'face models are not loaded on this instance', 503);
    const template = await deps.faces.prepare(image);
    return Object.freeze({ sha256: createHash('sha256').update(image).digest(), template });
  }

  async function enrolPhoto(tx: Tx, personId: string, photo: PreparedPhoto, actor: string): Promise<void> {
    await deps.faces!.store(tx, personId, photo.template, actor);
    await tx.query('UPDATE persons SET photo_sha256 = $2, template_at = $3 WHERE id = $1', [personId, photo.sha256, clock.now()]);
  }

  async function register(tx: Tx, input: PersonInput, actor: string, photo?: PreparedPhoto) {
    const p = check(input);
    const idHash = cipher.lookupHash('id_number', p.idNumber);
    const ssnHash = p.ssn === undefined ? null : cipher.lookupHash('ssn', p.ssn);
    const id = randomUUID();
    const now = clock.now();
    const inserted = await tx.query(
      `INSERT INTO persons (id, name, id_number_hash, id_number_sealed, id_number_masked, ssn_hash, ssn_sealed, ssn_masked, region, key_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id_number_hash) DO NOTHING`,
      [id, p.name, idHash, cipher.seal(id, 'id_number', p.idNumber), maskIdentifier(p.idNumber), ssnHash,
        p.ssn === undefined ? null : cipher.seal(id, 'ssn', p.ssn), p.ssn === undefined ? null : maskIdentifier(p.ssn), p.region, cipher.keyId, now],
    ).catch((err: { code?: string; constraint?: string }) => {
      if (err.code === '23505' && err.constraint === 'persons_ssn_hash_key') throw personErrors.ssnTaken();
      throw err;
    });
    if (inserted.rowCount === 1) {
      await appendAudit(tx, {
        actor, action: 'persons.person.create', subject: `person:${id}`,
        details: { idNumber: maskIdentifier(p.idNumber), region: p.region, ssn: p.ssn === undefined ? null : maskIdentifier(p.ssn), photo: photo !== undefined },
      }, clock);
      if (photo) await enrolPhoto(tx, id, photo, actor);
      return { person: (await load(tx, id))!, created: true };
    }
    // Already registered (e.g. by the pension service): link, if it is the same person.
    const existing = (await tx.query<Row & { id_number_sealed: Buffer; ssn_hash: Buffer | null }>(
      `SELECT ${COLUMNS}, id_number_sealed, ssn_hash FROM persons WHERE id_number_hash = $1 FOR UPDATE`, [idHash])).rows[0]!;
    if (existing.name !== p.name) throw personErrors.mismatch();
    if (ssnHash && existing.ssn_hash && !ssnHash.equals(existing.ssn_hash)) throw personErrors.mismatch();
    if (photo && existing.template_at === null) await enrolPhoto(tx, existing.id, photo, actor);
    await appendAudit(tx, { actor, action: 'persons.person.link', subject: `person:${existing.id}`, details: { idNumber: existing.id_number_masked, photo: photo !== undefined && existing.template_at === null } }, clock);
    return { person: (await load(tx, existing.id))!, created: false };
  }

  async function get(id: string, db: pg.Pool | Tx = pool): Promise<PersonView> {
    const p = await load(db, id);
    if (!p) throw personErrors.notFound();
    return p;
  }

  async function findByIdNumber(idNumber: string, db: pg.Pool | Tx = pool): Promise<PersonView | undefined> {
    const id = checkIdNumber(idNumber);
    if (!id.ok) throw personErrors.idNumber(id.problem);
    const row = (await db.query<{ id: string }>('SELECT id FROM persons WHERE id_number_hash = $1', [cipher.lookupHash('id_number', id.idNumber)])).rows[0];
    return row ? load(db, row.id) : undefined;
  }

  async function revealIdentifiers(id: string, db: pg.Pool | Tx = pool) {
    if (!UUID.test(id)) throw personErrors.notFound();
    const row = (await db.query<Row & { id_number_sealed: Buffer; ssn_sealed: Buffer | null }>(`SELECT ${COLUMNS}, id_number_sealed, ssn_sealed FROM persons WHERE id = $1`, [id])).rows[0];
    if (!row) throw personErrors.notFound();
    const idNumber = openOrFail(id, 'id_number', row.id_number_sealed);
    const birthDate = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
    return Object.freeze({ person: view(row, birthDate), idNumber, ssn: row.ssn_sealed ? openOrFail(id, 'ssn', row.ssn_sealed) : null });
  }

  async function familyRow(db: pg.Pool | Tx, r: { member_id: string; relation: string; consent: FamilyMember['consent']; created_at: Date }): Promise<FamilyMember> {
    return Object.freeze({ member: await get(r.member_id, db), relation: r.relation, consent: r.consent, since: r.created_at.toISOString() });
  }

  async function addFamilyMember(tx: Tx, input: { readonly managerId: string; readonly memberId: string; readonly relation: string; readonly consent: FamilyConsent }, actor: string) {
    if (input.managerId === input.memberId) throw personErrors.familySelf();
    // The manager's row lock serialises additions, so the limit holds under concurrency.
    if (!(await load(tx, input.managerId, true))) throw personErrors.notFound();
    await get(input.memberId, tx);
    const active = (await tx.query<{ member_id: string }>('SELECT member_id FROM person_family WHERE manager_id = $1 AND revoked_at IS NULL', [input.managerId])).rows;
    if (!active.some((r) => r.member_id === input.memberId) && active.length >= MAX_FAMILY_MEMBERS) throw personErrors.familyFull(MAX_FAMILY_MEMBERS);
    const now = clock.now();
    const consent = { method: input.consent.method, reference: input.consent.reference, recordedBy: actor, recordedAt: now.toISOString() };
    await tx.query(
      `INSERT INTO person_family (manager_id, member_id, relation, consent, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (manager_id, member_id) DO UPDATE SET relation = EXCLUDED.relation, consent = EXCLUDED.consent, created_at = EXCLUDED.created_at, revoked_at = NULL`,
      [input.managerId, input.memberId, input.relation, JSON.stringify(consent), now],
    );
    await appendAudit(tx, {
      actor, action: 'persons.family.add', subject: `person:${input.managerId}`,
      details: { member: `person:${input.memberId}`, relation: input.relation, consent: { method: consent.method, reference: consent.reference } },
    }, clock);
    return familyRow(tx, { member_id: input.memberId, relation: input.relation, consent, created_at: now });
  }

  async function removeFamilyMember(tx: Tx, managerId: string, memberId: string, actor: string) {
    if (!UUID.test(managerId) || !UUID.test(memberId)) throw personErrors.familyNotFound();
    const res = await tx.query('UPDATE person_family SET revoked_at = $3 WHERE manager_id = $1 AND member_id = $2 AND revoked_at IS NULL', [managerId, memberId, clock.now()]);
    if (res.rowCount !== 1) throw personErrors.familyNotFound();
    await appendAudit(tx, { actor, action: 'persons.family.remove', subject: `person:${managerId}`, details: { member: `person:${memberId}` } }, clock);
  }

  async function listFamily(managerId: string, db: pg.Pool | Tx = pool) {
    await get(managerId, db);
    const rows = (await db.query<{ member_id: string; relation: string; consent: FamilyMember['consent']; created_at: Date }>(
      'SELECT member_id, relation, consent, created_at FROM person_family WHERE manager_id = $1 AND revoked_at IS NULL ORDER BY created_at, member_id', [managerId])).rows;
    const out: FamilyMember[] = [];
    for (const r of rows) out.push(await familyRow(db, r));
    return out;
  }

  async function managesFamilyMember(managerId: string, memberId: string, db: pg.Pool | Tx = pool) {
    if (!UUID.test(managerId) || !UUID.test(memberId)) return false;
    return (await db.query('SELECT 1 FROM person_family WHERE manager_id = $1 AND member_id = $2 AND revoked_at IS NULL', [managerId, memberId])).rowCount === 1;
  }

  return Object.freeze({ check, preparePhoto, register, get, findByIdNumber, revealIdentifiers, addFamilyMember, removeFamilyMember, listFamily, managesFamilyMember });
}
