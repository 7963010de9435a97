import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KexinError } from '../../src/errors.ts';
import { createFileKeyStore, resolveFilePassphrase } from '../../src/crypto/fileKeyStore.ts';
import type { KeyAlgorithm, KeyInfo } from '../../src/crypto/keyStore.ts';
import { schemesFor, verifySignature } from '../../src/crypto/signatures.ts';

const algorithms: KeyAlgorithm[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072', 'Ed25519', 'SM2'];
const root = mkdtempSync(join(tmpdir(), 'kexin-filekeys-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const data = new TextEncoder().encode('kexin 可信 file store');
const passphrase = 'correct horse battery staple';

describe('file key store', () => {
  const dir = join(root, 'keys');
  const created: KeyInfo[] = [];

  it('creates keys of every algorithm and signs every scheme', { timeout: 60_000 }, async () => {
    const store = createFileKeyStore({ dir, passphrase });
    for (const algorithm of algorithms) {
      const key = await store.createKey(algorithm, `label-${algorithm}`);
      expect(key.backend).toBe('file');
      created.push(key);
      for (const scheme of schemesFor(algorithm)) {
        const sig = await store.sign(key.id, scheme, data);
        expect(verifySignature(key.publicKeySpki, scheme, data, sig), `${algorithm}/${scheme}`).toBe(true);
      }
    }
    await expect(store.sign(created[0].id, 'Ed25519', data)).rejects.toBeInstanceOf(TypeError);
    await store.close();
  });

  it('directory is 0700, key and metadata files 0600, no temp files left', () => {
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files.sort()).toEqual(created.flatMap((k) => [`${k.id}.json`, `${k.id}.p8`]).sort());
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
  });

  it('a new store instance reopens every key from disk and signs with it', { timeout: 60_000 }, async () => {
    const store = createFileKeyStore({ dir, passphrase });
    for (const key of created) {
      const info = await store.getKey(key.id);
      expect(info).toEqual(key);
      for (const scheme of schemesFor(key.algorithm)) {
        const sig = await store.sign(key.id, scheme, data);
        expect(verifySignature(key.publicKeySpki, scheme, data, sig), `${key.algorithm}/${scheme}`).toBe(true);
      }
    }
    await expect(store.getKey('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await expect(store.getKey('../../etc/passwd')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await store.close();
  });

  it('a wrong passphrase is KEY_STORE_LOCKED naming the key file; getKey still works', async () => {
    const store = createFileKeyStore({ dir, passphrase: 'wrong' });
    const key = created[0];
    expect(await store.getKey(key.id)).toEqual(key);
    const err = await store.sign(key.id, 'ECDSA-SHA256', data).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KexinError);
    expect(err).toMatchObject({ code: 'KEY_STORE_LOCKED' });
    expect((err as Error).message).toContain(join(dir, `${key.id}.p8`));
    expect((err as Error).message).not.toMatch(/bad decrypt|error:/i);
    await store.close();
  });

  it('files are standard PBES2 PKCS#8 that openssl reads to the same public key', () => {
    for (const key of created) {
      const file = join(dir, `${key.id}.p8`);
      const asn1 = execFileSync('openssl', ['asn1parse', '-in', file], { encoding: 'utf8' });
      expect(asn1).toMatch(/:PBES2/);
      expect(asn1).toMatch(/:PBKDF2/);
      expect(asn1).toMatch(/:hmacWithSHA512/);
      expect(asn1).toMatch(/:aes-256-cbc/);
      expect(asn1).toMatch(/INTEGER\s+:033450\b/); // 210 000 PBKDF2 iterations (Node's own export uses 2048)
      const pub = execFileSync('openssl', ['pkey', '-in', file, '-passin', `pass:${passphrase}`, '-pubout', '-outform', 'DER']);
      expect(Buffer.from(pub).equals(Buffer.from(key.publicKeySpki)), key.algorithm).toBe(true);
      const meta = JSON.parse(readFileSync(join(dir, `${key.id}.json`), 'utf8'));
      expect(meta).toMatchObject({ id: key.id, algorithm: key.algorithm, label: key.label });
      expect(Buffer.from(meta.spki, 'base64').equals(Buffer.from(key.publicKeySpki))).toBe(true);
    }
  });
});

describe('file key store integrity', () => {
  it('a swapped key file is KEY_STORE_CORRUPT, a missing one KEY_STORE_CORRUPT, a damaged one KEY_STORE_LOCKED', { timeout: 30_000 }, async () => {
    const dir = join(root, 'integrity');
    const store = createFileKeyStore({ dir, passphrase });
    const a = await store.createKey('ECDSA-P256', 'a');
    const b = await store.createKey('ECDSA-P256', 'b');
    const c = await store.createKey('ECDSA-P256', 'c');
    await store.close();
    copyFileSync(join(dir, `${b.id}.p8`), join(dir, `${a.id}.p8`));
    unlinkSync(join(dir, `${b.id}.p8`));
    const pem = readFileSync(join(dir, `${c.id}.p8`), 'utf8');
    writeFileSync(join(dir, `${c.id}.p8`), pem.slice(0, 200) + pem.slice(260));
    const reopened = createFileKeyStore({ dir, passphrase });
    await expect(reopened.sign(a.id, 'ECDSA-SHA256', data)).rejects.toMatchObject({ code: 'KEY_STORE_CORRUPT' });
    await expect(reopened.sign(b.id, 'ECDSA-SHA256', data)).rejects.toMatchObject({ code: 'KEY_STORE_CORRUPT' });
    await expect(reopened.sign(c.id, 'ECDSA-SHA256', data)).rejects.toMatchObject({ code: 'KEY_STORE_LOCKED' });
    await reopened.close();
  });

  it('concurrent first signs (lazy decryption in flight) all verify; the file is an ENCRYPTED PRIVATE KEY PEM', { timeout: 30_000 }, async () => {
    const dir = join(root, 'concurrent');
    const key = await createFileKeyStore({ dir, passphrase }).createKey('SM2', 'sm2');
    const store = createFileKeyStore({ dir, passphrase });
    const sigs = await Promise.all(Array.from({ length: 8 }, () => store.sign(key.id, 'SM2-SM3', data)));
    for (const s of sigs) expect(verifySignature(key.publicKeySpki, 'SM2-SM3', data, s)).toBe(true);
    const pem = readFileSync(join(dir, `${key.id}.p8`), 'utf8');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    await store.close();
    await expect(store.getKey(key.id)).rejects.toBeInstanceOf(TypeError); // closed
  });
});

describe('resolveFilePassphrase', () => {
  it('returns the configured passphrase untouched and writes nothing', async () => {
    const dir = join(root, 'configured');
    const warnings: string[] = [];
    expect(await resolveFilePassphrase({ dir, configured: 's3cret', logger: { warn: (m) => warnings.push(m) } })).toBe('s3cret');
    expect(warnings).toEqual([]);
  });

  it('generates one passphrase, stores it 0600 beside the keys, and warns on every start', async () => {
    const dir = join(root, 'generated');
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) };
    const first = await resolveFilePassphrase({ dir, logger });
    expect(first.length).toBeGreaterThanOrEqual(40);
    expect(statSync(join(dir, '.passphrase')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const second = await resolveFilePassphrase({ dir, configured: '', logger });
    expect(second).toBe(first);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(join(dir, '.passphrase'));
    // and it works as a store passphrase
    const store = createFileKeyStore({ dir, passphrase: second });
    const key = await store.createKey('Ed25519', 'x');
    await store.close();
    const reopened = createFileKeyStore({ dir, passphrase: await resolveFilePassphrase({ dir, logger }) });
    const sig = await reopened.sign(key.id, 'Ed25519', data);
    expect(verifySignature(key.publicKeySpki, 'Ed25519', data, sig)).toBe(true);
  });
});
