/**
 * Certificate profiles, as data. A profile fixes key usage, EKU, maximum validity, the key algorithms
 * it accepts, subject rules and one certificate-policies OID. The requester decides nothing else.
 *
 * Policy OIDs: `1.3.6.1.4.1.99999.1.<n>` is a PLACEHOLDER private arc (99999 is not Kexin's IANA
 * enterprise number); replace it once the operator has a registered arc, before production.
 *
 * Seal subjects: the organisation's 18-character unified social credit code (GB 32100-2015) goes in
 * `organizationIdentifier` (2.5.4.97), bare (no ETSI "NTRCN-" prefix), and its checksum is validated.
 */
import type { KeyAlgorithm } from '../crypto/keyStore.ts';
import { KexinError } from '../errors.ts';
import { X509_OID } from './certificate.ts';

export type KeyUsageName =
  | 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment'
  | 'keyAgreement' | 'keyCertSign' | 'cRLSign';

/** Bit positions in the KeyUsage BIT STRING (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BITS: Readonly<Record<KeyUsageName, number>> = Object.freeze({
  digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, dataEncipherment: 3,
  keyAgreement: 4, keyCertSign: 5, cRLSign: 6,
});

/** Subject attribute short names and their OIDs. */
export const ATTRIBUTE_OIDS = Object.freeze({
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  serialNumber: '2.5.4.5',
  organizationIdentifier: '2.5.4.97',
  givenName: '2.5.4.42',
  surname: '2.5.4.4',
  emailAddress: '1.2.840.113549.1.9.1',
});
export type AttributeName = keyof typeof ATTRIBUTE_OIDS;

export function attributeName(oid: string): AttributeName | undefined {
  return (Object.keys(ATTRIBUTE_OIDS) as AttributeName[]).find((k) => ATTRIBUTE_OIDS[k] === oid);
}

export type ProfileName =
  | 'seal' | 'person' | 'staff' | 'device' | 'server' | 'ecard-issuer' | 'token-signer' | 'ocsp' | 'tsa'
  | 'root-ca' | 'issuing-ca';

export interface Profile {
  readonly name: ProfileName;
  /** Only the hierarchy code issues internal profiles; the public issuing path refuses them. */
  readonly internal: boolean;
  readonly keyUsage: readonly KeyUsageName[];
  readonly extKeyUsage: readonly string[];
  readonly extKeyUsageCritical: boolean;
  readonly maxValidityDays: number;
  readonly allowedKeys: readonly KeyAlgorithm[];
  readonly subject: {
    readonly required: readonly AttributeName[];
    readonly allowed: readonly AttributeName[];
  };
  /** Subject attributes with extra checks: `uscc` = GB 32100-2015 checksum. */
  readonly subjectChecks?: Readonly<Partial<Record<AttributeName, 'uscc'>>>;
  readonly policyOid: string;
  /** Subject alternative names: taken from the CSR's extensionRequest (dNSName, iPAddress only). */
  readonly san: 'none' | 'optional' | 'required';
  readonly ca?: { readonly pathLen?: number };
  readonly ocspNoCheck?: boolean;
}

const POLICY_ARC = '1.3.6.1.4.1.99999.1';
const EC_RSA_SM2: readonly KeyAlgorithm[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072', 'SM2'];
const ALL: readonly KeyAlgorithm[] = [...EC_RSA_SM2, 'Ed25519'];
const CA_KEYS: readonly KeyAlgorithm[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-3072', 'SM2'];

const profile = (p: Profile): Profile => Object.freeze(p);

export const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  seal: profile({
    name: 'seal', internal: false,
    keyUsage: ['digitalSignature', 'nonRepudiation'], extKeyUsage: [], extKeyUsageCritical: false,
    maxValidityDays: 3 * 365, allowedKeys: EC_RSA_SM2,
    subject: { required: ['CN', 'O', 'organizationIdentifier'], allowed: ['C', 'ST', 'L', 'OU'] },
    subjectChecks: { organizationIdentifier: 'uscc' },
    policyOid: `${POLICY_ARC}.1`, san: 'none',
  }),
  person: profile({
    name: 'person', internal: false,
    keyUsage: ['digitalSignature', 'nonRepudiation'], extKeyUsage: [], extKeyUsageCritical: false,
    maxValidityDays: 2 * 365, allowedKeys: ALL,
    subject: { required: ['CN'], allowed: ['C', 'serialNumber', 'givenName', 'surname'] },
    policyOid: `${POLICY_ARC}.2`, san: 'none',
  }),
  staff: profile({
    name: 'staff', internal: false,
    keyUsage: ['digitalSignature'], extKeyUsage: [X509_OID.kpClientAuth], extKeyUsageCritical: false,
    maxValidityDays: 2 * 365, allowedKeys: ALL,
    subject: { required: ['CN', 'O'], allowed: ['C', 'ST', 'L', 'OU', 'serialNumber', 'emailAddress'] },
    policyOid: `${POLICY_ARC}.3`, san: 'none',
  }),
  device: profile({
    name: 'device', internal: false,
    keyUsage: ['digitalSignature'], extKeyUsage: [X509_OID.kpClientAuth], extKeyUsageCritical: false,
    maxValidityDays: 2 * 365, allowedKeys: EC_RSA_SM2,
    subject: { required: ['CN'], allowed: ['C', 'ST', 'L', 'O', 'OU', 'serialNumber'] },
    policyOid: `${POLICY_ARC}.4`, san: 'optional',
  }),
  server: profile({
    name: 'server', internal: false,
    keyUsage: ['digitalSignature'], extKeyUsage: [X509_OID.kpServerAuth], extKeyUsageCritical: false,
    maxValidityDays: 398, allowedKeys: EC_RSA_SM2,
    subject: { required: [], allowed: ['C', 'ST', 'L', 'O', 'OU', 'CN'] },
    policyOid: `${POLICY_ARC}.5`, san: 'required',
  }),
  'ecard-issuer': profile({
    name: 'ecard-issuer', internal: false,
    keyUsage: ['digitalSignature', 'nonRepudiation'], extKeyUsage: [], extKeyUsageCritical: false,
    maxValidityDays: 5 * 365, allowedKeys: ['ECDSA-P256', 'ECDSA-P384', 'SM2'],
    subject: { required: ['CN', 'O'], allowed: ['C', 'ST', 'L', 'OU', 'organizationIdentifier'] },
    subjectChecks: { organizationIdentifier: 'uscc' },
    policyOid: `${POLICY_ARC}.6`, san: 'none',
  }),
  'token-signer': profile({
    name: 'token-signer', internal: false,
    keyUsage: ['digitalSignature'], extKeyUsage: [], extKeyUsageCritical: false,
    maxValidityDays: 2 * 365, allowedKeys: ALL,
    subject: { required: ['CN', 'O'], allowed: ['C', 'OU'] },
    policyOid: `${POLICY_ARC}.7`, san: 'none',
  }),
  ocsp: profile({
    name: 'ocsp', internal: false,
    keyUsage: ['digitalSignature'], extKeyUsage: [X509_OID.kpOcspSigning], extKeyUsageCritical: false,
    maxValidityDays: 365, allowedKeys: EC_RSA_SM2,
    subject: { required: ['CN'], allowed: ['C', 'O', 'OU'] },
    policyOid: `${POLICY_ARC}.8`, san: 'none', ocspNoCheck: true,
  }),
  tsa: profile({
    name: 'tsa', internal: false,
    keyUsage: ['digitalSignature', 'nonRepudiation'], extKeyUsage: [X509_OID.kpTimeStamping], extKeyUsageCritical: true,
    maxValidityDays: 5 * 365, allowedKeys: EC_RSA_SM2,
    subject: { required: ['CN'], allowed: ['C', 'O', 'OU'] },
    policyOid: `${POLICY_ARC}.9`, san: 'none',
  }),
  'root-ca': profile({
    name: 'root-ca', internal: true,
    keyUsage: ['keyCertSign', 'cRLSign'], extKeyUsage: [], extKeyUsageCritical: false,
    maxValidityDays: 25 * 365 + 7, allowedKeys: CA_KEYS,
    subject: { required: ['CN'], allowed: ['C', 'ST', 'L', 'O', 'OU', 'organizationIdentifier'] },
    policyOid: `${POLICY_ARC}.10`, san: 'none', ca: {},
  }),
  'issuing-ca': profile({
    name: 'issuing-ca', internal: true,
    keyUsage: ['keyCertSign', 'cRLSign'], extKeyUsage: [], extKeyUsageCritical: false,
    maxValidityDays: 10 * 365 + 3, allowedKeys: CA_KEYS,
    subject: { required: ['CN'], allowed: ['C', 'ST', 'L', 'O', 'OU', 'organizationIdentifier'] },
    policyOid: `${POLICY_ARC}.11`, san: 'none', ca: { pathLen: 0 },
  }),
});

/** The profile named `name`; `CA_PROFILE_UNKNOWN` otherwise. */
export function getProfile(name: string): Profile {
  if (!Object.hasOwn(PROFILES, name)) throw new KexinError('CA_PROFILE_UNKNOWN', `unknown certificate profile "${name}"`, 400, { profile: name });
  return PROFILES[name as ProfileName];
}
