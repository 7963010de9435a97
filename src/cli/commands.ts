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
/** The local CLI registers clients as the operator: any grantable scope. */
const LOCAL_REGISTRAR = { actor: OPERATOR, scopes: 'all' as const };

/** RFC 7591 metadata from `--metadata FILE`, or from the short flags. */
function clientMetadata(ctx: CommandContext): Record<string, unknown> {
  if (typeof ctx.options.metadata === 'string') return JSON.parse(ctx.readFile(ctx.options.metadata).toString('utf8')) as Record<string, unknown>;
  const m: Record<string, unknown> = { client_name: requireOption(ctx, 'name'), kexin_client_class: requireOption(ctx, 'class') };
  if (typeof ctx.options.scope === 'string') m.scope = ctx.options.scope;
  if (typeof ctx.options.auth === 'string') m.token_endpoint_auth_method = ctx.options.auth;
  if (typeof ctx.options.jwks === 'string') m.jwks = JSON.parse(ctx.readFile(ctx.options.jwks).toString('utf8'));
  if (typeof ctx.options['subject-dn'] === 'string') m.tls_client_auth_subject_dn = ctx.options['subject-dn'];
  if (ctx.options.dpop === true) m.dpop_bound_access_tokens = true;
  if (ctx.options['mtls-bound'] === true) m.tls_client_certificate_bound_access_tokens = true;
  return m;
}

function clientId(ctx: CommandContext, usage: string): string {
  const id = ctx.args[0];
  if (!id) throw new UsageError(`usage: ${usage}`);
  return id;
}

const withSecret = (r: { client: object; clientSecret?: string | undefined }) => ({ ...r.client, ...(r.clientSecret ? { client_secret: r.clientSecret } : {}) });

async function identity<T>(ctx: CommandContext, fn: (i: NonNullable<import('../service/services.ts').Services['identity']>) => Promise<T>): Promise<T> {
  return local(ctx, (l) => {
    if (!l.services.identity) throw new Error('the identity module is not running');
    return fn(l.services.identity);
  });
}

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
  'clients list': {
    words: 2, remote: true,
    async run(ctx) {
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('GET', '/admin/clients'));
      ctx.out(JSON.stringify({ clients: await identity(ctx, (i) => i.clients.list()) }, null, 2));
      return 0;
    },
  },
  'clients show': {
    words: 2, remote: true,
    async run(ctx) {
      const id = clientId(ctx, 'kexin clients show CLIENT_ID');
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('GET', `/admin/clients/${encodeURIComponent(id)}`));
      ctx.out(JSON.stringify(await identity(ctx, (i) => i.clients.get(id)), null, 2));
      return 0;
    },
  },
  'clients create': {
    words: 2, remote: true,
    async run(ctx) {
      const metadata = clientMetadata(ctx);
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('POST', '/admin/clients', metadata));
      ctx.out(JSON.stringify(withSecret(await identity(ctx, (i) => i.clients.register(metadata, LOCAL_REGISTRAR))), null, 2));
      return 0;
    },
  },
  'clients update': {
    words: 2, remote: true,
    async run(ctx) {
      const id = clientId(ctx, 'kexin clients update CLIENT_ID --metadata FILE | --name N --class C …');
      const metadata = clientMetadata(ctx);
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('PUT', `/admin/clients/${encodeURIComponent(id)}`, metadata));
      ctx.out(JSON.stringify(withSecret(await identity(ctx, (i) => i.clients.replace(id, metadata, LOCAL_REGISTRAR))), null, 2));
      return 0;
    },
  },
  'clients rotate-secret': {
    words: 2, remote: true,
    async run(ctx) {
      const id = clientId(ctx, 'kexin clients rotate-secret CLIENT_ID');
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('POST', `/admin/clients/${encodeURIComponent(id)}/secret`));
      ctx.out(JSON.stringify(withSecret(await identity(ctx, (i) => i.clients.rotateSecret(id, LOCAL_REGISTRAR))), null, 2));
      return 0;
    },
  },
  'clients delete': {
    words: 2, remote: true,
    async run(ctx) {
      const id = clientId(ctx, 'kexin clients delete CLIENT_ID');
      if (ctx.remote) {
        const res = await ctx.remote.request('DELETE', `/admin/clients/${encodeURIComponent(id)}`);
        if (res.status === 204) { ctx.out(`deleted ${id}`); return 0; }
        return printRemote(ctx, res);
      }
      await identity(ctx, (i) => i.clients.remove(id, LOCAL_REGISTRAR));
      ctx.out(`deleted ${id}`);
      return 0;
    },
  },
  'operator rotate': {
    words: 2, remote: true,
    async run(ctx) {
      let r: { id: string; token: string; revoked: string[] };
      if (ctx.remote) {
        const res = await ctx.remote.request('POST', '/admin/operator/rotate');
        if (res.status !== 200) return printRemote(ctx, res);
        r = res.json;
      } else {
        const { rotateOperatorTokens } = await import('../identity/operatorTokens.ts');
        r = await local(ctx, (l) => rotateOperatorTokens(l.ctx.db.pool, { actor: OPERATOR, clock: l.ctx.clock }));
      }
      ctx.err(`revoked ${r.revoked.length} operator token(s); the new one is shown once:`);
      ctx.out(r.token);
      return 0;
    },
  },
  'oauth rotate-key': {
    words: 2, remote: true,
    async run(ctx) {
      if (ctx.remote) return printRemote(ctx, await ctx.remote.request('POST', '/admin/oauth/keys/rotate'));
      const keys = await identity(ctx, async (i) => {
        await i.rotateSigningKeys({ force: true });
        return i.keys().published.map((k) => ({ kid: k.kid, state: k.state }));
      });
      ctx.out(JSON.stringify({ keys }, null, 2));
      return 0;
    },
  },
  'operator disable': {
    words: 2, remote: true,
    async run(ctx) {
      let r: { revoked: string[] };
      if (ctx.remote) {
        const res = await ctx.remote.request('POST', '/admin/operator/disable');
        if (res.status !== 200) return printRemote(ctx, res);
        r = res.json;
      } else {
        const { disableOperatorTokens } = await import('../identity/operatorTokens.ts');
        r = await local(ctx, (l) => disableOperatorTokens(l.ctx.db.pool, { actor: OPERATOR, clock: l.ctx.clock }));
      }
      ctx.out(`revoked ${r.revoked.length} operator token(s): no break-glass bearer token is valid until \`kexin operator rotate\``);
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
