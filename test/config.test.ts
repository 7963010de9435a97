import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, '/srv');
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: '/srv/data', databaseUrl: undefined, publicUrl: 'http://127.0.0.1:8080' });
    expect(c.keys).toEqual({ backend: 'file', dir: '/srv/data/keys', passphrase: undefined });
    expect(c.workers).toBe(1);
  });
  it('sets HTTP time limits (defaults, or from the environment) and an optional metrics listener', () => {
    const d = loadConfig({});
    expect(d.http).toEqual({ requestTimeoutMs: 60_000, headersTimeoutMs: 15_000, idleTimeoutMs: 75_000, keepAliveTimeoutMs: 72_000, checkIntervalMs: 1_000 });
    expect(d.metricsListener).toBeUndefined();
    const c = loadConfig({ KEXIN_HTTP_REQUEST_TIMEOUT_MS: '5000', KEXIN_HTTP_HEADERS_TIMEOUT_MS: '2000', KEXIN_METRICS_PORT: '9464', KEXIN_METRICS_HOST: '10.0.0.5' });
    expect(c.http).toMatchObject({ requestTimeoutMs: 5000, headersTimeoutMs: 2000 });
    expect(c.metricsListener).toEqual({ host: '10.0.0.5', port: 9464 });
  });
  it('takes several workers only with a PostgreSQL server', () => {
    expect(loadConfig({ KEXIN_WORKERS: '2', DATABASE_URL: 'postgres://u@h/db' }).workers).toBe(2);
    expect(loadConfig({ KEXIN_WORKERS: 'auto', DATABASE_URL: 'postgres://u@h/db' }).workers).toBeGreaterThanOrEqual(1);
  });
  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ KEXIN_BOOTSTRAP_TOKEN: 'short' }, 'KEXIN_BOOTSTRAP_TOKEN'],
    [{ KEXIN_KEY_BACKEND: 'vault' }, 'KEXIN_KEY_BACKEND'],
    [{ KEXIN_KEY_BACKEND: 'pkcs11' }, 'KEXIN_PKCS11_LIBRARY'],
    [{ KEXIN_DATA_DIR: '' }, 'KEXIN_DATA_DIR'],
    [{ KEXIN_WORKERS: '2' }, 'KEXIN_WORKERS'],
    [{ KEXIN_WORKERS: '0', DATABASE_URL: 'postgres://u@h/db' }, 'KEXIN_WORKERS'],
    [{ KEXIN_WORKERS: 'many', DATABASE_URL: 'postgres://u@h/db' }, 'KEXIN_WORKERS'],
    [{ KEXIN_HTTP_REQUEST_TIMEOUT_MS: '10s' }, 'KEXIN_HTTP_REQUEST_TIMEOUT_MS'],
    [{ KEXIN_HTTP_IDLE_TIMEOUT_MS: '5' }, 'KEXIN_HTTP_IDLE_TIMEOUT_MS'],
    [{ KEXIN_HTTP_IDLE_TIMEOUT_MS: '60000' }, 'KEXIN_HTTP_IDLE_TIMEOUT_MS'],
    [{ KEXIN_HTTP_REQUEST_TIMEOUT_MS: '1000', KEXIN_HTTP_HEADERS_TIMEOUT_MS: '2000' }, 'KEXIN_HTTP_HEADERS_TIMEOUT_MS'],
    [{ KEXIN_METRICS_PORT: 'x' }, 'KEXIN_METRICS_PORT'],
  ])('rejects %o naming %s', (env, variable) => {
    let err: unknown;
    try { loadConfig(env); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as Error).message).toContain(variable);
  });
});
