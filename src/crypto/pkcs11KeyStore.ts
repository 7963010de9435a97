/**
 * A key store on a PKCS#11 token (HSM, smart card, SoftHSM) through `pkcs11js`. Keys are generated in
 * the token as non-extractable, sensitive token objects; the store only ever asks the token to sign.
 *
 * Mapping: KeyInfo.id is a random UUID whose 16 bytes are the key pair's `CKA_ID`; `CKA_LABEL` is the
 * human label. After a restart a key is found again by `CKA_ID`, and its algorithm and SPKI are rebuilt
 * from the public key object's attributes.
 *
 * Wrapping keys (`KeyWrapper`) are AES-256 secret-key objects generated in the token (sensitive,
 * non-extractable, CKA_ID = the id's bytes); wrap/unwrap are C_Encrypt/C_Decrypt with CKM_AES_GCM.
 *
 * Sessions: one read/write session, logged in as the user, and every token call is serialised on it
 * (a PKCS#11 session supports one operation at a time). The loaded module is shared per library path
 * across store instances and finalised when the last one closes.
 */
import { createHash, createPublicKey, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Pkcs11Types from 'pkcs11js';
import { KexinError } from '../errors.ts';
import { ALL_KEY_ALGORITHMS, type KeyAlgorithm, type KeyInfo, type KeyStore, type SignatureScheme, type SignOptions } from './keyStore.ts';
import { SCHEMES, schemesFor } from './signatures.ts';
import { unwrapFailed } from './aesGcm.ts';

type Pkcs11Module = typeof Pkcs11Types;
const pkcs11 = createRequire(import.meta.url)('pkcs11js') as Pkcs11Module;
type Handle = Buffer;

// PKCS#11 v3.0 values pkcs11js 2.1 does not name.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;

export interface Pkcs11KeyStoreOptions {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly library: string;
  /** Slot by index in the list of slots with a token present, or by its id. Either this or `tokenLabel`. */
  readonly slot?: number;
  /** Token by label (trailing padding ignored). */
  readonly tokenLabel?: string;
  /** User PIN. */
  readonly pin: string;
}

/** The CKA_ID of a key id (the UUID's 16 bytes), or undefined when `id` is not a UUID. */
export function pkcs11IdOf(id: string): Buffer | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return undefined;
  return Buffer.from(id.replaceAll('-', ''), 'hex');
}

const CURVES = {
  'ECDSA-P256': { oidDer: Buffer.from('06082a8648ce3d030107', 'hex'), jwkCrv: 'P-256', fieldBytes: 32 },
  'ECDSA-P384': { oidDer: Buffer.from('06052b81040022', 'hex'), jwkCrv: 'P-384', fieldBytes: 48 },
} as const;
const ED25519_OID_DER = Buffer.from('06032b6570', 'hex');
// SoftHSM ≤2.6 and some tokens also accept / report the curve as PrintableString "edwards25519".
const ED25519_PRINTABLE_DER = Buffer.concat([Buffer.from([0x13, 12]), Buffer.from('edwards25519')]);

/** Shared, reference-counted loaded modules: C_Initialize/C_Finalize are per process, not per store. */
const modules = new Map<string, { p11: Pkcs11Types.PKCS11; refs: number; pins: Map<string, string> }>();

function acquireModule(library: string): Pkcs11Types.PKCS11 {
  const existing = modules.get(library);
  if (existing) {
    existing.refs++;
    return existing.p11;
  }
  const p11 = new pkcs11.PKCS11();
  try {
    p11.load(library);
  } catch (err) {
    throw new KexinError('KEY_STORE_UNAVAILABLE', `cannot load PKCS#11 library ${library}`, 503, undefined, { cause: err });
  }
  try {
    p11.C_Initialize();
  } catch (err) {
    if (!(err instanceof pkcs11.Pkcs11Error && err.code === pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
      throw new KexinError('KEY_STORE_UNAVAILABLE', `C_Initialize failed for ${library}`, 503, undefined, { cause: err });
    }
  }
  modules.set(library, { p11, refs: 1, pins: new Map() });
  return p11;
}

function releaseModule(library: string): void {
  const m = modules.get(library);
  if (!m) return;
  if (--m.refs > 0) return;
  modules.delete(library);
  try {
    m.p11.C_Finalize();
  } finally {
    m.p11.close();
  }
}

/** Raw r‖s (each `size` bytes) → DER Ecdsa-Sig-Value. */
export function rawEcdsaToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new TypeError('raw ECDSA signature must be r‖s of equal lengths');
  const half = raw.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    const body = v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : Buffer.from(v);
    return Buffer.concat([Buffer.from([0x02]), derLength(body.length), body]);
  };
  const body = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]));
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}

/** CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 §2.3.3); some tokens return it bare. */
function unwrapEcPoint(value: Buffer, pointLength: number): Buffer {
  if (value.length === pointLength) return value;
  if (value[0] === 0x04) {
    let off = 2;
    let len = value[1];
    if (len === 0x81) {
      len = value[2];
      off = 3;
    } else if (len === 0x82) {
      len = (value[2] << 8) | value[3];
      off = 4;
    }
    if (off + len === value.length && len === pointLength) return value.subarray(off);
  }
  throw new KexinError('KEY_STORE_CORRUPT', 'token returned a CKA_EC_POINT of unexpected form', 500);
}

/** The CKR_* name of a PKCS#11 return value, for messages. */
function ckrName(code: number): string {
  const name = Object.keys(pkcs11).find((k) => k.startsWith('CKR_') && (pkcs11 as unknown as Record<string, unknown>)[k] === code);
  return name ?? `CKR 0x${code.toString(16)}`;
}

const b64u = (b: Buffer) => b.toString('base64url');
/** A CK_ULONG attribute or handle (native-endian, 4 or 8 bytes) as a number. */
const ulong = (b: Buffer) => (b.length === 8 ? Number(b.readBigUInt64LE(0)) : b.readUIntLE(0, b.length));

export function createPkcs11KeyStore(options: Pkcs11KeyStoreOptions): KeyStore {
  const { library, pin } = options;
  if (typeof library !== 'string' || library === '') throw new TypeError('createPkcs11KeyStore: library is required');
  if (typeof pin !== 'string') throw new TypeError('createPkcs11KeyStore: pin is required');
  if ((options.slot === undefined) === (options.tokenLabel === undefined)) {
    throw new TypeError('createPkcs11KeyStore: give exactly one of slot or tokenLabel');
  }

  const p11 = acquireModule(library);
  let session: Handle;
  let slot: Handle;
  let mechanisms: Set<number>;

  /** Opens a R/W session on `slot` and logs the user in (or checks the PIN against the earlier login). */
  function openLoggedInSession(): Handle {
    const s = p11.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
    // Login state belongs to the application, not the session: when another store on the same token is
    // already logged in, C_Login cannot check this PIN, so compare it with the one that logged in.
    const pins = modules.get(library)!.pins;
    const slotKey = slot.toString('hex');
    const known = pins.get(slotKey);
    const samePin = (a: string, b: string) =>
      timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
    try {
      p11.C_Login(s, pkcs11.CKU_USER, pin);
      pins.set(slotKey, pin);
    } catch (err) {
      const alreadyIn = err instanceof pkcs11.Pkcs11Error && err.code === pkcs11.CKR_USER_ALREADY_LOGGED_IN;
      if (alreadyIn && known !== undefined && !samePin(known, pin)) {
        p11.C_CloseSession(s);
        throw new KexinError('KEY_STORE_LOCKED', `PKCS#11 login refused: wrong user PIN for the token in ${library}`, 503);
      }
      if (!alreadyIn) {
        p11.C_CloseSession(s);
        const wrongPin = err instanceof pkcs11.Pkcs11Error && (err.code === pkcs11.CKR_PIN_INCORRECT || err.code === pkcs11.CKR_PIN_LOCKED);
        throw new KexinError(
          'KEY_STORE_LOCKED',
          wrongPin ? `PKCS#11 login refused: wrong or locked user PIN for the token in ${library}` : `PKCS#11 login failed for ${library}`,
          503,
          undefined,
          { cause: err },
        );
      }
    }
    return s;
  }

  try {
    const slots = p11.C_GetSlotList(true);
    let found: Handle | undefined;
    if (options.tokenLabel !== undefined) {
      found = slots.find((s) => p11.C_GetTokenInfo(s).label.trim() === options.tokenLabel);
      if (!found) throw new KexinError('KEY_STORE_UNAVAILABLE', `no PKCS#11 token labelled "${options.tokenLabel}" in ${library}`, 503);
    } else {
      const n = options.slot!;
      found = slots[n] ?? slots.find((s) => ulong(s) === n);
      if (!found) throw new KexinError('KEY_STORE_UNAVAILABLE', `no PKCS#11 slot ${n} with a token in ${library}`, 503);
    }
    slot = found;
    mechanisms = new Set(p11.C_GetMechanismList(slot));
    session = openLoggedInSession();
  } catch (err) {
    releaseModule(library);
    throw err;
  }

  // One operation at a time on the session.
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  function serial<T>(fn: () => Promise<T> | T): Promise<T> {
    if (closed) return Promise.reject(new TypeError('PKCS#11 key store is closed'));
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  }

  const infos = new Map<string, KeyInfo & { privateHandle: Handle }>();
  const notFound = (id: string) => new KexinError('KEY_NOT_FOUND', `no key ${id} on the token`, 404);

  function findOne(cls: number, ckaId: Buffer): Handle | undefined {
    p11.C_FindObjectsInit(session, [
      { type: pkcs11.CKA_CLASS, value: cls },
      { type: pkcs11.CKA_ID, value: ckaId },
    ]);
    try {
      const found = p11.C_FindObjects(session, 2);
      if (found.length > 1) throw new KexinError('KEY_STORE_CORRUPT', `more than one object with CKA_ID ${ckaId.toString('hex')}`, 500);
      return found[0];
    } finally {
      p11.C_FindObjectsFinal(session);
    }
  }

  function publicFacts(pub: Handle): { algorithm: KeyAlgorithm; spki: Uint8Array; label: string } {
    const [keyType, label] = p11.C_GetAttributeValue(session, pub, [{ type: pkcs11.CKA_KEY_TYPE }, { type: pkcs11.CKA_LABEL }]);
    const kt = ulong(keyType.value as Buffer);
    const labelText = label.value ? (label.value as Buffer).toString('utf8') : '';
    let jwk: Record<string, string>;
    let algorithm: KeyAlgorithm;
    if (kt === pkcs11.CKK_RSA) {
      const [n, e] = p11.C_GetAttributeValue(session, pub, [{ type: pkcs11.CKA_MODULUS }, { type: pkcs11.CKA_PUBLIC_EXPONENT }]);
      const mod = n.value as Buffer;
      const bits = mod.length * 8 - Math.clz32(mod[0]) + 24;
      if (bits === 2048) algorithm = 'RSA-2048';
      else if (bits === 3072) algorithm = 'RSA-3072';
      else throw new KexinError('KEY_STORE_KEY_UNSUPPORTED', `token RSA key of ${bits} bits is not a Kexin key size`, 500);
      jwk = { kty: 'RSA', n: b64u(mod), e: b64u(e.value as Buffer) };
    } else if (kt === pkcs11.CKK_EC || kt === CKK_EC_EDWARDS) {
      const [params, point] = p11.C_GetAttributeValue(session, pub, [{ type: pkcs11.CKA_EC_PARAMS }, { type: pkcs11.CKA_EC_POINT }]);
      const ecParams = params.value as Buffer;
      if (kt === CKK_EC_EDWARDS) {
        if (!ecParams.equals(ED25519_OID_DER) && !ecParams.equals(ED25519_PRINTABLE_DER)) {
          throw new KexinError('KEY_STORE_KEY_UNSUPPORTED', 'token Edwards key is not on edwards25519', 500);
        }
        algorithm = 'Ed25519';
        jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(unwrapEcPoint(point.value as Buffer, 32)) };
      } else {
        const entry = (Object.entries(CURVES) as [keyof typeof CURVES, (typeof CURVES)[keyof typeof CURVES]][]).find(([, c]) => c.oidDer.equals(ecParams));
        if (!entry) throw new KexinError('KEY_STORE_KEY_UNSUPPORTED', `token EC key on curve ${ecParams.toString('hex')} is not a Kexin curve`, 500);
        const [alg, curve] = entry;
        algorithm = alg;
        const p = unwrapEcPoint(point.value as Buffer, 1 + 2 * curve.fieldBytes);
        if (p[0] !== 0x04) throw new KexinError('KEY_STORE_CORRUPT', 'token EC point is not uncompressed', 500);
        jwk = { kty: 'EC', crv: curve.jwkCrv, x: b64u(p.subarray(1, 1 + curve.fieldBytes)), y: b64u(p.subarray(1 + curve.fieldBytes)) };
      }
    } else {
      throw new KexinError('KEY_STORE_KEY_UNSUPPORTED', `token key type 0x${kt.toString(16)} is not supported`, 500);
    }
    const spki = new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'spki' }));
    return { algorithm, spki, label: labelText };
  }

  function lookup(id: string): KeyInfo & { privateHandle: Handle } {
    const cached = infos.get(id);
    if (cached) return cached;
    const ckaId = pkcs11IdOf(id);
    if (!ckaId) throw notFound(id);
    const priv = findOne(pkcs11.CKO_PRIVATE_KEY, ckaId);
    const pub = findOne(pkcs11.CKO_PUBLIC_KEY, ckaId);
    if (!priv || !pub) throw notFound(id);
    const facts = publicFacts(pub);
    const info = Object.freeze({ id, algorithm: facts.algorithm, label: facts.label, backend: 'pkcs11' as const, publicKeySpki: facts.spki, privateHandle: priv });
    infos.set(id, info);
    return info;
  }

  const publicInfo = (k: KeyInfo): KeyInfo =>
    Object.freeze({ id: k.id, algorithm: k.algorithm, label: k.label, backend: k.backend, publicKeySpki: k.publicKeySpki });

  function unsupported(algorithm: string, why: string): KexinError {
    return new KexinError('KEY_ALGORITHM_UNSUPPORTED', `the PKCS#11 token cannot hold ${algorithm} keys: ${why}`, 400);
  }

  async function generate(algorithm: KeyAlgorithm, label: string): Promise<KeyInfo> {
    const id = randomUUID();
    const ckaId = pkcs11IdOf(id)!;
    let mechanism: number;
    let keyType: number;
    const pubAttrs: Pkcs11Types.Template = [];
    switch (algorithm) {
      case 'ECDSA-P256':
      case 'ECDSA-P384':
        mechanism = pkcs11.CKM_EC_KEY_PAIR_GEN;
        keyType = pkcs11.CKK_EC;
        pubAttrs.push({ type: pkcs11.CKA_EC_PARAMS, value: CURVES[algorithm].oidDer });
        break;
      case 'RSA-2048':
      case 'RSA-3072':
        mechanism = pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN;
        keyType = pkcs11.CKK_RSA;
        pubAttrs.push(
          { type: pkcs11.CKA_MODULUS_BITS, value: algorithm === 'RSA-2048' ? 2048 : 3072 },
          { type: pkcs11.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        );
        break;
      case 'Ed25519':
        if (!mechanisms.has(CKM_EC_EDWARDS_KEY_PAIR_GEN) || !mechanisms.has(CKM_EDDSA)) {
          throw unsupported('Ed25519', 'it lacks CKM_EC_EDWARDS_KEY_PAIR_GEN/CKM_EDDSA');
        }
        mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
        keyType = CKK_EC_EDWARDS;
        pubAttrs.push({ type: pkcs11.CKA_EC_PARAMS, value: ED25519_OID_DER });
        break;
      case 'SM2':
        throw unsupported('SM2', 'PKCS#11 defines no standard SM2 mechanism and this token (e.g. SoftHSM) implements none; use the file key store for SM2');
      default:
        throw new KexinError('KEY_ALGORITHM_UNSUPPORTED', `unknown key algorithm ${String(algorithm)}`, 400);
    }
    if (!mechanisms.has(mechanism)) throw unsupported(algorithm, `it lacks mechanism 0x${mechanism.toString(16)}`);
    const common: Pkcs11Types.Template = [
      { type: pkcs11.CKA_KEY_TYPE, value: keyType },
      { type: pkcs11.CKA_TOKEN, value: true },
      { type: pkcs11.CKA_ID, value: ckaId },
      { type: pkcs11.CKA_LABEL, value: label },
    ];
    const publicTemplate: Pkcs11Types.Template = [
      { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PUBLIC_KEY },
      ...common,
      { type: pkcs11.CKA_PRIVATE, value: false },
      { type: pkcs11.CKA_VERIFY, value: true },
      ...pubAttrs,
    ];
    const privateTemplate: Pkcs11Types.Template = [
      { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
      ...common,
      { type: pkcs11.CKA_PRIVATE, value: true },
      { type: pkcs11.CKA_SENSITIVE, value: true },
      { type: pkcs11.CKA_EXTRACTABLE, value: false },
      { type: pkcs11.CKA_SIGN, value: true },
    ];
    const pair = await p11.C_GenerateKeyPairAsync(session, { mechanism }, publicTemplate, privateTemplate);
    const facts = publicFacts(pair.publicKey);
    const info = Object.freeze({ id, algorithm, label, backend: 'pkcs11' as const, publicKeySpki: facts.spki, privateHandle: pair.privateKey });
    infos.set(id, info);
    return publicInfo(info);
  }

  const secretKeys = new Map<string, Handle>();
  function secretKey(id: string): Handle {
    const cached = secretKeys.get(id);
    if (cached) return cached;
    const ckaId = pkcs11IdOf(id);
    const h = ckaId ? findOne(pkcs11.CKO_SECRET_KEY, ckaId) : undefined;
    if (!h) throw new KexinError('KEY_NOT_FOUND', `no wrapping key ${id} on the token`, 404);
    secretKeys.set(id, h);
    return h;
  }
  const gcm = (iv: Buffer, aad: Uint8Array): Pkcs11Types.Mechanism => ({
    mechanism: pkcs11.CKM_AES_GCM,
    parameter: { type: pkcs11.CK_PARAMS_AES_GCM, iv, aad: Buffer.from(aad), ivBits: 96, tagBits: 128 } as Pkcs11Types.AesGCM,
  });

  async function signWith(key: KeyInfo & { privateHandle: Handle }, scheme: SignatureScheme, data: Uint8Array): Promise<Uint8Array> {
    const p = SCHEMES[scheme];
    const out = Buffer.alloc(1024);
    const run = async (mechanism: Pkcs11Types.Mechanism, input: Buffer) => {
      p11.C_SignInit(session, mechanism, key.privateHandle);
      return p11.C_SignAsync(session, input, out);
    };
    switch (p.family) {
      case 'ECDSA': {
        // CKM_ECDSA signs a pre-computed digest and returns raw r‖s; X.509 wants DER. A digest longer
        // than the group order (P-256 with SHA-384/512) is truncated to its leftmost bytes here, as ECDSA
        // prescribes (both orders are whole bytes), rather than trusting every token to do it.
        const orderBytes = key.algorithm === 'ECDSA-P384' ? 48 : 32;
        const digest = createHash(p.hash!).update(data).digest().subarray(0, orderBytes);
        return rawEcdsaToDer(await run({ mechanism: pkcs11.CKM_ECDSA }, digest));
      }
      case 'RSA-PSS': {
        const sha384 = p.hash === 'sha384';
        const params: Pkcs11Types.RsaPSS = {
          type: pkcs11.CK_PARAMS_RSA_PSS,
          hashAlg: sha384 ? pkcs11.CKM_SHA384 : pkcs11.CKM_SHA256,
          mgf: sha384 ? pkcs11.CKG_MGF1_SHA384 : pkcs11.CKG_MGF1_SHA256,
          saltLen: sha384 ? 48 : 32,
        };
        const mech = sha384 ? pkcs11.CKM_SHA384_RSA_PKCS_PSS : pkcs11.CKM_SHA256_RSA_PKCS_PSS;
        return new Uint8Array(await run({ mechanism: mech, parameter: params }, Buffer.from(data)));
      }
      case 'RSA-PKCS1': {
        const mech = p.hash === 'sha384' ? pkcs11.CKM_SHA384_RSA_PKCS : pkcs11.CKM_SHA256_RSA_PKCS;
        return new Uint8Array(await run({ mechanism: mech }, Buffer.from(data)));
      }
      case 'Ed25519':
        return new Uint8Array(await run({ mechanism: CKM_EDDSA }, Buffer.from(data)));
      case 'SM2':
        throw unsupported('SM2', 'no SM2 mechanism');
    }
  }

  /** Return values after which the session (or its login) is gone: reopen once and retry. */
  const SESSION_LOST = new Set([
    pkcs11.CKR_SESSION_HANDLE_INVALID,
    pkcs11.CKR_SESSION_CLOSED,
    pkcs11.CKR_USER_NOT_LOGGED_IN,
    pkcs11.CKR_DEVICE_REMOVED,
    pkcs11.CKR_TOKEN_NOT_PRESENT,
  ]);
  /** Object handles go stale when the object is destroyed or the session changes: look the key up again. */
  const HANDLE_STALE = new Set([pkcs11.CKR_KEY_HANDLE_INVALID, pkcs11.CKR_OBJECT_HANDLE_INVALID]);

  /**
   * Runs `fn` on the session, serialised. A lost session is reopened (and logged in) once; a stale key
   * handle is looked up again once. Other token failures become KEY_STORE_UNAVAILABLE naming the CKR.
   */
  function tokenCall<T>(operation: string, fn: () => Promise<T> | T): Promise<T> {
    return serial(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn();
        } catch (err) {
          if (err instanceof KexinError || err instanceof TypeError) throw err;
          const code = err instanceof pkcs11.Pkcs11Error ? err.code : undefined;
          if (attempt === 0 && code !== undefined && (SESSION_LOST.has(code) || HANDLE_STALE.has(code))) {
            infos.clear();
            secretKeys.clear();
            if (SESSION_LOST.has(code)) {
              try {
                p11.C_CloseSession(session);
              } catch {
                // already gone
              }
              session = openLoggedInSession();
            }
            continue;
          }
          const name = code !== undefined ? ckrName(code) : undefined;
          throw new KexinError('KEY_STORE_UNAVAILABLE', `PKCS#11 ${operation} failed${name ? ` (${name})` : ''}`, 503, undefined, { cause: err });
        }
      }
    });
  }

  return {
    backend: 'pkcs11',
    // PKCS#11 (v2.40, 3.0) defines no SM2 mechanism; everything else is created in the token.
    algorithms: ALL_KEY_ALGORITHMS.filter((a) => a !== 'SM2'),
    createKey(algorithm: KeyAlgorithm, label: string) {
      if (typeof label !== 'string') return Promise.reject(new TypeError('label must be a string'));
      return tokenCall(`key generation (${algorithm})`, () => generate(algorithm, label));
    },
    getKey(id: string) {
      return tokenCall('key lookup', () => publicInfo(lookup(id)));
    },
    sign(id: string, scheme: SignatureScheme, data: Uint8Array, _options?: SignOptions) {
      return tokenCall(`signing (${scheme})`, async () => {
        const key = lookup(id);
        if (!schemesFor(key.algorithm).includes(scheme)) {
          throw new TypeError(`key ${id} (${key.algorithm}) cannot sign with ${scheme}`);
        }
        return signWith(key, scheme, data);
      });
    },
    createWrappingKey(label: string) {
      return tokenCall('wrapping key generation', () => {
        if (!mechanisms.has(pkcs11.CKM_AES_KEY_GEN) || !mechanisms.has(pkcs11.CKM_AES_GCM)) {
          throw new KexinError('KEY_ALGORITHM_UNSUPPORTED', 'the PKCS#11 token lacks CKM_AES_KEY_GEN/CKM_AES_GCM for wrapping keys', 400);
        }
        const id = randomUUID();
        const h = p11.C_GenerateKey(session, { mechanism: pkcs11.CKM_AES_KEY_GEN }, [
          { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_SECRET_KEY },
          { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_AES },
          { type: pkcs11.CKA_VALUE_LEN, value: 32 },
          { type: pkcs11.CKA_TOKEN, value: true },
          { type: pkcs11.CKA_PRIVATE, value: true },
          { type: pkcs11.CKA_SENSITIVE, value: true },
          { type: pkcs11.CKA_EXTRACTABLE, value: false },
          { type: pkcs11.CKA_ENCRYPT, value: true },
          { type: pkcs11.CKA_DECRYPT, value: true },
          { type: pkcs11.CKA_ID, value: pkcs11IdOf(id)! },
          { type: pkcs11.CKA_LABEL, value: label },
        ]);
        secretKeys.set(id, h);
        return id;
      });
    },
    wrap(id: string, plaintext: Uint8Array, aad: Uint8Array) {
      return tokenCall('wrap (AES-GCM)', () => {
        const iv = randomBytes(12);
        p11.C_EncryptInit(session, gcm(iv, aad), secretKey(id));
        const out = p11.C_Encrypt(session, Buffer.from(plaintext), Buffer.alloc(plaintext.length + 16));
        return new Uint8Array(Buffer.concat([iv, out]));
      });
    },
    unwrap(id: string, wrapped: Uint8Array, aad: Uint8Array) {
      return tokenCall('unwrap (AES-GCM)', () => {
        if (wrapped.length < 28) throw unwrapFailed();
        const w = Buffer.from(wrapped);
        p11.C_DecryptInit(session, gcm(w.subarray(0, 12), aad), secretKey(id));
        try {
          return new Uint8Array(p11.C_Decrypt(session, w.subarray(12), Buffer.alloc(w.length)));
        } catch (err) {
          // A wrong tag (altered data, wrong AAD or key) is CKR_ENCRYPTED_DATA_INVALID in the standard;
          // SoftHSM2 answers CKR_GENERAL_ERROR. Either way the stored bytes, not the token, are at fault.
          const tagMismatch = [pkcs11.CKR_ENCRYPTED_DATA_INVALID, pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE, pkcs11.CKR_GENERAL_ERROR, pkcs11.CKR_FUNCTION_FAILED];
          if (err instanceof pkcs11.Pkcs11Error && tagMismatch.includes(err.code)) throw unwrapFailed();
          throw err;
        }
      });
    },
    async close() {
      if (closed) return;
      const last = queue;
      closed = true;
      await last;
      infos.clear();
      try {
        if ((modules.get(library)?.refs ?? 0) <= 1) {
          try {
            p11.C_Logout(session); // login state is per application: only the last store logs out
          } catch {
            // already logged out
          }
        }
        p11.C_CloseSession(session);
      } finally {
        releaseModule(library);
      }
    },
  };
}

/** For tests and diagnostics: the raw PKCS#11 module handle shared by stores on `library`, if loaded. */
export function pkcs11ModuleFor(library: string): Pkcs11Types.PKCS11 | undefined {
  return modules.get(library)?.p11;
}
