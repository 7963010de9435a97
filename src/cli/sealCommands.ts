/** `kexin seal …` and `kexin verify`: in process, or through a running service that holds the data dir. */
import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { need } from '../service/services.ts';
import type { Command, CommandContext } from './commands.ts';
import { UsageError } from './commands.ts';

const OPERATOR = 'operator:local-cli';

function opt(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.options[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function required(ctx: CommandContext, name: string): string {
  const v = opt(ctx, name);
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}

/** In process, with only the modules sealing needs (no face models to load). */
async function local<T>(ctx: CommandContext, fn: (l: import('./localContext.ts').LocalContext) => Promise<T>): Promise<T> {
  const { withLocalContext } = await import('./localContext.ts');
  const { auditModule, caModule, signingModule } = await import('../modules.ts');
  return withLocalContext(ctx.config, fn, [auditModule(), caModule(), signingModule()]);
}

function printProblem(ctx: CommandContext, status: number, body: Buffer): number {
  let p: { code?: string; detail?: string } = {};
  try { p = JSON.parse(body.toString('utf8')); } catch { /* not JSON */ }
  ctx.err(`kexin: ${p.code ?? status}: ${p.detail ?? 'request failed'}`);
  return 1;
}

export const sealCommands: Record<string, Command> = {
  'seal create': {
    words: 2, remote: true,
    async run(ctx) {
      const body = {
        owner: { name: required(ctx, 'owner'), creditCode: required(ctx, 'credit-code') },
        kind: required(ctx, 'kind'), name: required(ctx, 'name'), algorithm: required(ctx, 'algorithm'),
        ...(opt(ctx, 'holder') ? { holderName: opt(ctx, 'holder') } : {}),
        ...(opt(ctx, 'image') ? { image: ctx.readFile(opt(ctx, 'image')!).toString('base64') } : {}),
      };
      if (ctx.remote) {
        const res = await ctx.remote.request('POST', '/seals', body);
        if (res.status !== 201) { ctx.err(`kexin: ${res.json?.code ?? res.status}: ${res.json?.detail ?? 'request failed'}`); return 1; }
        ctx.out(JSON.stringify(res.json, null, 2));
        return 0;
      }
      const seal = await local(ctx, (l) => need(l.services, 'signing').createSeal({
        ...body, kind: body.kind as 'business', algorithm: body.algorithm as 'ECDSA',
        image: body.image ? new Uint8Array(Buffer.from(body.image, 'base64')) : undefined,
      }, OPERATOR));
      ctx.out(JSON.stringify(seal, null, 2));
      return 0;
    },
  },
  'seal apply': {
    words: 2, remote: true,
    async run(ctx) {
      const sealId = required(ctx, 'seal');
      const input = required(ctx, 'in');
      const output = required(ctx, 'out');
      const level = (opt(ctx, 'level') ?? 'B-T') as 'B-T';
      const page = opt(ctx, 'page');
      const q = new URLSearchParams({ level, ...(page ? { page, x: required(ctx, 'x'), y: required(ctx, 'y') } : {}), ...(ctx.options.qr ? { qr: 'true' } : {}), ...(opt(ctx, 'certify') ? { certify: opt(ctx, 'certify')! } : {}) });
      if (ctx.remote?.requestRaw) {
        const res = await ctx.remote.requestRaw('POST', `/seals/${encodeURIComponent(sealId)}/apply/pdf?${q}`, ctx.readFile(input), 'application/pdf');
        if (res.status !== 200) return printProblem(ctx, res.status, res.body);
        writeFileSync(output, res.body);
        ctx.out(JSON.stringify({ out: output, documentId: res.headers.get('x-kexin-document-id'), code: res.headers.get('x-kexin-verification-code') }, null, 2));
        return 0;
      }
      const { fileSource } = await import('../signing/pdf/source.ts');
      const r = await local(ctx, async (l) => {
        const src = fileSource(input);
        try {
          const applied = await need(l.services, 'signing').applyPdf(sealId, src, {
            level, ...(page ? { page: Number(page), x: Number(required(ctx, 'x')), y: Number(required(ctx, 'y')) } : {}),
            qr: !!ctx.options.qr, certify: opt(ctx, 'certify') ? (Number(opt(ctx, 'certify')) as 1) : undefined,
          }, OPERATOR);
          const ws = createWriteStream(output);
          for (let p = 0; p < src.size; p += 1 << 20) if (!ws.write(Buffer.from(src.read(p, 1 << 20)))) await once(ws, 'drain');
          for (const u of applied.updates) ws.write(u);
          ws.end();
          await once(ws, 'finish');
          return applied.document;
        } finally {
          src.close();
        }
      });
      ctx.out(JSON.stringify({ out: output, documentId: r.id, code: r.code, level: r.level }, null, 2));
      return 0;
    },
  },
  'seal archive-renew': {
    words: 2, remote: false,
    async run(ctx) {
      const results = await local(ctx, (l) => need(l.services, 'signing').renewArchives({ force: !!ctx.options.all }));
      ctx.out(JSON.stringify({ renewed: results.filter((r) => r.renewed).length, failed: results.filter((r) => !r.renewed) }, null, 2));
      return results.every((r) => r.renewed) ? 0 : 1;
    },
  },
  verify: {
    words: 1, remote: false,
    async run(ctx) {
      const file = ctx.args[0];
      if (!file) throw new UsageError('usage: kexin verify FILE [--signature SIG] [--html REPORT.html]');
      const sig = opt(ctx, 'signature');
      const { reportHtml, summary } = await import('../signing/verify/report.ts');
      const result = await local(ctx, async (l) => {
        const signing = need(l.services, 'signing');
        return sig ? signing.verifyDetachedFile(file, new Uint8Array(ctx.readFile(sig))) : signing.verifyPdf({ path: file });
      });
      if (opt(ctx, 'html')) writeFileSync(opt(ctx, 'html')!, reportHtml(result));
      const s = summary(result);
      ctx.out(JSON.stringify({
        indication: result.indication, subIndication: result.subIndication, modificationLevel: result.modificationLevel, verdict: s.verdict,
        signatures: result.signatures.map((x) => ({ field: x.fieldName, type: x.type, indication: x.indication, subIndication: x.subIndication, seal: x.seal?.name ?? x.ses?.seal.name ?? null, esId: x.seal?.esId ?? x.ses?.seal.esId ?? null, signer: x.signer?.subject ?? null, signingTime: x.signingTime, level: x.level, reasons: x.reasons })),
      }, null, 2));
      return result.indication === 'TOTAL_PASSED' ? 0 : 1;
    },
  },
};
