/**
 * Seals: made through the CA service with per-seal keys, the GB/T 38540 SESeal checked by OpenSSL
 * (the maker's SM2/ECDSA signature over SES_SealInfo) and read back field by field; the lifecycle
 * changes the certificates' status at the CA and is audited.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { parseCertificate } from '../../src/ca/certificate.ts';
import { certificateToPem } from '../../src/ca/pem.ts';
import { checkSealSignature, parseSESeal } from '../../src/signing/gbt38540/sesSeal.ts';
import { isValidEsId } from '../../src/signing/seals/esId.ts';
import { createSealService, type SealService } from '../../src/signing/seals/sealService.ts';
import { runOk, run, write } from '../support/tools.ts';
import { OWNER, startCaHarness, type CaHarness } from './support/harness.ts';

describe('seals: make, register, lifecycle', () => {
  let h: CaHarness;
  let seals: SealService;
  const dir = mkdtempSync(join(tmpdir(), 'kexin-seals-'));
  beforeAll(async () => {
    h = await startCaHarness();
    seals = createSealService({
      pool: h.db.pool, keyStore: h.keyStore, ca: h.ca, clock: h.clock, logger: createLogger('silent'),
      makers: { ECDSA: h.serviceKeys['maker-ecdsa'], SM2: h.serviceKeys['maker-sm2'] }, regionCode: '440300', vendorId: 'KEXIN',
    });
  });
  afterAll(async () => { await h?.close(); });

  for (const algorithm of ['ECDSA', 'SM2'] as const) {
    it(`${algorithm}: SESeal v4 signed by the maker, certList holds the seal's own certificates, OpenSSL agrees`, async () => {
      const seal = await seals.createSeal({ owner: OWNER, kind: 'business', name: '社会保险业务专用章', algorithm, stampCode: true }, 'operator:test');
      expect(isValidEsId(seal.esId)).toBe(true);
      expect(seal.keys.map((k) => k.role)).toEqual(algorithm === 'SM2' ? ['sm2', 'cms'] : ['cms']);
      const ses = parseSESeal(seal.seseal);
      expect(ses.info).toMatchObject({ vid: 'KEXIN', esId: seal.esId, type: 1, name: '社会保险业务专用章' });
      expect(ses.info.certs.map((c) => Buffer.from(c))).toEqual(seal.certificates.map((c) => Buffer.from(c)));
      expect(ses.info.picture).toMatchObject({ type: 'PNG', widthMm: 40, heightMm: 40 });
      const maker = h.serviceKeys[algorithm === 'SM2' ? 'maker-sm2' : 'maker-ecdsa']!;
      expect(Buffer.from(ses.makerCertificate)).toEqual(Buffer.from(maker.certificate));
      expect(checkSealSignature(ses, maker.signer.publicKeySpki)).toBe(true);
      // Every certificate is a `seal` certificate for the owner, with the credit code checked by the CA.
      for (const c of seal.certificates) expect(parseCertificate(c).subject.typesAndValues.map((t) => t.value.valueBlock.value)).toContain(OWNER.creditCode);

      // OpenSSL: the DER is well formed, and the maker's signature over SES_SealInfo verifies.
      runOk('openssl', ['asn1parse', '-inform', 'DER', '-in', write(dir, `seal-${algorithm}.der`, seal.seseal)]);
      const info = write(dir, `sealinfo-${algorithm}.der`, ses.sealInfoDer);
      const sig = write(dir, `sealsig-${algorithm}.der`, ses.signature);
      const pub = join(dir, `maker-${algorithm}.pub`);
      runOk('openssl', ['x509', '-in', write(dir, `maker-${algorithm}.pem`, certificateToPem(ses.makerCertificate)), '-pubkey', '-noout', '-out', pub]);
      const args = algorithm === 'SM2'
        ? ['dgst', '-sm3', '-verify', pub, '-sigopt', 'distid:1234567812345678', '-signature', sig, info]
        : ['dgst', '-sha256', '-verify', pub, '-signature', sig, info];
      expect(runOk('openssl', args)).toContain('Verified OK');
      // …and a changed byte does not.
      const tampered = Buffer.from(ses.sealInfoDer);
      tampered[tampered.length - 1] ^= 1;
      expect(run('openssl', [...args.slice(0, -1), write(dir, `tampered-${algorithm}.der`, tampered)]).status).not.toBe(0);
    });
  }

  it('the drawn stamp is red on transparent at its true size; an upload without transparency is refused', async () => {
    const seal = await seals.createSeal({ owner: OWNER, kind: 'legal-name', name: OWNER.name, algorithm: 'ECDSA' }, 'operator:test');
    const meta = await sharp(Buffer.from(seal.image.png)).metadata();
    expect(meta).toMatchObject({ format: 'png', hasAlpha: true, density: 400, width: 661, height: 661 });
    const opaque = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#e60012' } }).png().toBuffer();
    await expect(seals.createSeal({ owner: OWNER, kind: 'business', name: '章', algorithm: 'ECDSA', image: opaque }, 'operator:test')).rejects.toMatchObject({ code: 'SEAL_IMAGE_INVALID' });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><image href="file:///etc/passwd" width="100" height="100"/></svg>');
    await expect(seals.createSeal({ owner: OWNER, kind: 'business', name: '章', algorithm: 'ECDSA', image: svg }, 'operator:test')).rejects.toMatchObject({ code: 'SEAL_IMAGE_INVALID' });
    const ok = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><circle cx="50" cy="50" r="45" fill="none" stroke="red" stroke-width="4"/></svg>');
    const uploaded = await seals.createSeal({ owner: OWNER, kind: 'business', name: '上传章', algorithm: 'ECDSA', image: ok }, 'operator:test');
    expect(uploaded.image.widthMm).toBe(40);
  });

  it('refuses a bad credit code before any key or certificate exists', async () => {
    await expect(seals.createSeal({ owner: { name: 'X', creditCode: '111100000000133773' }, kind: 'business', name: '章', algorithm: 'ECDSA' }, 'operator:test'))
      .rejects.toMatchObject({ code: 'SEAL_REQUEST_INVALID' });
    const rows = await h.db.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'ca.certificate.issue' AND details->>'subject' LIKE '%111100000000133773%'");
    expect(rows.rows[0].n).toBe(0);
  });

  it('suspend puts the certificates on hold, resume releases them, cancel revokes them; each audited', async () => {
    const seal = await seals.createSeal({ owner: OWNER, kind: 'personal', name: '张三名章', holderName: '张三', algorithm: 'SM2' }, 'operator:test');
    await seals.suspend(seal.id, 'operator:test');
    expect((await seals.sealStatus(seal.id)).certificates.map((c) => c.status)).toEqual(['hold', 'hold']);
    await expect(seals.signersFor(seal.id)).rejects.toMatchObject({ code: 'SEAL_NOT_ACTIVE' });
    await seals.resume(seal.id, 'operator:test');
    expect((await seals.sealStatus(seal.id)).certificates.map((c) => c.status)).toEqual(['valid', 'valid']);
    await seals.cancel(seal.id, 'operator:test');
    const status = await seals.sealStatus(seal.id);
    expect(status.status).toBe('cancelled');
    expect(status.certificates.map((c) => [c.status, c.revocationReason])).toEqual([['revoked', 'cessationOfOperation'], ['revoked', 'cessationOfOperation']]);
    await expect(seals.resume(seal.id, 'operator:test')).rejects.toMatchObject({ code: 'SEAL_STATE_CONFLICT' });
    const audit = await h.db.pool.query('SELECT action FROM audit_log WHERE subject = $1 ORDER BY seq', [seal.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(['seal.create', 'seal.suspend', 'seal.resume', 'seal.cancel']);
  });
});
