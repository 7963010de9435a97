/**
 * Runs the real service (`node src/cli.ts serve`) as a child process on a free port, for tests that
 * drive it over HTTP with external tools, or kill it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freshDatabaseUrl, tempDir } from './database.ts';

export { freshDatabaseUrl };

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVICE_TOKEN = 'spawned-service-operator-token-01';

export interface SpawnedService {
  readonly url: string;
  readonly dataDir: string;
  readonly env: Record<string, string>;
  readonly child: ChildProcess;
  readonly logs: string[];
  /** fetch with the operator token. */
  op(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

/** A port nothing listens on right now (the OS picks it; the service binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

export async function spawnService(opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<SpawnedService> {
  const dataDir = opts.dataDir ?? tempDir();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'test',
    PORT: '0',
    KEXIN_DATA_DIR: dataDir,
    KEXIN_BOOTSTRAP_TOKEN: SERVICE_TOKEN,
    KEXIN_KEY_PASSPHRASE: 'test-passphrase-not-secret',
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  env.PORT = String(await freePort());
  const url = `http://127.0.0.1:${env.PORT}`;
  const child = spawn(process.execPath, ['src/cli.ts', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  child.stdout!.on('data', (c: Buffer) => logs.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Ready = GET /healthz answers 200 (migrations ran, keys loaded), whatever the log level.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${logs.join('')}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`service did not start in 120 s:\n${logs.join('')}`); }
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url, dataDir, env, child, logs,
    op: (path, init = {}) => fetch(url + path, { ...init, headers: { authorization: `Bearer ${SERVICE_TOKEN}`, ...(init.headers ?? {}) } }),
    async stop() {
      if (child.exitCode === null) { child.kill('SIGTERM'); await exited; }
    },
    async kill9() {
      if (child.exitCode === null) { child.kill('SIGKILL'); await exited; }
    },
  };
}
