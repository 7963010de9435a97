/**
 * The DER extension encoders must write exactly what the pkijs objects they replaced wrote: the
 * reference encoders below are the previous implementation, kept here only for comparison.
 */
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import type { KeyAlgorithm } from '../../src/crypto/keyStore.ts';
import { keyIdentifier, spkiFromDer, toArrayBuffer, X509_OID } from '../../src/ca/certificate.ts';
import { extensions } from '../../src/ca/extensions.ts';
import { KEY_USAGE_BITS, PROFILES, type KeyUsageName } from '../../src/ca/profiles.ts';
import { BASE_URL } from './support/pki.ts';

const der = (s: { toSchema(): asn1js.AsnType } | asn1js.AsnType): Uint8Array =>
  new Uint8Array(('toSchema' in s ? s.toSchema() : s).toBER());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const reference = {
  basicConstraints(ca: boolean, pathLen?: number) {
    return der(new pkijs.BasicConstraints(ca ? (pathLen === undefined ? { cA: true } : { cA: true, pathLenConstraint: pathLen }) : { cA: false }));
  },
  keyUsage(usages: readonly KeyUsageName[]) {
    let bits = 0;
    let highest = -1;
    for (const u of usages) {
      bits |= 1 << KEY_USAGE_BITS[u];
      highest = Math.max(highest, KEY_USAGE_BITS[u]);
    }
    const bytes = new Uint8Array(highest < 8 ? 1 : 2);
    for (let b = 0; b <= highest; b++) if (bits & (1 << b)) bytes[b >> 3]! |= 0x80 >> (b & 7);
    return der(new asn1js.BitString({ valueHex: toArrayBuffer(bytes), unusedBits: bytes.length * 8 - 1 - highest }));
  },
  extKeyUsage(purposes: readonly string[]) {
    return der(new pkijs.ExtKeyUsage({ keyPurposes: [...purposes] }));
  },
  subjectKeyIdentifier(id: Uint8Array) {
    return der(new asn1js.OctetString({ valueHex: toArrayBuffer(id) }));
  },
  authorityKeyIdentifier(id: Uint8Array) {
    return der(new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: toArrayBuffer(id) }) }));
  },
  crlDistributionPoint(url: string) {
    return der(new pkijs.CRLDistributionPoints({
      distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: [new pkijs.GeneralName({ type: 6, value: url })] })],
    }));
  },
  authorityInfoAccess(ocspUrl: string, caIssuersUrl: string) {
    return der(new pkijs.InfoAccess({
      accessDescriptions: [
        new pkijs.AccessDescription({ accessMethod: X509_OID.adOcsp, accessLocation: new pkijs.GeneralName({ type: 6, value: ocspUrl }) }),
        new pkijs.AccessDescription({ accessMethod: X509_OID.adCaIssuers, accessLocation: new pkijs.GeneralName({ type: 6, value: caIssuersUrl }) }),
      ],
    }));
  },
  certificatePolicies(oid: string) {
    return der(new pkijs.CertificatePolicies({ certificatePolicies: [new pkijs.PolicyInformation({ policyIdentifier: oid })] }));
  },
  subjectAltName(dnsNames: readonly string[], ipAddresses: readonly Uint8Array[]) {
    return der(new pkijs.GeneralNames({
      names: [
        ...dnsNames.map((d) => new pkijs.GeneralName({ type: 2, value: d })),
        ...ipAddresses.map((ip) => new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: toArrayBuffer(ip) }) })),
      ],
    }));
  },
  ocspNoCheck() {
    return der(new asn1js.Null());
  },
};

describe('extension encodings are byte-identical to the pkijs ones', () => {
  it.each(Object.values(PROFILES).map((p) => [p.name, p] as const))('%s profile', (_name, profile) => {
    expect(hex(extensions.basicConstraints(!!profile.ca, profile.ca?.pathLen).value)).toBe(hex(reference.basicConstraints(!!profile.ca, profile.ca?.pathLen)));
    expect(hex(extensions.keyUsage(profile.keyUsage).value)).toBe(hex(reference.keyUsage(profile.keyUsage)));
    if (profile.extKeyUsage.length) {
      const eku = extensions.extKeyUsage(profile.extKeyUsage, profile.extKeyUsageCritical);
      expect(hex(eku.value)).toBe(hex(reference.extKeyUsage(profile.extKeyUsage)));
      expect(eku.critical).toBe(profile.extKeyUsageCritical);
    }
    expect(hex(extensions.certificatePolicies(profile.policyOid).value)).toBe(hex(reference.certificatePolicies(profile.policyOid)));
  });

  it('basicConstraints with pathLen values, every single key usage bit', () => {
    for (const pathLen of [0, 1, 127, 128, 255, 256]) {
      expect(hex(extensions.basicConstraints(true, pathLen).value)).toBe(hex(reference.basicConstraints(true, pathLen)));
    }
    for (const u of Object.keys(KEY_USAGE_BITS) as KeyUsageName[]) {
      expect(hex(extensions.keyUsage([u]).value)).toBe(hex(reference.keyUsage([u])));
    }
  });

  it('CDP, AIA and ocspNoCheck, for several CAs and base URLs (memoised per URL)', () => {
    for (const base of [BASE_URL, 'http://localhost:8443', `https://${'long.'.repeat(40)}example.cn`]) {
      for (const caId of ['issuing-ecdsa', 'issuing-sm2', 'a%2Fb']) {
        const crl = `${base}/pki/cas/${caId}/crl`;
        expect(hex(extensions.crlDistributionPoint(crl).value)).toBe(hex(reference.crlDistributionPoint(crl)));
        const aia = [`${base}/pki/ocsp`, `${base}/pki/cas/${caId}/cert`] as const;
        expect(hex(extensions.authorityInfoAccess(...aia).value)).toBe(hex(reference.authorityInfoAccess(...aia)));
        expect(extensions.authorityInfoAccess(...aia)).toBe(extensions.authorityInfoAccess(...aia));
      }
    }
    expect(hex(extensions.ocspNoCheck().value)).toBe(hex(reference.ocspNoCheck()));
  });

  it('SKI, AKI and SANs (DNS, IPv4, IPv6, many names)', () => {
    const id = new Uint8Array(randomBytes(20));
    expect(hex(extensions.subjectKeyIdentifier(id).value)).toBe(hex(reference.subjectKeyIdentifier(id)));
    expect(hex(extensions.authorityKeyIdentifier(id).value)).toBe(hex(reference.authorityKeyIdentifier(id)));
    const dns = ['api.kexin.example.gov.cn', '*.example.cn', ...Array.from({ length: 20 }, (_, i) => `host-${i}.example.cn`)];
    const ips = [Uint8Array.of(192, 0, 2, 10), new Uint8Array(Buffer.from('20010db8000000000000000000000001', 'hex'))];
    expect(hex(extensions.subjectAltName(dns, ips, false).value)).toBe(hex(reference.subjectAltName(dns, ips)));
    expect(hex(extensions.subjectAltName([], [ips[0]!], true).value)).toBe(hex(reference.subjectAltName([], [ips[0]!])));
  });
});

describe('keyIdentifier from SPKI DER', () => {
  it.each<KeyAlgorithm>(['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'Ed25519', 'SM2'])('%s: same as from the pkijs PublicKeyInfo', async (algorithm) => {
    const { publicKeySpki } = await createMemoryKeyStore().createKey(algorithm, 'k');
    expect(hex(keyIdentifier(publicKeySpki))).toBe(hex(keyIdentifier(spkiFromDer(publicKeySpki))));
  });

  it('malformed SPKI → CA_KEY_MALFORMED', () => {
    expect(() => keyIdentifier(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).toThrow(expect.objectContaining({ code: 'CA_KEY_MALFORMED' }));
  });
});
