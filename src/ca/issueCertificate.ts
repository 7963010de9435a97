/**
 * Certificate issuance in visible phases (step-ca style):
 *   modify   — defaults (validity from the clock and the profile);
 *   validate — the CSR (`checkCsr`: signature, key, subject, SANs);
 *   enforce  — validity clamped to the issuer's notAfter and the profile maximum;
 *   policy   — the issuer may issue (cA, keyCertSign, pathLen), internal profiles refused;
 *   sign     — `signCertificate(plan, issuerSigner)`.
 * `prepareCertificate` is pure (no signing, no I/O); the caller records the serial, then signs.
 */
import { BIT_STRING, context, generalizedTime, OCTET_STRING, oid, readWhole, SEQUENCE, tlv, TRUE, utcTime } from '../crypto/der.ts';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureAlgorithmIdentifier } from '../crypto/algorithmIdentifiers.ts';
import type { SignatureScheme, Signer } from '../crypto/keyStore.ts';
import { verifySignature } from '../crypto/signatures.ts';
import type { Clock } from '../clock.ts';
import { KexinError } from '../errors.ts';
import {
  bytesEqual, findExtension, keyIdentifier, parseCertificate, positiveIntegerBytes, spkiDer,
  strictBer, subjectKeyIdentifier, X509_OID,
} from './certificate.ts';
import { checkCsr, type CheckedCsr } from './checkCsr.ts';
import { extensions, type PlannedExtension } from './extensions.ts';
import { certificateToPem } from './pem.ts';
import { getProfile, type Profile, type ProfileName } from './profiles.ts';

export { newSerial } from './certificate.ts';

const DAY = 86_400_000;

/** Everything `signCertificate` needs; frozen data. */
export interface CertificatePlan {
  readonly profile: ProfileName;
  /** Positive INTEGER content bytes (minimal). */
  readonly serial: Uint8Array;
  /** DER Name. */
  readonly issuerName: Uint8Array;
  /** DER SPKI the issuer signer must hold (for a self-signed plan: the subject's own). */
  readonly issuerSpki: Uint8Array;
  readonly subjectName: Uint8Array;
  readonly spki: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly PlannedExtension[];
}

export interface IssuerCa {
  /** DER certificate of the issuing CA. */
  readonly certificate: Uint8Array;
  /** The CA's id in URLs: `<baseUrl>/pki/cas/<caId>/crl` and `/cert`. */
  readonly caId: string;
}

export interface PrepareInput {
  /** PEM/DER CSR, or one already checked against the same profile. */
  readonly csr: Uint8Array | string | CheckedCsr;
  readonly profile: ProfileName | string | Profile;
  readonly issuer: IssuerCa;
  readonly serial: Uint8Array | bigint | string;
  readonly clock: Clock;
  /** e.g. `https://kexin.example.gov.cn` (no trailing slash needed). */
  readonly baseUrl: string;
  /** Requested validity; defaults to the profile maximum; more than the maximum → `CA_VALIDITY_TOO_LONG`. */
  readonly validityDays?: number;
  /** Only the hierarchy code sets this, to issue `issuing-ca` certificates. */
  readonly allowInternal?: boolean;
}

function ipBytes(ip: string): Uint8Array {
  if (ip.includes('.')) return new Uint8Array(ip.split('.').map(Number));
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 0xff; });
  return out;
}

function trimUrl(baseUrl: string): string {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new KexinError('CA_BASE_URL_INVALID', `base URL "${baseUrl}" is not a URL`, 500);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new KexinError('CA_BASE_URL_INVALID', 'base URL must be http(s)', 500);
  return baseUrl.replace(/\/+$/, '');
}

function secondsFloor(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** Facts about an issuer that planning needs. */
export interface IssuerFacts {
  readonly name: Uint8Array;
  readonly spki: Uint8Array;
  readonly keyId: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly caId: string | undefined;
}

/** Reads and checks the issuer: a CA certificate (basicConstraints cA, keyCertSign), pathLen permitting. */
export function issuerFacts(issuer: IssuerCa, issuingCa: boolean): IssuerFacts {
  // Issuing under the same CA thousands of times: its facts are a pure function of its DER.
  const memoKey = `${issuingCa ? 1 : 0}:${issuer.caId}:${Buffer.from(issuer.certificate).toString('base64')}`;
  const memo = issuerFactsMemo.get(memoKey);
  if (memo) return memo;
  const facts = computeIssuerFacts(issuer, issuingCa);
  if (issuerFactsMemo.size >= 64) issuerFactsMemo.delete(issuerFactsMemo.keys().next().value!);
  issuerFactsMemo.set(memoKey, facts);
  return facts;
}

const issuerFactsMemo = new Map<string, IssuerFacts>();

function computeIssuerFacts(issuer: IssuerCa, issuingCa: boolean): IssuerFacts {
  const cert = parseCertificate(issuer.certificate);
  const bcExt = findExtension(cert, X509_OID.basicConstraints);
  const bc = bcExt?.parsedValue instanceof pkijs.BasicConstraints ? bcExt.parsedValue : undefined;
  if (!bc?.cA) throw new KexinError('CA_ISSUER_NOT_CA', 'issuer certificate is not a CA (basicConstraints cA)', 500);
  const kuExt = findExtension(cert, X509_OID.keyUsage);
  const ku = kuExt ? strictBer(new Uint8Array(kuExt.extnValue.valueBlock.valueHexView)) : undefined;
  const kuBytes = ku instanceof asn1js.BitString ? new Uint8Array(ku.valueBlock.valueHexView) : new Uint8Array();
  if (!((kuBytes[0] ?? 0) & 0x04)) throw new KexinError('CA_ISSUER_NOT_CA', 'issuer certificate lacks keyUsage keyCertSign', 500);
  if (issuingCa && bc.pathLenConstraint !== undefined) {
    const pl = typeof bc.pathLenConstraint === 'number' ? bc.pathLenConstraint : bc.pathLenConstraint.valueBlock.valueDec;
    if (pl < 1) throw new KexinError('CA_ISSUER_PATHLEN', 'issuer pathLenConstraint forbids issuing a CA certificate', 500);
  }
  return Object.freeze({
    name: new Uint8Array(cert.subject.toSchema().toBER()),
    spki: spkiDer(cert),
    keyId: subjectKeyIdentifier(cert) ?? keyIdentifier(cert.subjectPublicKeyInfo),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    caId: issuer.caId,
  });
}

export interface PlanParts {
  readonly profile: Profile;
  readonly subjectName: Uint8Array;
  readonly spki: Uint8Array;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly serial: Uint8Array | bigint | string;
  readonly now: Date;
  readonly validityDays?: number;
  /** Absent: self-signed (root). */
  readonly issuer?: IssuerFacts;
  readonly baseUrl?: string;
}

/** The enforce + policy phases over already-validated parts. Shared with the hierarchy code. */
export function buildPlan(p: PlanParts): CertificatePlan {
  const { profile } = p;
  const days = p.validityDays ?? profile.maxValidityDays;
  if (!Number.isFinite(days) || days <= 0) throw new KexinError('CA_VALIDITY_INVALID', 'validity must be a positive number of days', 400);
  if (days > profile.maxValidityDays) {
    throw new KexinError('CA_VALIDITY_TOO_LONG', `profile ${profile.name} allows at most ${profile.maxValidityDays} days`, 400, { maxDays: profile.maxValidityDays });
  }
  const notBefore = secondsFloor(p.now);
  let notAfter = secondsFloor(new Date(notBefore.getTime() + days * DAY));
  if (p.issuer) {
    if (notBefore.getTime() >= p.issuer.notAfter.getTime()) {
      throw new KexinError('CA_ISSUER_EXPIRED', 'the issuing CA certificate has expired (notBefore would be at or after its notAfter)', 409);
    }
    if (notBefore.getTime() < p.issuer.notBefore.getTime()) {
      throw new KexinError('CA_ISSUER_NOT_YET_VALID', 'the issuing CA certificate is not yet valid', 409);
    }
    if (notAfter.getTime() > p.issuer.notAfter.getTime()) notAfter = new Date(p.issuer.notAfter.getTime());
  }
  const serial = positiveIntegerBytes(p.serial);
  if (serial.every((b) => b === 0)) throw new KexinError('CA_SERIAL_INVALID', 'serial must be positive', 400);
  if (serial.length > 20) throw new KexinError('CA_SERIAL_INVALID', 'serial longer than 20 octets', 400);

  const ski = keyIdentifier(p.spki);
  const exts: PlannedExtension[] = [];
  exts.push(extensions.basicConstraints(!!profile.ca, profile.ca?.pathLen));
  exts.push(extensions.keyUsage(profile.keyUsage));
  if (profile.extKeyUsage.length) exts.push(extensions.extKeyUsage(profile.extKeyUsage, profile.extKeyUsageCritical));
  exts.push(extensions.subjectKeyIdentifier(ski));
  exts.push(extensions.authorityKeyIdentifier(p.issuer ? p.issuer.keyId : ski));
  const dns = p.dnsNames ?? [];
  const ips = p.ipAddresses ?? [];
  if (dns.length + ips.length > 0) {
    // RFC 5280 §4.2.1.6: critical when the subject is empty.
    exts.push(extensions.subjectAltName(dns, ips.map(ipBytes), readWhole(p.subjectName, 'subject').content.length === 0));
  } else if (profile.san === 'required') {
    throw new KexinError('CA_SAN_REQUIRED', `profile ${profile.name} requires a dNSName or iPAddress SAN`, 400);
  }
  exts.push(extensions.certificatePolicies(profile.policyOid));
  if (p.issuer) {
    if (!p.issuer.caId || !p.baseUrl) throw new KexinError('CA_BASE_URL_INVALID', 'issued certificates need caId and baseUrl for CDP/AIA', 500);
    const base = trimUrl(p.baseUrl);
    const caId = encodeURIComponent(p.issuer.caId);
    exts.push(extensions.crlDistributionPoint(`${base}/pki/cas/${caId}/crl`));
    exts.push(extensions.authorityInfoAccess(`${base}/pki/ocsp`, `${base}/pki/cas/${caId}/cert`));
  }
  if (profile.ocspNoCheck) exts.push(extensions.ocspNoCheck());

  return Object.freeze({
    profile: profile.name,
    serial,
    issuerName: p.issuer ? p.issuer.name : p.subjectName,
    issuerSpki: p.issuer ? p.issuer.spki : p.spki,
    subjectName: p.subjectName,
    spki: p.spki,
    notBefore,
    notAfter,
    extensions: Object.freeze(exts),
  });
}

function isChecked(csr: PrepareInput['csr']): csr is CheckedCsr {
  return typeof csr === 'object' && !(csr instanceof Uint8Array) && 'spki' in csr && 'subjectDer' in csr;
}

/** modify → validate → enforce → policy. Returns a frozen plan; nothing is signed. */
export function prepareCertificate(input: PrepareInput): CertificatePlan {
  const profile = typeof input.profile === 'string' ? getProfile(input.profile) : input.profile;
  if (profile.internal && !input.allowInternal) {
    throw new KexinError('CA_PROFILE_INTERNAL', `profile ${profile.name} is issued only by the hierarchy ceremony`, 403);
  }
  if (profile.name === 'root-ca') throw new KexinError('CA_PROFILE_INTERNAL', 'root certificates are self-signed by createRootCa', 403);
  const checked = isChecked(input.csr) ? input.csr : checkCsr(input.csr, profile);
  if (checked.profile !== profile.name) {
    throw new KexinError('CA_CSR_PROFILE_MISMATCH', `CSR was checked for profile ${checked.profile}, not ${profile.name}`, 400);
  }
  const issuer = issuerFacts(input.issuer, !!profile.ca);
  return buildPlan({
    profile,
    subjectName: checked.subjectDer,
    spki: checked.spki,
    dnsNames: checked.san.dnsNames,
    ipAddresses: checked.san.ipAddresses,
    serial: input.serial,
    now: input.clock.now(),
    validityDays: input.validityDays,
    issuer,
    baseUrl: input.baseUrl,
  });
}

export interface SignedCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
}


/** DER AlgorithmIdentifier per scheme, encoded once. */
const algorithmDer = new Map<SignatureScheme, Uint8Array>();
function algorithmIdentifierDer(scheme: SignatureScheme): Uint8Array {
  let d = algorithmDer.get(scheme);
  if (!d) {
    d = new Uint8Array(signatureAlgorithmIdentifier(scheme).toSchema().toBER());
    algorithmDer.set(scheme, d);
  }
  return d;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds. */
function validityTime(d: Date): Uint8Array {
  const t = new Date(Math.floor(d.getTime() / 1000) * 1000);
  return t.getUTCFullYear() < 2050 ? utcTime(t) : generalizedTime(t);
}

const V3 = tlv(context(0), tlv(0x02, Uint8Array.of(2)));

/**
 * The DER TBSCertificate of a plan (RFC 5280 §4.1), concatenated from parts that are already DER
 * (names, SPKI, extension values): building it through pkijs objects cost ~10 ms per certificate.
 */
export function encodeTbs(plan: CertificatePlan, scheme: SignatureScheme): Uint8Array {
  const extensions = plan.extensions.map((e) => tlv(SEQUENCE, oid(e.oid), ...(e.critical ? [TRUE] : []), tlv(OCTET_STRING, e.value)));
  return tlv(SEQUENCE,
    V3,
    tlv(0x02, plan.serial),
    algorithmIdentifierDer(scheme),
    plan.issuerName,
    tlv(SEQUENCE, validityTime(plan.notBefore), validityTime(plan.notAfter)),
    plan.subjectName,
    plan.spki,
    ...(extensions.length ? [tlv(context(3), tlv(SEQUENCE, ...extensions))] : []));
}

/** Signs a plan with the issuer's key (which must match the plan's issuer key), then checks the result. */
export async function signCertificate(plan: CertificatePlan, issuerSigner: Signer): Promise<SignedCertificate> {
  if (!bytesEqual(issuerSigner.publicKeySpki, plan.issuerSpki)) {
    throw new KexinError('CA_SIGNER_MISMATCH', 'the signer key is not the issuer certificate key', 500);
  }
  const tbs = encodeTbs(plan, issuerSigner.scheme);
  const sig = await issuerSigner.sign(tbs);
  // Check before anything leaves: a faulty token or a wrong key never yields an unverifiable certificate.
  if (!verifySignature(plan.issuerSpki, issuerSigner.scheme, tbs, sig)) {
    throw new KexinError('CA_SIGNATURE_SELF_CHECK_FAILED', 'the new certificate signature does not verify with the issuer key', 500);
  }
  const der = tlv(SEQUENCE, tbs, algorithmIdentifierDer(issuerSigner.scheme), tlv(BIT_STRING, Uint8Array.of(0), sig));
  return Object.freeze({ der, pem: certificateToPem(der) });
}
