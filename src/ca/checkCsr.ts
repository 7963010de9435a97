/**
 * CSR checks, in order: structure → signature algorithm → proof of possession (the signature, checked
 * with `verifySignature` before any field is trusted) → key strength and profile → subject → SANs.
 */
import { isIP } from 'node:net';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { publicKeyFacts, schemeFromAlgorithmIdentifier, type PublicKeyFacts } from '../crypto/algorithmIdentifiers.ts';
import type { KeyAlgorithm, SignatureScheme } from '../crypto/keyStore.ts';
import { verifySignature } from '../crypto/signatures.ts';
import { KexinError } from '../errors.ts';
import { strictBer, X509_OID } from './certificate.ts';
import { parseCsr } from './parseCsr.ts';
import { attributeName, type AttributeName, type Profile, type ProfileName } from './profiles.ts';
import { isValidUscc } from './uscc.ts';

export interface SubjectAlternativeNames {
  readonly dnsNames: readonly string[];
  /** Textual IPv4/IPv6 addresses. */
  readonly ipAddresses: readonly string[];
}

export interface CheckedCsr {
  /** The profile the CSR was checked against; `prepareCertificate` refuses a different one. */
  readonly profile: ProfileName;
  readonly der: Uint8Array;
  /** DER Name of the subject, as requested (validated against the profile). */
  readonly subjectDer: Uint8Array;
  /** Readable subject attributes in order, e.g. [{ type: 'CN', value: '...' }]. */
  readonly subject: readonly { readonly type: AttributeName; readonly value: string }[];
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly signatureScheme: SignatureScheme;
  /** SANs from the extensionRequest, kept only when the profile takes SANs. */
  readonly san: SubjectAlternativeNames;
}

const WEAK_CURVES = new Set([
  '1.2.840.10045.3.1.1', // P-192
  '1.3.132.0.33', // P-224
  '1.3.132.0.1', '1.3.132.0.8', '1.3.132.0.30', '1.3.132.0.31', // small SEC curves
]);

/** Key strength and profile policy: `CA_KEY_WEAK`, `CA_KEY_NOT_ALLOWED`. */
export function checkKey(spki: pkijs.PublicKeyInfo, profile: Profile): KeyAlgorithm {
  const facts: PublicKeyFacts = publicKeyFacts(spki);
  if ((facts.algorithm === 'RSA' || facts.algorithm === 'RSA-2048' || facts.algorithm === 'RSA-3072') && facts.bits < 2048) {
    throw new KexinError('CA_KEY_WEAK', `RSA key of ${facts.bits} bits; at least 2048 required`, 400, { bits: facts.bits });
  }
  if (facts.algorithm === 'EC-other' && facts.curveOid && WEAK_CURVES.has(facts.curveOid)) {
    throw new KexinError('CA_KEY_WEAK', `elliptic curve ${facts.curveOid} is below P-256`, 400, { curve: facts.curveOid });
  }
  if (facts.algorithm === 'RSA' || facts.algorithm === 'EC-other' || facts.algorithm === 'unknown' || !profile.allowedKeys.includes(facts.algorithm)) {
    const what = facts.algorithm === 'EC-other' ? `curve ${facts.curveOid ?? '(unnamed)'}` : facts.algorithm === 'RSA' ? `RSA-${facts.bits}` : facts.algorithm;
    throw new KexinError('CA_KEY_NOT_ALLOWED', `key ${what} is not allowed for profile ${profile.name}; allowed: ${profile.allowedKeys.join(', ')}`, 400,
      { profile: profile.name, allowed: [...profile.allowedKeys] });
  }
  return facts.algorithm;
}

const subjectError = (attribute: string, message: string) =>
  new KexinError('CA_SUBJECT_INVALID', message, 400, { attribute });

function attributeText(v: unknown): string | undefined {
  if (v instanceof asn1js.Utf8String || v instanceof asn1js.PrintableString || v instanceof asn1js.IA5String
    || v instanceof asn1js.BmpString || v instanceof asn1js.UniversalString) {
    return v.valueBlock.value;
  }
  return undefined;
}

/** Checks a subject against the profile's rules; returns the readable attributes. */
export function checkSubject(subject: pkijs.RelativeDistinguishedNames, profile: Profile): CheckedCsr['subject'] {
  // One attribute per RDN: multi-valued RDNs are legal X.501 but ambiguous to display and compare.
  const seq = strictBer(new Uint8Array(subject.toSchema().toBER()));
  if (!(seq instanceof asn1js.Sequence) || seq.valueBlock.value.some((set) => !(set instanceof asn1js.Set) || set.valueBlock.value.length !== 1)) {
    throw subjectError('RDN', 'subject has a multi-valued RDN; use one attribute per RDN');
  }
  const out: { type: AttributeName; value: string }[] = [];
  const seen = new Map<AttributeName, number>();
  const allowed = new Set<AttributeName>([...profile.subject.required, ...profile.subject.allowed]);
  for (const atv of subject.typesAndValues) {
    const name = attributeName(atv.type);
    if (!name || !allowed.has(name)) throw subjectError(name ?? atv.type, `subject attribute ${name ?? atv.type} is not allowed in profile ${profile.name}`);
    const value = attributeText(atv.value);
    if (value === undefined) throw subjectError(name, `subject attribute ${name} is not a string`);
    if (value.trim().length === 0 || value !== value.trim()) throw subjectError(name, `subject attribute ${name} is empty or has surrounding spaces`);
    if ([...value].length > 128 || /[\u0000-\u001f\u007f]/.test(value)) throw subjectError(name, `subject attribute ${name} is too long or has control characters`);
    if (name === 'C' && !/^[A-Z]{2}$/.test(value)) throw subjectError(name, 'country must be two upper-case letters');
    if (profile.subjectChecks?.[name] === 'uscc' && !isValidUscc(value)) {
      throw subjectError(name, `${name} "${value}" is not a valid unified social credit code (GB 32100-2015 check character)`);
    }
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if (name !== 'OU' && seen.get(name)! > 1) throw subjectError(name, `subject attribute ${name} appears more than once`);
    out.push({ type: name, value });
  }
  for (const r of profile.subject.required) {
    if (!seen.has(r)) throw subjectError(r, `subject attribute ${r} is required by profile ${profile.name}`);
  }
  return Object.freeze(out.map((a) => Object.freeze(a)));
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function checkDnsName(name: string): string {
  const n = name.toLowerCase();
  const labels = n.split('.');
  const body = labels[0] === '*' ? labels.slice(1) : labels;
  if (n.length > 253 || body.length < 2 || !body.every((l) => DNS_LABEL.test(l))) {
    throw new KexinError('CA_SAN_INVALID', `dNSName "${name}" is not a valid host name`, 400, { san: name });
  }
  return n;
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return parts.join(':');
  }
  throw new KexinError('CA_SAN_INVALID', 'iPAddress SAN must be 4 or 16 bytes', 400);
}

/** SANs from the CSR's extensionRequest: dNSName and iPAddress only; everything else the requester asks is ignored. */
export function requestedSans(csr: pkijs.CertificationRequest): SubjectAlternativeNames {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const attr = csr.attributes?.find((a) => a.type === X509_OID.extensionRequest);
  if (attr) {
    let exts: pkijs.Extensions;
    try {
      exts = new pkijs.Extensions({ schema: attr.values[0] });
    } catch (cause) {
      throw new KexinError('CA_CSR_MALFORMED', 'CSR extensionRequest is malformed', 400, undefined, { cause });
    }
    const san = exts.extensions.find((e) => e.extnID === X509_OID.subjectAltName);
    if (san) {
      const alt = san.parsedValue;
      if (!(alt instanceof pkijs.AltName)) throw new KexinError('CA_CSR_MALFORMED', 'CSR subjectAltName is malformed', 400);
      for (const g of alt.altNames) {
        if (g.type === 2 && typeof g.value === 'string') dnsNames.push(checkDnsName(g.value));
        else if (g.type === 7 && g.value instanceof asn1js.OctetString) ipAddresses.push(ipText(new Uint8Array(g.value.valueBlock.valueHexView)));
      }
    }
  }
  return Object.freeze({ dnsNames: Object.freeze([...new Set(dnsNames)]), ipAddresses: Object.freeze([...new Set(ipAddresses)]) });
}

/** Parses and checks a CSR for `profile`. */
export function checkCsr(input: Uint8Array | string, profile: Profile): CheckedCsr {
  const { der, csr } = parseCsr(input);
  const scheme = schemeFromAlgorithmIdentifier(csr.signatureAlgorithm);
  if (!scheme) {
    throw new KexinError('CA_CSR_ALGORITHM_UNSUPPORTED', `CSR signature algorithm ${csr.signatureAlgorithm.algorithmId} is not supported`, 400,
      { algorithm: csr.signatureAlgorithm.algorithmId });
  }
  let spki: Uint8Array;
  try {
    spki = new Uint8Array(csr.subjectPublicKeyInfo.toSchema().toBER());
  } catch (cause) {
    throw new KexinError('CA_CSR_MALFORMED', 'CSR public key cannot be encoded', 400, undefined, { cause });
  }
  // SM2 CSRs are signed with the GM/T 0009 default ID (verifySignature's default).
  const sig = new Uint8Array(csr.signatureValue.valueBlock.valueHexView);
  if (csr.signatureValue.valueBlock.unusedBits !== 0 || !verifySignature(spki, scheme, csr.tbsView, sig)) {
    throw new KexinError('CA_CSR_SIGNATURE_INVALID', 'CSR signature does not verify with its own public key', 400);
  }
  const keyAlgorithm = checkKey(csr.subjectPublicKeyInfo, profile);
  const subject = checkSubject(csr.subject, profile);
  const san = profile.san === 'none' ? Object.freeze({ dnsNames: [], ipAddresses: [] }) : requestedSans(csr);
  if (profile.san === 'required' && san.dnsNames.length + san.ipAddresses.length === 0) {
    throw new KexinError('CA_SAN_REQUIRED', `profile ${profile.name} requires at least one dNSName or iPAddress SAN in the CSR`, 400);
  }
  for (const ip of san.ipAddresses) if (!isIP(ip)) throw new KexinError('CA_SAN_INVALID', `bad IP SAN ${ip}`, 400);
  const cn = subject.find((a) => a.type === 'CN')?.value;
  if (profile.name === 'server' && cn !== undefined && !san.dnsNames.includes(cn.toLowerCase()) && !san.ipAddresses.includes(cn)) {
    throw subjectError('CN', `server CN "${cn}" must also be one of the requested SANs`);
  }
  return Object.freeze({
    profile: profile.name,
    der,
    subjectDer: new Uint8Array(csr.subject.toSchema().toBER()),
    subject,
    spki,
    keyAlgorithm,
    signatureScheme: scheme,
    san,
  });
}
