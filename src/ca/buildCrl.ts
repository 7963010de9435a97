/**
 * Full CRLs (RFC 5280 §5): v2, AKI, CRL Number, per-entry reason codes. removeFromCRL belongs only in
 * delta CRLs, so it is refused here: a released hold simply does not appear in the next full CRL.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureAlgorithmIdentifier } from '../crypto/algorithmIdentifiers.ts';
import type { Signer } from '../crypto/keyStore.ts';
import { verifySignature } from '../crypto/signatures.ts';
import { KexinError } from '../errors.ts';
import {
  bytesEqual, integer, keyIdentifier, parseCertificate, spkiDer, subjectKeyIdentifier, toArrayBuffer, x509Time, X509_OID,
} from './certificate.ts';
import { REASON_CODES, type ReasonName } from './revocationReasons.ts';

export interface CrlEntry {
  /** Hex serial (any case, optional colons) or bigint. */
  readonly serial: string | bigint;
  readonly revokedAt: Date;
  /** Omitted → no reasonCode extension (RFC 5280 prefers that to "unspecified"). */
  readonly reason?: ReasonName;
}

export interface BuildCrlInput {
  /** DER of the CA certificate the CRL is for. */
  readonly issuer: Uint8Array;
  readonly signer: Signer;
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: readonly CrlEntry[];
}

const crlError = (message: string) => new KexinError('CA_CRL_INVALID', message, 400);

const extension = (oid: string, value: asn1js.AsnType | { toSchema(): asn1js.AsnType }, critical = false) =>
  new pkijs.Extension({ extnID: oid, critical, extnValue: ('toSchema' in value ? value.toSchema() : value).toBER() });

export async function buildCrl(input: BuildCrlInput): Promise<Uint8Array> {
  const ca = parseCertificate(input.issuer);
  if (!bytesEqual(spkiDer(ca), input.signer.publicKeySpki)) throw new KexinError('CA_SIGNER_MISMATCH', 'the signer key is not the CA certificate key', 500);
  if (input.crlNumber < 0n || input.crlNumber >= 1n << 159n) throw crlError('CRL number must be a non-negative integer of at most 20 octets');
  if (!(input.nextUpdate.getTime() > input.thisUpdate.getTime())) throw crlError('nextUpdate must be after thisUpdate');

  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1; // v2
  crl.signature = signatureAlgorithmIdentifier(input.signer.scheme);
  crl.issuer = ca.subject;
  crl.thisUpdate = x509Time(input.thisUpdate);
  crl.nextUpdate = x509Time(input.nextUpdate);
  const seen = new Set<string>();
  const revoked = input.entries.map((e) => {
    const serial = integer(e.serial);
    const key = Buffer.from(serial.valueBlock.valueHexView).toString('hex');
    if (seen.has(key)) throw crlError(`serial ${key} listed twice`);
    seen.add(key);
    if (e.reason === 'removeFromCRL') throw crlError('removeFromCRL is only allowed in delta CRLs; a released certificate is simply omitted');
    const exts: pkijs.Extension[] = [];
    if (e.reason !== undefined) {
      const code = REASON_CODES[e.reason];
      if (code === undefined) throw new KexinError('CA_REVOCATION_REASON_INVALID', `unknown revocation reason "${String(e.reason)}"`, 400);
      exts.push(extension(X509_OID.crlReason, new asn1js.Enumerated({ value: code })));
    }
    return new pkijs.RevokedCertificate({
      userCertificate: serial,
      revocationDate: x509Time(e.revokedAt),
      ...(exts.length ? { crlEntryExtensions: new pkijs.Extensions({ extensions: exts }) } : {}),
    });
  });
  if (revoked.length) crl.revokedCertificates = revoked;
  const akid = subjectKeyIdentifier(ca) ?? keyIdentifier(ca.subjectPublicKeyInfo);
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [
      extension(X509_OID.authorityKeyIdentifier, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: toArrayBuffer(akid) }) })),
      extension(X509_OID.crlNumber, integer(input.crlNumber)),
    ],
  });
  const tbs = new Uint8Array(crl['encodeTBS']().toBER());
  crl.tbsView = tbs;
  const sig = await input.signer.sign(tbs);
  crl.signatureAlgorithm = signatureAlgorithmIdentifier(input.signer.scheme);
  crl.signatureValue = new asn1js.BitString({ valueHex: toArrayBuffer(sig) });
  if (!verifySignature(input.signer.publicKeySpki, input.signer.scheme, tbs, sig)) {
    throw new KexinError('CA_SIGNATURE_SELF_CHECK_FAILED', 'the CRL signature does not verify with the CA key', 500);
  }
  return new Uint8Array(crl.toSchema(false).toBER());
}
