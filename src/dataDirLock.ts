/**
 * One service process owns an embedded database's data dir. The lock file names the owner's pid and
 * URL, so a second `kexin` command can talk to the running service over HTTP instead of failing.
 */
import { chmodSync, closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceInfo {
  readonly pid: number;
  /** Base URL the running service listens on (set once it listens). */
  readonly url?: string;
}

const lockPath = (dataDir: string) => join(dataDir, 'kexin.lock');
export const cliTokenPath = (dataDir: string) => join(dataDir, 'cli.token');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live service holding `dataDir`, if any (a stale lock from a killed process is ignored). */
export function runningService(dataDir: string): ServiceInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as ServiceInfo;
    return Number.isInteger(info.pid) && info.pid !== process.pid && alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export class DataDirInUseError extends Error {
  readonly owner: ServiceInfo;
  constructor(dataDir: string, owner: ServiceInfo) {
    super(`data dir ${dataDir} is in use by process ${owner.pid}${owner.url ? ` (${owner.url})` : ''}`);
    this.name = 'DataDirInUseError';
    this.owner = owner;
  }
}

export interface DataDirLock {
  /** Record the URL the service now listens on. */
  publish(url: string): void;
  release(): void;
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = lockPath(dataDir);
  const owner = runningService(dataDir);
  if (owner) throw new DataDirInUseError(dataDir, owner);
  rmSync(path, { force: true }); // stale: its process is gone (kill -9)
  const fd = openSync(path, 'wx', 0o600); // O_EXCL: two starters racing, one wins
  writeSync(fd, JSON.stringify({ pid: process.pid }));
  closeSync(fd);
  return {
    publish(url) {
      writeFileSync(path, JSON.stringify({ pid: process.pid, url }), { mode: 0o600 });
    },
    release() {
      try {
        const info = JSON.parse(readFileSync(path, 'utf8')) as ServiceInfo;
        if (info.pid === process.pid) rmSync(path, { force: true });
      } catch { /* already gone */ }
      rmSync(cliTokenPath(dataDir), { force: true });
    },
  };
}

/** Writes a secret file readable by the owner only. */
export function writeSecretFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}
