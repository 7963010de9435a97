/**
 * Environment configuration, validated once at start. A bad value stops the process with a message
 * naming the variable (ConfigError), never a later surprise.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { isValidUscc } from './ca/uscc.ts';
import { parseChannelList, type Channel } from './ecard/channels.ts';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** External PostgreSQL; undefined means the embedded PGlite under `dataDir/pgdata`. */
  readonly databaseUrl: string | undefined;
  /** Becomes the operator token when the data dir is first initialised. */
  readonly bootstrapToken: string | undefined;
  readonly keys: KeyStoreConfig;
  /** Public base URL written into certificates (CRL DP, AIA). */
  readonly publicUrl: string;
  readonly logLevel: string;
  /** Test-only behaviour (e.g. pinned face challenges); refused unless NODE_ENV=test. */
  readonly testMode: boolean;
  /** `kexin serve` processes (node:cluster workers sharing the port); more than one needs DATABASE_URL. */
  readonly workers: number;
  /** Seals: the seal-making authority (制章人) and the GB/T 2260 region code written into esIDs. */
  readonly seals: { readonly makerName: string; readonly makerCreditCode: string; readonly regionCode: string };
  /** The optional HTTPS listener for mutual TLS (RFC 8705): its port and public base URL. */
  readonly tls: { readonly port: number; readonly publicUrl: string } | undefined;
  /** How long a client may take: slow clients are cut off instead of holding sockets and memory. */
  readonly http: HttpLimits;
  /**
   * A second listener serving only `GET /metrics`, without credentials (for Prometheus on a private
   * network); undefined = none. On the main port `/metrics` needs the `metrics:read` scope.
   */
  readonly metricsListener: { readonly host: string; readonly port: number } | undefined;
  readonly ecard: EcardConfig;
}

export interface EcardConfig {
  /** Channels until the system-client registry serves them (`KEXIN_ECARD_CHANNELS`, `id:class:name;…`). */
  readonly channels: readonly Channel[];
  /** Which issuer signs new e-cards (`KEXIN_ECARD_ISSUER`: `ecdsa`, or `sm2` — non-standard JOSE/COSE names). */
  readonly issuer: 'ecdsa' | 'sm2';
  /** Status list `ttl` and HTTP max-age, seconds (`KEXIN_ECARD_STATUS_TTL`, 10–86400). */
  readonly statusListTtlSeconds: number;
}

/** Time limits on the HTTP server (Node's `http.Server` timeouts). */
export interface HttpLimits {
  /** Whole request, headers and body, must arrive within this (Node `requestTimeout`). */
  readonly requestTimeoutMs: number;
  /** Request headers must arrive within this (Node `headersTimeout`; slowloris on headers). */
  readonly headersTimeoutMs: number;
  /** A socket with no traffic at all for this long is closed (Node `server.timeout`). */
  readonly idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (longer than a load balancer's idle timeout). */
  readonly keepAliveTimeoutMs: number;
  /** How often Node checks the request and headers timeouts (they are enforced with this granularity). */
  readonly checkIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  // A 20 MB face-frames body over a 4 Mbit/s uplink takes 40 s: 60 s leaves room, 300 s (Node's) is a gift to slowloris.
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 15_000,
  // Above the usual 60 s idle timeout of load balancers, so they never reuse a connection Kexin just closed;
  // and the socket's own idle timeout above that, or a connection kept alive for reuse would be cut
  // while the client still holds it (a client reusing it after 30-72 s got "other side closed").
  // Slow clients are bounded by the request and headers timeouts, not by this.
  idleTimeoutMs: 75_000,
  keepAliveTimeoutMs: 72_000,
  checkIntervalMs: 1_000,
});

export type KeyStoreConfig =
  | { readonly backend: 'file'; readonly dir: string; readonly passphrase: string | undefined }
  | { readonly backend: 'pkcs11'; readonly library: string; readonly tokenLabel: string; readonly pin: string };

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new ConfigError(name, `must be a TCP port (0-65535), got "${raw}"`);
  return Number(raw);
}

function nonEmpty(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  if (raw.trim() === '') throw new ConfigError(name, 'is set but empty');
  return raw;
}

function databaseUrl(env: Env): string | undefined {
  const raw = nonEmpty(env, 'DATABASE_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected postgres://user@host:port/db)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must use postgres:// or postgresql://, got ${url.protocol}`);
  }
  return raw;
}

function workers(env: Env, databaseUrl: string | undefined): number {
  const raw = nonEmpty(env, 'KEXIN_WORKERS') ?? '1';
  const n = raw === 'auto' ? availableParallelism() : /^\d{1,2}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 64)) throw new ConfigError('KEXIN_WORKERS', `must be 1-64 or "auto", got "${raw}"`);
  // The embedded PGlite is one process's (and pglite-socket mixes up concurrent connections).
  if (n > 1 && !databaseUrl) throw new ConfigError('KEXIN_WORKERS', 'more than one worker needs DATABASE_URL (the embedded database serves one process)');
  return n;
}

/** Placeholder maker identity for development: set KEXIN_SEAL_MAKER_* before production. */
const DEV_MAKER = { name: 'Kexin 电子印章制作 (development)', creditCode: '111100000000133772' };

function seals(env: Env): Config['seals'] {
  const makerName = nonEmpty(env, 'KEXIN_SEAL_MAKER_NAME') ?? DEV_MAKER.name;
  const makerCreditCode = nonEmpty(env, 'KEXIN_SEAL_MAKER_CREDIT_CODE') ?? DEV_MAKER.creditCode;
  if (!isValidUscc(makerCreditCode)) throw new ConfigError('KEXIN_SEAL_MAKER_CREDIT_CODE', 'is not a valid unified social credit code (GB 32100-2015)');
  if (makerName.length > 64) throw new ConfigError('KEXIN_SEAL_MAKER_NAME', 'must be at most 64 characters');
  const regionCode = nonEmpty(env, 'KEXIN_SEAL_REGION_CODE') ?? '000000';
  if (!/^\d{6}$/.test(regionCode)) throw new ConfigError('KEXIN_SEAL_REGION_CODE', 'must be a 6-digit GB/T 2260 region code');
  return Object.freeze({ makerName, makerCreditCode, regionCode });
}

function ecardConfig(env: Env): EcardConfig {
  let channels: Channel[];
  try {
    channels = parseChannelList(nonEmpty(env, 'KEXIN_ECARD_CHANNELS'));
  } catch (err) {
    throw new ConfigError('KEXIN_ECARD_CHANNELS', (err as Error).message.replace(/^KEXIN_ECARD_CHANNELS: /, ''));
  }
  const issuer = nonEmpty(env, 'KEXIN_ECARD_ISSUER') ?? 'ecdsa';
  if (issuer !== 'ecdsa' && issuer !== 'sm2') throw new ConfigError('KEXIN_ECARD_ISSUER', `must be "ecdsa" or "sm2", got "${issuer}"`);
  const ttlRaw = nonEmpty(env, 'KEXIN_ECARD_STATUS_TTL') ?? '300';
  const ttl = /^\d{1,5}$/.test(ttlRaw) ? Number(ttlRaw) : NaN;
  if (!(ttl >= 10 && ttl <= 86_400)) throw new ConfigError('KEXIN_ECARD_STATUS_TTL', `must be 10-86400 seconds, got "${ttlRaw}"`);
  return Object.freeze({ channels: Object.freeze(channels), issuer, statusListTtlSeconds: ttl });
}

function milliseconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new ConfigError(name, `must be a number of milliseconds from ${min} to ${max}, got "${raw}"`);
  return n;
}

function httpLimits(env: Env): HttpLimits {
  const d = DEFAULT_HTTP_LIMITS;
  const limits = {
    requestTimeoutMs: milliseconds(env, 'KEXIN_HTTP_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, 100, 3_600_000),
    headersTimeoutMs: milliseconds(env, 'KEXIN_HTTP_HEADERS_TIMEOUT_MS', d.headersTimeoutMs, 100, 3_600_000),
    idleTimeoutMs: milliseconds(env, 'KEXIN_HTTP_IDLE_TIMEOUT_MS', d.idleTimeoutMs, 100, 3_600_000),
    keepAliveTimeoutMs: milliseconds(env, 'KEXIN_HTTP_KEEPALIVE_TIMEOUT_MS', d.keepAliveTimeoutMs, 100, 3_600_000),
    checkIntervalMs: milliseconds(env, 'KEXIN_HTTP_CHECK_INTERVAL_MS', d.checkIntervalMs, 10, 60_000),
  };
  // Node refuses a headers timeout longer than the request timeout (the headers are part of the request).
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError('KEXIN_HTTP_HEADERS_TIMEOUT_MS', `must not exceed KEXIN_HTTP_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`);
  }
  if (limits.idleTimeoutMs <= limits.keepAliveTimeoutMs) {
    throw new ConfigError('KEXIN_HTTP_IDLE_TIMEOUT_MS', `must exceed KEXIN_HTTP_KEEPALIVE_TIMEOUT_MS (${limits.keepAliveTimeoutMs}): a kept-alive connection would be cut while a client may still reuse it`);
  }
  return Object.freeze(limits);
}

function metricsListener(env: Env): Config['metricsListener'] {
  if (nonEmpty(env, 'KEXIN_METRICS_PORT') === undefined) return undefined;
  return Object.freeze({ host: nonEmpty(env, 'KEXIN_METRICS_HOST') ?? '127.0.0.1', port: port(env, 'KEXIN_METRICS_PORT', 0) });
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const host = nonEmpty(env, 'HOST') ?? '127.0.0.1';
  const p = port(env, 'PORT', 8080);
  const dataDir = resolve(cwd, nonEmpty(env, 'KEXIN_DATA_DIR') ?? './data');
  const bootstrapToken = nonEmpty(env, 'KEXIN_BOOTSTRAP_TOKEN');
  if (bootstrapToken !== undefined && bootstrapToken.length < 16) {
    throw new ConfigError('KEXIN_BOOTSTRAP_TOKEN', 'must be at least 16 characters');
  }
  const backend = nonEmpty(env, 'KEXIN_KEY_BACKEND') ?? 'file';
  let keys: KeyStoreConfig;
  if (backend === 'file') {
    keys = { backend, dir: resolve(dataDir, 'keys'), passphrase: nonEmpty(env, 'KEXIN_KEY_PASSPHRASE') };
  } else if (backend === 'pkcs11') {
    const library = nonEmpty(env, 'KEXIN_PKCS11_LIBRARY');
    const pin = nonEmpty(env, 'KEXIN_PKCS11_PIN');
    if (!library) throw new ConfigError('KEXIN_PKCS11_LIBRARY', 'is required with KEXIN_KEY_BACKEND=pkcs11');
    if (!pin) throw new ConfigError('KEXIN_PKCS11_PIN', 'is required with KEXIN_KEY_BACKEND=pkcs11');
    keys = { backend, library, pin, tokenLabel: nonEmpty(env, 'KEXIN_PKCS11_TOKEN') ?? 'kexin' };
  } else {
    throw new ConfigError('KEXIN_KEY_BACKEND', `must be "file" or "pkcs11", got "${backend}"`);
  }
  const publicUrl = (nonEmpty(env, 'KEXIN_PUBLIC_URL') ?? `http://${host.includes(':') ? `[${host}]` : host}:${p}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError('KEXIN_PUBLIC_URL', 'is not a URL');
  }
  const logLevel = nonEmpty(env, 'LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `unknown level "${logLevel}"`);
  }
  const dbUrl = databaseUrl(env);
  let tls: Config['tls'];
  const tlsPortRaw = nonEmpty(env, 'KEXIN_TLS_PORT');
  if (tlsPortRaw !== undefined) {
    const tlsPort = port(env, 'KEXIN_TLS_PORT', 0);
    if (tlsPort === 0) throw new ConfigError('KEXIN_TLS_PORT', 'must be a fixed port (1-65535): its URL is published in discovery');
    if (tlsPort === p) throw new ConfigError('KEXIN_TLS_PORT', 'must differ from PORT');
    const tlsPublicUrl = (nonEmpty(env, 'KEXIN_TLS_PUBLIC_URL') ?? `https://${host.includes(':') ? `[${host}]` : host}:${tlsPort}`).replace(/\/+$/, '');
    let u: URL;
    try {
      u = new URL(tlsPublicUrl);
    } catch {
      throw new ConfigError('KEXIN_TLS_PUBLIC_URL', 'is not a URL');
    }
    if (u.protocol !== 'https:') throw new ConfigError('KEXIN_TLS_PUBLIC_URL', 'must be an https:// URL');
    tls = Object.freeze({ port: tlsPort, publicUrl: tlsPublicUrl });
  } else if (nonEmpty(env, 'KEXIN_TLS_PUBLIC_URL') !== undefined) {
    throw new ConfigError('KEXIN_TLS_PUBLIC_URL', 'needs KEXIN_TLS_PORT');
  }
  return Object.freeze({
    ecard: ecardConfig(env),
    port: p,
    host,
    dataDir,
    databaseUrl: dbUrl,
    bootstrapToken,
    keys: Object.freeze(keys),
    publicUrl,
    logLevel,
    testMode: env.NODE_ENV === 'test',
    workers: workers(env, dbUrl),
    seals: seals(env),
    tls,
    http: httpLimits(env),
    metricsListener: metricsListener(env),
  });
}
