/**
 * DER encodings of the certificate extensions Kexin writes (values only; criticality is the profile's),
 * written directly with the DER helpers: building pkijs objects cost more than the rest of planning.
 */
import { KEY_USAGE_BITS, type KeyUsageName } from './profiles.ts';
import { X509_OID } from './certificate.ts';
import { BIT_STRING, context, integer, OCTET_STRING, oid, SEQUENCE, tlv, TRUE } from '../crypto/der.ts';

export interface PlannedExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** DER of extnValue's contents. */
  readonly value: Uint8Array;
}

const ext = (oid: string, critical: boolean, value: Uint8Array): PlannedExtension => Object.freeze({ oid, critical, value });

/** GeneralName tags (RFC 5280 §4.2.1.6, IMPLICIT): dNSName and uniformResourceIdentifier are IA5String, iPAddress OCTET STRING. */
const DNS_NAME = 0x82;
const URI = 0x86;
const IP_ADDRESS = 0x87;
/** AuthorityKeyIdentifier keyIdentifier [0] IMPLICIT OCTET STRING. */
const KEY_IDENTIFIER = 0x80;

/** IA5String contents; one octet per UTF-16 unit (low byte), as pkijs wrote them. */
const ia5 = (tag: number, s: string) => tlv(tag, Buffer.from(s, 'latin1'));

/**
 * The extensions that depend only on the profile, the CA and the base URL repeat for every certificate:
 * each distinct one is encoded once. Callers treat the shared bytes as read-only.
 */
const memo = new Map<string, PlannedExtension>();
function memoised(kind: string, args: unknown[], encode: () => PlannedExtension): PlannedExtension {
  const key = `${kind}:${JSON.stringify(args)}`;
  let e = memo.get(key);
  if (!e) {
    e = encode();
    if (memo.size >= 1024) memo.delete(memo.keys().next().value!);
    memo.set(key, e);
  }
  return e;
}

/** KeyUsage as a DER named-bit BIT STRING (no trailing zero bits). */
export function keyUsageBitString(usages: readonly KeyUsageName[]): Uint8Array {
  let bits = 0;
  let highest = -1;
  for (const u of usages) {
    const b = KEY_USAGE_BITS[u];
    bits |= 1 << b;
    highest = Math.max(highest, b);
  }
  const nbytes = highest < 8 ? 1 : 2;
  const bytes = new Uint8Array(nbytes);
  for (let b = 0; b <= highest; b++) if (bits & (1 << b)) bytes[b >> 3]! |= 0x80 >> (b & 7);
  const unusedBits = nbytes * 8 - 1 - highest;
  return tlv(BIT_STRING, Uint8Array.of(unusedBits), bytes);
}

export const extensions = {
  /** cA FALSE is the DEFAULT, so omitted; pathLenConstraint only on CAs. */
  basicConstraints(ca: boolean, pathLen?: number): PlannedExtension {
    return memoised('bc', [ca, pathLen], () =>
      ext(X509_OID.basicConstraints, true, tlv(SEQUENCE, ...(ca ? [TRUE, ...(pathLen === undefined ? [] : [integer(pathLen)])] : []))));
  },
  keyUsage(usages: readonly KeyUsageName[]): PlannedExtension {
    return memoised('ku', [usages], () => ext(X509_OID.keyUsage, true, keyUsageBitString(usages)));
  },
  extKeyUsage(purposes: readonly string[], critical: boolean): PlannedExtension {
    return memoised('eku', [purposes, critical], () => ext(X509_OID.extKeyUsage, critical, tlv(SEQUENCE, ...purposes.map(oid))));
  },
  subjectKeyIdentifier(id: Uint8Array): PlannedExtension {
    return ext(X509_OID.subjectKeyIdentifier, false, tlv(OCTET_STRING, id));
  },
  authorityKeyIdentifier(id: Uint8Array): PlannedExtension {
    return ext(X509_OID.authorityKeyIdentifier, false, tlv(SEQUENCE, tlv(KEY_IDENTIFIER, id)));
  },
  /** One DistributionPoint whose distributionPoint [0] is a fullName [0] of one URI. */
  crlDistributionPoint(url: string): PlannedExtension {
    return memoised('cdp', [url], () =>
      ext(X509_OID.crlDistributionPoints, false, tlv(SEQUENCE, tlv(SEQUENCE, tlv(context(0), tlv(context(0), ia5(URI, url)))))));
  },
  authorityInfoAccess(ocspUrl: string, caIssuersUrl: string): PlannedExtension {
    return memoised('aia', [ocspUrl, caIssuersUrl], () => ext(X509_OID.authorityInfoAccess, false, tlv(SEQUENCE,
      tlv(SEQUENCE, oid(X509_OID.adOcsp), ia5(URI, ocspUrl)),
      tlv(SEQUENCE, oid(X509_OID.adCaIssuers), ia5(URI, caIssuersUrl)))));
  },
  /** One PolicyInformation without qualifiers. */
  certificatePolicies(policyOid: string): PlannedExtension {
    return memoised('cp', [policyOid], () => ext(X509_OID.certificatePolicies, false, tlv(SEQUENCE, tlv(SEQUENCE, oid(policyOid)))));
  },
  subjectAltName(dnsNames: readonly string[], ipAddresses: readonly Uint8Array[], critical: boolean): PlannedExtension {
    return ext(X509_OID.subjectAltName, critical,
      tlv(SEQUENCE, ...dnsNames.map((d) => ia5(DNS_NAME, d)), ...ipAddresses.map((ip) => tlv(IP_ADDRESS, ip))));
  },
  ocspNoCheck(): PlannedExtension {
    return memoised('ocspNoCheck', [], () => ext(X509_OID.ocspNoCheck, false, Uint8Array.of(0x05, 0x00)));
  },
};
