/**
 * The document half of PDF signature validation, with no trust decisions and no I/O beyond the file:
 * finds every signature field, checks its /ByteRange ([0 a b c], the gap exactly this signature's
 * /Contents, the signed part ending where a revision ends), hashes the signed bytes, checks the CMS
 * (or the document time-stamp token), its time-stamps, the seal (SESeal) and the GB/T 38540
 * SES_Signature, reads the DSS, and diffs every revision against the one before. The result is
 * plain data (it crosses from a worker thread); `validatePdf` adds the certificate paths.
 */
import { createHash } from 'node:crypto';
import { certificateParts, DerError } from '../../crypto/der.ts';
import { digest as digestOf, type DigestName } from '../../crypto/algorithmIdentifiers.ts';
import { checkSignedData } from '../cms/checkSignedData.ts';
import { attribute, readSignedDataPrefix, type SignedData } from '../cms/readSignedData.ts';
import { checkTimeStampToken, readTimeStampToken } from '../cms/timestamp.ts';
import { checkSealSignature, parseSESeal, sealListsCertificate, type SESeal } from '../gbt38540/sesSeal.ts';
import { checkSesSignature, parseSesSignature } from '../gbt38540/sesSignature.ts';
import { SIGNING_OID } from '../oids.ts';
import { PdfDocument, type PdfView } from '../pdf/document.ts';
import { isArray, isDict, isName, isNumber, isRef, isStream, isString, textOf, type PdfDict, type PdfValue } from '../pdf/objects.ts';
import { PdfError } from '../pdf/parser.ts';
import { forEachChunk, type ByteSource } from '../pdf/source.ts';
import { diffRevisions, maxLevel, type ModificationLevel, type RevisionDiff } from './diff.ts';

/** Signature fields read from one document. */
export const MAX_SIGNATURES = 64;
/** Form fields walked to find them. */
export const MAX_FIELDS = 10_000;

export interface TimestampAnalysis {
  readonly kind: 'signature' | 'document' | 'ses';
  readonly genTime?: Date;
  readonly tsaCertificate?: Uint8Array;
  readonly certificates: readonly Uint8Array[];
  readonly imprintOk: boolean;
  readonly signatureOk: boolean;
  readonly problems: readonly string[];
}

export interface SealAnalysis {
  readonly esId: string;
  readonly name: string;
  readonly type: number;
  readonly vid: string;
  readonly picture: { readonly type: string; readonly data: Uint8Array; readonly widthMm: number; readonly heightMm: number };
  readonly makerCertificate: Uint8Array;
  readonly makerSignatureOk: boolean;
  /** The certificate that signed is in the seal's certList (GB/T 38540 §8: 签章者证书与电子印章的匹配性). */
  readonly signerInCertList: boolean;
  readonly createDate: Date;
  readonly validStart: Date;
  readonly validEnd: Date;
}

export interface SesAnalysis {
  readonly signerCertificate: Uint8Array;
  readonly signatureOk: boolean;
  readonly dataHashOk: boolean;
  readonly timeInfo: Date;
  readonly propertyInfo: string;
  readonly seal: SealAnalysis;
  readonly timestamp?: TimestampAnalysis;
}

export interface CmsAnalysis {
  readonly signerCertificate?: Uint8Array;
  readonly certificates: readonly Uint8Array[];
  readonly digestAlgorithm?: DigestName;
  readonly hashOk: boolean;
  readonly signatureOk: boolean;
  readonly problems: readonly string[];
}

export type Coverage = 'ENTIRE_FILE' | 'ENTIRE_REVISION' | 'UNCLEAR';

export interface SignatureAnalysis {
  readonly index: number;
  readonly fieldName: string;
  readonly type: 'signature' | 'document-timestamp';
  readonly subFilter: string;
  readonly byteRange: readonly number[] | null;
  readonly coverage: Coverage;
  /** Index of the revision the signature covers, when its byte range ends at one. */
  readonly signedRevision: number | null;
  readonly formatProblems: readonly string[];
  readonly claimedSigningTime?: Date;
  readonly reason?: string;
  readonly location?: string;
  /** DocMDP permission of a certification signature (1, 2, 3). */
  readonly docMdp?: number;
  readonly cms?: CmsAnalysis;
  readonly timestamps: readonly TimestampAnalysis[];
  readonly seal?: SealAnalysis;
  readonly ses?: SesAnalysis;
  /** Highest modification level of all revisions after the signed one. */
  readonly modificationLevel: ModificationLevel;
}

export interface PdfAnalysis {
  readonly size: number;
  readonly revisions: readonly { readonly index: number; readonly end: number }[];
  readonly structureProblems: readonly string[];
  readonly signatures: readonly SignatureAnalysis[];
  /** diffs[i]: what revision i+1 changed against revision i. */
  readonly diffs: readonly RevisionDiff[];
  readonly dss: { readonly certificates: readonly Uint8Array[]; readonly ocsps: readonly Uint8Array[]; readonly crls: readonly Uint8Array[] };
}

/** Thrown when the file is not a PDF the validator can read at all. */
export class PdfUnreadable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfUnreadable';
  }
}

function sigFields(view: PdfView): { name: string; field: PdfDict; sigRef: number | undefined; v: PdfDict }[] {
  const form = view.dict(view.catalog().v.get('AcroForm'));
  const out: { name: string; field: PdfDict; sigRef: number | undefined; v: PdfDict }[] = [];
  let visited = 0;
  const seen = new Set<number>();
  const walk = (x: PdfValue, parentName: string, inheritedFt: PdfValue | undefined, depth: number) => {
    if (depth > 32 || ++visited > MAX_FIELDS || out.length >= MAX_SIGNATURES) return;
    if (isRef(x)) { if (seen.has(x.n)) return; seen.add(x.n); }
    const f = view.dict(x);
    if (!f) return;
    const t = textOf(f.v.get('T'));
    const fullName = t === undefined ? parentName : parentName ? `${parentName}.${t}` : t;
    const ft = f.v.get('FT') ?? inheritedFt;
    const kids = view.resolve(f.v.get('Kids'));
    const vRef = f.v.get('V');
    const v = view.dict(vRef);
    if (isName(ft, 'Sig') && v) out.push({ name: fullName, field: f, sigRef: isRef(vRef) ? vRef.n : undefined, v });
    if (isArray(kids)) for (const k of kids) walk(k, fullName, ft, depth + 1);
  };
  const fields = view.resolve(form?.v.get('Fields'));
  if (isArray(fields)) for (const f of fields) walk(f, '', undefined, 0);
  return out;
}

class RangeHasher {
  private readonly cache = new Map<string, Uint8Array>();
  private readonly src: ByteSource;
  constructor(src: ByteSource) {
    this.src = src;
  }
  digest(alg: DigestName, br: readonly number[]): Uint8Array {
    const key = `${alg}:${br.join(',')}`;
    let d = this.cache.get(key);
    if (!d) {
      const h = createHash(alg);
      forEachChunk(this.src, br[0]!, br[0]! + br[1]!, (c) => h.update(c));
      forEachChunk(this.src, br[2]!, br[2]! + br[3]!, (c) => h.update(c));
      d = new Uint8Array(h.digest());
      this.cache.set(key, d);
    }
    return d;
  }
}

function analyzeSeal(seal: SESeal, signer: Uint8Array | undefined): SealAnalysis {
  let makerSpki: Uint8Array | undefined;
  try { makerSpki = certificateParts(seal.makerCertificate).spki; } catch { makerSpki = undefined; }
  return {
    esId: seal.info.esId, name: seal.info.name, type: seal.info.type, vid: seal.info.vid, picture: seal.info.picture,
    makerCertificate: seal.makerCertificate, makerSignatureOk: !!makerSpki && checkSealSignature(seal, makerSpki),
    signerInCertList: !!signer && sealListsCertificate(seal, signer, (alg, data) => (alg.toLowerCase() === 'sm3' ? digestOf('sm3', data) : alg.toLowerCase().replace('-', '') === 'sha256' ? digestOf('sha256', data) : undefined)),
    createDate: seal.info.createDate, validStart: seal.info.validStart, validEnd: seal.info.validEnd,
  };
}

function timestampAnalysis(kind: TimestampAnalysis['kind'], der: Uint8Array, data: Uint8Array | ((alg: DigestName) => Uint8Array)): TimestampAnalysis {
  try {
    const token = readTimeStampToken(der);
    const { cms, imprintOk } = checkTimeStampToken(token, data);
    return {
      kind, genTime: token.tstInfo.genTime, ...(cms.signerCertificate ? { tsaCertificate: cms.signerCertificate } : {}),
      certificates: token.signedData.certificates, imprintOk, signatureOk: cms.signatureOk && cms.hashOk,
      problems: [...cms.problems, ...(imprintOk ? [] : ['TIMESTAMP_IMPRINT_MISMATCH'])],
    };
  } catch (e) {
    return { kind, certificates: [], imprintOk: false, signatureOk: false, problems: [`TIMESTAMP_MALFORMED: ${e instanceof Error ? e.message : 'unreadable'}`] };
  }
}

function analyzeCms(sd: SignedData, digest: (alg: DigestName) => Uint8Array): { cms: CmsAnalysis; timestamps: TimestampAnalysis[]; seal?: SealAnalysis; ses?: SesAnalysis } {
  const check = checkSignedData(sd, digest);
  const info = check.signerInfo;
  const cms: CmsAnalysis = {
    ...(check.signerCertificate ? { signerCertificate: check.signerCertificate } : {}), certificates: sd.certificates,
    ...(check.digestAlgorithm ? { digestAlgorithm: check.digestAlgorithm } : {}), hashOk: check.hashOk, signatureOk: check.signatureOk, problems: check.problems,
  };
  const timestamps: TimestampAnalysis[] = [];
  for (const a of info.unsignedAttrs.filter((x) => x.oid === SIGNING_OID.signatureTimeStampToken)) {
    for (const v of a.values) timestamps.push(timestampAnalysis('signature', v.der, info.signature));
  }
  let seal: SealAnalysis | undefined;
  const sealAttr = attribute(info.signedAttrs, SIGNING_OID.kexinSesSeal);
  if (sealAttr?.values.length === 1) {
    try { seal = analyzeSeal(parseSESeal(sealAttr.values[0]!.der), check.signerCertificate); } catch { /* reported as SEAL_MALFORMED below */ }
  }
  let ses: SesAnalysis | undefined;
  const sesAttr = attribute(info.unsignedAttrs, SIGNING_OID.kexinSesSignature);
  if (sesAttr?.values.length === 1) {
    try {
      ses = analyzeSesForDetached(parseSesSignature(sesAttr.values[0]!.der), digest('sm3'));
    } catch { /* reported below */ }
  }
  const problems = [...cms.problems];
  if (sealAttr && !seal) problems.push('SEAL_MALFORMED');
  if (sesAttr && !ses) problems.push('SES_SIGNATURE_MALFORMED');
  return { cms: { ...cms, problems }, timestamps, ...(seal ? { seal } : {}), ...(ses ? { ses } : {}) };
}

/** A detached CAdES signature's analysis (the same checks as a PDF signature's CMS). */
export function analyzeCmsForDetached(sd: SignedData, digest: (alg: DigestName) => Uint8Array) {
  return analyzeCms(sd, digest);
}

/** A detached GB/T 38540 SES_Signature's analysis against the SM3 of the data. */
export function analyzeSesForDetached(s: ReturnType<typeof parseSesSignature>, sm3: Uint8Array): SesAnalysis {
  let spki: Uint8Array | undefined;
  try { spki = certificateParts(s.signerCertificate).spki; } catch { spki = undefined; }
  return {
    signerCertificate: s.signerCertificate, signatureOk: !!spki && checkSesSignature(s, spki), dataHashOk: Buffer.from(s.dataHash).equals(Buffer.from(sm3)),
    timeInfo: s.timeInfo, propertyInfo: s.propertyInfo, seal: analyzeSeal(s.seal, s.signerCertificate),
    ...(s.timeStampToken ? { timestamp: timestampAnalysis('ses', s.timeStampToken, s.signature) } : {}),
  };
}

/** Finds /Contents of the signature object `sigRef` at exactly [a, b): the gap must be this hex string and nothing else. */
function checkGap(view: PdfView, src: ByteSource, sigRef: number | undefined, a: number, b: number): string[] {
  const problems: string[] = [];
  const gap = Buffer.from(src.read(a, b - a));
  if (gap[0] !== 0x3c || gap[gap.length - 1] !== 0x3e || !/^[0-9A-Fa-f\s]*$/.test(gap.subarray(1, -1).toString('latin1'))) {
    problems.push('BYTE_RANGE_GAP_NOT_CONTENTS: the excluded bytes are not one hex string');
    return problems;
  }
  const entry = sigRef === undefined ? undefined : view.entry(sigRef);
  if (entry?.type !== 'n') {
    problems.push('SIGNATURE_DICTIONARY_NOT_INDIRECT: the signature dictionary is not a plain indirect object');
    return problems;
  }
  // The gap must lie inside this signature dictionary, right after its /Contents key.
  const before = Buffer.from(src.read(Math.max(entry.offset, a - 64), a - Math.max(entry.offset, a - 64))).toString('latin1');
  if (entry.offset > a || !/\/Contents\s*$/.test(before)) problems.push('BYTE_RANGE_GAP_ELSEWHERE: the gap is not this signature\'s /Contents');
  return problems;
}

/** Reads and checks everything in `src` that needs no trust decision. Throws `PdfUnreadable`. */
export function analyzePdf(src: ByteSource): PdfAnalysis {
  let doc: PdfDocument;
  let view: PdfView;
  try {
    doc = new PdfDocument(src);
    view = doc.view();
    view.catalog();
  } catch (e) {
    if (e instanceof PdfError) throw new PdfUnreadable(e.message);
    throw e;
  }
  const structureProblems = [...doc.problems];
  const views = doc.revisions.map((_, i) => (i === doc.revisions.length - 1 ? view : doc.view(i)));
  const diffs: RevisionDiff[] = [];
  for (let i = 1; i < views.length; i++) {
    try {
      diffs.push(diffRevisions(views[i - 1]!, views[i]!));
    } catch (e) {
      if (!(e instanceof PdfError)) throw e;
      diffs.push({ level: 'OTHER', findings: [{ level: 'OTHER', reason: `revision ${i} could not be compared: ${e.message}` }] });
    }
  }
  const hasher = new RangeHasher(src);
  const signatures: SignatureAnalysis[] = [];
  let fields: ReturnType<typeof sigFields> = [];
  try { fields = sigFields(view); } catch (e) { if (!(e instanceof PdfError)) throw e; structureProblems.push(`FIELDS_UNREADABLE: ${e.message}`); }
  fields.forEach((f, index) => {
    const formatProblems: string[] = [];
    const v = f.v;
    const isDocTs = isName(v.v.get('Type'), 'DocTimeStamp') || isName(v.v.get('SubFilter'), 'ETSI.RFC3161');
    const subFilter = isName(v.v.get('SubFilter')) ? (v.v.get('SubFilter') as { v: string }).v : '';
    const brValue = view.resolve(v.v.get('ByteRange'));
    let byteRange: number[] | null = null;
    let coverage: Coverage = 'UNCLEAR';
    let signedRevision: number | null = null;
    if (isArray(brValue) && brValue.length === 4 && brValue.every((x) => isNumber(x) && Number.isInteger(x) && x >= 0)) {
      byteRange = brValue as number[];
      const [z, a, b, c] = byteRange as [number, number, number, number];
      if (z !== 0 || a >= b || b + c > src.size) formatProblems.push('BYTE_RANGE_INVALID: /ByteRange must be [0 a b c] with a < b within the file');
      else {
        formatProblems.push(...checkGap(view, src, f.sigRef, a, b));
        const rev = doc.revisionEndingAt(b + c);
        if (rev) { signedRevision = rev.index; coverage = b + c === src.size ? 'ENTIRE_FILE' : 'ENTIRE_REVISION'; }
        else formatProblems.push('BYTE_RANGE_NOT_A_REVISION: the signed bytes do not end where a revision ends');
        // The signature dictionary the signer wrote must still be the one in force.
        if (rev && f.sigRef !== undefined) {
          const then = views[rev.index]!.entry(f.sigRef);
          const now = view.entry(f.sigRef);
          if (!then || then.type !== 'n' || now?.type !== 'n' || then.offset !== now.offset) formatProblems.push('SIGNATURE_DICTIONARY_REPLACED: the signature dictionary differs from the one in the signed revision');
        }
      }
    } else {
      formatProblems.push('BYTE_RANGE_MISSING: no valid /ByteRange');
    }
    const contents = v.v.get('Contents');
    const base: Omit<SignatureAnalysis, 'timestamps' | 'modificationLevel'> = {
      index, fieldName: f.name, type: isDocTs ? 'document-timestamp' : 'signature', subFilter, byteRange, coverage, signedRevision, formatProblems,
      ...(isString(v.v.get('M')) ? { claimedSigningTime: pdfDateToDate(textOf(v.v.get('M'))!) } : {}),
      ...(isString(v.v.get('Reason')) ? { reason: textOf(v.v.get('Reason'))! } : {}),
      ...(isString(v.v.get('Location')) ? { location: textOf(v.v.get('Location'))! } : {}),
      ...docMdpOf(view, v),
    };
    let extra: Partial<SignatureAnalysis> = { timestamps: [] };
    if (!isString(contents)) formatProblems.push('CONTENTS_MISSING');
    else if (byteRange && !formatProblems.some((p) => p.startsWith('BYTE_RANGE_INVALID'))) {
      const raw = contents.v;
      const digest = (alg: DigestName) => hasher.digest(alg, byteRange!);
      try {
        const { signedData, end } = readSignedDataPrefix(raw);
        if (raw.subarray(end).some((x) => x !== 0)) formatProblems.push('CONTENTS_TRAILING_DATA: bytes other than zero padding follow the CMS');
        if (isDocTs) {
          extra = { timestamps: [timestampAnalysis('document', signedData.der, digest)] };
        } else {
          if (subFilter !== 'ETSI.CAdES.detached' && subFilter !== 'adbe.pkcs7.detached') formatProblems.push(`SUBFILTER_UNSUPPORTED: ${subFilter || '(none)'}`);
          if (signedData.eContent) formatProblems.push('CMS_NOT_DETACHED: the CMS encapsulates content');
          extra = analyzeCms(signedData, digest);
        }
      } catch (e) {
        if (!(e instanceof DerError)) throw e;
        formatProblems.push(`CMS_MALFORMED: ${e.message}`);
      }
    }
    const after = signedRevision === null ? [] : diffs.slice(signedRevision);
    signatures.push({ ...base, ...extra, timestamps: extra.timestamps ?? [], modificationLevel: signedRevision === null ? 'OTHER' : maxLevel(...after.map((d) => d.level)) } as SignatureAnalysis);
  });
  return {
    size: src.size, revisions: doc.revisions.map((r) => ({ index: r.index, end: r.end })), structureProblems, signatures, diffs, dss: readDss(view),
  };
}

function docMdpOf(view: PdfView, v: PdfDict): { docMdp?: number } {
  const refs = view.resolve(v.v.get('Reference'));
  if (!isArray(refs)) return {};
  for (const r of refs) {
    const d = view.dict(r);
    if (isName(d?.v.get('TransformMethod'), 'DocMDP')) {
      const p = view.dict(d!.v.get('TransformParams'))?.v.get('P');
      return { docMdp: isNumber(p) && [1, 2, 3].includes(p) ? p : 2 };
    }
  }
  return {};
}

function readDss(view: PdfView): PdfAnalysis['dss'] {
  const empty = { certificates: [], ocsps: [], crls: [] };
  try {
    const dss = view.dict(view.catalog().v.get('DSS'));
    if (!dss) return empty;
    const list = (k: string) => {
      const arr = view.resolve(dss.v.get(k));
      if (!isArray(arr)) return [];
      return arr.slice(0, 256).map((x) => view.resolve(x)).filter(isStream).map((s) => view.decoded(s));
    };
    return { certificates: list('Certs'), ocsps: list('OCSPs'), crls: list('CRLs') };
  } catch (e) {
    if (e instanceof PdfError) return empty;
    throw e;
  }
}

/** "D:YYYYMMDDHHmmSS+hh'mm'" → Date (undefined parts default per ISO 32000-2 §7.9.4). */
export function pdfDateToDate(s: string): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(s);
  if (!m) return undefined;
  const [y, mo = '01', d = '01', h = '00', mi = '00', se = '00'] = m.slice(1, 7);
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  const tz = m[7];
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const [hh, mm] = [Number(tz.slice(1, 3)), Number(tz.replace(/'/g, '').slice(3, 5) || 0)];
    t -= sign * (hh * 60 + mm) * 60_000;
  }
  return Number.isNaN(t) ? undefined : new Date(t);
}

export { isDict, isString };
