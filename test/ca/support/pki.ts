/** Test helpers: real openssl/certtool runs in a temp dir, and two CA hierarchies from the memory key store. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock.ts';
import { createMemoryKeyStore } from '../../support/memoryKeyStore.ts';
import type { KeyAlgorithm } from '../../../src/crypto/keyStore.ts';
import { createIssuingCa, createOcspResponderCert, createRootCa, createTsaCert, type CaMaterial, type SigningCa } from '../../../src/ca/createHierarchy.ts';

export const BASE_URL = 'https://kexin.example.gov.cn';
/** An hour ago, whole seconds: external tools check validity against the real clock. */
export const NOW = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000);

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kexin-ca-'));
}

export function write(dir: string, name: string, data: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

export function read(p: string): Buffer {
  return readFileSync(p);
}

/** Runs a tool; returns { code, out } (stdout+stderr) — never throws on non-zero exit. */
export function run(cmd: string, args: string[], cwd?: string): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export function openssl(args: string[], cwd?: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Hierarchy {
  readonly algorithm: 'ECDSA' | 'SM2';
  readonly root: CaMaterial;
  readonly issuing: CaMaterial;
  readonly ocsp: CaMaterial;
  readonly tsa: CaMaterial;
  readonly rootCa: SigningCa;
  readonly issuingCa: SigningCa;
}

export async function buildHierarchy(kind: 'ECDSA' | 'SM2') {
  const keyStore = createMemoryKeyStore();
  const clock = fixedClock(NOW);
  const [rootAlg, issAlg]: [KeyAlgorithm, KeyAlgorithm] = kind === 'ECDSA' ? ['ECDSA-P384', 'ECDSA-P256'] : ['SM2', 'SM2'];
  const root = await createRootCa({
    keyStore, algorithm: rootAlg, clock, validityYears: 20,
    name: [{ type: 'C', value: 'CN' }, { type: 'O', value: '可信 Kexin' }, { type: 'CN', value: `Kexin Root CA ${kind}` }],
  });
  const rootCa: SigningCa = { certificate: root.certificate.der, signer: root.signer, caId: `root-${kind.toLowerCase()}` };
  const issuing = await createIssuingCa({
    keyStore, root: rootCa, algorithm: issAlg, clock, baseUrl: BASE_URL, validityYears: 8,
    name: [{ type: 'C', value: 'CN' }, { type: 'O', value: '可信 Kexin' }, { type: 'CN', value: `Kexin Issuing CA ${kind}` }],
  });
  const issuingCa: SigningCa = { certificate: issuing.certificate.der, signer: issuing.signer, caId: `issuing-${kind.toLowerCase()}` };
  const ocsp = await createOcspResponderCert({ keyStore, issuer: issuingCa, algorithm: issAlg, clock, baseUrl: BASE_URL, name: [{ type: 'O', value: 'Kexin' }, { type: 'CN', value: `Kexin OCSP ${kind}` }] });
  const tsa = await createTsaCert({ keyStore, issuer: issuingCa, algorithm: issAlg, clock, baseUrl: BASE_URL, name: [{ type: 'O', value: 'Kexin' }, { type: 'CN', value: `Kexin TSA ${kind}` }] });
  return { keyStore, clock, hierarchy: { algorithm: kind, root, issuing, ocsp, tsa, rootCa, issuingCa } as Hierarchy };
}

/** openssl verify of leaf → issuing → root. SM2 needs per-link checks (see the SM2 note in ca-x509 docs). */
export function opensslVerify(dir: string, h: Hierarchy, leafPem: string): { code: number; out: string } {
  const root = write(dir, 'root.pem', h.root.certificate.pem);
  const iss = write(dir, 'issuing.pem', h.issuing.certificate.pem);
  const leaf = write(dir, 'leaf.pem', leafPem);
  if (h.algorithm === 'ECDSA') return run('openssl', ['verify', '-x509_strict', '-CAfile', root, '-untrusted', iss, leaf]);
  // OpenSSL 3.0: -vfyopt distid applies only to the certificate being verified; CA certificates from
  // -untrusted are checked with an empty SM2 ID and fail. So: each link, with the issuer as anchor.
  const a = run('openssl', ['verify', '-x509_strict', '-vfyopt', 'distid:1234567812345678', '-CAfile', root, iss]);
  const b = run('openssl', ['verify', '-x509_strict', '-vfyopt', 'distid:1234567812345678', '-partial_chain', '-CAfile', iss, leaf]);
  return { code: a.code || b.code, out: a.out + b.out };
}
