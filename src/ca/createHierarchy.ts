/**
 * The CA hierarchy ceremony: self-signed roots, issuing CAs under them, delegated OCSP responder and
 * TSA certificates, and the external-root flow (key + CSR out, CA certificate in, checked).
 * Keys are created in the given KeyStore and never leave it.
 */
import * as pkijs from 'pkijs';
import { signerFor, type KeyAlgorithm, type KeyInfo, type KeyStore, type Signer } from '../crypto/keyStore.ts';
import { defaultScheme } from '../crypto/signatures.ts';
import type { Clock } from '../clock.ts';
import { KexinError } from '../errors.ts';
import { bytesEqual, findExtension, newSerial, parseCertificate, spkiDer, X509_OID } from './certificate.ts';
import { checkKey } from './checkCsr.ts';
import { buildPlan, issuerFacts, signCertificate, type SignedCertificate } from './issueCertificate.ts';
import { buildCsr } from './buildCsr.ts';
import { buildNameDer, type NameInput } from './names.ts';
import { derToPem } from './pem.ts';
import { PROFILES, type Profile } from './profiles.ts';
import { validatePath, type PathValidationResult } from './validatePath.ts';

export interface CaMaterial {
  readonly key: KeyInfo;
  readonly signer: Signer;
  readonly certificate: SignedCertificate;
  /** 40 hex digits. */
  readonly serial: string;
}

/** A CA that signs: its DER certificate, its signer, and its id in URLs. */
export interface SigningCa {
  readonly certificate: Uint8Array;
  readonly signer: Signer;
  readonly caId: string;
}

const hex40 = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/^(00)+(?=.)/, '').padStart(40, '0');
const YEAR_DAYS = 365.25;

function days(profile: Profile, years: number | undefined, daysIn: number | undefined): number {
  const d = daysIn ?? (years !== undefined ? Math.floor(years * YEAR_DAYS) : profile.maxValidityDays);
  return Math.min(d, profile.maxValidityDays);
}

async function newKey(keyStore: KeyStore, algorithm: KeyAlgorithm, label: string, profile: Profile): Promise<{ key: KeyInfo; signer: Signer }> {
  if (!profile.allowedKeys.includes(algorithm)) {
    throw new KexinError('CA_KEY_NOT_ALLOWED', `${algorithm} is not allowed for ${profile.name}`, 400, { allowed: [...profile.allowedKeys] });
  }
  const key = await keyStore.createKey(algorithm, label);
  checkKey(key.publicKeySpki, profile);
  return { key, signer: signerFor(keyStore, key, defaultScheme(algorithm), { purpose: 'ca' }) };
}

export interface CreateRootInput {
  readonly keyStore: KeyStore;
  readonly algorithm: KeyAlgorithm;
  readonly name: NameInput;
  readonly clock: Clock;
  readonly validityYears?: number;
  readonly serial?: Uint8Array;
}

/** Self-signed root: basicConstraints cA (no pathLen), keyCertSign + cRLSign, SKI = AKI, no CDP/AIA. */
export async function createRootCa(input: CreateRootInput): Promise<CaMaterial> {
  const profile = PROFILES['root-ca'];
  const { key, signer } = await newKey(input.keyStore, input.algorithm, `root-${input.algorithm.toLowerCase()}`, profile);
  const serial = input.serial ?? newSerial();
  const plan = buildPlan({
    profile, subjectName: buildNameDer(input.name), spki: key.publicKeySpki, serial,
    now: input.clock.now(), validityDays: days(profile, input.validityYears, undefined),
  });
  const certificate = await signCertificate(plan, signer);
  return Object.freeze({ key, signer, certificate, serial: hex40(plan.serial) });
}

export interface CreateSubordinateInput {
  readonly keyStore: KeyStore;
  readonly issuer: SigningCa;
  readonly algorithm: KeyAlgorithm;
  readonly name: NameInput;
  readonly clock: Clock;
  readonly baseUrl: string;
  readonly validityYears?: number;
  readonly validityDays?: number;
  readonly serial?: Uint8Array;
}

async function subordinate(input: CreateSubordinateInput, profile: Profile, label: string): Promise<CaMaterial> {
  const { key, signer } = await newKey(input.keyStore, input.algorithm, label, profile);
  const serial = input.serial ?? newSerial();
  const plan = buildPlan({
    profile, subjectName: buildNameDer(input.name), spki: key.publicKeySpki, serial, now: input.clock.now(),
    validityDays: days(profile, input.validityYears, input.validityDays),
    issuer: issuerFacts({ certificate: input.issuer.certificate, caId: input.issuer.caId }, !!profile.ca),
    baseUrl: input.baseUrl,
  });
  const certificate = await signCertificate(plan, input.issuer.signer);
  return Object.freeze({ key, signer, certificate, serial: hex40(plan.serial) });
}

/** Issuing CA under `root` (`issuer`): cA, pathLen 0, keyCertSign + cRLSign, CDP/AIA to the root's URLs. */
export function createIssuingCa(input: Omit<CreateSubordinateInput, 'issuer'> & { readonly root: SigningCa }): Promise<CaMaterial> {
  return subordinate({ ...input, issuer: input.root }, PROFILES['issuing-ca'], `issuing-${input.algorithm.toLowerCase()}`);
}

/** Delegated OCSP responder: id-kp-OCSPSigning, id-pkix-ocsp-nocheck, signed by the issuing CA it answers for. */
export function createOcspResponderCert(input: CreateSubordinateInput): Promise<CaMaterial> {
  return subordinate(input, PROFILES.ocsp, `ocsp-${input.issuer.caId}`);
}

/** Time-stamping unit: critical EKU timeStamping only. */
export function createTsaCert(input: CreateSubordinateInput): Promise<CaMaterial> {
  return subordinate(input, PROFILES.tsa, `tsa-${input.issuer.caId}`);
}

export interface IssuingCaRequest {
  readonly key: KeyInfo;
  readonly signer: Signer;
  readonly csrDer: Uint8Array;
  readonly csrPem: string;
}

/** External root: a new key in the store and a PKCS#10 request (signed by the store) for the qualified CA to sign. */
export async function createIssuingCaRequest(input: { keyStore: KeyStore; algorithm: KeyAlgorithm; name: NameInput }): Promise<IssuingCaRequest> {
  const profile = PROFILES['issuing-ca'];
  const { key, signer } = await newKey(input.keyStore, input.algorithm, `issuing-ext-${input.algorithm.toLowerCase()}`, profile);
  const csr = await buildCsr({ signer, subject: input.name });
  const csrDer = csr.der;
  return Object.freeze({ key, signer, csrDer, csrPem: derToPem(csrDer, 'CERTIFICATE REQUEST') });
}

export interface ImportedCa {
  readonly certificate: pkijs.Certificate;
  readonly der: Uint8Array;
  readonly path: PathValidationResult;
}

/**
 * Checks the certificate an external root issued for our key: same public key, a CA (basicConstraints cA,
 * keyCertSign), and a valid path to the last certificate of `chainDers` (the external root; any others
 * are intermediates) at `at` (default now). Failure → `CA_IMPORT_REJECTED` with the reason.
 */
export async function checkImportedCaCertificate(input: {
  certDer: Uint8Array; keyInfo: KeyInfo; chainDers: readonly Uint8Array[]; at?: Date;
}): Promise<ImportedCa> {
  const reject = (message: string, details?: Record<string, unknown>) => new KexinError('CA_IMPORT_REJECTED', message, 400, details);
  const cert = parseCertificate(input.certDer);
  if (!bytesEqual(spkiDer(cert), input.keyInfo.publicKeySpki)) throw reject('the certificate public key is not the key this CA generated');
  try {
    issuerFacts({ certificate: input.certDer, caId: '-' }, false);
  } catch (e) {
    throw reject(e instanceof Error ? e.message : 'not a CA certificate');
  }
  if (!findExtension(cert, X509_OID.basicConstraints)?.critical) throw reject('basicConstraints must be critical in a CA certificate');
  if (input.chainDers.length === 0) throw reject('the external root certificate is required');
  const root = input.chainDers[input.chainDers.length - 1]!;
  const path = await validatePath({
    leaf: input.certDer, intermediates: input.chainDers.slice(0, -1), trustAnchors: [root], at: input.at ?? new Date(),
    requiredKeyUsage: ['keyCertSign'],
  });
  if (!path.valid) throw reject(`the certificate does not chain to the given root: ${path.subIndication}`, { reasons: path.reasons.map((r) => r.code) });
  return Object.freeze({ certificate: cert, der: input.certDer, path });
}
