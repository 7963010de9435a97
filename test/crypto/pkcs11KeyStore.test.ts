import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Pkcs11Types from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPkcs11KeyStore, pkcs11IdOf, pkcs11ModuleFor, rawEcdsaToDer } from '../../src/crypto/pkcs11KeyStore.ts';
import type { KeyAlgorithm, KeyInfo, KeyStore, SignatureScheme } from '../../src/crypto/keyStore.ts';
import { schemesFor, verifySignature } from '../../src/crypto/signatures.ts';
import { findSoftHsm, hasSoftHsmUtil, initSoftHsmToken } from '../support/softhsm.ts';

const pkcs11 = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Types;

const library = findSoftHsm();
const skipReason = !library ? 'SoftHSM2 library (libsofthsm2.so) not found' : !hasSoftHsmUtil() ? 'softhsm2-util not found' : undefined;
if (skipReason) console.warn(`[pkcs11KeyStore.test] skipped: ${skipReason}`);

const data = new TextEncoder().encode('kexin 可信 pkcs11');
const tokenLabel = 'kexin-test';
const pin = '1234';
const root = mkdtempSync(join(tmpdir(), 'kexin-softhsm-'));
const opensslScheme: Partial<Record<SignatureScheme, string[]>> = {
  'ECDSA-SHA256': ['-sha256'],
  'ECDSA-SHA384': ['-sha384'],
  'ECDSA-SHA512': ['-sha512'],
  'RSA-PKCS1-SHA256': ['-sha256'],
  'RSA-PKCS1-SHA384': ['-sha384'],
  'RSA-PSS-SHA256': ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'],
  'RSA-PSS-SHA384': ['-sha384', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:48'],
};

function opensslVerify(spki: Uint8Array, scheme: SignatureScheme, message: Uint8Array, sig: Uint8Array): string {
  const dir = mkdtempSync(join(root, 'v-'));
  writeFileSync(join(dir, 'pub.pem'), createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }));
  writeFileSync(join(dir, 'data'), message);
  writeFileSync(join(dir, 'sig'), sig);
  if (scheme === 'Ed25519') {
    return execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-in', join(dir, 'data'), '-sigfile', join(dir, 'sig')], { encoding: 'utf8' });
  }
  return execFileSync('openssl', ['dgst', ...opensslScheme[scheme]!, '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig'), join(dir, 'data')], { encoding: 'utf8' });
}

describe.skipIf(skipReason !== undefined)('PKCS#11 key store on SoftHSM2', () => {
  const created: KeyInfo[] = [];
  let store: KeyStore;

  beforeAll(() => {
    process.env.SOFTHSM2_CONF = initSoftHsmToken(root, tokenLabel, pin).conf; // read by the library at C_Initialize
    store = createPkcs11KeyStore({ library: library!, tokenLabel, pin });
  });
  afterAll(async () => {
    await store?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const algorithms: KeyAlgorithm[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072', 'Ed25519'];
  it('generates keys in the token and every scheme verifies with verifySignature and openssl', { timeout: 120_000 }, async () => {
    for (const algorithm of algorithms) {
      const key = await store.createKey(algorithm, `hsm-${algorithm}-可信`);
      created.push(key);
      expect(key).toMatchObject({ algorithm, label: `hsm-${algorithm}-可信`, backend: 'pkcs11' });
      expect(createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' }).asymmetricKeyType).toBe(
        algorithm === 'Ed25519' ? 'ed25519' : algorithm.startsWith('RSA') ? 'rsa' : 'ec',
      );
      for (const scheme of schemesFor(algorithm)) {
        const sig = await store.sign(key.id, scheme, data);
        expect(verifySignature(key.publicKeySpki, scheme, data, sig), `${algorithm}/${scheme}`).toBe(true);
        expect(opensslVerify(key.publicKeySpki, scheme, data, sig), `${algorithm}/${scheme}`).toMatch(/Verified OK|Signature Verified Successfully/);
        const tampered = Uint8Array.from(data);
        tampered[0] ^= 1;
        expect(verifySignature(key.publicKeySpki, scheme, tampered, sig)).toBe(false);
      }
    }
  });

  it('concurrent signs on one session are serialised', async () => {
    const key = created[0];
    const sigs = await Promise.all(Array.from({ length: 20 }, () => store.sign(key.id, 'ECDSA-SHA256', data)));
    for (const s of sigs) expect(verifySignature(key.publicKeySpki, 'ECDSA-SHA256', data, s)).toBe(true);
  });

  it('SM2 is KEY_ALGORITHM_UNSUPPORTED: the token has no SM2', async () => {
    await expect(store.createKey('SM2', 'sm2')).rejects.toMatchObject({ code: 'KEY_ALGORITHM_UNSUPPORTED', message: expect.stringMatching(/SM2/) });
  });

  it('unknown ids are KEY_NOT_FOUND; wrong scheme is a TypeError', async () => {
    await expect(store.getKey('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await expect(store.getKey('not-a-uuid')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await expect(store.sign(created[0].id, 'Ed25519', data)).rejects.toBeInstanceOf(TypeError);
  });

  it('the private key is a sensitive, non-extractable token object whose CKA_VALUE cannot be read', () => {
    const p11 = pkcs11ModuleFor(library!)!;
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === tokenLabel)!;
    const session = p11.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION);
    try {
      for (const key of created) {
        p11.C_FindObjectsInit(session, [
          { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
          { type: pkcs11.CKA_ID, value: pkcs11IdOf(key.id)! },
        ]);
        const [priv] = p11.C_FindObjects(session, 2);
        p11.C_FindObjectsFinal(session);
        expect(priv).toBeDefined();
        const attrs = p11.C_GetAttributeValue(session, priv, [
          { type: pkcs11.CKA_EXTRACTABLE },
          { type: pkcs11.CKA_SENSITIVE },
          { type: pkcs11.CKA_TOKEN },
          { type: pkcs11.CKA_SIGN },
          { type: pkcs11.CKA_NEVER_EXTRACTABLE },
          { type: pkcs11.CKA_ALWAYS_SENSITIVE },
        ]);
        const bools = attrs.map((a) => (a.value as Buffer)[0]);
        expect(bools, key.algorithm).toEqual([0, 1, 1, 1, 1, 1]);
        const secretAttr = key.algorithm.startsWith('RSA') ? pkcs11.CKA_PRIVATE_EXPONENT : pkcs11.CKA_VALUE;
        let err: unknown;
        try {
          p11.C_GetAttributeValue(session, priv, [{ type: secretAttr }]);
        } catch (e) {
          err = e;
        }
        expect(err, key.algorithm).toBeInstanceOf(pkcs11.Pkcs11Error);
        expect((err as Pkcs11Types.Pkcs11Error).code).toBe(pkcs11.CKR_ATTRIBUTE_SENSITIVE);
      }
    } finally {
      p11.C_CloseSession(session);
    }
  });

  it('recovers when the token closes every session under it (re-opens and logs in again)', async () => {
    const p11 = pkcs11ModuleFor(library!)!;
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === tokenLabel)!;
    await store.sign(created[0].id, 'ECDSA-SHA256', data); // handle cached
    p11.C_CloseAllSessions(slot); // also ends the login
    const sig = await store.sign(created[0].id, 'ECDSA-SHA256', data);
    expect(verifySignature(created[0].publicKeySpki, 'ECDSA-SHA256', data, sig)).toBe(true);
  });

  it('a key destroyed on the token behind the store is KEY_NOT_FOUND, not a raw PKCS#11 error', async () => {
    const doomed = await store.createKey('ECDSA-P256', 'doomed');
    await store.sign(doomed.id, 'ECDSA-SHA256', data); // handle cached
    const p11 = pkcs11ModuleFor(library!)!;
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === tokenLabel)!;
    const session = p11.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
    try {
      for (const cls of [pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_PUBLIC_KEY]) {
        p11.C_FindObjectsInit(session, [{ type: pkcs11.CKA_CLASS, value: cls }, { type: pkcs11.CKA_ID, value: pkcs11IdOf(doomed.id)! }]);
        const [h] = p11.C_FindObjects(session, 1);
        p11.C_FindObjectsFinal(session);
        p11.C_DestroyObject(session, h);
      }
    } finally {
      p11.C_CloseSession(session);
    }
    await expect(store.sign(doomed.id, 'ECDSA-SHA256', data)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
  });

  it('a new store instance (after the old one closed) finds every key by id and signs', { timeout: 60_000 }, async () => {
    await store.close();
    expect(pkcs11ModuleFor(library!)).toBeUndefined(); // last store closed: module finalised
    store = createPkcs11KeyStore({ library: library!, tokenLabel, pin });
    for (const key of created) {
      expect(await store.getKey(key.id)).toEqual(key);
      const scheme = schemesFor(key.algorithm)[0];
      const sig = await store.sign(key.id, scheme, data);
      expect(verifySignature(key.publicKeySpki, scheme, data, sig)).toBe(true);
    }
  });

  it('a wrong PIN is KEY_STORE_LOCKED (also while another store is logged in); an unknown token label is KEY_STORE_UNAVAILABLE', async () => {
    expect(() => createPkcs11KeyStore({ library: library!, tokenLabel, pin: '9999' })).toThrow(expect.objectContaining({ code: 'KEY_STORE_LOCKED' }));
    await store.close();
    expect(() => createPkcs11KeyStore({ library: library!, tokenLabel, pin: '9999' })).toThrow(expect.objectContaining({ code: 'KEY_STORE_LOCKED' }));
    expect(() => createPkcs11KeyStore({ library: library!, tokenLabel: 'nope', pin })).toThrow(expect.objectContaining({ code: 'KEY_STORE_UNAVAILABLE' }));
    expect(() => createPkcs11KeyStore({ library: library!, pin } as never)).toThrow(TypeError);
    store = createPkcs11KeyStore({ library: library!, slot: 0, pin });
    expect((await store.getKey(created[0].id)).id).toBe(created[0].id);
  });
});

describe('rawEcdsaToDer', () => {
  it('encodes r‖s as DER INTEGERs, minimal and positive', () => {
    const raw = Buffer.concat([Buffer.alloc(31, 0), Buffer.from([0x80]), Buffer.alloc(32, 0x7f)]);
    const der = Buffer.from(rawEcdsaToDer(raw)).toString('hex');
    expect(der).toBe(`3026020200800220${'7f'.repeat(32)}`);
  });
});
