/**
 * A key store of encrypted PKCS#8 files: `<dir>/<id>.p8` (PEM "ENCRYPTED PRIVATE KEY", PBES2 with
 * PBKDF2-HMAC-SHA512 and AES-256-CBC) beside `<dir>/<id>.json` (public metadata: algorithm, label, SPKI).
 * Files are standard: `openssl pkey -in <id>.p8 -passin pass:…` reads them.
 *
 * Node's `KeyObject.export({ cipher, passphrase })` also writes PBES2/AES-256-CBC, but with a fixed
 * 2048 PBKDF2 iterations; this module builds the same structure itself so it can use a real work factor.
 * Private keys are decrypted lazily on first use and cached as KeyObjects; they never leave the store.
 * Wrapping keys (AES-256, `KeyWrapper`) are `<dir>/<id>.kek`: the key sealed with AES-256-GCM under a
 * PBKDF2-HMAC-SHA512 derivation of the same passphrase.
 */
import { createCipheriv, createPrivateKey, createPublicKey, pbkdf2, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import { KexinError } from '../errors.ts';
import { aesGcmOpen, aesGcmSeal } from './aesGcm.ts';
import { generateKeyObject } from './generateKeyObject.ts';
import { ALL_KEY_ALGORITHMS, type KeyAlgorithm, type KeyInfo, type KeyStore, type SignatureScheme, type SignOptions } from './keyStore.ts';
import { schemesFor, signWithKeyObject } from './signatures.ts';

const pbkdf2Async = promisify(pbkdf2);

/** Anything with a pino-like `warn(message)`. */
export interface KeyStoreLogger {
  warn(message: string): void;
}

export interface FileKeyStoreOptions {
  /** Directory holding the key files, e.g. `<KEXIN_DATA_DIR>/keys`; created 0700 if absent. */
  readonly dir: string;
  /** Passphrase protecting every private key file (see `resolveFilePassphrase`). */
  readonly passphrase: string;
  readonly logger?: KeyStoreLogger;
  /** PBKDF2 iterations for keys this store writes (default 210 000, minimum 10 000). Reading honours the file. */
  readonly kdfIterations?: number;
}

/** OWASP (2023) figure for PBKDF2-HMAC-SHA512. */
export const DEFAULT_KDF_ITERATIONS = 210_000;

const OIDS = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha512: '1.2.840.113549.2.11',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
};

const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072', 'Ed25519', 'SM2'];
const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 §3) with PBES2 (RFC 8018 §6.2), as DER. */
export async function encryptPkcs8(pkcs8Der: Uint8Array, passphrase: string, iterations = DEFAULT_KDF_ITERATIONS): Promise<Uint8Array> {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = await pbkdf2Async(passphrase, salt, iterations, 32, 'sha512');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8Der), cipher.final()]);
  const epki = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: OIDS.pbes2 }),
          new asn1js.Sequence({
            value: [
              new asn1js.Sequence({
                value: [
                  new asn1js.ObjectIdentifier({ value: OIDS.pbkdf2 }),
                  new asn1js.Sequence({
                    value: [
                      new asn1js.OctetString({ valueHex: salt }),
                      new asn1js.Integer({ value: iterations }),
                      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OIDS.hmacWithSha512 }), new asn1js.Null()] }),
                    ],
                  }),
                ],
              }),
              new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OIDS.aes256Cbc }), new asn1js.OctetString({ valueHex: iv })] }),
            ],
          }),
        ],
      }),
      new asn1js.OctetString({ valueHex: encrypted }),
    ],
  });
  return new Uint8Array(epki.toBER());
}

function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Writes `data` to `path` atomically (temp file in the same directory, fsync, rename), mode 0600. */
async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, 0o600); // in case the umask was stricter/looser than expected
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    await fh.close();
  }
}

async function ensurePrivateDir(dir: string, logger?: KeyStoreLogger): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await stat(dir);
  if ((st.mode & 0o077) !== 0) {
    await chmod(dir, 0o700);
    logger?.warn(`key directory ${dir} was accessible to group/others; mode reset to 0700`);
  }
}

interface KeyMetadata {
  readonly version: 1;
  readonly id: string;
  readonly algorithm: KeyAlgorithm;
  readonly label: string;
  /** Base64 DER SubjectPublicKeyInfo. */
  readonly spki: string;
  readonly createdAt: string;
}

/** `<id>.kek`: a wrapping key sealed under the passphrase. */
interface WrappingKeyFile {
  readonly version: 1;
  readonly id: string;
  readonly label: string;
  readonly kdf: { readonly name: 'PBKDF2-HMAC-SHA512'; readonly iterations: number; readonly salt: string };
  /** Base64 iv ‖ ciphertext ‖ tag (aesGcm.ts), AAD = `kexin:kek:v1:<id>`. */
  readonly sealed: string;
  readonly createdAt: string;
}

const kekAad = (id: string) => Buffer.from(`kexin:kek:v1:${id}`, 'utf8');

export function createFileKeyStore(options: FileKeyStoreOptions): KeyStore {
  const { dir, passphrase, logger } = options;
  if (typeof dir !== 'string' || dir === '') throw new TypeError('createFileKeyStore: dir is required');
  if (typeof passphrase !== 'string' || passphrase === '') throw new TypeError('createFileKeyStore: passphrase is required');
  const iterations = options.kdfIterations ?? DEFAULT_KDF_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 10_000) throw new TypeError('createFileKeyStore: kdfIterations must be an integer ≥ 10000');

  const infos = new Map<string, KeyInfo>();
  const privateKeys = new Map<string, Promise<KeyObject>>();
  let ready: Promise<void> | undefined;
  let closed = false;
  const init = () => {
    if (!ready) {
      ready = ensurePrivateDir(dir, logger);
      ready.catch(() => (ready = undefined)); // a failed mkdir/chmod is retried on the next call
    }
    return ready;
  };
  const assertOpen = () => {
    if (closed) throw new TypeError('file key store is closed');
  };

  const notFound = (id: string) => new KexinError('KEY_NOT_FOUND', `no key ${id} in the store`, 404);

  async function loadInfo(id: string): Promise<KeyInfo> {
    const cached = infos.get(id);
    if (cached) return cached;
    if (!ID_PATTERN.test(id)) throw notFound(id); // also keeps ids from naming paths outside dir
    let raw: string;
    try {
      raw = await readFile(join(dir, `${id}.json`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(id);
      throw err;
    }
    let meta: KeyMetadata;
    try {
      meta = JSON.parse(raw) as KeyMetadata;
    } catch (err) {
      throw new KexinError('KEY_STORE_CORRUPT', `key metadata ${join(dir, `${id}.json`)} is not JSON`, 500, undefined, { cause: err });
    }
    if (meta.version !== 1 || meta.id !== id || !KEY_ALGORITHMS.includes(meta.algorithm) || typeof meta.spki !== 'string') {
      throw new KexinError('KEY_STORE_CORRUPT', `key metadata ${join(dir, `${id}.json`)} is invalid`, 500);
    }
    const info: KeyInfo = Object.freeze({
      id,
      algorithm: meta.algorithm,
      label: String(meta.label),
      backend: 'file' as const,
      publicKeySpki: new Uint8Array(Buffer.from(meta.spki, 'base64')),
    });
    infos.set(id, info);
    return info;
  }

  async function decryptKey(info: KeyInfo): Promise<KeyObject> {
    const path = join(dir, `${info.id}.p8`);
    let pem: Buffer;
    try {
      pem = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new KexinError('KEY_STORE_CORRUPT', `key ${info.id} has metadata but no private key file ${path}`, 500);
      }
      throw err;
    }
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem', type: 'pkcs8', passphrase });
    } catch (err) {
      // OpenSSL's message ("bad decrypt", "unsupported") is not for operators; say what happened instead.
      throw new KexinError(
        'KEY_STORE_LOCKED',
        `cannot decrypt key file ${path}: wrong key-store passphrase or damaged file`,
        503,
        undefined,
        { cause: err },
      );
    }
    const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
    if (!Buffer.from(spki).equals(Buffer.from(info.publicKeySpki))) {
      throw new KexinError('KEY_STORE_CORRUPT', `key file ${path} does not match the public key in ${info.id}.json`, 500);
    }
    return key;
  }

  const wrappingKeys = new Map<string, Promise<Buffer>>();
  async function loadWrappingKey(id: string): Promise<Buffer> {
    if (!ID_PATTERN.test(id)) throw notFound(id);
    const path = join(dir, `${id}.kek`);
    let file: WrappingKeyFile;
    try {
      file = JSON.parse(await readFile(path, 'utf8')) as WrappingKeyFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(id);
      throw new KexinError('KEY_STORE_CORRUPT', `wrapping key file ${path} is not readable JSON`, 500, undefined, { cause: err });
    }
    if (file.version !== 1 || file.id !== id || file.kdf?.name !== 'PBKDF2-HMAC-SHA512') {
      throw new KexinError('KEY_STORE_CORRUPT', `wrapping key file ${path} is invalid`, 500);
    }
    const kek = await pbkdf2Async(passphrase, Buffer.from(file.kdf.salt, 'base64'), file.kdf.iterations, 32, 'sha512');
    try {
      return aesGcmOpen(kek, Buffer.from(file.sealed, 'base64'), kekAad(id));
    } catch (err) {
      throw new KexinError('KEY_STORE_LOCKED', `cannot open wrapping key ${path}: wrong key-store passphrase or damaged file`, 503, undefined, { cause: err });
    }
  }
  function wrappingKey(id: string): Promise<Buffer> {
    let p = wrappingKeys.get(id);
    if (!p) {
      p = loadWrappingKey(id);
      wrappingKeys.set(id, p);
      p.catch(() => wrappingKeys.delete(id));
    }
    return p;
  }

  function privateKeyFor(info: KeyInfo): Promise<KeyObject> {
    let p = privateKeys.get(info.id);
    if (!p) {
      p = decryptKey(info);
      privateKeys.set(info.id, p);
      p.catch(() => privateKeys.delete(info.id)); // a failed unlock is retried next time
    }
    return p;
  }

  return {
    backend: 'file',
    algorithms: ALL_KEY_ALGORITHMS,
    async createKey(algorithm: KeyAlgorithm, label: string) {
      assertOpen();
      if (!KEY_ALGORITHMS.includes(algorithm)) {
        throw new KexinError('KEY_ALGORITHM_UNSUPPORTED', `unknown key algorithm ${String(algorithm)}`, 400);
      }
      if (typeof label !== 'string') throw new TypeError('label must be a string');
      await init();
      const { privateKey, publicKey } = generateKeyObject(algorithm);
      const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
      const id = randomUUID();
      const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
      const encrypted = await encryptPkcs8(pkcs8, passphrase, iterations);
      pkcs8.fill(0);
      const meta: KeyMetadata = {
        version: 1,
        id,
        algorithm,
        label,
        spki: Buffer.from(spki).toString('base64'),
        createdAt: new Date().toISOString(),
      };
      // Private key first: metadata is what makes a key visible, so a crash never leaves a key without its secret.
      await writeFileAtomic(join(dir, `${id}.p8`), toPem('ENCRYPTED PRIVATE KEY', encrypted));
      await writeFileAtomic(join(dir, `${id}.json`), `${JSON.stringify(meta, null, 2)}\n`);
      await syncDir(dir);
      const info: KeyInfo = Object.freeze({ id, algorithm, label, backend: 'file' as const, publicKeySpki: spki });
      infos.set(id, info);
      privateKeys.set(id, Promise.resolve(privateKey));
      return info;
    },
    async getKey(id: string) {
      assertOpen();
      return loadInfo(id);
    },
    async sign(id: string, scheme: SignatureScheme, data: Uint8Array, signOptions?: SignOptions) {
      assertOpen();
      const info = await loadInfo(id);
      if (!schemesFor(info.algorithm).includes(scheme)) {
        throw new TypeError(`key ${id} (${info.algorithm}) cannot sign with ${scheme}`);
      }
      const key = await privateKeyFor(info);
      return signWithKeyObject(key, scheme, data, signOptions);
    },
    async createWrappingKey(label: string) {
      assertOpen();
      await init();
      const id = randomUUID();
      const key = randomBytes(32);
      const salt = randomBytes(16);
      const kek = await pbkdf2Async(passphrase, salt, iterations, 32, 'sha512');
      const file: WrappingKeyFile = {
        version: 1, id, label: String(label),
        kdf: { name: 'PBKDF2-HMAC-SHA512', iterations, salt: salt.toString('base64') },
        sealed: aesGcmSeal(kek, key, kekAad(id)).toString('base64'),
        createdAt: new Date().toISOString(),
      };
      await writeFileAtomic(join(dir, `${id}.kek`), `${JSON.stringify(file, null, 2)}\n`);
      await syncDir(dir);
      wrappingKeys.set(id, Promise.resolve(key));
      return id;
    },
    async wrap(id, plaintext, aad) {
      assertOpen();
      return aesGcmSeal(await wrappingKey(id), plaintext, aad);
    },
    async unwrap(id, wrapped, aad) {
      assertOpen();
      return aesGcmOpen(await wrappingKey(id), wrapped, aad);
    },
    async close() {
      closed = true;
      infos.clear();
      privateKeys.clear();
      wrappingKeys.clear();
    },
  };
}

export interface ResolvePassphraseOptions {
  /** The key directory; a generated passphrase is kept in `<dir>/.passphrase`. */
  readonly dir: string;
  /** The operator-configured passphrase (e.g. from KEXIN_KEY_PASSPHRASE), if any. */
  readonly configured?: string | undefined;
  readonly logger: KeyStoreLogger;
}

/**
 * The passphrase for the file key store: the configured one, or else one generated once (32 random
 * bytes, base64url) and kept 0600 in `<dir>/.passphrase` — with a warning on every start, because a
 * passphrase beside the keys protects them only against someone who copies the key files alone.
 */
export async function resolveFilePassphrase(options: ResolvePassphraseOptions): Promise<string> {
  const { dir, configured, logger } = options;
  if (configured !== undefined && configured !== '') return configured;
  await ensurePrivateDir(dir, logger);
  const path = join(dir, '.passphrase');
  let passphrase: string;
  try {
    passphrase = (await readFile(path, 'utf8')).trim();
    if (passphrase === '') throw new KexinError('KEY_STORE_LOCKED', `passphrase file ${path} is empty`, 503);
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0) {
      await chmod(path, 0o600);
      logger.warn(`key-store passphrase file ${path} was readable by group/others; mode reset to 0600`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    passphrase = randomBytes(32).toString('base64url');
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(`${passphrase}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      passphrase = (await readFile(path, 'utf8')).trim();
    }
  }
  logger.warn(
    `no key-store passphrase configured: private keys in ${dir} are encrypted with a generated passphrase stored beside them in ${path}; ` +
      'configure a passphrase (or a PKCS#11 token) so a copy of the directory does not expose the keys',
  );
  return passphrase;
}
