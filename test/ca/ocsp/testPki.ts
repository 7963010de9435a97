/**
 * A small PKI made with the openssl CLI for OCSP/TSA interop tests (independent of Kexin's own
 * certificate builder): root → issuing CA → { delegated OCSP responder, TSA, two leaves }.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Signer, SignatureScheme } from '../../../src/crypto/keyStore.ts';
import { signWithKeyObject } from '../../../src/crypto/signatures.ts';

export interface TestPki {
  readonly dir: string;
  readonly kind: 'ec' | 'sm2';
  readonly scheme: SignatureScheme;
  /** Paths of PEM files. */
  readonly path: (name: string) => string;
  readonly der: (name: 'root' | 'issuing' | 'ocsp' | 'tsa' | 'leaf1' | 'leaf2') => Uint8Array;
  /**
   * A Signer over the openssl-side private key. `sm2UserId`: SM2 only — OpenSSL 3.0 signs and verifies
   * X.509/OCSP/CMS SM2 signatures with an EMPTY distinguishing id unless told otherwise (and `openssl
   * ocsp` / `openssl ts -verify` cannot be told), so openssl interop tests pass `new Uint8Array(0)`.
   */
  readonly signer: (name: 'ocsp' | 'tsa' | 'issuing', opts?: { count?: { n: number }; sm2UserId?: Uint8Array }) => Signer;
  readonly leafSerials: { leaf1: string; leaf2: string };
  readonly privateKey: (name: string) => KeyObject;
}

export function openssl(args: string[], opts: { cwd?: string; input?: Uint8Array } = {}): string {
  return execFileSync('openssl', args, { cwd: opts.cwd, input: opts.input, encoding: 'latin1', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Like `openssl` but returns stdout+stderr (openssl prints "Response verify OK" to stderr) and the exit status. */
export function opensslAll(args: string[], cwd?: string): { status: number; out: string } {
  const r = spawnSync('openssl', args, { cwd, encoding: 'latin1' });
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const EXT = `
[issuing]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[ocsp]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=OCSPSigning
noCheck=ignored
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[tsa]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=critical,timeStamping
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[leaf]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
`;

export function makeTestPki(kind: 'ec' | 'sm2' = 'ec'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), `kexin-pki-${kind}-`));
  const path = (n: string) => join(dir, n);
  const curve = kind === 'ec' ? 'P-256' : 'SM2';
  const md = kind === 'ec' ? '-sha256' : '-sm3';
  writeFileSync(path('ext.cnf'), EXT);
  // Keys are made by Node (OpenSSL loads them); Node cannot export an SM2 key that OpenSSL made
  // (it loads as EVP_PKEY_SM2, which Node's SEC1 export refuses), while the reverse works.
  const keys = new Map<string, KeyObject>();
  for (const n of ['root', 'issuing', 'ocsp', 'tsa', 'leaf1', 'leaf2']) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
    keys.set(n, privateKey);
    writeFileSync(path(`${n}.key`), privateKey.export({ format: 'pem', type: 'sec1' }));
  }
  openssl(['req', '-x509', '-new', '-key', 'root.key', '-subj', `/CN=Kexin Test Root ${kind}`, '-days', '3650', md,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'root.pem'], { cwd: dir });
  const issue = (n: string, ca: string, ext: string, serial: string) => {
    openssl(['req', '-new', '-key', `${n}.key`, '-subj', `/CN=Kexin Test ${n} ${kind}`, '-out', `${n}.csr`], { cwd: dir });
    openssl(['x509', '-req', '-in', `${n}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', '365', md,
      '-extfile', 'ext.cnf', '-extensions', ext, '-out', `${n}.pem`], { cwd: dir });
  };
  issue('issuing', 'root', 'issuing', '0x1001');
  issue('ocsp', 'issuing', 'ocsp', '0x2001');
  issue('tsa', 'issuing', 'tsa', '0x2002');
  issue('leaf1', 'issuing', 'leaf', '0x0a1b2c3d4e5f');
  issue('leaf2', 'issuing', 'leaf', '0x7f00ff01');
  writeFileSync(path('chain.pem'), readFileSync(path('root.pem'), 'latin1') + readFileSync(path('issuing.pem'), 'latin1'));
  const der = (n: string) => {
    const pem = readFileSync(path(`${n}.pem`), 'latin1');
    return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
  };
  const scheme: SignatureScheme = kind === 'ec' ? 'ECDSA-SHA256' : 'SM2-SM3';
  const signer = (n: string, opts: { count?: { n: number }; sm2UserId?: Uint8Array } = {}): Signer => {
    const pk = keys.get(n)!;
    return {
      keyId: `test-${kind}-${n}`,
      scheme,
      publicKeySpki: new Uint8Array(createPublicKey(pk).export({ format: 'der', type: 'spki' })),
      async sign(data) {
        if (opts.count) opts.count.n++;
        return signWithKeyObject(pk, scheme, data, opts.sm2UserId ? { sm2UserId: opts.sm2UserId } : undefined);
      },
    };
  };
  return { dir, kind, scheme, path, der, signer, privateKey: (n: string) => keys.get(n)!, leafSerials: { leaf1: '0a1b2c3d4e5f', leaf2: '7f00ff01' } };
}

