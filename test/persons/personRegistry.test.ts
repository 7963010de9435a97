/**
 * The person registry on a real database (PGlite, or PostgreSQL with DATABASE_URL): sealed and
 * keyed-hash identifiers, masking, linking, the face-enrolment port inside the caller's transaction,
 * family limits and consent records, all audited without a full ID number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/auditLog.ts';
import { fixedClock } from '../../src/clock.ts';
import { createDataKeys } from '../../src/crypto/dataKeys.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { withTransaction, type Tx } from '../../src/db/transaction.ts';
import { KexinError } from '../../src/errors.ts';
import { identifierCipherFrom, IDENTIFIER_KEY_PURPOSE } from '../../src/persons/identifierCipher.ts';
import { createPersonRegistry, MAX_FAMILY_MEMBERS, type PersonRegistry, type PersonView, type ReferenceFaceEnrolment } from '../../src/persons/personRegistry.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { idNumber } from '../support/idNumbers.ts';


const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof KexinError ? e.code : String(e)));

describe('person registry', () => {
  let db: TestDatabase;
  let registry: PersonRegistry;
  const clock = fixedClock('2026-06-01T08:00:00Z');
  const stored: { subjectId: string; prepared: object }[] = [];
  const faces: ReferenceFaceEnrolment = {
    prepare: async (image) => {
      if (image[0] === 0) throw new KexinError('FACE_TEMPLATE_QUALITY', 'no face', 422);
      return { embedding: [image[0]] };
    },
    store: async (tx: Tx, subjectId, prepared) => { await tx.query('SELECT 1'); stored.push({ subjectId, prepared }); },
  };
  const tx = <T>(fn: (tx: Tx) => Promise<T>) => withTransaction(db.pool, fn);

  beforeAll(async () => {
    db = await createTestDatabase();
    const keyStore = createMemoryKeyStore();
    const cipher = await identifierCipherFrom(createDataKeys({ pool: db.pool, keys: keyStore, clock }));
    // The next start (a new DataKeys over the same store and database) unwraps the same keys.
    const again = await identifierCipherFrom(createDataKeys({ pool: db.pool, keys: keyStore, clock }));
    expect(again.keyId).toBe(cipher.keyId);
    expect(again.lookupHash('id_number', 'x')).toEqual(cipher.lookupHash('id_number', 'x'));
    expect((await db.pool.query('SELECT purpose FROM data_keys ORDER BY purpose')).rows.map((r) => r.purpose)).toEqual([IDENTIFIER_KEY_PURPOSE, `${IDENTIFIER_KEY_PURPOSE}-lookup`]);
    registry = createPersonRegistry({ pool: db.pool, cipher, clock, faces });
  });
  afterAll(async () => { await db?.close(); });

  it('stores identifiers sealed, finds by keyed hash, shows them masked, reveals them on request', async () => {
    const id = idNumber(11);
    const { person, created } = await tx((t) => registry.register(t, { name: '张三', idNumber: id, ssn: id, region: '440305' }, 'operator:test', undefined));
    expect(created).toBe(true);
    expect(person).toMatchObject({ name: '张三', idNumberMasked: `4403**********${id.slice(-4)}`, region: '440305', birthDate: '1960-01-01', templateEnrolled: false });
    const row = (await db.pool.query('SELECT * FROM persons WHERE id = $1', [person.id])).rows[0];
    expect(JSON.stringify(row)).not.toContain(id);
    expect(Buffer.from(row.id_number_sealed).includes(Buffer.from(id))).toBe(false);
    expect((await registry.findByIdNumber(id))?.id).toBe(person.id);
    expect(await registry.findByIdNumber(idNumber(12))).toBeUndefined();
    expect(await registry.revealIdentifiers(person.id)).toMatchObject({ idNumber: id, ssn: id, person: { id: person.id, name: '张三' } });
    // A sealed ID number moved to another row does not decrypt there (AAD binds the person id).
    const other = (await tx((t) => registry.register(t, { name: '李四', idNumber: idNumber(13), region: '440305' }, 'operator:test'))).person;
    await db.pool.query('UPDATE persons SET id_number_sealed = $2 WHERE id = $1', [other.id, row.id_number_sealed]);
    expect(await code(registry.revealIdentifiers(other.id))).toBe('PERSON_DATA_UNDECRYPTABLE');
  });

  it('links an already registered person instead of duplicating, and refuses other details', async () => {
    const id = idNumber(21);
    const a = await tx((t) => registry.register(t, { name: '王五', idNumber: id, region: '440305' }, 'operator:test'));
    const b = await tx((t) => registry.register(t, { name: '王五', idNumber: id.toLowerCase(), region: '440306' }, 'operator:test'));
    expect(b).toMatchObject({ created: false, person: { id: a.person.id } });
    expect(await code(tx((t) => registry.register(t, { name: '王六', idNumber: id, region: '440305' }, 'operator:test')))).toBe('PERSON_RECORD_MISMATCH');
    expect(await code(tx((t) => registry.register(t, { name: '赵七', idNumber: idNumber(22), ssn: id, region: '440305' }, 'operator:test')))).toBe('resolved');
    expect(await code(tx((t) => registry.register(t, { name: '赵八', idNumber: idNumber(23), ssn: id, region: '440305' }, 'operator:test')))).toBe('PERSON_SSN_TAKEN');
  });

  it('refuses bad input with its own code and writes nothing', async () => {
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM persons')).rows[0].n;
    const bad = idNumber(31).slice(0, 17) + (idNumber(31)[17] === '0' ? '1' : '0');
    const cases: [object, string][] = [
      [{ name: '甲', idNumber: bad, region: '440305' }, 'PERSON_ID_NUMBER_CHECKSUM'],
      [{ name: '甲', idNumber: '123', region: '440305' }, 'PERSON_ID_NUMBER_FORMAT'],
      [{ name: '甲', idNumber: idNumber(32), region: '990000' }, 'PERSON_REGION_PROVINCE'],
      [{ name: '甲', idNumber: idNumber(32), region: '4403' }, 'PERSON_REGION_FORMAT'],
      [{ name: '', idNumber: idNumber(32), region: '440305' }, 'PERSON_NAME_INVALID'],
      [{ name: 'a\u0000b', idNumber: idNumber(32), region: '440305' }, 'PERSON_NAME_INVALID'],
      [{ name: '甲', idNumber: idNumber(32), ssn: 'x y', region: '440305' }, 'PERSON_SSN_FORMAT'],
      [{ name: '甲', idNumber: idNumber(32, '20300101'), region: '440305' }, 'PERSON_ID_NUMBER_BIRTH_DATE'],
    ];
    for (const [input, expected] of cases) expect(await code(tx((t) => registry.register(t, input as never, 'operator:test'))), expected).toBe(expected);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM persons')).rows[0].n).toBe(before);
  });

  it('enrols the reference photo through the face port inside the same transaction', async () => {
    const photo = await registry.preparePhoto(Uint8Array.of(7, 7, 7));
    const { person } = await tx((t) => registry.register(t, { name: '孙九', idNumber: idNumber(41), region: '440305' }, 'operator:test', photo));
    expect(person.templateEnrolled).toBe(true);
    expect(person.photoSha256).toBe(photo.sha256.toString('hex'));
    expect(stored.at(-1)).toEqual({ subjectId: person.id, prepared: { embedding: [7] } });
    expect(await code(registry.preparePhoto(Uint8Array.of(0)))).toBe('FACE_TEMPLATE_QUALITY');
  });

  it(`manages at most ${MAX_FAMILY_MEMBERS} family members, with consent records`, async () => {
    const manager = (await tx((t) => registry.register(t, { name: '家长', idNumber: idNumber(100), region: '440305' }, 'operator:test'))).person;
    const members: PersonView[] = [];
    for (let i = 0; i < MAX_FAMILY_MEMBERS + 1; i++) members.push((await tx((t) => registry.register(t, { name: `成员${i}`, idNumber: idNumber(101 + i), region: '440305' }, 'operator:test'))).person);
    for (const m of members.slice(0, MAX_FAMILY_MEMBERS)) {
      await tx((t) => registry.addFamilyMember(t, { managerId: manager.id, memberId: m.id, relation: 'parent', consent: { method: 'counter', reference: 'form-1' } }, 'operator:test'));
    }
    const last = members[MAX_FAMILY_MEMBERS]!;
    expect(await code(tx((t) => registry.addFamilyMember(t, { managerId: manager.id, memberId: last.id, relation: 'parent', consent: { method: 'counter', reference: 'f' } }, 'operator:test')))).toBe('PERSON_FAMILY_FULL');
    expect(await code(tx((t) => registry.addFamilyMember(t, { managerId: manager.id, memberId: manager.id, relation: 'self', consent: { method: 'counter', reference: 'f' } }, 'operator:test')))).toBe('PERSON_FAMILY_SELF');
    const list = await registry.listFamily(manager.id);
    expect(list).toHaveLength(MAX_FAMILY_MEMBERS);
    expect(list[0]).toMatchObject({ relation: 'parent', consent: { method: 'counter', reference: 'form-1', recordedBy: 'operator:test', recordedAt: '2026-06-01T08:00:00.000Z' } });
    expect(await registry.managesFamilyMember(manager.id, members[0]!.id)).toBe(true);
    await tx((t) => registry.removeFamilyMember(t, manager.id, members[0]!.id, 'operator:test'));
    expect(await registry.managesFamilyMember(manager.id, members[0]!.id)).toBe(false);
    expect(await code(tx((t) => registry.removeFamilyMember(t, manager.id, members[0]!.id, 'operator:test')))).toBe('PERSON_FAMILY_NOT_FOUND');
    await tx((t) => registry.addFamilyMember(t, { managerId: manager.id, memberId: last.id, relation: 'spouse', consent: { method: 'face_session', reference: 'session-x' } }, 'operator:test'));
    expect(await registry.listFamily(manager.id)).toHaveLength(MAX_FAMILY_MEMBERS);
  });

  it('audits every change, never with a full ID number', async () => {
    const audit = (await db.pool.query("SELECT action, subject, details FROM audit_log WHERE action LIKE 'persons.%' ORDER BY seq")).rows;
    expect(audit.map((r) => r.action)).toEqual(expect.arrayContaining(['persons.person.create', 'persons.person.link', 'persons.family.add', 'persons.family.remove']));
    expect(JSON.stringify(audit)).not.toMatch(/\d{17}[\dX]/);
    expect((await verifyAuditChain(db.pool)).ok).toBe(true);
  });
});
