/**
 * PAdES baseline sealing (ETSI EN 319 142-1) as a chain of incremental updates, each appended after
 * the previous one, earlier bytes never rewritten:
 *   1. the signature revision: signature dictionary (ETSI.CAdES.detached), signature field and
 *      widget(s) with the seal image at true size (and the verification block), AcroForm and page
 *      annotations, DocMDP when certifying; /ByteRange [0 a b c] around exactly this /Contents;
 *      CMS with signing-certificate-v2 and the seal's SESeal as a signed attribute; B-T adds the
 *      signature time-stamp; SM2 seals add the GB/T 38540 SES_Signature over the same bytes (SM3);
 *   2. B-LT: the DSS (certificates, OCSP responses, CRLs);
 *   3. B-LTA: a document time-stamp (ETSI.RFC3161).
 * The input is hashed once while streaming (a 100 MB file is never in memory): running SHA-256/SM3
 * states are copied at each signature and fed the new revision's bytes around /Contents.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Signer } from '../../crypto/keyStore.ts';
import type { DigestName } from '../../crypto/algorithmIdentifiers.ts';
import { buildSignedData } from '../cms/buildSignedData.ts';
import { checkTimeStampToken, requestTimestampForDigest, type TimestampAuthority } from '../cms/timestamp.ts';
import { parseCertificate } from '../../ca/certificate.ts';
import { sealErrors } from '../errors.ts';
import { makeSesSignature } from '../gbt38540/sesSignature.ts';
import type { SESeal } from '../gbt38540/sesSeal.ts';
import { SIGNING_OID } from '../oids.ts';
import type { ValidationData } from '../validationData.ts';
import { compositeAppearance, emptyAppearance, imageStream, maskStream, PT_PER_MM, BLOCK_MM, sealImageXObjects, verificationBlockAppearance } from './appearance.ts';
import { PdfDocument, type PdfView } from './document.ts';
import { dict, isArray, isName, isRef, name, raw, ref, str, stream, textString, type PdfRef, type PdfValue } from './objects.ts';
import { PdfError } from './parser.ts';
import { concatSource, forEachChunk, type ByteSource } from './source.ts';
import { buildIncrementalUpdate, nextObjectNumber, withEntries, type NewObject } from './writer.ts';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
export const PADES_LEVELS: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];

export interface PdfSealRequest {
  readonly level: PadesLevel;
  /** Where the seal is drawn: its centre, in millimetres from the page's lower-left corner (crop box). Absent: invisible. */
  readonly placement?: { readonly page: number; readonly xMm: number; readonly yMm: number } | undefined;
  readonly image: { readonly png: Uint8Array; readonly widthMm: number; readonly heightMm: number; readonly cacheKey: string };
  /**
   * The printed copy's verification block (lower-left corner in millimetres), made once the input's
   * digest is known (the QR code's signed payload names it).
   */
  readonly block?: ((input: { sha256: Uint8Array; length: number }) => Promise<VerificationBlock>) | undefined;
  /** DocMDP certification (ISO 32000-2 §12.8.2.2): 1 no changes, 2 form filling and signing, 3 also annotations. */
  readonly certify?: 1 | 2 | 3 | undefined;
  readonly reason?: string | undefined;
  readonly location?: string | undefined;
  readonly fieldName: string;
  readonly signingTime: Date;
}

export interface VerificationBlock {
  readonly page: number;
  readonly xMm: number;
  readonly yMm: number;
  readonly qrText: string;
  readonly code: string;
  readonly urlText: string;
}

export interface PdfSealDeps {
  readonly cms: { readonly signer: Signer; readonly certificate: Uint8Array };
  readonly chain: readonly Uint8Array[];
  readonly seseal: SESeal;
  readonly sm2?: { readonly signer: Signer; readonly certificate: Uint8Array; readonly chain: readonly Uint8Array[] } | undefined;
  readonly tsa: TimestampAuthority;
  /** Revocation data for B-LT (chains leaf first). */
  readonly validationData: (chains: readonly (readonly Uint8Array[])[]) => Promise<ValidationData>;
}

export interface SealedPdf {
  /** The updates to append to the input, in order. */
  readonly updates: readonly Buffer[];
  readonly inputLength: number;
  readonly inputSha256: Uint8Array;
  readonly outputLength: number;
  readonly outputSha256: Uint8Array;
  /** Offset where the signature revision ends (its ByteRange's b + c). */
  readonly signedRevisionEnd: number;
  /** The time-stamps' genTime: the signature's (B-T+) and the document time-stamp's (B-LTA). */
  readonly signatureTimestamp?: Date;
  readonly archiveTimestamp?: { readonly genTime: Date; readonly tsaNotAfter?: Date };
  /** The CMS SignedData DER (for the audit and registry). */
  readonly cms: Uint8Array;
}

const BYTE_RANGE_PLACEHOLDER = '[0 0000000000 0000000000 0000000000]';

/** PDF date string (ISO 32000-2 §7.9.4), UTC. */
export function pdfDate(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `D:${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

/** Running digests of everything written so far. */
class Hashers {
  private readonly hashes = new Map<DigestName, Hash>();
  constructor(algs: readonly DigestName[]) {
    for (const a of algs) this.hashes.set(a, createHash(a));
  }
  update(b: Uint8Array): void {
    for (const h of this.hashes.values()) h.update(b);
  }
  /** The digest of everything so far plus `extra` parts (the state itself is not advanced). */
  peek(alg: DigestName, ...extra: Uint8Array[]): Uint8Array {
    const h = this.hashes.get(alg)!.copy();
    for (const e of extra) h.update(e);
    return new Uint8Array(h.digest());
  }
}

interface SigUpdate {
  readonly bytes: Buffer;
  readonly byteRange: readonly [number, number, number, number];
  /** Offsets of '<' and just past '>' of /Contents, relative to the update. */
  readonly contentsStart: number;
  readonly contentsEnd: number;
}

/** Patches the ByteRange placeholder in `bytes` and returns the offsets. */
function placeByteRange(bytes: Buffer, base: number): SigUpdate {
  const brAt = bytes.indexOf(BYTE_RANGE_PLACEHOLDER, 0, 'latin1');
  const cAt = bytes.indexOf('/Contents <', brAt, 'latin1');
  if (brAt < 0 || cAt < 0 || bytes.indexOf(BYTE_RANGE_PLACEHOLDER, brAt + 1, 'latin1') >= 0) throw new Error('signature placeholders not found exactly once');
  const contentsStart = cAt + '/Contents '.length;
  const contentsEnd = bytes.indexOf('>', contentsStart, 'latin1') + 1;
  const total = base + bytes.length;
  const a = base + contentsStart;
  const b = base + contentsEnd;
  const text = `[0 ${a} ${b} ${total - b}]`.padEnd(BYTE_RANGE_PLACEHOLDER.length, ' ');
  bytes.write(text, brAt, 'latin1');
  return { bytes, byteRange: [0, a, b, total - b], contentsStart, contentsEnd };
}

function placeContents(u: SigUpdate, der: Uint8Array): void {
  const capacity = (u.contentsEnd - u.contentsStart - 2) / 2;
  if (der.length > capacity) throw new Error(`signature of ${der.length} bytes exceeds the reserved ${capacity}`);
  u.bytes.write(Buffer.from(der).toString('hex').toUpperCase(), u.contentsStart + 1, 'latin1');
}

function contentsPlaceholder(bytes: number): PdfValue {
  return raw(`<${'0'.repeat(bytes * 2)}>`);
}

export interface Context {
  view: PdfView;
  src: ByteSource;
  updates: Buffer[];
  hashers: Hashers;
}

function reopen(ctx: Context): void {
  const doc = new PdfDocument(concatSource(ctx.src, ctx.updates));
  ctx.view = doc.view();
}

/** New versions of the catalog/AcroForm/page needed to add `fieldRef` with `widgets` on `pageRef`. */
function addField(view: PdfView, fieldRef: PdfRef, widgets: readonly PdfRef[], pageRefs: readonly PdfRef[], catalogExtra: Record<string, PdfValue> = {}): NewObject[] {
  const out: NewObject[] = [];
  const root = view.trailer.v.get('Root');
  if (!isRef(root)) throw sealErrors.pdfUnsupported('the document catalog is not an indirect object');
  const catalog = view.catalog();
  const formValue = catalog.v.get('AcroForm');
  const form = view.dict(formValue) ?? dict({});
  const fields = view.resolve(form.v.get('Fields'));
  const newForm = withEntries(form, { Fields: [...(isArray(fields) ? fields : []), fieldRef], SigFlags: 3 });
  if (isRef(formValue)) {
    out.push({ n: formValue.n, g: formValue.g, value: newForm });
    if (Object.keys(catalogExtra).length) out.push({ n: root.n, g: root.g, value: withEntries(catalog, catalogExtra) });
  } else {
    out.push({ n: root.n, g: root.g, value: withEntries(catalog, { ...catalogExtra, AcroForm: newForm }) });
  }
  // Page annotations: a new version of the indirect /Annots array if there is one, else of the page.
  const byPage = new Map<number, { page: PdfRef; widgets: PdfRef[] }>();
  widgets.forEach((w, i) => {
    const p = pageRefs[i]!;
    const e = byPage.get(p.n) ?? { page: p, widgets: [] };
    e.widgets.push(w);
    byPage.set(p.n, e);
  });
  for (const { page, widgets: ws } of byPage.values()) {
    const pageDict = view.dict(page)!;
    const annots = pageDict.v.get('Annots');
    const list = view.resolve(annots);
    const next = [...(isArray(list) ? list : []), ...ws];
    if (isRef(annots) && isArray(list)) out.push({ n: annots.n, g: annots.g, value: next });
    else out.push({ n: page.n, g: page.g, value: withEntries(pageDict, { Annots: next }) });
  }
  return out;
}

function checkSealable(view: PdfView, req: PdfSealRequest): void {
  if (view.trailer.v.has('Encrypt')) throw sealErrors.pdfUnsupported('encrypted PDFs cannot be sealed');
  const catalog = view.catalog();
  const perms = view.dict(catalog.v.get('Perms'));
  const docMdp = perms && view.dict(perms.v.get('DocMDP'));
  if (docMdp) {
    const refs = view.resolve(docMdp.v.get('Reference'));
    const params = isArray(refs) ? view.dict(view.dict(refs[0])?.v.get('TransformParams')) : undefined;
    const p = params?.v.get('P');
    if (p === 1) throw sealErrors.pdfUnsupported('the document is certified with "no changes allowed" (DocMDP P=1): it cannot be sealed again');
    if (req.certify) throw sealErrors.pdfUnsupported('the document is already certified: only one certification signature is allowed');
  }
  if (req.certify) {
    const form = view.dict(catalog.v.get('AcroForm'));
    const fields = view.resolve(form?.v.get('Fields'));
    if (isArray(fields) && fields.some((f) => view.dict(f)?.v.has('V') && isName(view.dict(f)?.v.get('FT'), 'Sig'))) {
      throw sealErrors.pdfUnsupported('a certification signature must be the first signature of the document');
    }
  }
}

async function signatureRevision(ctx: Context, req: PdfSealRequest, deps: PdfSealDeps): Promise<{ cms: Uint8Array; signatureTimestamp?: Date; tsaChains: Uint8Array[][] }> {
  const view = ctx.view;
  checkSealable(view, req);
  const pages = view.pages();
  if (pages.length === 0) throw sealErrors.pdfInvalid('the document has no pages');
  const pageOf = (n: number) => {
    const p = pages[n - 1];
    if (!p) throw sealErrors.pdfInvalid(`page ${n} does not exist (the document has ${pages.length})`);
    if (p.rotate !== 0) throw sealErrors.pdfUnsupported(`page ${n} is rotated (/Rotate ${p.rotate}): visible seals are placed on unrotated pages only`);
    return p;
  };
  let n = nextObjectNumber(view);
  const alloc = () => ref(n++);
  const objects: NewObject[] = [];
  const sigRef = alloc();
  const fieldRef = alloc();
  const widgets: PdfRef[] = [];
  const widgetPages: PdfRef[] = [];
  const flags = 132; // Print | Locked (ISO 32000-2 §12.5.3)

  // One widget per signature field (readers such as poppler read a signature field's single widget):
  // the seal and the verification block share it, its rectangle spanning both.
  const parts: { rect: [number, number, number, number]; xobject: PdfRef; name: string }[] = [];
  let page = pages[0]!;
  if (req.placement) {
    page = pageOf(req.placement.page);
    const w = req.image.widthMm * PT_PER_MM;
    const h = req.image.heightMm * PT_PER_MM;
    const x = page.cropBox[0]! + req.placement.xMm * PT_PER_MM - w / 2;
    const y = page.cropBox[1]! + req.placement.yMm * PT_PER_MM - h / 2;
    const img = await sealImageXObjects(req.image.png, req.image.cacheKey);
    const maskRef = alloc(); const imgRef = alloc();
    objects.push({ n: maskRef.n, value: maskStream(img) }, { n: imgRef.n, value: imageStream(img, maskRef) });
    parts.push({ rect: [x, y, w, h], xobject: imgRef, name: 'Img' });
  }
  const block = req.block ? await req.block({ sha256: ctx.hashers.peek('sha256'), length: ctx.src.size }) : undefined;
  if (block) {
    const p = pageOf(block.page);
    if (req.placement && p.ref.n !== page.ref.n) throw sealErrors.invalid('the verification block must be on the page of the seal');
    page = p;
    const x = p.cropBox[0]! + block.xMm * PT_PER_MM;
    const y = p.cropBox[1]! + block.yMm * PT_PER_MM;
    const blkRef = alloc();
    objects.push({ n: blkRef.n, value: verificationBlockAppearance(block.qrText, block.code, block.urlText) });
    parts.push({ rect: [x, y, BLOCK_MM.width * PT_PER_MM, BLOCK_MM.height * PT_PER_MM], xobject: blkRef, name: 'Blk' });
  }
  const apRef = alloc();
  let rect: number[] = [0, 0, 0, 0];
  if (parts.length) {
    const x0 = Math.min(...parts.map((q) => q.rect[0])); const y0 = Math.min(...parts.map((q) => q.rect[1]));
    const x1 = Math.max(...parts.map((q) => q.rect[0] + q.rect[2])); const y1 = Math.max(...parts.map((q) => q.rect[1] + q.rect[3]));
    rect = [x0, y0, x1, y1];
    objects.push({ n: apRef.n, value: compositeAppearance(x1 - x0, y1 - y0, parts.map((q) => ({ name: q.name, ref: q.xobject, x: q.rect[0] - x0, y: q.rect[1] - y0, w: q.rect[2], h: q.rect[3], image: q.name === 'Img' }))) });
  } else {
    objects.push({ n: apRef.n, value: emptyAppearance() });
  }
  objects.push({
    n: fieldRef.n,
    value: dict({ Type: name('Annot'), Subtype: name('Widget'), FT: name('Sig'), T: textString(req.fieldName), V: sigRef, F: flags, P: page.ref, Rect: rect, AP: dict({ N: apRef }) }),
  });
  widgets.push(fieldRef);
  widgetPages.push(page.ref);
  // Reserve room for the CMS: certificates, SESeal (image included), two time-stamps, SES_Signature.
  const reserve = 16_384 + deps.seseal.der.length * (deps.sm2 ? 2 : 1) + deps.chain.reduce((s, c) => s + c.length, 0) * 2;
  const sig = dict({
    Type: name('Sig'), Filter: name('Adobe.PPKLite'), SubFilter: name('ETSI.CAdES.detached'),
    ByteRange: raw(BYTE_RANGE_PLACEHOLDER), Contents: contentsPlaceholder(reserve),
    M: str(pdfDate(req.signingTime)),
    ...(req.reason ? { Reason: textString(req.reason) } : {}),
    ...(req.location ? { Location: textString(req.location) } : {}),
    Prop_Build: dict({ App: dict({ Name: name('Kexin') }) }),
    ...(req.certify ? {
      Reference: [dict({
        Type: name('SigRef'), TransformMethod: name('DocMDP'),
        TransformParams: dict({ Type: name('TransformParams'), P: req.certify, V: name('1.2') }),
      })],
    } : {}),
  });
  objects.unshift({ n: sigRef.n, value: sig });
  objects.push(...addField(view, fieldRef, widgets, widgetPages, req.certify ? { Perms: dict({ DocMDP: sigRef }) } : {}));
  const base = ctx.src.size + ctx.updates.reduce((s, u) => s + u.length, 0);
  const update = buildIncrementalUpdate(view, objects);
  const u = placeByteRange(update.bytes, base);
  const around = [u.bytes.subarray(0, u.contentsStart), u.bytes.subarray(u.contentsEnd)];
  const sha256 = ctx.hashers.peek('sha256', ...around);
  const withTs = req.level !== 'B-B';
  let signatureTimestamp: Date | undefined;
  const tsaChains: Uint8Array[][] = [];
  const built = await buildSignedData({
    contentDigest: sha256, digestAlgorithm: 'sha256', signer: deps.cms.signer, signerCertificate: deps.cms.certificate, chain: deps.chain,
    signedAttributes: [{ oid: SIGNING_OID.kexinSesSeal, values: [deps.seseal.der] }],
    unsignedAttributes: async (signature) => {
      const attrs = [];
      if (withTs) {
        const token = await requestTimestampForDigest(deps.tsa, 'sha256', new Uint8Array(createHash('sha256').update(signature).digest()));
        signatureTimestamp = token.tstInfo.genTime;
        tsaChains.push([...token.signedData.certificates]);
        attrs.push({ oid: SIGNING_OID.signatureTimeStampToken, values: [token.der] });
      }
      if (deps.sm2) {
        const ses = await makeSesSignature({
          seal: deps.seseal, signer: deps.sm2.signer, signerCertificate: deps.sm2.certificate, time: req.signingTime,
          dataHash: ctx.hashers.peek('sm3', ...around),
          propertyInfo: `pdf:ByteRange=[${u.byteRange.join(' ')}]`,
          timestamp: withTs ? async (v) => {
            const t = await requestTimestampForDigest(deps.tsa, 'sm3', new Uint8Array(createHash('sm3').update(v).digest()));
            tsaChains.push([...t.signedData.certificates]);
            return t.der;
          } : undefined,
        });
        attrs.push({ oid: SIGNING_OID.kexinSesSignature, values: [ses.der] });
      }
      return attrs;
    },
  });
  placeContents(u, built.der);
  ctx.updates.push(u.bytes);
  ctx.hashers.update(u.bytes);
  return { cms: built.der, ...(signatureTimestamp ? { signatureTimestamp } : {}), tsaChains };
}

export async function dssRevision(ctx: Context, data: ValidationData): Promise<void> {
  reopen(ctx);
  const view = ctx.view;
  let n = nextObjectNumber(view);
  const objects: NewObject[] = [];
  const streams = (list: readonly Uint8Array[]) => list.map((b) => {
    const r = ref(n++);
    objects.push({ n: r.n, value: stream(dict({}), b) });
    return r;
  });
  const old = view.dict(view.catalog().v.get('DSS'));
  const merged = (k: string, add: PdfRef[]) => [...((view.resolve(old?.v.get(k)) as PdfValue[] | null) ?? []), ...add];
  const dss = dict({
    Type: name('DSS'),
    Certs: merged('Certs', streams(data.certificates)),
    ...(data.ocsps.length || old?.v.has('OCSPs') ? { OCSPs: merged('OCSPs', streams(data.ocsps)) } : {}),
    ...(data.crls.length || old?.v.has('CRLs') ? { CRLs: merged('CRLs', streams(data.crls)) } : {}),
  });
  const dssRef = ref(n++);
  objects.push({ n: dssRef.n, value: dss });
  const root = view.trailer.v.get('Root') as PdfRef;
  objects.push({ n: root.n, g: root.g, value: withEntries(view.catalog(), { DSS: dssRef }) });
  const update = buildIncrementalUpdate(view, objects);
  ctx.updates.push(update.bytes);
  ctx.hashers.update(update.bytes);
}

/** A document time-stamp revision (ETSI EN 319 142-1 §5.4.3); returns the token's genTime and TSA chain. */
export async function documentTimestampRevision(ctx: Context, tsa: TimestampAuthority, fieldName: string): Promise<{ genTime: Date; tsaCertificates: Uint8Array[]; tsaNotAfter?: Date }> {
  reopen(ctx);
  const view = ctx.view;
  let n = nextObjectNumber(view);
  const sigRef = ref(n++);
  const fieldRef = ref(n++);
  const apRef = ref(n++);
  const page = view.pages()[0];
  if (!page) throw sealErrors.pdfInvalid('the document has no pages');
  const objects: NewObject[] = [
    { n: sigRef.n, value: dict({ Type: name('DocTimeStamp'), Filter: name('Adobe.PPKLite'), SubFilter: name('ETSI.RFC3161'), ByteRange: raw(BYTE_RANGE_PLACEHOLDER), Contents: contentsPlaceholder(12_288) }) },
    { n: apRef.n, value: emptyAppearance() },
    { n: fieldRef.n, value: dict({ Type: name('Annot'), Subtype: name('Widget'), FT: name('Sig'), T: textString(fieldName), V: sigRef, F: 132, P: page.ref, Rect: [0, 0, 0, 0], AP: dict({ N: apRef }) }) },
    ...addField(view, fieldRef, [fieldRef], [page.ref]),
  ];
  const base = ctx.src.size + ctx.updates.reduce((s, u) => s + u.length, 0);
  const u = placeByteRange(buildIncrementalUpdate(view, objects).bytes, base);
  const digest = ctx.hashers.peek('sha256', u.bytes.subarray(0, u.contentsStart), u.bytes.subarray(u.contentsEnd));
  const token = await requestTimestampForDigest(tsa, 'sha256', digest);
  placeContents(u, token.der);
  ctx.updates.push(u.bytes);
  ctx.hashers.update(u.bytes);
  const tsaCertificate = checkTimeStampToken(token, () => digest).cms.signerCertificate;
  return { genTime: token.tstInfo.genTime, tsaCertificates: [...token.signedData.certificates], ...(tsaCertificate ? { tsaNotAfter: parseCertificate(tsaCertificate).notAfter.value } : {}) };
}

/** Opens `src` for appending updates: parses it and hashes it once. */
export function openForUpdate(src: ByteSource, algs: readonly DigestName[] = ['sha256']): Context & { inputSha256: Uint8Array } {
  let doc: PdfDocument;
  try {
    doc = new PdfDocument(src);
  } catch (e) {
    if (e instanceof PdfError) throw sealErrors.pdfInvalid(`the PDF cannot be read: ${e.message}`);
    throw e;
  }
  const hashers = new Hashers([...new Set<DigestName>(['sha256', ...algs])]);
  forEachChunk(src, 0, src.size, (c) => hashers.update(c));
  return { view: doc.view(), src, updates: [], hashers, inputSha256: hashers.peek('sha256') };
}

/** Seals `src` at `req.level`; returns the updates to append (the input is left as it is). */
export async function sealPdf(src: ByteSource, req: PdfSealRequest, deps: PdfSealDeps): Promise<SealedPdf> {
  const ctx = openForUpdate(src, deps.sm2 ? ['sha256', 'sm3'] : ['sha256']);
  try {
    const sig = await signatureRevision(ctx, req, deps);
    const signedRevisionEnd = src.size + ctx.updates[0]!.length;
    let archiveTimestamp: SealedPdf['archiveTimestamp'];
    if (req.level === 'B-LT' || req.level === 'B-LTA') {
      const chains: Uint8Array[][] = [[deps.cms.certificate, ...deps.chain], ...sig.tsaChains];
      if (deps.sm2) chains.push([deps.sm2.certificate, ...deps.sm2.chain]);
      await dssRevision(ctx, await deps.validationData(chains));
    }
    if (req.level === 'B-LTA') {
      const ts = await documentTimestampRevision(ctx, deps.tsa, `${req.fieldName} archive time-stamp`);
      archiveTimestamp = { genTime: ts.genTime, ...(ts.tsaNotAfter ? { tsaNotAfter: ts.tsaNotAfter } : {}) };
    }
    const outputLength = src.size + ctx.updates.reduce((s, u) => s + u.length, 0);
    return {
      updates: ctx.updates, inputLength: src.size, inputSha256: ctx.inputSha256, outputLength, outputSha256: ctx.hashers.peek('sha256'),
      signedRevisionEnd, ...(sig.signatureTimestamp ? { signatureTimestamp: sig.signatureTimestamp } : {}), ...(archiveTimestamp ? { archiveTimestamp } : {}), cms: sig.cms,
    };
  } catch (e) {
    if (e instanceof PdfError) throw sealErrors.pdfInvalid(`the PDF cannot be sealed: ${e.message}`);
    throw e;
  }
}

