/**
 * The signing module's service: seals and their lifecycle, applying a seal (PDF, detached file, JSON),
 * the registry of sealed documents, printed-copy codes, archive renewal, and verification. Every
 * application of a seal (用印) is registered with its audit row — the document digest and the caller —
 * in one transaction, before the sealed result is handed out.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type pg from 'pg';
import type { Logger } from 'pino';
import { appendAudit } from '../audit/auditLog.ts';
import type { CaService } from '../ca/caServiceTypes.ts';
import type { Clock } from '../clock.ts';
import type { KeyStore } from '../crypto/keyStore.ts';
import { digest as digestOf, type DigestName } from '../crypto/algorithmIdentifiers.ts';
import { DerError } from '../crypto/der.ts';
import { withTransaction } from '../db/transaction.ts';
import * as registry from './archive/documents.ts';
import type { TimestampAuthority } from './cms/timestamp.ts';
import { analyzeDetached, signCadesDetached, signJades, signSesDetached, type DetachedFormat, type DetachedLevel } from './detached.ts';
import { sealErrors } from './errors.ts';
import { BLOCK_MM } from './pdf/appearance.ts';
import { documentTimestampRevision, dssRevision, openForUpdate, sealPdf, type PadesLevel } from './pdf/padesSign.ts';
import { fileSource, forEachChunk, type ByteSource } from './pdf/source.ts';
import { printJwks, signPrintCode, verifyPrintCode, type PrintPayload } from './print/printCode.ts';
import { createSealService, sealView, type CreateSealRequest, type SealService } from './seals/sealService.ts';
import { ensureServiceKeys, type MakerIdentity } from './serviceKeys.ts';
import { collectValidationData } from './validationData.ts';
import { analyzePdf, PdfUnreadable } from './verify/analyzePdf.ts';
import type { DocumentValidation } from './verify/result.ts';
import { createPathCache, validateSignatures } from './verify/validateSignatures.ts';
import type { AnalyzePool } from './verify/workerPool.ts';

export interface SigningDeps {
  readonly pool: pg.Pool;
  readonly keyStore: KeyStore;
  readonly ca: CaService;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Base URL printed in QR codes: `<publicUrl>/verify/documents/<id>`. */
  readonly publicUrl: string;
  readonly maker: MakerIdentity;
  readonly regionCode?: string;
  /** PDF analysis off the event loop; absent → in process (tests, CLI). */
  readonly analyzePool?: AnalyzePool;
  /** Renew archive time-stamps this long before the TSA certificate expires (default 180 days). */
  readonly renewBeforeMs?: number;
}

export interface PdfApplyOptions {
  readonly level: PadesLevel;
  /** Seal centre in mm from the page's lower-left corner; absent page → invisible seal. */
  readonly page?: number | undefined;
  readonly x?: number | undefined;
  readonly y?: number | undefined;
  /** Verification block (QR + code) at `qrX`, `qrY` (lower-left, mm; default 15, 15) on the seal's page. */
  readonly qr?: boolean | undefined;
  readonly qrX?: number | undefined;
  readonly qrY?: number | undefined;
  readonly certify?: 1 | 2 | 3 | undefined;
  /** Keep the sealed file in the archive (default: B-LTA yes, else no). */
  readonly keep?: boolean | undefined;
  readonly reason?: string | undefined;
  readonly location?: string | undefined;
}

export interface AppliedPdf {
  readonly document: registry.SealedDocument;
  /** The sealed PDF = the input followed by these updates. */
  readonly updates: readonly Buffer[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export async function createSigningService(deps: SigningDeps) {
  const { pool, ca, clock, logger } = deps;
  const keys = await ensureServiceKeys({ pool, keyStore: deps.keyStore, ca, clock, logger, maker: deps.maker });
  const seals: SealService = createSealService({
    pool, keyStore: deps.keyStore, ca, clock, logger, makers: { ECDSA: keys['maker-ecdsa'], SM2: keys['maker-sm2'] },
    regionCode: deps.regionCode ?? '000000', vendorId: 'KEXIN',
  });
  const tsa: TimestampAuthority = (q) => ca.timestamp(q);
  const validationData = (chains: readonly (readonly Uint8Array[])[]) => collectValidationData(ca, chains);
  const printKey = keys.print;
  const pathCache = createPathCache();
  const verifyUrl = (id: string) => `${deps.publicUrl}/verify/documents/${id}`;

  async function register(doc: registry.SealedDocument, actor: string, file?: { length: number; read: (pos: number, len: number) => Uint8Array }): Promise<void> {
    await withTransaction(pool, async (tx) => {
      await registry.insertDocument(tx, doc);
      if (file) await registry.storeFile(tx, doc.id, file.length, file.read);
      // 用印记录: which seal, on what (digest), by whom, at which level.
      for (const sealId of doc.sealIds) {
        await appendAudit(tx, {
          actor, action: 'seal.apply', subject: sealId,
          details: { documentId: doc.id, code: doc.code, format: doc.format, level: doc.level, inputSha256: hex(doc.inputSha256), inputLength: doc.inputLength, outputSha256: hex(doc.outputSha256), kept: doc.kept, esIds: doc.esIds },
        }, clock);
      }
    });
  }

  async function applyPdf(sealId: string, input: ByteSource, opts: PdfApplyOptions, actor: string): Promise<AppliedPdf> {
    const s = await seals.signersFor(sealId);
    const id = randomUUID();
    const code = registry.newVerificationCode();
    const now = clock.now();
    const visible = opts.page !== undefined;
    if (visible && (opts.x === undefined || opts.y === undefined)) throw sealErrors.invalid('x and y (mm) are required with page');
    if (opts.qr && !printKey) throw sealErrors.makerMissing('print verification');
    const sealed = await sealPdf(input, {
      level: opts.level,
      placement: visible ? { page: opts.page!, xMm: opts.x!, yMm: opts.y! } : undefined,
      image: { ...s.seal.image, cacheKey: s.seal.id },
      block: opts.qr ? async (inp) => {
        const payload: PrintPayload = { d: id, c: code, h: Buffer.from(inp.sha256).toString('base64url'), n: inp.length, s: [s.seal.esId], t: Math.floor(now.getTime() / 1000) };
        const jws = await signPrintCode(printKey!.signer, printKey!.certificate, payload);
        return { page: opts.page ?? 1, xMm: opts.qrX ?? 15, yMm: opts.qrY ?? 15, qrText: `${verifyUrl(id)}#${jws}`, code, urlText: `${deps.publicUrl}/verify` };
      } : undefined,
      certify: opts.certify, reason: opts.reason, location: opts.location,
      fieldName: `Seal ${s.seal.esId} ${code}`, signingTime: now,
    }, { cms: s.cms, chain: s.chain, seseal: s.seseal, ...(s.sm2 ? { sm2: { ...s.sm2, chain: s.sm2Chain ?? [] } } : {}), tsa, validationData });
    const keep = opts.keep ?? opts.level === 'B-LTA';
    const doc: registry.SealedDocument = {
      id, code, format: 'pdf', level: opts.level, sealIds: [s.seal.id], esIds: [s.seal.esId],
      inputSha256: sealed.inputSha256, inputLength: sealed.inputLength, outputSha256: sealed.outputSha256, outputLength: sealed.outputLength,
      kept: keep, createdBy: actor, createdAt: now,
      archiveTimestampAt: sealed.archiveTimestamp?.genTime ?? null, archiveExpiresAt: sealed.archiveTimestamp?.tsaNotAfter ?? null, renewals: 0,
    };
    const updates = sealed.updates;
    await register(doc, actor, keep ? { length: sealed.outputLength, read: (pos, len) => readJoined(input, updates, pos, len) } : undefined);
    return { document: doc, updates };
  }

  /** Streams a file's digests (SHA-256 and SM3) without holding it. */
  function digests(src: ByteSource): Record<'sha256' | 'sm3', Uint8Array> {
    const a = createHash('sha256'); const b = createHash('sm3');
    forEachChunk(src, 0, src.size, (c) => { a.update(c); b.update(c); });
    return { sha256: new Uint8Array(a.digest()), sm3: new Uint8Array(b.digest()) };
  }

  async function applyDetached(sealId: string, input: ByteSource, format: 'cades' | 'gbt38540', level: DetachedLevel, actor: string, fileName?: string): Promise<{ document: registry.SealedDocument; signature: Uint8Array }> {
    const s = await seals.signersFor(sealId);
    if (format === 'gbt38540' && !s.sm2) throw sealErrors.invalid('GB/T 38540 SES_Signature needs an SM2 seal');
    const d = digests(input);
    const now = clock.now();
    const signature = format === 'cades'
      ? await signCadesDetached(d.sha256, s, tsa, level, now)
      : await signSesDetached(d.sm3, s, tsa, level, now, `file:${(fileName ?? 'data').replace(/[^\x20-\x7e]/g, '_').slice(0, 200)}:sha256=${hex(d.sha256)}`);
    const doc: registry.SealedDocument = {
      id: randomUUID(), code: registry.newVerificationCode(), format, level, sealIds: [s.seal.id], esIds: [s.seal.esId],
      inputSha256: d.sha256, inputLength: input.size, outputSha256: digestOf('sha256', signature), outputLength: signature.length,
      kept: false, createdBy: actor, createdAt: now, archiveTimestampAt: null, archiveExpiresAt: null, renewals: 0,
    };
    await register(doc, actor);
    return { document: doc, signature };
  }

  async function applyJson(sealId: string, json: Uint8Array, level: DetachedLevel, actor: string): Promise<{ document: registry.SealedDocument; jws: string }> {
    const s = await seals.signersFor(sealId);
    try { JSON.parse(Buffer.from(json).toString('utf8')); } catch { throw sealErrors.invalid('the body is not JSON'); }
    const now = clock.now();
    const jws = await signJades(json, s, tsa, level, now);
    const doc: registry.SealedDocument = {
      id: randomUUID(), code: registry.newVerificationCode(), format: 'jws', level, sealIds: [s.seal.id], esIds: [s.seal.esId],
      inputSha256: digestOf('sha256', json), inputLength: json.length, outputSha256: digestOf('sha256', Buffer.from(jws)), outputLength: Buffer.byteLength(jws),
      kept: false, createdBy: actor, createdAt: now, archiveTimestampAt: null, archiveExpiresAt: null, renewals: 0,
    };
    await register(doc, actor);
    return { document: doc, jws };
  }

  const findSeal = async (esId: string) => {
    const s = await seals.findByEsId(esId);
    return s ? { id: s.id, status: s.status } : undefined;
  };

  async function verifyPdf(input: { path: string } | { bytes: Uint8Array }): Promise<DocumentValidation> {
    let analysis;
    if (deps.analyzePool) analysis = await deps.analyzePool.analyze(input);
    else {
      const src = 'path' in input ? fileSource(input.path) : { size: input.bytes.length, read: (p: number, l: number) => input.bytes.subarray(p, p + l), close() {} };
      try {
        analysis = analyzePdf(src);
      } catch (e) {
        if (e instanceof PdfUnreadable) throw sealErrors.verifyInput(`the file is not a readable PDF: ${e.message}`);
        throw e;
      } finally {
        src.close();
      }
    }
    return validateSignatures(analysis, { ca, now: clock.now(), findSeal, pathCache });
  }

  async function verifyDetached(data: Uint8Array, signature: Uint8Array): Promise<DocumentValidation & { format: DetachedFormat }> {
    const cache = new Map<DigestName, Uint8Array>();
    const digest = (alg: DigestName) => { let d = cache.get(alg); if (!d) { d = digestOf(alg, data); cache.set(alg, d); } return d; };
    let analysis;
    try {
      analysis = await analyzeDetached(signature, digest, data);
    } catch (e) {
      if (e instanceof DerError) throw sealErrors.verifyInput(`the signature cannot be read: ${e.message}`);
      throw e;
    }
    const result = await validateSignatures(analysis, { ca, now: clock.now(), findSeal, pathCache });
    return { ...result, format: analysis.format };
  }

  /** As `verifyDetached`, for a file on disk (streamed: a 100 MB file is never in memory). */
  async function verifyDetachedFile(path: string, signature: Uint8Array): Promise<DocumentValidation & { format: DetachedFormat }> {
    const src = fileSource(path);
    let d: Record<'sha256' | 'sm3', Uint8Array>;
    try { d = digests(src); } finally { src.close(); }
    let analysis;
    try {
      analysis = await analyzeDetached(signature, (alg) => {
        if (alg === 'sha256' || alg === 'sm3') return d[alg];
        const h = createHash(alg);
        const s2 = fileSource(path);
        try { forEachChunk(s2, 0, s2.size, (c) => h.update(c)); } finally { s2.close(); }
        return new Uint8Array(h.digest());
      });
    } catch (e) {
      if (e instanceof DerError) throw sealErrors.verifyInput(`the signature cannot be read: ${e.message}`);
      throw e;
    }
    return { ...(await validateSignatures(analysis, { ca, now: clock.now(), findSeal, pathCache })), format: analysis.format };
  }

  /** The registered document as a verifier sees it. */
  async function documentView(idOrCode: string) {
    const doc = await registry.getDocument(pool, idOrCode);
    if (!doc) throw sealErrors.documentNotFound(idOrCode);
    const sealsNow = await Promise.all(doc.sealIds.map(async (sid) => {
      const s = await seals.getSeal(sid).catch(() => undefined);
      return s ? { id: s.id, esId: s.esId, name: s.name, owner: s.owner.name, kind: s.kind, status: s.status, imageUrl: `/seals/${s.id}/image.png`, imageSizeMm: { width: s.image.widthMm, height: s.image.heightMm } } : { id: sid, status: 'unknown' };
    }));
    return {
      id: doc.id, code: doc.code, format: doc.format, level: doc.level, createdAt: doc.createdAt.toISOString(),
      inputSha256: hex(doc.inputSha256), inputLength: doc.inputLength, outputSha256: hex(doc.outputSha256), outputLength: doc.outputLength,
      kept: doc.kept, downloadUrl: doc.kept ? `/verify/documents/${doc.id}/file` : null,
      archiveTimestampAt: doc.archiveTimestampAt?.toISOString() ?? null, archiveExpiresAt: doc.archiveExpiresAt?.toISOString() ?? null, renewals: doc.renewals,
      seals: sealsNow,
    };
  }

  async function documentFile(idOrCode: string): Promise<{ document: registry.SealedDocument; chunks: AsyncGenerator<Buffer> }> {
    const doc = await registry.getDocument(pool, idOrCode);
    if (!doc) throw sealErrors.documentNotFound(idOrCode);
    if (!doc.kept) throw sealErrors.documentNotKept(idOrCode);
    return { document: doc, chunks: registry.readFileChunks(pool, doc.id) };
  }

  /** A printed copy's QR code: the signed payload and the registered document it names. */
  async function verifyPrint(jws: string) {
    const payload = printKey ? await verifyPrintCode(jws, [printKey.certificate]) : undefined;
    if (!payload) return { valid: false as const, reason: 'the code is not signed by this service\'s print key' };
    const doc = await documentView(payload.d).catch(() => undefined);
    const matches = !!doc && doc.inputSha256 === Buffer.from(payload.h, 'base64url').toString('hex') && doc.code === payload.c;
    return { valid: matches, payload, document: doc ?? null, ...(matches ? {} : { reason: 'the code does not match the registered document' }) };
  }

  /**
   * B-LTA archive renewal: for kept documents whose newest archive time-stamp's TSA certificate
   * expires within `renewBefore`, add the DSS for that time-stamp and a fresh document time-stamp.
   */
  async function renewArchives(opts: { force?: boolean; limit?: number } = {}): Promise<{ id: string; renewed: boolean; error?: string }[]> {
    const before = new Date(clock.now().getTime() + (opts.force ? 1000 * 365 * 86_400_000 : deps.renewBeforeMs ?? 180 * 86_400_000));
    const out: { id: string; renewed: boolean; error?: string }[] = [];
    for (const id of await registry.documentsDueForRenewal(pool, before, opts.limit ?? 100)) {
      const dir = mkdtempSync(join(tmpdir(), 'kexin-renew-'));
      try {
        const path = join(dir, 'doc.pdf');
        const ws = createWriteStream(path);
        for await (const chunk of registry.readFileChunks(pool, id)) if (!ws.write(chunk)) await once(ws, 'drain');
        ws.end();
        await once(ws, 'finish');
        const src = fileSource(path);
        try {
          const ctx = openForUpdate(src);
          const analysis = analyzePdf(src);
          const lastTs = [...analysis.signatures].reverse().find((x) => x.type === 'document-timestamp')?.timestamps[0];
          if (lastTs) await dssRevision(ctx, await validationData([[...(lastTs.tsaCertificate ? [lastTs.tsaCertificate] : []), ...lastTs.certificates]]));
          const ts = await documentTimestampRevision(ctx, tsa, `archive time-stamp ${clock.now().toISOString()}`);
          const length = src.size + ctx.updates.reduce((a, u) => a + u.length, 0);
          const sha = ctx.hashers.peek('sha256');
          await withTransaction(pool, async (tx) => {
            const doc = await registry.getDocument(tx, id, { forUpdate: true });
            if (!doc || doc.outputLength !== src.size) throw new Error('the document changed during renewal');
            await registry.storeFile(tx, id, length, (pos, len) => readJoined(src, ctx.updates, pos, len));
            await registry.recordRenewal(tx, id, sha, length, ts.genTime, ts.tsaNotAfter ?? null);
            await appendAudit(tx, { actor: 'system', action: 'seal.archive.renew', subject: id, details: { outputSha256: hex(sha), outputLength: length, timestamp: ts.genTime.toISOString(), expires: ts.tsaNotAfter?.toISOString() ?? null } }, clock);
          });
          out.push({ id, renewed: true });
        } finally {
          src.close();
        }
      } catch (err) {
        logger.error({ err, documentId: id }, 'archive renewal failed');
        out.push({ id, renewed: false, error: err instanceof Error ? err.message : 'failed' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return out;
  }

  return {
    seals,
    createSeal: (req: CreateSealRequest, actor: string) => seals.createSeal(req, actor).then(sealView),
    applyPdf, applyDetached, applyJson, verifyPdf, verifyDetached, verifyDetachedFile, documentView, documentFile, verifyPrint, renewArchives,
    printJwks: () => printJwks(printKey ? [printKey] : []),
    serviceKeys: keys,
    blockSizeMm: BLOCK_MM,
  };
}

/** Bytes [pos, pos+len) of `src` followed by `updates`. */
export function readJoined(src: ByteSource, updates: readonly Uint8Array[], pos: number, len: number): Uint8Array {
  const out = Buffer.allocUnsafe(len);
  let o = 0;
  let base = 0;
  for (const part of [src, ...updates]) {
    const size = 'size' in part ? (part as ByteSource).size : (part as Uint8Array).length;
    const from = Math.max(pos + o, base);
    const to = Math.min(pos + len, base + size);
    if (to > from) {
      const bytes = 'read' in part ? (part as ByteSource).read(from - base, to - from) : (part as Uint8Array).subarray(from - base, to - base);
      out.set(bytes, from - pos);
      o = to - pos;
    }
    base += size;
  }
  return out.subarray(0, o);
}

export type SigningService = Awaited<ReturnType<typeof createSigningService>>;
