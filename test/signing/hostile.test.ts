/**
 * Hostile PDFs against the reader and validator: loops in /Prev and in the page tree, a deflate bomb
 * in a cross-reference stream, nesting 100 000 deep, absurd counts, broken offsets, and 300 random
 * corruptions of a sealed file. Each ends in a clean `PdfUnreadable` (or a result), never a hang, an
 * unbounded allocation or another exception.
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { sealPdf } from '../../src/signing/pdf/padesSign.ts';
import { bufferSource } from '../../src/signing/pdf/source.ts';
import { PdfDocument } from '../../src/signing/pdf/document.ts';
import { analyzePdf, PdfUnreadable } from '../../src/signing/verify/analyzePdf.ts';
import { makeSESeal } from '../../src/signing/gbt38540/sesSeal.ts';
import { buildHierarchy } from '../ca/support/pki.ts';
import { makePdf } from './support/pdfs.ts';

const pdfOf = (body: string) => Buffer.from(body, 'latin1');

function withXref(objects: string[], trailerExtra = '', xrefOverride?: (offsets: number[], pos: number) => string): Buffer {
  let out = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => { offsets[i + 1] = out.length; out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const pos = out.length;
  out += xrefOverride ? xrefOverride(offsets, pos)
    : `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n${offsets.slice(1).map((o) => `${String(o).padStart(10, '0')} 00000 n\r\n`).join('')}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${pos}\n%%EOF\n`;
  return pdfOf(out);
}

const expectUnreadable = (buf: Buffer) => expect(() => analyzePdf(bufferSource(buf))).toThrow(PdfUnreadable);

describe('hostile PDFs', () => {
  it('a /Prev chain that loops is refused', () => {
    const pdf = withXref(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>'], '', (offsets, pos) =>
      `xref\n0 3\n0000000000 65535 f\r\n${String(offsets[1]).padStart(10, '0')} 00000 n\r\n${String(offsets[2]).padStart(10, '0')} 00000 n\r\ntrailer\n<< /Size 3 /Root 1 0 R /Prev ${pos} >>\nstartxref\n${pos}\n%%EOF\n`);
    expectUnreadable(pdf);
  });

  it('a page tree that loops is refused when pages are walked', () => {
    const pdf = withXref(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [2 0 R] /Count 1 >>']);
    const view = new PdfDocument(bufferSource(pdf)).view();
    expect(() => view.pages()).toThrow(/loops/);
  });

  it('a deflate bomb in a cross-reference stream stops at the output cap', () => {
    const bomb = deflateSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 }); // 200 MB of zeros, ~200 KB
    let out = '%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n';
    const pos = out.length;
    const head = pdfOf(`${out}3 0 obj\n<< /Type /XRef /Size 4 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length ${bomb.length} >>\nstream\n`);
    const pdf = Buffer.concat([head, bomb, pdfOf(`\nendstream\nendobj\nstartxref\n${pos}\n%%EOF\n`)]);
    expect(() => analyzePdf(bufferSource(pdf))).toThrow(/exceeds/);
    out = '';
  });

  it('objects nested 100 000 deep, absurd xref counts and offsets outside the file are refused', () => {
    expectUnreadable(withXref([`<< /Type /Catalog /Pages 2 0 R /X ${'['.repeat(100_000)} >>`, '<< /Type /Pages /Kids [] /Count 0 >>']));
    expectUnreadable(pdfOf('%PDF-1.7\nxref\n0 999999999\ntrailer\n<< /Size 1 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n'));
    expectUnreadable(pdfOf('%PDF-1.7\nstartxref\n99999999\n%%EOF\n'));
    expectUnreadable(pdfOf('not a pdf at all'));
    expectUnreadable(Buffer.alloc(0));
  });

  it('300 random corruptions of a sealed PDF: each is analysed or refused cleanly', async () => {
    const { hierarchy } = await buildHierarchy('ECDSA');
    const maker = { certificate: hierarchy.issuing.certificate.der, signer: hierarchy.issuing.signer };
    const seseal = await makeSESeal({ vid: 'T', esId: '1', type: 1, name: 'n', certs: [], createDate: new Date(), validStart: new Date(), validEnd: new Date(), picture: { type: 'PNG', data: new Uint8Array(8), widthMm: 10, heightMm: 10 } }, maker);
    const pdf = makePdf({ pages: 2 });
    const ok = await sealPdf(bufferSource(pdf), { level: 'B-B', image: { png: new Uint8Array(0), widthMm: 10, heightMm: 10, cacheKey: 'x' }, fieldName: 'f', signingTime: new Date() },
      { cms: { signer: hierarchy.issuing.signer, certificate: hierarchy.issuing.certificate.der }, chain: [], seseal, tsa: async () => new Uint8Array(0), validationData: async () => ({ certificates: [], ocsps: [], crls: [] }) });
    const good = Buffer.concat([pdf, ...ok.updates]);
    expect(analyzePdf(bufferSource(good)).signatures[0]!.cms!.hashOk).toBe(true);
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(good);
      for (let k = 0; k < 1 + (i % 8); k++) bad[rnd() % bad.length] = rnd() & 0xff;
      const cut = i % 10 === 0 ? bad.subarray(0, rnd() % bad.length) : bad;
      try {
        const a = analyzePdf(bufferSource(cut));
        expect(Array.isArray(a.signatures)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(PdfUnreadable);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});

export { createMemoryKeyStore };
