/** DER encodings of the certificate extensions Kexin writes (values only; criticality is the profile's). */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KEY_USAGE_BITS, type KeyUsageName } from './profiles.ts';
import { toArrayBuffer, X509_OID } from './certificate.ts';

export interface PlannedExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** DER of extnValue's contents. */
  readonly value: Uint8Array;
}

const der = (s: { toSchema(): asn1js.AsnType } | asn1js.AsnType): Uint8Array =>
  new Uint8Array(('toSchema' in s ? s.toSchema() : s).toBER());

const ext = (oid: string, critical: boolean, value: Uint8Array): PlannedExtension => Object.freeze({ oid, critical, value });

/** KeyUsage as a DER named-bit BIT STRING (no trailing zero bits). */
export function keyUsageBitString(usages: readonly KeyUsageName[]): asn1js.BitString {
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
  return new asn1js.BitString({ valueHex: toArrayBuffer(bytes), unusedBits });
}

export const extensions = {
  basicConstraints(ca: boolean, pathLen?: number): PlannedExtension {
    const bc = new pkijs.BasicConstraints(ca ? (pathLen === undefined ? { cA: true } : { cA: true, pathLenConstraint: pathLen }) : { cA: false });
    return ext(X509_OID.basicConstraints, true, der(bc));
  },
  keyUsage(usages: readonly KeyUsageName[]): PlannedExtension {
    return ext(X509_OID.keyUsage, true, der(keyUsageBitString(usages)));
  },
  extKeyUsage(purposes: readonly string[], critical: boolean): PlannedExtension {
    return ext(X509_OID.extKeyUsage, critical, der(new pkijs.ExtKeyUsage({ keyPurposes: [...purposes] })));
  },
  subjectKeyIdentifier(id: Uint8Array): PlannedExtension {
    return ext(X509_OID.subjectKeyIdentifier, false, der(new asn1js.OctetString({ valueHex: toArrayBuffer(id) })));
  },
  authorityKeyIdentifier(id: Uint8Array): PlannedExtension {
    const aki = new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: toArrayBuffer(id) }) });
    return ext(X509_OID.authorityKeyIdentifier, false, der(aki));
  },
  crlDistributionPoint(url: string): PlannedExtension {
    const cdp = new pkijs.CRLDistributionPoints({
      distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: [new pkijs.GeneralName({ type: 6, value: url })] })],
    });
    return ext(X509_OID.crlDistributionPoints, false, der(cdp));
  },
  authorityInfoAccess(ocspUrl: string, caIssuersUrl: string): PlannedExtension {
    const aia = new pkijs.InfoAccess({
      accessDescriptions: [
        new pkijs.AccessDescription({ accessMethod: X509_OID.adOcsp, accessLocation: new pkijs.GeneralName({ type: 6, value: ocspUrl }) }),
        new pkijs.AccessDescription({ accessMethod: X509_OID.adCaIssuers, accessLocation: new pkijs.GeneralName({ type: 6, value: caIssuersUrl }) }),
      ],
    });
    return ext(X509_OID.authorityInfoAccess, false, der(aia));
  },
  certificatePolicies(oid: string): PlannedExtension {
    const cp = new pkijs.CertificatePolicies({ certificatePolicies: [new pkijs.PolicyInformation({ policyIdentifier: oid })] });
    return ext(X509_OID.certificatePolicies, false, der(cp));
  },
  subjectAltName(dnsNames: readonly string[], ipAddresses: readonly Uint8Array[], critical: boolean): PlannedExtension {
    const names = [
      ...dnsNames.map((d) => new pkijs.GeneralName({ type: 2, value: d })),
      ...ipAddresses.map((ip) => new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: toArrayBuffer(ip) }) })),
    ];
    return ext(X509_OID.subjectAltName, critical, der(new pkijs.GeneralNames({ names })));
  },
  ocspNoCheck(): PlannedExtension {
    return ext(X509_OID.ocspNoCheck, false, der(new asn1js.Null()));
  },
};
