/**
 * Seals on anything that is not a PDF:
 *   - detached CAdES (ETSI EN 319 122-1 B-B/B-T; application/pkcs7-signature) over any file, with
 *     signingTime, signing-certificate-v2 and the seal's SESeal as a signed attribute;
 *   - a detached GB/T 38540 SES_Signature (SM2 seals), dataHash = SM3 of the file;
 *   - JSON records: a JWS in flattened JSON serialisation, JAdES-compatible (ETSI TS 119 182-1):
 *     protected header with alg ES256, x5c, x5t#S256, sigT (critical); B-T adds the etsiU sigTst
 *     time-stamp over the base64url signature value.
 * And the analysis of each, shaped like a PDF signature's so one validator decides them all.
 */
import { createHash } from 'node:crypto';
import * as jose from 'jose';
import { DerError, readTlv } from '../crypto/der.ts';
import type { DigestName } from '../crypto/algorithmIdentifiers.ts';
import { buildSignedData } from './cms/buildSignedData.ts';
import { readSignedData } from './cms/readSignedData.ts';
import { requestTimestampForDigest, type TimestampAuthority } from './cms/timestamp.ts';
import { makeSesSignature, parseSesSignature } from './gbt38540/sesSignature.ts';
import { SIGNING_OID } from './oids.ts';
import { derToJoseSignature } from './print/printCode.ts';
import type { SealSigners } from './seals/sealService.ts';
import { analyzeCmsForDetached, analyzeSesForDetached, type PdfAnalysis, type SignatureAnalysis, type TimestampAnalysis } from './verify/analyzePdf.ts';
import { checkTimeStampToken, readTimeStampToken } from './cms/timestamp.ts';

export type DetachedLevel = 'B-B' | 'B-T';

export async function signCadesDetached(sha256: Uint8Array, s: SealSigners, tsa: TimestampAuthority, level: DetachedLevel, time: Date): Promise<Uint8Array> {
  const built = await buildSignedData({
    contentDigest: sha256, digestAlgorithm: 'sha256', signer: s.cms.signer, signerCertificate: s.cms.certificate, chain: s.chain, signingTime: time,
    signedAttributes: [{ oid: SIGNING_OID.kexinSesSeal, values: [s.seseal.der] }],
    unsignedAttributes: async (sig) => level === 'B-T'
      ? [{ oid: SIGNING_OID.signatureTimeStampToken, values: [(await requestTimestampForDigest(tsa, 'sha256', new Uint8Array(createHash('sha256').update(sig).digest()))).der] }]
      : [],
  });
  return built.der;
}

export async function signSesDetached(sm3: Uint8Array, s: SealSigners, tsa: TimestampAuthority, level: DetachedLevel, time: Date, propertyInfo: string): Promise<Uint8Array> {
  if (!s.sm2) throw new TypeError('SES_Signature needs an SM2 seal');
  const ses = await makeSesSignature({
    seal: s.seseal, signer: s.sm2.signer, signerCertificate: s.sm2.certificate, time, dataHash: sm3, propertyInfo,
    timestamp: level === 'B-T' ? async (v) => (await requestTimestampForDigest(tsa, 'sm3', new Uint8Array(createHash('sm3').update(v).digest()))).der : undefined,
  });
  return ses.der;
}

const b64u = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

export async function signJades(payload: Uint8Array, s: SealSigners, tsa: TimestampAuthority, level: DetachedLevel, time: Date): Promise<string> {
  const header = {
    alg: 'ES256', typ: 'jose+json', kid: s.seal.esId,
    x5c: [s.cms.certificate, ...s.chain].map((c) => Buffer.from(c).toString('base64')),
    'x5t#S256': b64u(createHash('sha256').update(s.cms.certificate).digest()),
    sigT: new Date(Math.floor(time.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    crit: ['sigT'],
  };
  const protectedB64 = b64u(JSON.stringify(header));
  const payloadB64 = b64u(payload);
  const signature = b64u(derToJoseSignature(await s.cms.signer.sign(Buffer.from(`${protectedB64}.${payloadB64}`, 'latin1'))));
  const jws: Record<string, unknown> = { protected: protectedB64, payload: payloadB64, signature };
  if (level === 'B-T') {
    const token = await requestTimestampForDigest(tsa, 'sha256', new Uint8Array(createHash('sha256').update(signature, 'latin1').digest()));
    jws.header = { etsiU: [b64u(JSON.stringify({ sigTst: { tstTokens: [{ val: Buffer.from(token.der).toString('base64') }] } }))] };
  }
  return JSON.stringify(jws);
}

export type DetachedFormat = 'cades' | 'gbt38540' | 'jws';

/** Which format a detached signature is: a JWS (JSON), a CMS ContentInfo, or a GB/T 38540 SES_Signature. */
export function detectFormat(signature: Uint8Array): DetachedFormat | undefined {
  const first = signature.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === 0x7b) return 'jws';
  try {
    readTlv(signature, 0);
  } catch {
    return undefined;
  }
  try { readSignedData(signature); return 'cades'; } catch { /* not CMS */ }
  try { parseSesSignature(signature); return 'gbt38540'; } catch { return undefined; }
}

function single(sig: SignatureAnalysis): PdfAnalysis {
  return { size: 0, revisions: [{ index: 0, end: 0 }], structureProblems: [], signatures: [sig], diffs: [], dss: { certificates: [], ocsps: [], crls: [] } };
}

const base = { index: 0, fieldName: 'detached', type: 'signature' as const, byteRange: null, coverage: 'ENTIRE_FILE' as const, signedRevision: 0, modificationLevel: 'NONE' as const };

/** The analysis of a detached signature over data whose digests `digest(alg)` gives. */
export async function analyzeDetached(signature: Uint8Array, digest: (alg: DigestName) => Uint8Array, data?: Uint8Array): Promise<PdfAnalysis & { format: DetachedFormat }> {
  const format = detectFormat(signature);
  if (format === 'cades') {
    const sd = readSignedData(signature);
    const problems: string[] = [];
    if (sd.eContent) problems.push('CMS_NOT_DETACHED: the CMS encapsulates content');
    return { ...single({ ...base, subFilter: 'CAdES', formatProblems: problems, ...analyzeCmsForDetached(sd, digest) }), format };
  }
  if (format === 'gbt38540') {
    const ses = analyzeSesForDetached(parseSesSignature(signature), digest('sm3'));
    return { ...single({ ...base, subFilter: 'GB/T 38540', formatProblems: [], timestamps: [], ses }), format };
  }
  if (format === 'jws') return { ...single(await analyzeJades(signature, data)), format };
  throw new DerError('the signature is neither CAdES, a GB/T 38540 SES_Signature nor a JWS');
}

async function analyzeJades(raw: Uint8Array, data: Uint8Array | undefined): Promise<SignatureAnalysis> {
  const problems: string[] = [];
  let jws: { protected?: string; payload?: string; signature?: string; header?: { etsiU?: unknown[] } };
  try { jws = JSON.parse(Buffer.from(raw).toString('utf8')); } catch { throw new DerError('the JWS is not JSON'); }
  if (typeof jws.protected !== 'string' || typeof jws.signature !== 'string') throw new DerError('not a flattened JWS');
  let header: { alg?: string; x5c?: string[]; sigT?: string; crit?: string[] };
  try { header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')); } catch { throw new DerError('the JWS protected header is not JSON'); }
  const certs = (header.x5c ?? []).slice(0, 16).map((c) => new Uint8Array(Buffer.from(c, 'base64')));
  const payloadB64 = typeof jws.payload === 'string' ? jws.payload : data ? b64u(data) : undefined;
  if (data && typeof jws.payload === 'string' && jws.payload !== b64u(data)) problems.push('PAYLOAD_MISMATCH');
  let signatureOk = false;
  if (certs[0] && payloadB64 !== undefined && header.alg === 'ES256') {
    try {
      const key = await jose.importX509(`-----BEGIN CERTIFICATE-----\n${Buffer.from(certs[0]).toString('base64')}\n-----END CERTIFICATE-----`, 'ES256');
      await jose.flattenedVerify({ protected: jws.protected, payload: payloadB64, signature: jws.signature }, key, { algorithms: ['ES256'], crit: { sigT: true } });
      signatureOk = true;
    } catch { signatureOk = false; }
  } else if (header.alg !== 'ES256') problems.push(`JWS_ALGORITHM_UNSUPPORTED: ${header.alg}`);
  const timestamps: TimestampAnalysis[] = [];
  for (const u of jws.header?.etsiU ?? []) {
    try {
      const obj = typeof u === 'string' ? JSON.parse(Buffer.from(u, 'base64url').toString('utf8')) : u;
      for (const t of obj?.sigTst?.tstTokens ?? []) {
        const token = readTimeStampToken(new Uint8Array(Buffer.from(t.val, 'base64')));
        const { cms, imprintOk } = checkTimeStampToken(token, Buffer.from(jws.signature, 'latin1'));
        timestamps.push({ kind: 'signature', genTime: token.tstInfo.genTime, ...(cms.signerCertificate ? { tsaCertificate: cms.signerCertificate } : {}), certificates: token.signedData.certificates, imprintOk, signatureOk: cms.signatureOk && cms.hashOk, problems: [...cms.problems] });
      }
    } catch { problems.push('JADES_TIMESTAMP_MALFORMED'); }
  }
  const payloadOk = !problems.includes('PAYLOAD_MISMATCH');
  return {
    ...base, subFilter: 'JAdES', formatProblems: problems.filter((p) => p !== 'PAYLOAD_MISMATCH'),
    ...(header.sigT && !Number.isNaN(Date.parse(header.sigT)) ? { claimedSigningTime: new Date(header.sigT) } : {}),
    cms: { ...(certs[0] ? { signerCertificate: certs[0] } : {}), certificates: certs, digestAlgorithm: 'sha256', hashOk: payloadOk, signatureOk, problems: [] },
    timestamps,
  };
}
