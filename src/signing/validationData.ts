/**
 * Validation data for long-term signatures (PAdES B-LT, the DSS): for each certificate of a chain,
 * its issuer's answer — an OCSP response for end-entity certificates (signer, TSA), the issuer's CRL
 * for CA certificates — taken in process from Kexin's own CA (its responder and CRLs), so sealing
 * never waits on the network. Certificates of issuers Kexin does not run get nothing (the validator
 * then falls back to its own sources, or says it cannot tell).
 */
import { createHash } from 'node:crypto';
import { certificateParts, children, OCTET_STRING, oid, readSpki, readWhole, SEQUENCE, tlv } from '../crypto/der.ts';
import { OID } from '../crypto/algorithmIdentifiers.ts';
import type { CaService } from '../ca/caServiceTypes.ts';
import { pemToDer } from '../ca/pem.ts';
import { parseCertificate } from '../ca/certificate.ts';

export interface ValidationData {
  readonly certificates: readonly Uint8Array[];
  readonly ocsps: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
}

/** RFC 6960 OCSPRequest for one certificate (CertID with SHA-1, as RFC 5019 clients send). */
export function ocspRequestFor(cert: Uint8Array, issuer: Uint8Array): Uint8Array {
  const c = certificateParts(cert);
  const i = certificateParts(issuer);
  const issuerKey = readSpki(readWhole(i.spki, 'SubjectPublicKeyInfo')).publicKey;
  const sha1 = (b: Uint8Array) => new Uint8Array(createHash('sha1').update(b).digest());
  const certId = tlv(SEQUENCE,
    tlv(SEQUENCE, oid(OID.sha1), Uint8Array.of(0x05, 0x00)),
    tlv(OCTET_STRING, sha1(i.subject)),
    tlv(OCTET_STRING, sha1(issuerKey)),
    c.serial);
  return tlv(SEQUENCE, tlv(SEQUENCE, tlv(SEQUENCE, tlv(SEQUENCE, certId))));
}

const key = (b: Uint8Array) => Buffer.from(b).toString('base64');
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Collects certificates, OCSP responses and CRLs for `chains` (each leaf first). */
export async function collectValidationData(ca: CaService, chains: readonly (readonly Uint8Array[])[]): Promise<ValidationData> {
  const cas = (await ca.listCas()).filter((c) => c.certificatePem);
  const caCerts = cas.map((c) => ({ id: c.id, der: pemToDer(c.certificatePem!)[0]!, role: c.role }));
  const certificates = new Map<string, Uint8Array>();
  const ocsps = new Map<string, Uint8Array>();
  const crls = new Map<string, Uint8Array>();
  for (const chain of chains) {
    for (const cert of chain) {
      certificates.set(key(cert), cert);
      const parts = certificateParts(cert);
      if (same(parts.issuer, parts.subject)) continue; // a root: the relying party's anchor
      const issuer = caCerts.find((c) => same(certificateParts(c.der).subject, parts.issuer));
      if (!issuer) continue;
      certificates.set(key(issuer.der), issuer.der);
      const isCa = !!parseCertificate(cert).extensions?.some((e) => e.extnID === '2.5.29.19' && (e.parsedValue as { cA?: boolean } | undefined)?.cA);
      if (isCa) {
        const crl = await ca.crlDer(issuer.id).catch(() => undefined);
        if (crl) crls.set(key(crl), crl);
      } else {
        const answer = await ca.ocsp(ocspRequestFor(cert, issuer.der));
        // Only a successful response (OCSPResponseStatus 0) is worth embedding.
        const [status] = children(readWhole(answer.der, 'OCSPResponse'));
        if (status?.tag === 0x0a && status.content.length === 1 && status.content[0] === 0) ocsps.set(key(answer.der), answer.der);
      }
    }
  }
  return { certificates: [...certificates.values()], ocsps: [...ocsps.values()], crls: [...crls.values()] };
}

