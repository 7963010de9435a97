/** A SoftHSM2 token of the test's own: its config, library path, label and PIN. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function findSoftHsm(): string | undefined {
  const candidates = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'];
  for (const c of candidates) if (existsSync(c)) return c;
  try {
    const listed = execFileSync('dpkg', ['-L', 'libsofthsm2', 'softhsm2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return listed.split('\n').find((l) => l.endsWith('/libsofthsm2.so') && existsSync(l));
  } catch {
    return undefined;
  }
}

export function hasSoftHsmUtil(): boolean {
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why SoftHSM tests cannot run here, or undefined when they can. */
export function softHsmSkipReason(): string | undefined {
  return !findSoftHsm() ? 'SoftHSM2 library (libsofthsm2.so) not found (apt-get install softhsm2)' : !hasSoftHsmUtil() ? 'softhsm2-util not found' : undefined;
}

export interface SoftHsmToken {
  readonly conf: string;
  readonly library: string;
  readonly tokenLabel: string;
  readonly pin: string;
}

/** Initialises a fresh token under `dir` (its own SOFTHSM2_CONF, so no test shares a token). */
export function initSoftHsmToken(dir: string, tokenLabel = 'kexin-test', pin = '1234'): SoftHsmToken {
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', '5678'], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    stdio: 'ignore',
  });
  return { conf, library: findSoftHsm()!, tokenLabel, pin };
}
