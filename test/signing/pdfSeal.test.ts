/**
 * Seals (GB/T 38540 SESeal checked by OpenSSL, images, lifecycle at the CA) and PAdES sealing end to end, checked by peers nobody here wrote — poppler's pdfsig (with our root in an
 * NSS database), qpdf, `openssl cms -verify`, `openssl ts -verify` — and by Kexin's own validator,
 * including every attack class of the issue: a changed byte, an appended revision that changes page
 * content, a ByteRange pointing elsewhere, a revoked signer, an expired signer without time-stamp, an
 * untrusted root, and a seal applied with a certificate outside its certList.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { certificateToPem, pemToDer } from '../../src/ca/pem.ts';
import { checkSealSignature, parseSESeal } from '../../src/signing/gbt38540/sesSeal.ts';
import { isValidEsId } from '../../src/signing/seals/esId.ts';
import { readSignedData, attribute } from '../../src/signing/cms/readSignedData.ts';
import { SIGNING_OID } from '../../src/signing/oids.ts';
import { sealPdf } from '../../src/signing/pdf/padesSign.ts';
import { bufferSource } from '../../src/signing/pdf/source.ts';
import { collectValidationData } from '../../src/signing/validationData.ts';
import { buildHierarchy } from '../ca/support/pki.ts';
import { buildCsr } from '../../src/ca/buildCsr.ts';
import { signerFor } from '../../src/crypto/keyStore.ts';
import { prepareCertificate, signCertificate } from '../../src/ca/issueCertificate.ts';
import { checkCsr } from '../../src/ca/checkCsr.ts';
import { getProfile } from '../../src/ca/profiles.ts';
import { newSerial, parseCertificate } from '../../src/ca/certificate.ts';
import { createRootCa } from '../../src/ca/createHierarchy.ts';
import { run, runOk, write } from '../support/tools.ts';
import { OWNER, startSigningHarness } from './support/harness.ts';
import { appendContentChange, makePdf } from './support/pdfs.ts';
import { extractSignatures, nssDbTrusting, pdfsig } from './support/pdfTools.ts';

type Harness = Awaited<ReturnType<typeof startSigningHarness>>;

describe('PAdES sealing and validation', () => {
  let h: Harness;
  let ecdsaSeal: string;
  let sm2Seal: string;
  let rootsPem: string[];
  let issuingPem: string;
  const dir = mkdtempSync(join(tmpdir(), 'kexin-pades-'));
  const seal = async (sealId: string, pdf: Buffer, opts: Parameters<Harness['signing']['applyPdf']>[2]) => {
    const r = await h.signing.applyPdf(sealId, bufferSource(pdf), opts, 'operator:test');
    return { out: Buffer.concat([pdf, ...r.updates]), doc: r.document };
  };
  const verify = (pdf: Buffer) => h.signing.verifyPdf({ bytes: pdf });

  beforeAll(async () => {
    h = await startSigningHarness();
    ecdsaSeal = (await h.signing.createSeal({ owner: OWNER, kind: 'business', name: '社会保险业务专用章', algorithm: 'ECDSA' }, 'operator:test')).id;
    sm2Seal = (await h.signing.createSeal({ owner: OWNER, kind: 'legal-name', name: OWNER.name, algorithm: 'SM2' }, 'operator:test')).id;
    const cas = await h.ca.listCas();
    rootsPem = cas.filter((c) => c.role === 'root').map((c) => c.certificatePem!);
    issuingPem = cas.filter((c) => c.role === 'issuing').map((c) => c.certificatePem!).join('');
  });
  afterAll(async () => { await h?.close(); });

  // Seals themselves: made through the CA, GB/T 38540 checked by OpenSSL, images, lifecycle.
  for (const algorithm of ['ECDSA', 'SM2'] as const) {
    it(`${algorithm}: SESeal v4 signed by the maker, certList holds the seal's own certificates, OpenSSL agrees`, async () => {
      const seal = await h.signing.seals.createSeal({ owner: OWNER, kind: 'business', name: '社会保险业务专用章', algorithm, stampCode: true }, 'operator:test');
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
    const seal = await h.signing.seals.createSeal({ owner: OWNER, kind: 'legal-name', name: OWNER.name, algorithm: 'ECDSA' }, 'operator:test');
    const meta = await sharp(Buffer.from(seal.image.png)).metadata();
    expect(meta).toMatchObject({ format: 'png', hasAlpha: true, density: 400, width: 661, height: 661 });
    const opaque = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#e60012' } }).png().toBuffer();
    await expect(h.signing.seals.createSeal({ owner: OWNER, kind: 'business', name: '章', algorithm: 'ECDSA', image: opaque }, 'operator:test')).rejects.toMatchObject({ code: 'SEAL_IMAGE_INVALID' });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><image href="file:///etc/passwd" width="100" height="100"/></svg>');
    await expect(h.signing.seals.createSeal({ owner: OWNER, kind: 'business', name: '章', algorithm: 'ECDSA', image: svg }, 'operator:test')).rejects.toMatchObject({ code: 'SEAL_IMAGE_INVALID' });
    const ok = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><circle cx="50" cy="50" r="45" fill="none" stroke="red" stroke-width="4"/></svg>');
    const uploaded = await h.signing.seals.createSeal({ owner: OWNER, kind: 'business', name: '上传章', algorithm: 'ECDSA', image: ok }, 'operator:test');
    expect(uploaded.image.widthMm).toBe(40);
  });

  it('refuses a bad credit code before any key or certificate exists', async () => {
    await expect(h.signing.seals.createSeal({ owner: { name: 'X', creditCode: '111100000000133773' }, kind: 'business', name: '章', algorithm: 'ECDSA' }, 'operator:test'))
      .rejects.toMatchObject({ code: 'SEAL_REQUEST_INVALID' });
    const rows = await h.db.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'ca.certificate.issue' AND details->>'subject' LIKE '%111100000000133773%'");
    expect(rows.rows[0].n).toBe(0);
  });

  it('suspend puts the certificates on hold, resume releases them, cancel revokes them; each audited', async () => {
    const seal = await h.signing.seals.createSeal({ owner: OWNER, kind: 'personal', name: '张三名章', holderName: '张三', algorithm: 'SM2' }, 'operator:test');
    await h.signing.seals.suspend(seal.id, 'operator:test');
    expect((await h.signing.seals.sealStatus(seal.id)).certificates.map((c) => c.status)).toEqual(['hold', 'hold']);
    await expect(h.signing.seals.signersFor(seal.id)).rejects.toMatchObject({ code: 'SEAL_NOT_ACTIVE' });
    await h.signing.seals.resume(seal.id, 'operator:test');
    expect((await h.signing.seals.sealStatus(seal.id)).certificates.map((c) => c.status)).toEqual(['valid', 'valid']);
    await h.signing.seals.cancel(seal.id, 'operator:test');
    const status = await h.signing.seals.sealStatus(seal.id);
    expect(status.status).toBe('cancelled');
    expect(status.certificates.map((c) => [c.status, c.revocationReason])).toEqual([['revoked', 'cessationOfOperation'], ['revoked', 'cessationOfOperation']]);
    await expect(h.signing.seals.resume(seal.id, 'operator:test')).rejects.toMatchObject({ code: 'SEAL_STATE_CONFLICT' });
    const audit = await h.db.pool.query('SELECT action FROM audit_log WHERE subject = $1 ORDER BY seq', [seal.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(['seal.create', 'seal.suspend', 'seal.resume', 'seal.cancel']);
  });

  it('B-LTA with seal image and verification block: pdfsig valid and trusted, qpdf clean, OpenSSL verifies the CMS and both time-stamps; TOTAL_PASSED', async () => {
    const { out, doc } = await seal(ecdsaSeal, makePdf({ pages: 2 }), { level: 'B-LTA', page: 1, x: 150, y: 60, qr: true });
    const file = write(dir, 'lta.pdf', out);
    const nss = nssDbTrusting(rootsPem);
    const sig = await pdfsig(nss, file);
    expect(sig).toMatch(/Signature #1:[\s\S]*Signature Validation: Signature is Valid\.[\s\S]*Certificate Validation: Certificate is Trusted\./);
    expect(sig).toContain('ETSI.CAdES.detached');
    expect(run('qpdf', ['--check', file]).out).toContain('No syntax or stream encoding errors found');

    const [first, docTs] = extractSignatures(out);
    const root = write(dir, 'roots.pem', rootsPem.join(''));
    const untrusted = write(dir, 'issuing.pem', issuingPem);
    write(dir, 'cms.der', first!.der);
    write(dir, 'signed.bin', first!.signedData);
    expect(runOk('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'cms.der'), '-content', join(dir, 'signed.bin'), '-CAfile', root, '-certfile', untrusted, '-purpose', 'any', '-out', '/dev/null'])).toContain('Verification successful');
    // The signature time-stamp is over the signature value; the document time-stamp over its byte range.
    const info = readSignedData(first!.der).signerInfos[0]!;
    const token = attribute(info.unsignedAttrs, SIGNING_OID.signatureTimeStampToken)!.values[0]!.der;
    const tsaArgs = ['-CAfile', root, '-untrusted', untrusted];
    expect(runOk('openssl', ['ts', '-verify', '-data', write(dir, 'sigvalue.bin', info.signature), '-in', write(dir, 'sigts.der', token), '-token_in', ...tsaArgs])).toContain('Verification: OK');
    expect(runOk('openssl', ['ts', '-verify', '-data', write(dir, 'docts-data.bin', docTs!.signedData), '-in', write(dir, 'docts.der', docTs!.der), '-token_in', ...tsaArgs])).toContain('Verification: OK');

    const v = await verify(out);
    expect(v.indication, JSON.stringify(v.signatures.map((s) => s.reasons))).toBe('TOTAL_PASSED');
    expect(v.signatures.map((s) => [s.type, s.indication, s.coverage])).toEqual([['signature', 'TOTAL_PASSED', 'ENTIRE_REVISION'], ['document-timestamp', 'TOTAL_PASSED', 'ENTIRE_FILE']]);
    const s = v.signatures[0]!;
    expect(s).toMatchObject({ level: 'B-LTA', intact: true, signingTimeProven: true, modificationLevel: 'LTA_UPDATES' });
    expect(s.seal).toMatchObject({ signerInCertList: true, makerSignatureValid: true, registered: { id: ecdsaSeal, status: 'active' } });
    expect(s.seal!.image!.widthMm).toBe(40);
    expect(v.modificationLevel).toBe('LTA_UPDATES');
    expect(doc).toMatchObject({ format: 'pdf', level: 'B-LTA', kept: true });
    const audit = await h.db.pool.query("SELECT actor, details FROM audit_log WHERE action = 'seal.apply' AND subject = $1", [ecdsaSeal]);
    expect(audit.rows.at(-1)).toMatchObject({ actor: 'operator:test', details: { documentId: doc.id, level: 'B-LTA' } });
  });

  it('SM2 dual sealing: the PAdES signature poppler checks, and the GB/T 38540 SES_Signature of the same bytes (SM3) in the CMS', async () => {
    const { out } = await seal(sm2Seal, makePdf(), { level: 'B-T', page: 1, x: 100, y: 100 });
    const nss = nssDbTrusting(rootsPem);
    expect(await pdfsig(nss, write(dir, 'sm2.pdf', out))).toMatch(/Signature is Valid\.[\s\S]*Certificate is Trusted\./);
    const v = await verify(out);
    expect(v.indication, JSON.stringify(v.signatures[0]!.reasons)).toBe('TOTAL_PASSED');
    expect(v.signatures[0]!.ses).toMatchObject({ valid: true, seal: { signerInCertList: true, makerSignatureValid: true } });
    expect(v.signatures[0]!.level).toBe('B-T');
  });

  it('a second seal is a later revision; the first stays valid (FORM_FILLING after it)', async () => {
    const once = (await seal(ecdsaSeal, makePdf(), { level: 'B-T', page: 1, x: 60, y: 60 })).out;
    const twice = (await seal(sm2Seal, once, { level: 'B-T', page: 1, x: 150, y: 60 })).out;
    const v = await verify(twice);
    expect(v.signatures.map((s) => [s.indication, s.modificationLevel])).toEqual([['TOTAL_PASSED', 'FORM_FILLING'], ['TOTAL_PASSED', 'NONE']]);
    const nss = nssDbTrusting(rootsPem);
    expect((await pdfsig(nss, write(dir, 'twice.pdf', twice))).match(/Certificate is Trusted\./g)).toHaveLength(2);
  });

  it('DocMDP: P=1 forbids a later seal; P=2 allows one', async () => {
    const p1 = (await seal(ecdsaSeal, makePdf(), { level: 'B-B', certify: 1 })).out;
    expect((await verify(p1)).signatures[0]).toMatchObject({ docMdp: 1, indication: 'TOTAL_PASSED' });
    await expect(seal(ecdsaSeal, p1, { level: 'B-B' })).rejects.toMatchObject({ code: 'SEAL_PDF_UNSUPPORTED' });
    const p2 = (await seal(ecdsaSeal, makePdf(), { level: 'B-B', certify: 2 })).out;
    const v = await verify((await seal(sm2Seal, p2, { level: 'B-B' })).out);
    expect(v.signatures.map((s) => s.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_PASSED']);
  });

  it('a changed byte inside the signed range: TOTAL_FAILED / HASH_FAILURE', async () => {
    const { out } = await seal(ecdsaSeal, makePdf({ text: 'Pension 1000 CNY' }), { level: 'B-T' });
    const i = out.indexOf('Pension 1000');
    out[i + 8] = '9'.charCodeAt(0);
    const v = await verify(out);
    expect(v.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE', intact: false });
  });

  it('an appended revision that changes page content: TOTAL_FAILED, modification OTHER — whoever signed', async () => {
    const { out } = await seal(ecdsaSeal, makePdf({ text: 'Pension 1000 CNY' }), { level: 'B-T' });
    const attacked = appendContentChange(out, 'Pension 9000 CNY');
    const v = await verify(attacked);
    expect(v.modificationLevel).toBe('OTHER');
    expect(v.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE', intact: true, coverage: 'ENTIRE_REVISION', modificationLevel: 'OTHER' });
    expect(v.signatures[0]!.reasons[0]!.code).toBe('MODIFIED_AFTER_SIGNING');
  });

  it('a ByteRange that points elsewhere than its /Contents: TOTAL_FAILED / FORMAT_FAILURE', async () => {
    const { out } = await seal(ecdsaSeal, makePdf(), { level: 'B-B' });
    const text = out.toString('latin1');
    const m = /\/ByteRange \[0 (\d+) (\d+) (\d+)\s*\]/.exec(text)!;
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
    // Shift the gap by one byte, keeping the array's width.
    const moved = `/ByteRange [0 ${a - 1} ${b - 1} ${c + 1}]`.padEnd(m[0].length, ' ');
    const attacked = Buffer.from(text.slice(0, m.index) + moved + text.slice(m.index + m[0].length), 'latin1');
    const v = await verify(attacked);
    expect(v.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(v.signatures[0]!.reasons.map((r) => r.code)).toContain('BYTE_RANGE_GAP_NOT_CONTENTS');
  });

  it('untrusted root: a signature by a certificate of a foreign CA is INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const { keyStore, clock, hierarchy } = await buildHierarchy('ECDSA');
    const key = await keyStore.createKey('ECDSA-P256', 'foreign');
    const signer = signerFor(keyStore, key, 'ECDSA-SHA256');
    const csr = await buildCsr({ signer, subject: [{ type: 'C', value: 'CN' }, { type: 'O', value: OWNER.name }, { type: 'organizationIdentifier', value: OWNER.creditCode }, { type: 'CN', value: 'Forged seal' }] });
    const plan = prepareCertificate({ csr: checkCsr(csr.der, getProfile('seal')), profile: 'seal', issuer: { certificate: hierarchy.issuing.certificate.der, caId: 'x' }, serial: newSerial(), clock, baseUrl: 'https://x.example' });
    const cert = (await signCertificate(plan, hierarchy.issuing.signer)).der;
    const s = await h.signing.seals.signersFor(ecdsaSeal);
    const pdf = makePdf();
    const sealed = await sealPdf(bufferSource(pdf), { level: 'B-B', image: { ...s.seal.image, cacheKey: 'x' }, fieldName: 'forged', signingTime: h.clock.now() },
      { cms: { signer, certificate: cert }, chain: [hierarchy.issuing.certificate.der], seseal: s.seseal, tsa: (q) => h.ca.timestamp(q), validationData: (c) => collectValidationData(h.ca, c) });
    const v = await verify(Buffer.concat([pdf, ...sealed.updates]));
    expect(v.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND', intact: true });
    // …and the seal it carries does not list that certificate either.
    expect(v.signatures[0]!.reasons.map((r) => r.code)).toContain('SEAL_CERT_NOT_IN_CERTLIST');
  });

  it('a seal applied with a certificate not in its certList: INDETERMINATE / SIG_CONSTRAINTS_FAILURE (CMS and SES_Signature)', async () => {
    const victim = await h.signing.seals.signersFor(sm2Seal);
    const thief = await h.signing.seals.signersFor((await h.signing.createSeal({ owner: OWNER, kind: 'internal', name: '办公室章', algorithm: 'SM2' }, 'operator:test')).id);
    const pdf = makePdf();
    const sealed = await sealPdf(bufferSource(pdf), { level: 'B-B', image: { ...victim.seal.image, cacheKey: victim.seal.id }, placement: { page: 1, xMm: 100, yMm: 100 }, fieldName: 'stolen', signingTime: h.clock.now() },
      { cms: thief.cms, chain: thief.chain, seseal: victim.seseal, sm2: { ...thief.sm2!, chain: thief.sm2Chain! }, tsa: (q) => h.ca.timestamp(q), validationData: (c) => collectValidationData(h.ca, c) });
    const v = await verify(Buffer.concat([pdf, ...sealed.updates]));
    expect(v.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE', intact: true });
    expect(v.signatures[0]!.seal!.signerInCertList).toBe(false);
    expect(v.signatures[0]!.ses!.seal.signerInCertList).toBe(false);
  });

  it('fifty look-alike intermediates in the CMS: path building stays within its budget and still finds the real chain', async () => {
    const s = await h.signing.seals.signersFor(ecdsaSeal);
    const issuing = pemToDer(issuingPem)[0]!;
    const { keyStore, clock } = await buildHierarchy('ECDSA');
    const subject = parseCertificate(issuing).subject;
    const name = subject.typesAndValues.map((tv) => ({ type: (['C', 'O', 'CN'] as const)[['2.5.4.6', '2.5.4.10', '2.5.4.3'].indexOf(tv.type)]!, value: tv.value.valueBlock.value as string }));
    const lookalikes: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) lookalikes.push((await createRootCa({ keyStore, algorithm: 'ECDSA-P256', name, clock })).certificate.der);
    const pdf = makePdf();
    const sealed = await sealPdf(bufferSource(pdf), { level: 'B-B', image: { ...s.seal.image, cacheKey: s.seal.id }, fieldName: 'crowded', signingTime: h.clock.now() },
      { cms: s.cms, chain: [...lookalikes, ...s.chain], seseal: s.seseal, tsa: (q) => h.ca.timestamp(q), validationData: (c) => collectValidationData(h.ca, c) });
    const started = performance.now();
    const v = await verify(Buffer.concat([pdf, ...sealed.updates]));
    expect(v.signatures[0]!.indication, JSON.stringify(v.signatures[0]!.reasons)).toBe('TOTAL_PASSED');
    // Recorded, not asserted (no timing assertions): what 50 look-alikes cost here.
    console.info(`[look-alikes] validation with 50 look-alike intermediates: ${(performance.now() - started).toFixed(0)} ms`);
  });

  it('archive renewal: a kept B-LTA document gets the DSS for its last time-stamp and a fresh document time-stamp, audited', async () => {
    const { doc } = await seal(ecdsaSeal, makePdf(), { level: 'B-LTA' });
    expect(doc.kept).toBe(true);
    const renewed = await h.signing.renewArchives({ force: true });
    expect(renewed.find((r) => r.id === doc.id)).toEqual({ id: doc.id, renewed: true });
    const { chunks } = await h.signing.documentFile(doc.id);
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    const v = await verify(Buffer.concat(parts));
    expect(v.signatures.map((s) => [s.type, s.indication])).toEqual([['signature', 'TOTAL_PASSED'], ['document-timestamp', 'TOTAL_PASSED'], ['document-timestamp', 'TOTAL_PASSED']]);
    expect(v.modificationLevel).toBe('LTA_UPDATES');
    expect((await h.signing.documentView(doc.id)).renewals).toBe(1);
    const audit = await h.db.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'seal.archive.renew' AND subject = $1", [doc.id]);
    expect(audit.rows[0].n).toBe(1);
  });

  it('revoked signer: without a time-stamp INDETERMINATE / REVOKED_NO_POE; with one made before the revocation, TOTAL_PASSED', async () => {
    const id = (await h.signing.createSeal({ owner: OWNER, kind: 'branch', name: '分中心章', algorithm: 'ECDSA' }, 'operator:test')).id;
    const bb = (await seal(id, makePdf(), { level: 'B-B' })).out;
    const bt = (await seal(id, makePdf(), { level: 'B-T' })).out;
    h.clock.advance(60_000);
    await h.signing.seals.cancel(id, 'operator:test');
    h.clock.advance(60_000);
    expect((await verify(bb)).signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
    const v = await verify(bt);
    expect(v.signatures[0]!.indication, JSON.stringify(v.signatures[0]!.reasons)).toBe('TOTAL_PASSED');
    expect(v.signatures[0]!.seal!.registered).toMatchObject({ status: 'cancelled' });
  });

  it('expired signer: without a time-stamp INDETERMINATE / OUT_OF_BOUNDS_NO_POE; B-T stays TOTAL_PASSED (last: moves the clock)', async () => {
    const bb = (await seal(ecdsaSeal, makePdf(), { level: 'B-B' })).out;
    const bt = (await seal(ecdsaSeal, makePdf(), { level: 'B-T' })).out;
    h.clock.advance(4 * 365 * 86_400_000);
    expect((await verify(bb)).signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    const v = await verify(bt);
    expect(v.signatures[0]!.indication, JSON.stringify(v.signatures[0]!.reasons)).toBe('TOTAL_PASSED');
  });
});

export { pemToDer };
