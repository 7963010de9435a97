/** PKCS#10 parsing: PEM or DER in, pkijs structure out. Nothing in it is trusted until `checkCsr`. */
import * as pkijs from 'pkijs';
import { KexinError } from '../errors.ts';
import { strictBer } from './certificate.ts';
import { pemToDer } from './pem.ts';

export interface ParsedCsr {
  readonly der: Uint8Array;
  readonly csr: pkijs.CertificationRequest;
}

const malformed = (message: string, cause?: unknown) =>
  new KexinError('CA_CSR_MALFORMED', message, 400, undefined, cause === undefined ? undefined : { cause });

/** Accepts one PEM `CERTIFICATE REQUEST` block (or `NEW CERTIFICATE REQUEST`) or DER. */
export function parseCsr(input: Uint8Array | string): ParsedCsr {
  let der: Uint8Array;
  try {
    if (typeof input === 'string' || (input instanceof Uint8Array && Buffer.from(input.subarray(0, 11)).toString('latin1') === '-----BEGIN ')) {
      const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
      const label = text.includes('-----BEGIN NEW CERTIFICATE REQUEST-----') ? 'NEW CERTIFICATE REQUEST' : 'CERTIFICATE REQUEST';
      const blocks = pemToDer(text, label);
      if (blocks.length !== 1) throw malformed('expected exactly one CSR');
      der = blocks[0]!;
    } else if (input instanceof Uint8Array) {
      der = input;
    } else {
      throw malformed('CSR must be PEM text or DER bytes');
    }
  } catch (e) {
    if (e instanceof KexinError && e.code === 'CA_CSR_MALFORMED') throw e;
    throw malformed('CSR PEM armour is malformed', e);
  }
  if (der.byteLength === 0) throw malformed('CSR is empty');
  const asn1 = strictBer(der);
  if (!asn1) throw malformed('CSR is not valid DER');
  try {
    const csr = new pkijs.CertificationRequest({ schema: asn1 });
    void csr.subjectPublicKeyInfo.toSchema().toBER();
    void csr.signatureValue.valueBlock.valueHexView;
    if (!csr.tbsView || csr.tbsView.byteLength === 0) throw new Error('no TBS');
    if (csr.version !== 0) throw malformed(`CSR version ${csr.version} is not v1 (0)`);
    return Object.freeze({ der: new Uint8Array(der), csr });
  } catch (e) {
    if (e instanceof KexinError) throw e;
    throw malformed('CSR does not match the PKCS#10 structure', e);
  }
}
