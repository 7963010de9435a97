/** PEM armour (RFC 7468, strict): one or many blocks of one label. */
import { KexinError } from '../errors.ts';

const pemError = (message: string) => new KexinError('CA_PEM_MALFORMED', message, 400);

/** DER → PEM with the given label, 64-character lines. */
export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function certificateToPem(der: Uint8Array): string {
  return derToPem(der, 'CERTIFICATE');
}

/**
 * Every PEM block of `label` in `text`, decoded. Text between blocks is allowed (RFC 7468 §2
 * explanatory text); a block of another label, mismatched END, bad base64, or no block → `CA_PEM_MALFORMED`.
 */
export function pemToDer(text: string, label = 'CERTIFICATE'): Uint8Array[] {
  if (typeof text !== 'string') throw pemError('PEM input must be text');
  const out: Uint8Array[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text)) !== null) {
    const [, begin, body, end] = m;
    if (begin !== end) throw pemError(`PEM BEGIN ${begin} does not match END ${end}`);
    if (begin !== label) throw pemError(`expected PEM label ${label}, found ${begin}`);
    const b64 = body!.replace(/[\r\n\t ]/g, '');
    if (b64.length === 0 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw pemError(`PEM ${label} block is not valid base64`);
    out.push(new Uint8Array(Buffer.from(b64, 'base64')));
    consumed++;
  }
  if (/-----(BEGIN|END) /.test(text.replace(re, ''))) throw pemError('unterminated or malformed PEM block');
  if (consumed === 0) throw pemError(`no PEM ${label} block found`);
  return out;
}

/** PEM (one block of `label`) or DER bytes → DER. */
export function toDer(input: Uint8Array | string, label: string): Uint8Array {
  if (typeof input === 'string') {
    const blocks = pemToDer(input, label);
    if (blocks.length !== 1) throw pemError(`expected exactly one PEM ${label} block, found ${blocks.length}`);
    return blocks[0]!;
  }
  const head = Buffer.from(input.subarray(0, 11)).toString('latin1');
  if (head === '-----BEGIN ') return toDer(Buffer.from(input).toString('utf8'), label);
  return input;
}
