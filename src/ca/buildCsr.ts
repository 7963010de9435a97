/** PKCS#10 requests signed through a Signer (the key stays in its store). Used for externally rooted CAs and tests. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureAlgorithmIdentifier } from '../crypto/algorithmIdentifiers.ts';
import type { Signer } from '../crypto/keyStore.ts';
import { spkiFromDer, toArrayBuffer, X509_OID } from './certificate.ts';
import { extensions } from './extensions.ts';
import { buildName, type NameInput } from './names.ts';
import { derToPem } from './pem.ts';

export async function buildCsr(input: {
  signer: Signer; subject: NameInput; dnsNames?: readonly string[]; ipAddresses?: readonly Uint8Array[];
}): Promise<{ der: Uint8Array; pem: string }> {
  const csr = new pkijs.CertificationRequest();
  csr.version = 0;
  csr.subject = buildName(input.subject);
  csr.subjectPublicKeyInfo = spkiFromDer(input.signer.publicKeySpki);
  const dns = input.dnsNames ?? [];
  const ips = input.ipAddresses ?? [];
  if (dns.length + ips.length) {
    const san = extensions.subjectAltName(dns, ips, false);
    const ext = new pkijs.Extension({ extnID: X509_OID.subjectAltName, critical: false, extnValue: toArrayBuffer(san.value) });
    csr.attributes = [new pkijs.Attribute({ type: X509_OID.extensionRequest, values: [new pkijs.Extensions({ extensions: [ext] }).toSchema()] })];
  }
  csr.signatureAlgorithm = signatureAlgorithmIdentifier(input.signer.scheme);
  const tbs = new Uint8Array(csr['encodeTBS']().toBER());
  csr.tbsView = tbs;
  const sig = await input.signer.sign(tbs);
  csr.signatureValue = new asn1js.BitString({ valueHex: toArrayBuffer(sig) });
  const der = new Uint8Array(csr.toSchema(false).toBER());
  return Object.freeze({ der, pem: derToPem(der, 'CERTIFICATE REQUEST') });
}
