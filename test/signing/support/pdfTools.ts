/** Taking sealed PDFs apart for the external verifiers: the CMS of a signature, its signed bytes, NSS trust for pdfsig. */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk, write } from '../../support/tools.ts';

export interface ExtractedSignature {
  readonly byteRange: [number, number, number, number];
  /** The DER inside /Contents (zero padding removed). */
  readonly der: Buffer;
  /** The signed bytes: [0, a) ‖ [b, b + c). */
  readonly signedData: Buffer;
}

/** Every signature of `pdf`, in file order, by scanning for /ByteRange (test helper; the validator parses properly). */
export function extractSignatures(pdf: Buffer): ExtractedSignature[] {
  const text = pdf.toString('latin1');
  const out: ExtractedSignature[] = [];
  for (const m of text.matchAll(/\/ByteRange \[0 (\d+) (\d+) (\d+)\s*\]/g)) {
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const hex = text.slice(a + 1, b - 1);
    let der = Buffer.from(hex, 'hex');
    // DER length of the outer SEQUENCE.
    const len = der[1]! & 0x80 ? der.subarray(2, 2 + (der[1]! & 0x7f)).reduce((s, x) => s * 256 + x, 0) + 2 + (der[1]! & 0x7f) : der[1]! + 2;
    der = der.subarray(0, len);
    out.push({ byteRange: [0, a, b, c], der, signedData: Buffer.concat([pdf.subarray(0, a), pdf.subarray(b, b + c)]) });
  }
  return out;
}

/** An NSS database (for pdfsig -nssdir) trusting `rootsPem` as CAs. */
export function nssDbTrusting(rootsPem: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'kexin-nss-'));
  runOk('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  rootsPem.forEach((pem, i) => runOk('certutil', ['-A', '-d', `sql:${dir}`, '-n', `kexin-root-${i}`, '-t', 'CT,C,C', '-i', write(dir, `root${i}.pem`, pem)]));
  return dir;
}

/**
 * pdfsig with `nssDir`, run asynchronously: it fetches OCSP from the harness's in-process responder,
 * which a synchronous spawn would starve.
 */
export function pdfsig(nssDir: string, file: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('pdfsig', ['-nssdir', `sql:${nssDir}`, file], { encoding: 'utf8', timeout: 60_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}
