/** Running the independent peers (openssl, certtool, …) from tests. */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Runs a tool; returns stdout+stderr and the exit status (never throws on a non-zero status). */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer | string } = {}): { status: number; out: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'buffer', timeout: 60_000 });
  return { status: r.status ?? -1, out: Buffer.concat([r.stdout ?? Buffer.alloc(0), r.stderr ?? Buffer.alloc(0)]).toString() };
}

export function runOk(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer | string } = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.out}`);
  return r.out;
}

export function write(dir: string, name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** An ECDSA P-256 (or SM2) key and PKCS#10 CSR made by OpenSSL, not by Kexin. */
export function opensslCsr(dir: string, name: string, subject: string, kind: 'P-256' | 'SM2' = 'P-256'): { key: string; csr: string; csrPem: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  if (kind === 'SM2') {
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', key]);
    execFileSync('openssl', ['req', '-new', '-key', key, '-sm3', '-sigopt', 'distid:1234567812345678', '-subj', subject, '-utf8', '-out', csr]);
  } else {
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    execFileSync('openssl', ['req', '-new', '-key', key, '-sha256', '-subj', subject, '-utf8', '-out', csr]);
  }
  return { key, csr, csrPem: execFileSync('cat', [csr]).toString() };
}
