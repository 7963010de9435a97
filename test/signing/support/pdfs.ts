/** Small PDFs for tests, written by hand (so nothing here depends on the code under test). */
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/**
 * A PDF with `pages` A4 pages of text, classic cross-reference table. `padTo` adds an image-like
 * stream (random bytes, referenced from page 1's resources but not drawn) to reach about that size.
 */
export function makePdf(opts: { pages?: number; text?: string; padTo?: number } = {}): Buffer {
  const pages = opts.pages ?? 1;
  const objs: string[] = [];
  const bin = new Map<number, Buffer>();
  const kids = Array.from({ length: pages }, (_, i) => `${4 + i * 2} 0 R`).join(' ');
  objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objs[2] = `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`;
  objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  const fillerN = 4 + pages * 2;
  for (let i = 0; i < pages; i++) {
    const content = Buffer.from(`BT /F1 18 Tf 72 740 Td (${opts.text ?? 'Kexin test document'} - page ${i + 1}) Tj ET\nBT /F1 11 Tf 72 700 Td (Pension payment record 2026) Tj ET`);
    const res = i === 0 && opts.padTo ? `<< /Font << /F1 3 0 R >> /XObject << /Pad ${fillerN} 0 R >> >>` : '<< /Font << /F1 3 0 R >> >>';
    objs[4 + i * 2] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources ${res} /Contents ${5 + i * 2} 0 R >>`;
    bin.set(5 + i * 2, Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('\nendstream')]));
  }
  if (opts.padTo) {
    const data = randomBytes(opts.padTo);
    const side = Math.floor(Math.sqrt(opts.padTo / 3));
    bin.set(fillerN, Buffer.concat([Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${data.length} >>\nstream\n`), data, Buffer.from('\nendstream')]));
  }
  const count = Math.max(objs.length, ...[...bin.keys()].map((k) => k + 1));
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let pos = parts[0]!.length;
  const offsets: number[] = [];
  for (let n = 1; n < count; n++) {
    const body = bin.get(n) ?? Buffer.from(objs[n]!, 'latin1');
    const b = Buffer.concat([Buffer.from(`${n} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    offsets[n] = pos;
    parts.push(b);
    pos += b.length;
  }
  let xref = `xref\n0 ${count}\n0000000000 65535 f\r\n`;
  for (let n = 1; n < count; n++) xref += `${String(offsets[n]).padStart(10, '0')} 00000 n\r\n`;
  xref += `trailer\n<< /Size ${count} /Root 1 0 R /ID [<${'ab'.repeat(16)}> <${'ab'.repeat(16)}>] >>\nstartxref\n${pos}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

/** Appends an incremental update that replaces page 1's content stream (the "changed content" attack). */
export function appendContentChange(pdf: Buffer, newText: string): Buffer {
  const text = pdf.toString('latin1');
  const startxref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)![1]);
  const size = Number([...text.matchAll(/\/Size (\d+)/g)].pop()![1]);
  const content = Buffer.from(`BT /F1 18 Tf 72 740 Td (${newText}) Tj ET`);
  const obj = Buffer.concat([Buffer.from(`5 0 obj\n<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('\nendstream\nendobj\n')]);
  const xrefAt = pdf.length + obj.length;
  const root = /\/Root (\d+) (\d+) R/.exec(text.slice(text.lastIndexOf('trailer')) || text)?.[0] ?? '/Root 1 0 R';
  const tail = `xref\n5 1\n${String(pdf.length).padStart(10, '0')} 00000 n\r\ntrailer\n<< /Size ${size} ${root} /Prev ${startxref} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.concat([pdf, obj, Buffer.from(tail, 'latin1')]);
}

/** Deflated stream helper for hostile fixtures. */
export const deflate = (b: Buffer) => deflateSync(b);
