/** Each `kexin` command: how many words name it, whether it may go to a running service, and its body. */
import type { Config } from '../config.ts';
import type { ServiceClient } from './serviceClient.ts';

export interface CommandContext {
  readonly config: Config;
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  /** Set when a running service holds the embedded database: go through its HTTP API. */
  readonly remote: ServiceClient | undefined;
  readFile(path: string): Buffer;
  out(s: string): void;
  err(s: string): void;
}

export interface Command {
  readonly words: number;
  readonly remote: boolean;
  run(ctx: CommandContext): Promise<number>;
}

function requireOption(ctx: CommandContext, name: string): string {
  const v = ctx.options[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Prints a remote answer; non-2xx answers are problem documents: print them to stderr, exit 1. */
function printRemote(ctx: CommandContext, res: { status: number; json: any }): number {
  if (res.status >= 200 && res.status < 300) {
    ctx.out(JSON.stringify(res.json, null, 2));
    return 0;
  }
  ctx.err(`kexin: ${res.json?.code ?? res.status}: ${res.json?.detail ?? res.json?.title ?? 'request failed'}`);
  return 1;
}

async function local<T>(ctx: CommandContext, fn: (l: import('./localContext.ts').LocalContext) => Promise<T>): Promise<T> {
  const { withLocalContext } = await import('./localContext.ts');
  return withLocalContext(ctx.config, fn);
}

const OPERATOR = 'operator:local-cli';

export const commands: Record<string, Command> = {
  serve: {
    words: 1, remote: false,
    async run(ctx) {
      const { serve } = await import('./serve.ts');
      await serve(ctx.config);
      return 0;
    },
  },
  init: {
    words: 1, remote: false,
    async run(ctx) {
      await local(ctx, async (l) => {
        const cas = await l.ca.listCas();
        ctx.out(`initialised ${ctx.config.dataDir}: ${cas.map((c) => `${c.id} (${c.algorithm}, ${c.role}, ${c.state})`).join(', ')}`);
      });
      return 0;
    },
  },
  'ca list': {
    words: 2, remote: true,
    async run(ctx) {
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('GET', '/pki/cas'));
      const cas = await local(ctx, (l) => l.ca.listCas());
      ctx.out(JSON.stringify({ cas }, null, 2));
      return 0;
    },
  },
  'ca issue': {
    words: 2, remote: true,
    async run(ctx) {
      const body = { csr: ctx.readFile(requireOption(ctx, 'csr')).toString('utf8'), profile: requireOption(ctx, 'profile'), ...(ctx.options.ca ? { caId: String(ctx.options.ca) } : {}) };
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('POST', '/pki/certificates', body));
      ctx.out(JSON.stringify(await local(ctx, (l) => l.ca.issue(body, OPERATOR)), null, 2));
      return 0;
    },
  },
  'ca revoke': {
    words: 2, remote: true,
    async run(ctx) {
      const serial = ctx.args[0];
      if (!serial) throw new UsageError('usage: kexin ca revoke SERIAL --reason R');
      const reason = requireOption(ctx, 'reason');
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('POST', `/pki/certificates/${encodeURIComponent(serial)}/revoke`, { reason }));
      ctx.out(JSON.stringify(await local(ctx, (l) => l.ca.revoke(serial, reason, OPERATOR)), null, 2));
      return 0;
    },
  },
  'ca request': {
    words: 2, remote: true,
    async run(ctx) {
      const body = { id: requireOption(ctx, 'id'), name: requireOption(ctx, 'name'), algorithm: requireOption(ctx, 'algorithm') as 'SM2' };
      if (ctx.remote) {
        const res = await ctx.remote.request('POST', '/pki/cas', body);
        if (res.status === 201) { ctx.out(res.json.csrPem); return 0; }
        return printRemote(ctx, res);
      }
      ctx.out((await local(ctx, (l) => l.ca.requestExternalCa(body, OPERATOR))).csrPem);
      return 0;
    },
  },
  'ca import': {
    words: 2, remote: true,
    async run(ctx) {
      const id = requireOption(ctx, 'id');
      const body = { certificatePem: ctx.readFile(requireOption(ctx, 'cert')).toString('utf8'), ...(ctx.options.chain ? { chainPem: ctx.readFile(String(ctx.options.chain)).toString('utf8') } : {}) };
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('POST', `/pki/cas/${encodeURIComponent(id)}/import`, body));
      ctx.out(JSON.stringify(await local(ctx, (l) => l.ca.importExternalCa({ id, ...body }, OPERATOR)), null, 2));
      return 0;
    },
  },
  'face compare': {
    words: 2, remote: true,
    async run(ctx) {
      const { faceCompareCommand } = await import('./faceCompare.ts');
      return faceCompareCommand(ctx.args[0], ctx.args[1], ctx);
    },
  },
  'models build': {
    words: 2, remote: false,
    async run(ctx) {
      const { buildModels } = await import('../liveness/models/buildModels.ts');
      const result = await buildModels(ctx.config.dataDir, { log: (m) => ctx.out(m) });
      for (const m of result.models) ctx.out(`${m.name.padEnd(16)} ${m.file}  sha256=${m.sha256}`);
      ctx.out(`built ${result.built.length}, up to date ${result.skipped.length}: ${ctx.config.dataDir}/models/manifest.json`);
      return 0;
    },
  },
  'ecard demo-claim': {
    words: 2, remote: true,
    async run(ctx) {
      const { ecardDemoClaim } = await import('./ecardDemoClaim.ts');
      return ecardDemoClaim(ctx);
    },
  },
  'audit verify': {
    words: 2, remote: true,
    async run(ctx) {
      let result: { ok: boolean; rows: number; firstBroken?: { seq: number; reason: string } };
      if (ctx.remote) {
        const res = await ctx.remote.request('GET', '/audit/verify');
        if (res.status !== 200) return printRemote(ctx, res);
        result = res.json;
      } else {
        const { verifyAuditChain } = await import('../audit/auditLog.ts');
        result = await local(ctx, (l) => verifyAuditChain(l.ctx.db.pool));
      }
      if (result.ok) ctx.out(`audit chain intact: ${result.rows} rows`);
      else ctx.err(`audit chain BROKEN at row ${result.firstBroken?.seq} (${result.firstBroken?.reason}); ${result.rows} rows verified before it`);
      return result.ok ? 0 : 1;
    },
  },
};

import { sealCommands } from './sealCommands.ts';
Object.assign(commands, sealCommands);
