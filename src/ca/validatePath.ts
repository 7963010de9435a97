/**
 * Certification path validation (RFC 5280 §6, simplified) with ETSI EN 319 102-1 style results.
 * Never a boolean: `{ valid, indication, subIndication, chain, reasons, revocation }`, frozen.
 *
 * Indications (X.509 validation building block, EN 319 102-1 §5.2.6):
 *   PASSED; INDETERMINATE with NO_CERTIFICATE_CHAIN_FOUND, CERTIFICATE_CHAIN_GENERAL_FAILURE (a link's
 *   signature does not verify), REVOKED_NO_POE / REVOKED_CA_NO_POE (revoked at or before `at`),
 *   CHAIN_CONSTRAINTS_FAILURE (basicConstraints, pathLen, keyUsage, EKU, unknown critical extension),
 *   CRYPTO_CONSTRAINTS_FAILURE (signature algorithm not accepted), OUT_OF_BOUNDS_NO_POE (expired at `at`),
 *   NOT_YET_VALID, TRY_LATER (revocation status unknown); FAILED with FORMAT_FAILURE (leaf not parseable).
 * Not implemented: name constraints and policy processing (a critical nameConstraints/policyConstraints
 * extension therefore fails as "not understood"). Trust anchors' validity periods are checked too.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { schemeFromAlgorithmIdentifier } from '../crypto/algorithmIdentifiers.ts';
import { verifySignature } from '../crypto/signatures.ts';
import { KexinError } from '../errors.ts';
import {
  authorityKeyIdentifier, bytesEqual, findExtension, nameDer, parseCertificate, serialHex, spkiDer, strictBer,
  subjectKeyIdentifier, X509_OID,
} from './certificate.ts';
import { attributeName, KEY_USAGE_BITS, type KeyUsageName } from './profiles.ts';
import type { ReasonName } from './revocationReasons.ts';

export interface RevocationStatus {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly reason?: ReasonName;
  /** Where the answer came from, e.g. "crl:<caId>#42" or "ocsp". */
  readonly source: string;
}

/** Port: the lead wires it to the CA's own CRL/OCSP data. */
export interface RevocationSource {
  status(cert: pkijs.Certificate, issuer: pkijs.Certificate): Promise<RevocationStatus> | RevocationStatus;
}

export type Indication = 'PASSED' | 'FAILED' | 'INDETERMINATE';
export type SubIndication =
  | 'FORMAT_FAILURE' | 'NO_CERTIFICATE_CHAIN_FOUND' | 'CERTIFICATE_CHAIN_GENERAL_FAILURE' | 'REVOKED_NO_POE'
  | 'REVOKED_CA_NO_POE' | 'CHAIN_CONSTRAINTS_FAILURE' | 'CRYPTO_CONSTRAINTS_FAILURE' | 'OUT_OF_BOUNDS_NO_POE'
  | 'NOT_YET_VALID' | 'TRY_LATER';

export interface PathReason {
  /** Stable code, e.g. SIGNATURE_INVALID, EXPIRED, NOT_CA, PATH_LENGTH_EXCEEDED, REVOKED. */
  readonly code: string;
  readonly message: string;
  /** 0 = leaf; -1 when not about one certificate. */
  readonly certIndex: number;
}

export interface ChainEntry {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly der: Uint8Array;
  readonly trustAnchor: boolean;
}

export interface RevocationEntry extends RevocationStatus {
  readonly certIndex: number;
  readonly serial: string;
}

export interface PathValidationResult {
  readonly valid: boolean;
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  /** Leaf first, trust anchor last; empty when no chain was found. */
  readonly chain: readonly ChainEntry[];
  readonly reasons: readonly PathReason[];
  readonly revocation: readonly RevocationEntry[];
  /** False when no RevocationSource was given: PASSED then means "not revoked" was not checked. */
  readonly revocationChecked: boolean;
}

export interface ValidatePathInput {
  readonly leaf: Uint8Array;
  readonly intermediates?: readonly Uint8Array[];
  readonly trustAnchors: readonly Uint8Array[];
  readonly at: Date;
  readonly revocation?: RevocationSource;
  /** EKU OIDs the leaf must carry (all of them). */
  readonly requiredEku?: readonly string[];
  readonly requiredKeyUsage?: readonly KeyUsageName[];
}

const SHORT: Record<string, string> = { organizationIdentifier: 'organizationIdentifier', emailAddress: 'emailAddress', serialNumber: 'serialNumber' };

/** RFC 4514-like text of a Name (most significant first, as written in the certificate). */
export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues.map((tv) => {
    const n = attributeName(tv.type);
    const v = (tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
    return `${n ? (SHORT[n] ?? n) : tv.type}=${typeof v === 'string' ? v.replace(/([,+"\\<>;])/g, '\\$1') : '#'}`;
  }).join(', ');
}

const UNDERSTOOD = new Set<string>([
  X509_OID.basicConstraints, X509_OID.keyUsage, X509_OID.extKeyUsage, X509_OID.subjectAltName,
  X509_OID.subjectKeyIdentifier, X509_OID.authorityKeyIdentifier, X509_OID.certificatePolicies,
  X509_OID.crlDistributionPoints, X509_OID.authorityInfoAccess, X509_OID.ocspNoCheck,
]);

function keyUsageBits(cert: pkijs.Certificate): Set<KeyUsageName> | undefined {
  const e = findExtension(cert, X509_OID.keyUsage);
  if (!e) return undefined;
  const bs = strictBer(new Uint8Array(e.extnValue.valueBlock.valueHexView));
  const out = new Set<KeyUsageName>();
  if (!(bs instanceof asn1js.BitString)) return out;
  const bytes = new Uint8Array(bs.valueBlock.valueHexView);
  for (const [name, bit] of Object.entries(KEY_USAGE_BITS) as [KeyUsageName, number][]) {
    if ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) out.add(name);
  }
  return out;
}

function basicConstraints(cert: pkijs.Certificate): { ca: boolean; pathLen?: number } {
  const e = findExtension(cert, X509_OID.basicConstraints);
  if (!e || !(e.parsedValue instanceof pkijs.BasicConstraints)) return { ca: false };
  const pl = e.parsedValue.pathLenConstraint;
  return { ca: !!e.parsedValue.cA, pathLen: pl === undefined ? undefined : typeof pl === 'number' ? pl : pl.valueBlock.valueDec };
}

function ekus(cert: pkijs.Certificate): string[] | undefined {
  const e = findExtension(cert, X509_OID.extKeyUsage);
  if (!e) return undefined;
  return e.parsedValue instanceof pkijs.ExtKeyUsage ? e.parsedValue.keyPurposes : [];
}

interface Node { readonly cert: pkijs.Certificate; readonly der: Uint8Array; readonly anchor: boolean }

function issuedBy(child: pkijs.Certificate, parent: pkijs.Certificate): boolean {
  if (!bytesEqual(nameDer(child.issuer), nameDer(parent.subject))) return false;
  const aki = authorityKeyIdentifier(child);
  const ski = subjectKeyIdentifier(parent);
  return !(aki && ski && !bytesEqual(aki, ski));
}

/** All candidate paths leaf → anchor by name and AKI/SKI matching (at most 16, depth ≤ 10). */
function buildPaths(leaf: Node, pool: readonly Node[]): Node[][] {
  const paths: Node[][] = [];
  const walk = (path: Node[]) => {
    if (paths.length >= 16 || path.length > 10) return;
    const last = path[path.length - 1]!;
    if (last.anchor) { paths.push(path); return; }
    const candidates = pool.filter((n) => !path.some((p) => bytesEqual(p.der, n.der)) && issuedBy(last.cert, n.cert));
    candidates.sort((a, b) => Number(b.anchor) - Number(a.anchor));
    for (const c of candidates) walk([...path, c]);
  };
  walk([leaf]);
  return paths;
}

const PRIORITY: readonly SubIndication[] = [
  'FORMAT_FAILURE', 'CERTIFICATE_CHAIN_GENERAL_FAILURE', 'REVOKED_NO_POE', 'REVOKED_CA_NO_POE', 'CHAIN_CONSTRAINTS_FAILURE',
  'CRYPTO_CONSTRAINTS_FAILURE', 'OUT_OF_BOUNDS_NO_POE', 'NOT_YET_VALID', 'TRY_LATER', 'NO_CERTIFICATE_CHAIN_FOUND',
];

interface Finding extends PathReason { readonly sub: SubIndication }

async function checkPath(path: Node[], input: ValidatePathInput): Promise<{ findings: Finding[]; revocation: RevocationEntry[] }> {
  const findings: Finding[] = [];
  const revocation: RevocationEntry[] = [];
  const add = (sub: SubIndication, code: string, message: string, certIndex: number) => findings.push({ sub, code, message, certIndex });
  const at = input.at.getTime();
  for (let i = 0; i < path.length; i++) {
    const { cert, anchor } = path[i]!;
    const label = i === 0 ? 'leaf' : anchor ? 'trust anchor' : `intermediate ${i}`;
    if (at < cert.notBefore.value.getTime()) add('NOT_YET_VALID', 'NOT_YET_VALID', `${label} is not valid before ${cert.notBefore.value.toISOString()}`, i);
    if (at > cert.notAfter.value.getTime()) add('OUT_OF_BOUNDS_NO_POE', 'EXPIRED', `${label} expired at ${cert.notAfter.value.toISOString()}`, i);
    for (const e of cert.extensions ?? []) {
      if (e.critical && !UNDERSTOOD.has(e.extnID)) add('CHAIN_CONSTRAINTS_FAILURE', 'UNKNOWN_CRITICAL_EXTENSION', `${label} has critical extension ${e.extnID} that is not processed`, i);
    }
    if (!anchor) {
      const issuer = path[i + 1]!.cert;
      const inner = new Uint8Array(cert.signature.toSchema().toBER());
      const outer = new Uint8Array(cert.signatureAlgorithm.toSchema().toBER());
      const scheme = schemeFromAlgorithmIdentifier(outer);
      if (!scheme) {
        add('CRYPTO_CONSTRAINTS_FAILURE', 'SIGNATURE_ALGORITHM_UNSUPPORTED', `${label} signature algorithm ${cert.signatureAlgorithm.algorithmId} is not accepted`, i);
      } else if (!bytesEqual(inner, outer)) {
        add('CERTIFICATE_CHAIN_GENERAL_FAILURE', 'SIGNATURE_ALGORITHM_MISMATCH', `${label} signature and signatureAlgorithm differ`, i);
      } else if (cert.signatureValue.valueBlock.unusedBits !== 0
        || !verifySignature(spkiDer(issuer), scheme, cert.tbsView, new Uint8Array(cert.signatureValue.valueBlock.valueHexView))) {
        add('CERTIFICATE_CHAIN_GENERAL_FAILURE', 'SIGNATURE_INVALID', `${label} signature does not verify with its issuer's key`, i);
      }
    }
    if (i > 0) {
      const bc = basicConstraints(cert);
      if (!bc.ca) add('CHAIN_CONSTRAINTS_FAILURE', 'NOT_CA', `${label} is not a CA (basicConstraints cA)`, i);
      // Non-self-issued intermediates between this CA and the leaf.
      const below = path.slice(1, i).filter((n) => !bytesEqual(nameDer(n.cert.subject), nameDer(n.cert.issuer))).length;
      if (bc.pathLen !== undefined && below > bc.pathLen) add('CHAIN_CONSTRAINTS_FAILURE', 'PATH_LENGTH_EXCEEDED', `${label} allows ${bc.pathLen} intermediate CA(s) below it, path has ${below}`, i);
      const ku = keyUsageBits(cert);
      if ((ku === undefined && !anchor) || (ku && !ku.has('keyCertSign'))) add('CHAIN_CONSTRAINTS_FAILURE', 'KEY_USAGE_KEYCERTSIGN_MISSING', `${label} lacks keyUsage keyCertSign`, i);
    }
  }
  const leaf = path[0]!.cert;
  if (input.requiredEku?.length) {
    const have = ekus(leaf);
    for (const eku of input.requiredEku) {
      if (!have?.includes(eku)) add('CHAIN_CONSTRAINTS_FAILURE', 'EKU_MISSING', `leaf lacks extended key usage ${eku}`, 0);
    }
  }
  if (input.requiredKeyUsage?.length) {
    const ku = keyUsageBits(leaf);
    for (const u of input.requiredKeyUsage) if (!ku?.has(u)) add('CHAIN_CONSTRAINTS_FAILURE', 'KEY_USAGE_MISSING', `leaf lacks keyUsage ${u}`, 0);
  }
  if (input.revocation) {
    for (let i = 0; i < path.length - 1; i++) {
      const { cert } = path[i]!;
      if (path[i]!.anchor) break;
      let st: RevocationStatus;
      try {
        st = await input.revocation.status(cert, path[i + 1]!.cert);
      } catch (e) {
        st = { status: 'unknown', source: `error: ${e instanceof Error ? e.message : String(e)}` };
      }
      revocation.push(Object.freeze({ ...st, certIndex: i, serial: serialHex(cert) }));
      if (st.status === 'revoked' && (!st.revokedAt || st.revokedAt.getTime() <= at)) {
        add(i === 0 ? 'REVOKED_NO_POE' : 'REVOKED_CA_NO_POE', 'REVOKED',
          `${i === 0 ? 'leaf' : `CA certificate ${i}`} revoked${st.revokedAt ? ` at ${st.revokedAt.toISOString()}` : ''}${st.reason ? ` (${st.reason})` : ''}`, i);
      } else if (st.status === 'unknown') {
        add('TRY_LATER', 'REVOCATION_UNKNOWN', `revocation status of certificate ${i} is unknown (${st.source})`, i);
      }
    }
  }
  return { findings, revocation };
}

function entry(n: Node): ChainEntry {
  return Object.freeze({
    subject: nameToString(n.cert.subject), issuer: nameToString(n.cert.issuer), serial: serialHex(n.cert),
    notBefore: n.cert.notBefore.value, notAfter: n.cert.notAfter.value, der: n.der, trustAnchor: n.anchor,
  });
}

function result(r: Omit<PathValidationResult, 'valid'>): PathValidationResult {
  return Object.freeze({
    valid: r.indication === 'PASSED', ...r,
    chain: Object.freeze([...r.chain]),
    reasons: Object.freeze(r.reasons.map((x) => Object.freeze({ code: x.code, message: x.message, certIndex: x.certIndex }))),
    revocation: Object.freeze([...r.revocation]),
  });
}

export async function validatePath(input: ValidatePathInput): Promise<PathValidationResult> {
  const revocationChecked = !!input.revocation;
  let leaf: Node;
  try {
    leaf = { cert: parseCertificate(input.leaf), der: input.leaf, anchor: false };
  } catch (e) {
    const message = e instanceof KexinError ? e.message : 'leaf certificate is malformed';
    return result({ indication: 'FAILED', subIndication: 'FORMAT_FAILURE', chain: [], reasons: [{ code: 'CERT_MALFORMED', message, certIndex: 0 }], revocation: [], revocationChecked });
  }
  const pool: Node[] = [];
  const skipped: PathReason[] = [];
  for (const [list, anchor] of [[input.trustAnchors, true], [input.intermediates ?? [], false]] as const) {
    for (const der of list) {
      try {
        pool.push({ cert: parseCertificate(der), der, anchor });
      } catch {
        skipped.push({ code: 'CERT_MALFORMED', message: `an ${anchor ? 'anchor' : 'intermediate'} certificate is malformed and was ignored`, certIndex: -1 });
      }
    }
  }
  const leafAnchor = pool.find((n) => n.anchor && bytesEqual(n.der, leaf.der));
  const paths = leafAnchor ? [[leafAnchor]] : buildPaths(leaf, pool);
  if (paths.length === 0) {
    return result({
      indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND', chain: [entry(leaf)],
      reasons: [...skipped, { code: 'NO_CHAIN', message: 'no path from the leaf to a trust anchor', certIndex: 0 }], revocation: [], revocationChecked,
    });
  }
  let best: { path: Node[]; findings: Finding[]; revocation: RevocationEntry[] } | undefined;
  for (const path of paths) {
    const r = await checkPath(path, input);
    if (r.findings.length === 0) {
      return result({ indication: 'PASSED', chain: path.map(entry), reasons: skipped, revocation: r.revocation, revocationChecked });
    }
    if (!best) best = { path, ...r };
  }
  const b = best!;
  const sub = PRIORITY.find((s) => b.findings.some((f) => f.sub === s))!;
  return result({
    indication: sub === 'FORMAT_FAILURE' ? 'FAILED' : 'INDETERMINATE', subIndication: sub,
    chain: b.path.map(entry), reasons: [...b.findings, ...skipped], revocation: b.revocation, revocationChecked,
  });
}
