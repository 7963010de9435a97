/**
 * Authorization-server figures over HTTP against a real spawned service, each beside the raw ES256
 * signing rate (crypto.sign ECDSA P-256) measured in the same run:
 *   - client-credentials tokens per second (client_secret_basic; and private_key_jwt, a fresh
 *     assertion per request), target ≥ 2,000/s on 2 cores;
 *   - introspections per second (a resource server asking about a JWT access token), target ≥ 5,000/s;
 *   - one protected API call with a JWT access token vs the same call with the break-glass operator
 *     token (which writes an audit row per use), vs the HTTP floor;
 *   - in-process: verifying an access token (signature + claims + revocation + cached client state)
 *     beside raw ES256 verification: the cost of the check itself.
 * `DATABASE_URL=… npm run bench -- identity` measures on PostgreSQL; KEXIN_WORKERS=2 the cluster.
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { spawnService } from '../test/support/spawnService.ts';
import { dropDatabase, freshDatabaseUrl } from '../test/support/database.ts';
import { cryptoSignP256Rate, rate, report } from './reference.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

/** CPU seconds (user + system) a process has used, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

let servicePid: number | undefined;

/**
 * autocannon against the service, plus what each request cost the service process in CPU time: on a
 * shared machine the rate depends on what else runs, the CPU per request much less.
 */
async function cannon(opts: autocannon.Options): Promise<{ rps: number; errors: number; p50: number; p99: number; cpuMs: string }> {
  const before = cpuSeconds(servicePid);
  const r = await autocannon({ duration: SECONDS, connections: 32, pipelining: 1, ...opts });
  const after = cpuSeconds(servicePid);
  const errors = r.errors + r.non2xx;
  if (errors) process.stderr.write(`  ${opts.url}: ${r.errors} connection errors, ${r.timeouts} timeouts, status codes ${JSON.stringify(r.statusCodeStats)}\n`);
  const total = r.requests.total;
  const cpuMs = before !== undefined && after !== undefined && total > 0 ? (((after - before) * 1000) / total).toFixed(3) : '-';
  return { rps: r.requests.average, errors, p50: r.latency.p50, p99: r.latency.p99, cpuMs };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export async function main(): Promise<void> {
  const databaseUrl = await freshDatabaseUrl();
  const workers = process.env.KEXIN_WORKERS;
  const svc = await spawnService({ env: { LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...(workers ? { KEXIN_WORKERS: workers } : {}) } });
  const db = process.env.DATABASE_URL ? 'postgres' : 'pglite';
  // One process: its CPU time is the service's (with workers, the primary only supervises: not measured).
  servicePid = workers && workers !== '1' ? undefined : svc.child.pid;
  try {
    const register = async (metadata: Record<string, unknown>) => {
      const res = await svc.op('/admin/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
      if (res.status !== 201) throw new Error(`registration failed: ${await res.text()}`);
      return res.json() as Promise<{ client_id: string; client_secret: string }>;
    };
    const unlimited = { kexin_token_rate_per_minute: 1_000_000, kexin_api_rate_per_second: 100_000 };
    const secretClient = await register({ client_name: 'bench secret', kexin_client_class: 'other', scope: 'clients:admin', ...unlimited });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwtClient = await register({
      client_name: 'bench private_key_jwt', kexin_client_class: 'other', token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256' }] }, scope: 'clients:admin', ...unlimited,
    });
    const resourceServer = await register({ client_name: 'bench resource server', kexin_client_class: 'other', scope: 'tokens:introspect', ...unlimited });
    const basic = (c: { client_id: string; client_secret: string }) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const tokenBody = 'grant_type=client_credentials&scope=clients%3Aadmin';

    const reference = cryptoSignP256Rate();
    report('reference: crypto.sign ES256 (1 core)', reference, 'sig/s');
    const floor = await cannon({ url: `${svc.url}/healthz` });
    report('reference: GET /healthz (HTTP floor)', floor.rps, 'req/s', { cpuMsPerReq: floor.cpuMs, p50ms: floor.p50, p99ms: floor.p99 });

    const secretTokens = await cannon({ url: `${svc.url}/oauth/token`, method: 'POST', headers: { ...form, authorization: basic(secretClient) }, body: tokenBody });
    report('tokens: client credentials, client_secret_basic', secretTokens.rps, 'token/s', { cpuMsPerReq: secretTokens.cpuMs, p50ms: secretTokens.p50, p99ms: secretTokens.p99, errors: secretTokens.errors, target: 2000, db, workers: workers ?? '1' });

    // private_key_jwt: every request a fresh client assertion (its jti is single-use), signed here.
    const key = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const header = b64url(JSON.stringify({ alg: 'ES256', kid: 'bench', typ: 'JWT' }));
    const assertion = () => {
      const now = Math.floor(Date.now() / 1000);
      const payload = b64url(JSON.stringify({ iss: jwtClient.client_id, sub: jwtClient.client_id, aud: svc.url, jti: randomUUID(), iat: now, exp: now + 60 }));
      return `${header}.${payload}.${b64url(sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }))}`;
    };
    const jwtTokens = await cannon({
      url: `${svc.url}/oauth/token`, method: 'POST', headers: form,
      requests: [{ setupRequest: (req) => ({ ...req, body: `${tokenBody}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${assertion()}` }) }],
    });
    report('tokens: client credentials, private_key_jwt', jwtTokens.rps, 'token/s', { cpuMsPerReq: jwtTokens.cpuMs, p50ms: jwtTokens.p50, p99ms: jwtTokens.p99, errors: jwtTokens.errors, target: 2000 });

    const accessToken = ((await (await fetch(`${svc.url}/oauth/token`, { method: 'POST', headers: { ...form, authorization: basic(secretClient) }, body: tokenBody })).json()) as { access_token: string }).access_token;
    const introspection = await cannon({
      url: `${svc.url}/oauth/introspect`, method: 'POST', headers: { ...form, authorization: basic(resourceServer) }, body: `token=${accessToken}`,
    });
    report('introspections (resource server, JWT token)', introspection.rps, 'resp/s', { cpuMsPerReq: introspection.cpuMs, p50ms: introspection.p50, p99ms: introspection.p99, errors: introspection.errors, target: 5000 });

    // A protected route that does nothing but authenticate: what remains is the cost of the check.
    const withJwt = await cannon({ url: `${svc.url}/auth/whoami`, headers: { authorization: `Bearer ${accessToken}` } });
    report('API GET /auth/whoami, JWT access token', withJwt.rps, 'req/s', { cpuMsPerReq: withJwt.cpuMs, p50ms: withJwt.p50, p99ms: withJwt.p99, errors: withJwt.errors });
    const withOperator = await cannon({ url: `${svc.url}/auth/whoami`, headers: { authorization: `Bearer ${(await import('../test/support/spawnService.ts')).SERVICE_TOKEN}` } });
    report('API GET /auth/whoami, operator token', withOperator.rps, 'req/s', { cpuMsPerReq: withOperator.cpuMs, p50ms: withOperator.p50, p99ms: withOperator.p99, errors: withOperator.errors, note: 'audit row per use' });

    await inProcessCheck(accessToken);
    report('reference again (noise check)', cryptoSignP256Rate(), 'sig/s');
  } finally {
    await svc.stop();
    if (databaseUrl) await dropDatabase(databaseUrl);
  }
}

/** Verifying a token in-process (what every API call pays) beside raw ES256 verification. */
async function inProcessCheck(_token: string): Promise<void> {
  const { verifyAccessToken } = await import('../src/identity/tokens/verifyAccessToken.ts');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k' }));
  const payload = b64url(JSON.stringify({ iss: 'https://kexin.example', aud: 'https://kexin.example/', sub: 'c', client_id: 'c', jti: 'j', iat: now, exp: now + 600, scope: 'audit:read' }));
  const input = Buffer.from(`${header}.${payload}`);
  const sig = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const token = `${header}.${payload}.${b64url(sig)}`;
  const keys = { active: { kid: 'k', publicKey }, published: [{ kid: 'k', publicKey }], version: 'k' } as never;
  const clock = { now: () => new Date() };
  report('reference: crypto.verify ES256 (1 core)', rate(() => verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)), 'verify/s');
  // jose's verify is async: measure a sequential loop for a second.
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 1000) {
    for (let i = 0; i < 20; i++) await verifyAccessToken(token, { keys, issuer: 'https://kexin.example', clock });
    n += 20;
  }
  report('verifyAccessToken (jose, in-process, 1 core)', (n * 1000) / (performance.now() - start), 'verify/s');
}
