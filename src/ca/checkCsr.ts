/**
 * CSR checks, in order: structure → signature algorithm → proof of possession (the signature, checked
 * with `verifySignature` before any field is trusted) → key strength and profile → subject → SANs.
 */
import { isIP } from 'node:net';
import { publicKeyFacts, schemeFromAlgorithmIdentifier, type PublicKeyFacts } from '../crypto/algorithmIdentifiers.ts';
import type { KeyAlgorithm, SignatureScheme } from '../crypto/keyStore.ts';
import { verifySignature } from '../crypto/signatures.ts';
import { KexinError } from '../errors.ts';
import { X509_OID } from './certificate.ts';
import { children, decodeOid, DerError, expectTag, OCTET_STRING, readWhole, SEQUENCE, type Tlv } from '../crypto/der.ts';
import { parseCsr, type ParsedCsr } from './parseCsr.ts';
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
export function checkKey(spki: Uint8Array, profile: Profile): KeyAlgorithm {
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

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** X.680 §41.4 PrintableString characters. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** BMPString: UTF-16BE code units, surrogate pairs combined as asn1js did; lone surrogates refused. */
function bmpText(b: Uint8Array): string | undefined {
  let s = '';
  for (let i = 0; i < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
  return s.isWellFormed() ? s : undefined;
}

/** UniversalString: UTF-32BE code points; surrogates and values above U+10FFFF refused. */
function universalText(b: Uint8Array): string | undefined {
  let s = '';
  for (let i = 0; i < b.length; i += 4) {
    const cp = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** The text of a directory string value, or undefined for another type or an invalid encoding. */
function attributeText({ tag, content }: Tlv): string | undefined {
  switch (tag) {
    case 0x0c: // UTF8String
      try {
        return utf8.decode(content);
      } catch {
        return undefined;
      }
    case 0x13: { // PrintableString
      const s = latin1(content);
      return PRINTABLE.test(s) ? s : undefined;
    }
    case 0x16: return content.every((b) => b < 0x80) ? latin1(content) : undefined; // IA5String
    case 0x1e: return bmpText(content);
    case 0x1c: return universalText(content);
    default: return undefined;
  }
}

/** Checks a subject against the profile's rules; returns the readable attributes. */
export function checkSubject(rdns: ParsedCsr['rdns'], profile: Profile): CheckedCsr['subject'] {
  // One attribute per RDN: multi-valued RDNs are legal X.501 but ambiguous to display and compare.
  if (rdns.some((rdn) => rdn.length !== 1)) throw subjectError('RDN', 'subject has a multi-valued RDN; use one attribute per RDN');
  const out: { type: AttributeName; value: string }[] = [];
  const seen = new Map<AttributeName, number>();
  const allowed = new Set<AttributeName>([...profile.subject.required, ...profile.subject.allowed]);
  for (const [atv] of rdns) {
    const name = attributeName(atv.type);
    if (!name || !allowed.has(name)) throw subjectError(name ?? atv.type, `subject attribute ${name ?? atv.type} is not allowed in profile ${profile.name}`);
    const value = attributeText(atv.value);
    if (value === undefined) throw subjectError(name, `subject attribute ${name} is not a validly encoded UTF8String, PrintableString, IA5String, BMPString or UniversalString`);
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

const sanMalformed = (what: string, cause?: unknown) =>
  new KexinError('CA_CSR_MALFORMED', `CSR ${what} is malformed`, 400, undefined, cause === undefined ? undefined : { cause });

/** extnValue of the first subjectAltName in Extensions ::= SEQUENCE OF SEQUENCE { extnID, critical DEFAULT FALSE, extnValue }. */
function subjectAltNameValue(extensionsValue: Tlv): Uint8Array | undefined {
  try {
    let found: Uint8Array | undefined;
    for (const e of children(expectTag(extensionsValue, SEQUENCE, 'Extensions'))) {
      const [id, ...rest] = children(expectTag(e, SEQUENCE, 'Extension'));
      if (rest[0]?.tag === 0x01 && rest[0].content.length === 1) rest.shift(); // critical
      if (rest.length !== 1) throw new DerError('Extension: expected extnValue');
      const value = expectTag(rest[0], OCTET_STRING, 'extnValue').content;
      if (!found && decodeOid(expectTag(id, 0x06, 'extnID').content) === X509_OID.subjectAltName) found = value;
    }
    return found;
  } catch (e) {
    if (e instanceof DerError) throw sanMalformed('extensionRequest', e);
    throw e;
  }
}

/** GeneralName CHOICE tags (RFC 5280 §4.2.1.6): [0], [3], [4], [5] constructed, the rest primitive. */
const GENERAL_NAME_TAGS = new Set([0xa0, 0x81, 0x82, 0xa3, 0xa4, 0xa5, 0x86, 0x87, 0x88]);
const DNS_NAME = 0x82;
const IP_ADDRESS = 0x87;

function generalNames(sanValue: Uint8Array): Tlv[] {
  try {
    const names = children(expectTag(readWhole(sanValue, 'subjectAltName'), SEQUENCE, 'GeneralNames'));
    if (names.some((n) => !GENERAL_NAME_TAGS.has(n.tag))) throw new DerError('GeneralNames: unknown GeneralName');
    return names;
  } catch (e) {
    if (e instanceof DerError) throw sanMalformed('subjectAltName', e);
    throw e;
  }
}

/** SANs from the CSR's extensionRequest: dNSName and iPAddress only; everything else the requester asks is ignored. */
export function requestedSans(csr: ParsedCsr): SubjectAlternativeNames {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const request = csr.attributes.find((a) => a.type === X509_OID.extensionRequest)?.values[0];
  const san = request && subjectAltNameValue(request);
  for (const g of san ? generalNames(san) : []) {
    if (g.tag === DNS_NAME) dnsNames.push(checkDnsName(latin1(g.content)));
    else if (g.tag === IP_ADDRESS) ipAddresses.push(ipText(g.content));
  }
  return Object.freeze({ dnsNames: Object.freeze([...new Set(dnsNames)]), ipAddresses: Object.freeze([...new Set(ipAddresses)]) });
}

/** Parses and checks a CSR for `profile`. */
export function checkCsr(input: Uint8Array | string, profile: Profile): CheckedCsr {
  const csr = parseCsr(input);
  const scheme = schemeFromAlgorithmIdentifier(csr.signatureAlgorithm.der);
  if (!scheme) {
    throw new KexinError('CA_CSR_ALGORITHM_UNSUPPORTED', `CSR signature algorithm ${csr.signatureAlgorithm.oid} is not supported`, 400,
      { algorithm: csr.signatureAlgorithm.oid });
  }
  // SM2 CSRs are signed with the GM/T 0009 default ID (verifySignature's default).
  if (csr.signature.unusedBits !== 0 || !verifySignature(csr.spki, scheme, csr.tbs, csr.signature.bytes)) {
    throw new KexinError('CA_CSR_SIGNATURE_INVALID', 'CSR signature does not verify with its own public key', 400);
  }
  const keyAlgorithm = checkKey(csr.spki, profile);
  const subject = checkSubject(csr.rdns, profile);
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
    der: csr.der,
    subjectDer: csr.subject.slice(),
    subject,
    spki: csr.spki.slice(),
    keyAlgorithm,
    signatureScheme: scheme,
    san,
  });
}
