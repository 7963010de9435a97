/**
 * SM2/SM3 interop proof: Kexin ↔ OpenSSL both ways (default and non-default distinguishing IDs), the
 * GB/T 32918.5-2017 recommended-curve signature example, and the GB/T 32905-2016 SM3 examples.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sm3 } from 'sm-crypto-v2';
import { afterAll, describe, expect, it } from 'vitest';
import { digest } from '../../src/crypto/algorithmIdentifiers.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { SM2_DEFAULT_USER_ID } from '../../src/crypto/keyStore.ts';
import { verifySignature } from '../../src/crypto/signatures.ts';
import { parseSm2Signature, sm2MessageDigest, sm2PublicPointHex, sm2SignWithFixedNonceForTest } from '../../src/crypto/sm2.ts';

function opensslSm2Reason(): string | undefined {
  try {
    const out = execFileSync('openssl', ['list', '-public-key-algorithms'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /sm2/i.test(out) ? undefined : 'openssl lists no SM2 public-key algorithm';
  } catch {
    return 'openssl not found';
  }
}
const skipReason = opensslSm2Reason();
if (skipReason) console.warn(`[sm2.openssl.test] OpenSSL interop skipped: ${skipReason}`);

const root = mkdtempSync(join(tmpdir(), 'kexin-sm2-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const enc = new TextEncoder();
const data = enc.encode('kexin 可信 SM2 interop');
const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const spkiPem = (spki: Uint8Array) => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' });

/** The openssl -sigopt for a distinguishing ID: text when printable ASCII, otherwise hex. */
const distidOpt = (id: Uint8Array) =>
  /^[\x21-\x7e]+$/.test(Buffer.from(id).toString('latin1')) ? `distid:${Buffer.from(id).toString('latin1')}` : `hexdistid:${Buffer.from(id).toString('hex')}`;

const ids: { name: string; id: Uint8Array | undefined }[] = [
  { name: 'default ID (omitted on the Kexin side)', id: undefined },
  { name: 'ASCII ID alice@kexin.example', id: enc.encode('alice@kexin.example') },
  { name: 'binary ID with bytes ≥ 0x80 (UTF-8 可信 + ff00)', id: Uint8Array.from([...enc.encode('可信'), 0xff, 0x00]) },
];

describe.skipIf(skipReason !== undefined)('SM2 interop with OpenSSL', () => {
  for (const { name, id } of ids) {
    const effective = id ?? SM2_DEFAULT_USER_ID;

    it(`Kexin signs, openssl dgst -sm3 -verify says Verified OK — ${name}`, async () => {
      const dir = mkdtempSync(join(root, 'k2o-'));
      const store = createMemoryKeyStore();
      const key = await store.createKey('SM2', 'sm2');
      const sig = await store.sign(key.id, 'SM2-SM3', data, id ? { sm2UserId: id } : undefined);
      writeFileSync(join(dir, 'pub.pem'), spkiPem(key.publicKeySpki));
      writeFileSync(join(dir, 'sig.der'), sig);
      writeFileSync(join(dir, 'data'), data);
      const out = openssl(['dgst', '-sm3', '-verify', join(dir, 'pub.pem'), '-sigopt', distidOpt(effective), '-signature', join(dir, 'sig.der'), join(dir, 'data')]);
      expect(out).toContain('Verified OK');
      // and with the wrong ID openssl refuses it
      const wrong = enc.encode('8765432187654321');
      let failure: { status?: number; stdout?: string } | undefined;
      try {
        openssl(['dgst', '-sm3', '-verify', join(dir, 'pub.pem'), '-sigopt', distidOpt(wrong), '-signature', join(dir, 'sig.der'), join(dir, 'data')]);
      } catch (e) {
        failure = e as { status?: number; stdout?: string };
      }
      expect(failure?.status).toBe(1);
      expect(failure?.stdout).toContain('Verification failure');
      await store.close();
    });

    it(`openssl signs, Kexin verifySignature accepts — ${name}`, () => {
      const dir = mkdtempSync(join(root, 'o2k-'));
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', join(dir, 'key.pem')]);
      writeFileSync(join(dir, 'data'), data);
      openssl(['dgst', '-sm3', '-sign', join(dir, 'key.pem'), '-sigopt', distidOpt(effective), '-out', join(dir, 'sig.der'), join(dir, 'data')]);
      openssl(['pkey', '-in', join(dir, 'key.pem'), '-pubout', '-outform', 'DER', '-out', join(dir, 'pub.der')]);
      const spki = new Uint8Array(readFileSync(join(dir, 'pub.der')));
      const sig = new Uint8Array(readFileSync(join(dir, 'sig.der')));
      const options = id ? { sm2UserId: id } : undefined;
      expect(verifySignature(spki, 'SM2-SM3', data, sig, options)).toBe(true);
      expect(verifySignature(spki, 'SM2-SM3', data, sig, { sm2UserId: enc.encode('8765432187654321') })).toBe(false);
      const tampered = Uint8Array.from(data);
      tampered[0] ^= 1;
      expect(verifySignature(spki, 'SM2-SM3', tampered, sig, options)).toBe(false);
    });
  }

  it('an openssl-generated SM2 private key imported into Node signs for openssl too', async () => {
    const dir = mkdtempSync(join(root, 'imp-'));
    openssl(['ecparam', '-name', 'SM2', '-genkey', '-noout', '-out', join(dir, 'key.pem')]);
    const { signWithKeyObject } = await import('../../src/crypto/signatures.ts');
    const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
    writeFileSync(join(dir, 'sig.der'), signWithKeyObject(key, 'SM2-SM3', data));
    writeFileSync(join(dir, 'data'), data);
    openssl(['ec', '-in', join(dir, 'key.pem'), '-pubout', '-out', join(dir, 'pub.pem')]);
    const out = openssl(['dgst', '-sm3', '-verify', join(dir, 'pub.pem'), '-sigopt', 'distid:1234567812345678', '-signature', join(dir, 'sig.der'), join(dir, 'data')]);
    expect(out).toContain('Verified OK');
  });
});

describe('GB/T 32918.5-2017 recommended-curve signature example', () => {
  // Example values (confirmed against OpenSSL's test/sm2_internal_test.c, GmSSL and other implementations' test vectors).
  const d = '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8';
  const expectedPublic = '04' + '09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020' + 'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13';
  const k = 0x59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21n;
  const r = 0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n;
  const s = 0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan;
  const message = enc.encode('message digest');

  // RFC 5915 ECPrivateKey on the SM2 curve (OID 1.2.156.10197.1.301), with the public key.
  const sec1 = Buffer.from(`30770201010420${d}a00a06082a811ccf5501822da144034200${expectedPublic}`, 'hex');
  const privateKey = createPrivateKey({ key: sec1, format: 'der', type: 'sec1' });
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));

  it('the private key gives the published public key, Z_A and e', () => {
    expect(sm2PublicPointHex(spki)).toBe(expectedPublic);
    expect(Buffer.from(sm2MessageDigest(expectedPublic, message)).toString('hex')).toBe('f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640');
  });

  it('with the published k Kexin produces exactly the published (r, s), and verifySignature accepts it', () => {
    const sig = sm2SignWithFixedNonceForTest(privateKey, message, k);
    expect(parseSm2Signature(sig)).toEqual({ r, s });
    expect(verifySignature(spki, 'SM2-SM3', message, sig)).toBe(true);
    expect(verifySignature(spki, 'SM2-SM3', message, sig, { sm2UserId: enc.encode('1234567812345679') })).toBe(false);
  });

  it('rejects non-canonical or out-of-range encodings of the same (r, s)', () => {
    const good = Buffer.from(sm2SignWithFixedNonceForTest(privateKey, message, k));
    expect(verifySignature(spki, 'SM2-SM3', message, Buffer.concat([good, Buffer.from([0])]))).toBe(false); // trailing byte
    const n = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
    const der = (a: bigint, b: bigint) => {
      const int = (x: bigint) => {
        let h = x.toString(16);
        if (h.length % 2) h = `0${h}`;
        if (parseInt(h.slice(0, 2), 16) & 0x80) h = `00${h}`;
        return `02${(h.length / 2).toString(16).padStart(2, '0')}${h}`;
      };
      const body = int(a) + int(b);
      return Buffer.from(`30${(body.length / 2).toString(16).padStart(2, '0')}${body}`, 'hex');
    };
    expect(verifySignature(spki, 'SM2-SM3', message, der(r, s))).toBe(true);
    expect(verifySignature(spki, 'SM2-SM3', message, der(r + n, s))).toBe(false);
    expect(verifySignature(spki, 'SM2-SM3', message, der(r, s + n))).toBe(false);
    expect(verifySignature(spki, 'SM2-SM3', message, der(0n, s))).toBe(false);
  });

  it.skipIf(skipReason !== undefined)('openssl also verifies the published signature', () => {
    const dir = mkdtempSync(join(root, 'kat-'));
    const sig = sm2SignWithFixedNonceForTest(privateKey, message, k);
    writeFileSync(join(dir, 'pub.pem'), spkiPem(spki));
    writeFileSync(join(dir, 'sig.der'), sig);
    writeFileSync(join(dir, 'data'), message);
    expect(openssl(['dgst', '-sm3', '-verify', join(dir, 'pub.pem'), '-sigopt', 'distid:1234567812345678', '-signature', join(dir, 'sig.der'), join(dir, 'data')])).toContain(
      'Verified OK',
    );
  });
});

describe('GB/T 32905-2016 SM3 examples', () => {
  const cases = [
    { input: 'abc', hash: '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0' },
    { input: 'abcd'.repeat(16), hash: 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732' },
  ];
  for (const { input, hash } of cases) {
    it(`SM3("${input.length > 8 ? `${input.slice(0, 8)}… (${input.length} bytes)` : input}")`, () => {
      expect(Buffer.from(digest('sm3', enc.encode(input))).toString('hex')).toBe(hash);
      expect(sm3(enc.encode(input))).toBe(hash);
    });
  }
});
