/**
 * SM2 signatures with SM3 (GB/T 32918.2, GM/T 0009) through `sm-crypto-v2` (built on @noble/curves).
 * Node's crypto only does ECDSA on the SM2 curve, which is not an SM2 signature (no Z value, different
 * equation); it is used here only to generate, store and parse SM2 keys.
 *
 * Z_A and e = SM3(Z_A ‖ M) are computed here, on bytes, and handed to sm-crypto-v2 as the digest:
 * sm-crypto-v2 takes the user ID as a JS string and UTF-8-encodes it, which would corrupt any ID byte
 * ≥ 0x80. Verification parses the signature as strict DER and checks 1 ≤ r, s ≤ n−1 (GB/T 32918.2 §7.1
 * B1–B2) itself, since sm-crypto-v2's DER decoder is lenient.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { sm2 } from 'sm-crypto-v2';
import { SM2_DEFAULT_USER_ID } from './keyStore.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** GB/T 32918.5 recommended curve parameters a, b, G, and the order n. */
const CURVE_A = 'fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc';
const CURVE_B = '28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93';
const CURVE_GX = '32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7';
const CURVE_GY = 'bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0';
const CURVE_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

/**
 * The 32-byte private scalar of an SM2 private key, from the RFC 5915 ECPrivateKey inside its PKCS#8.
 * (Not `export({ type: 'sec1' })`: a key OpenSSL 3 has *parsed* from PKCS#8 is an SM2-type key, which
 * Node refuses to encode as SEC1 — only freshly generated ones are plain EC keys.)
 */
export function sm2PrivateScalarHex(privateKey: KeyObject): string {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const pki = asn1js.fromBER(new Uint8Array(der));
  if (pki.offset === -1) throw new TypeError('SM2 private key: PKCS#8 is not DER');
  const inner = (pki.result as asn1js.Sequence).valueBlock.value[2] as asn1js.OctetString;
  const ec = asn1js.fromBER(new Uint8Array(inner.valueBlock.valueHexView));
  if (ec.offset === -1) throw new TypeError('SM2 private key: ECPrivateKey is not DER');
  const octets = (ec.result as asn1js.Sequence).valueBlock.value[1] as asn1js.OctetString;
  return hex(new Uint8Array(octets.valueBlock.valueHexView)).padStart(64, '0');
}

/** Uncompressed public point (04‖X‖Y) as hex, from a DER SubjectPublicKeyInfo. */
export function sm2PublicPointHex(spki: Uint8Array): string {
  const parsed = asn1js.fromBER(spki);
  if (parsed.offset === -1) throw new TypeError('SPKI is not DER');
  const seq = parsed.result as asn1js.Sequence;
  const bits = seq.valueBlock.value[1] as asn1js.BitString;
  return hex(new Uint8Array(bits.valueBlock.valueHexView));
}

/**
 * e = SM3(Z_A ‖ M), Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2 §5.5, §6.1).
 * `publicPointHex` is the uncompressed point 04‖X‖Y.
 */
export function sm2MessageDigest(publicPointHex: string, data: Uint8Array, userId: Uint8Array = SM2_DEFAULT_USER_ID): Uint8Array {
  if (userId.length > 8191) throw new TypeError('SM2 user ID must be at most 8191 bytes (ENTL is 16 bits of bit length)');
  if (!/^04[0-9a-f]{128}$/i.test(publicPointHex)) throw new TypeError('SM2 public key must be an uncompressed 256-bit point');
  const entl = userId.length * 8;
  const z = createHash('sm3')
    .update(Buffer.from([entl >> 8, entl & 0xff]))
    .update(userId)
    .update(Buffer.from(CURVE_A + CURVE_B + CURVE_GX + CURVE_GY + publicPointHex.slice(2), 'hex'))
    .digest();
  return new Uint8Array(createHash('sm3').update(z).update(data).digest());
}

function signScalar(scalarHex: string, publicPointHex: string, data: Uint8Array, userId: Uint8Array, pointPool?: { k: bigint; x1: bigint }[]): Uint8Array {
  const e = sm2MessageDigest(publicPointHex, data, userId);
  const sigHex = sm2.doSignature(e, scalarHex, { der: true, hash: false, ...(pointPool ? { pointPool } : {}) });
  return Buffer.from(sigHex, 'hex');
}

export function sm2Sign(privateKey: KeyObject, data: Uint8Array, userId: Uint8Array = SM2_DEFAULT_USER_ID): Uint8Array {
  const publicPoint = sm2PublicPointHex(new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })));
  return signScalar(sm2PrivateScalarHex(privateKey), publicPoint, data, userId);
}

/**
 * Known-answer tests only: signs with a caller-chosen nonce `k`. Reusing or predicting k reveals the
 * private key; production code must call `sm2Sign`.
 */
export function sm2SignWithFixedNonceForTest(privateKey: KeyObject, data: Uint8Array, k: bigint, userId: Uint8Array = SM2_DEFAULT_USER_ID): Uint8Array {
  if (k <= 0n || k >= CURVE_N) throw new TypeError('k must be in [1, n-1]');
  const kG = sm2.getPublicKeyFromPrivateKey(k.toString(16).padStart(64, '0'));
  const x1 = BigInt(`0x${kG.slice(2, 66)}`);
  const publicPoint = sm2PublicPointHex(new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })));
  return signScalar(sm2PrivateScalarHex(privateKey), publicPoint, data, userId, [{ k, x1 }]);
}

/** (r, s) from a strict-DER Ecdsa-Sig-Value, or undefined when it is not one (trailing bytes, BER, negatives). */
export function parseSm2Signature(signature: Uint8Array): { r: bigint; s: bigint } | undefined {
  const parsed = asn1js.fromBER(signature);
  if (parsed.offset !== signature.length) return undefined;
  const seq = parsed.result;
  if (!(seq instanceof asn1js.Sequence) || seq.valueBlock.value.length !== 2) return undefined;
  const [ri, si] = seq.valueBlock.value;
  if (!(ri instanceof asn1js.Integer) || !(si instanceof asn1js.Integer)) return undefined;
  // Re-encoding must reproduce the input byte for byte: rejects non-minimal lengths and integers.
  if (!Buffer.from(seq.toBER()).equals(Buffer.from(signature))) return undefined;
  const big = (i: asn1js.Integer) => {
    const v = new Uint8Array(i.valueBlock.valueHexView);
    if (v.length === 0 || v[0] & 0x80) return -1n;
    if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) return -1n; // non-minimal
    return BigInt(`0x${hex(v)}`);
  };
  return { r: big(ri), s: big(si) };
}

/** Whether `spki` is an EC public key on the SM2 curve (id-ecPublicKey + sm2 curve, or the SM2 OID itself). */
export function isSm2Spki(spki: Uint8Array): boolean {
  const parsed = asn1js.fromBER(spki);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return false;
  const alg = parsed.result.valueBlock.value[0];
  if (!(alg instanceof asn1js.Sequence)) return false;
  const [oid, param] = alg.valueBlock.value;
  if (!(oid instanceof asn1js.ObjectIdentifier)) return false;
  const sm2Curve = '1.2.156.10197.1.301';
  if (oid.valueBlock.toString() === sm2Curve) return true;
  return oid.valueBlock.toString() === '1.2.840.10045.2.1' && param instanceof asn1js.ObjectIdentifier && param.valueBlock.toString() === sm2Curve;
}

export function sm2Verify(spki: Uint8Array, data: Uint8Array, signature: Uint8Array, userId: Uint8Array = SM2_DEFAULT_USER_ID): boolean {
  try {
    if (!isSm2Spki(spki)) return false; // e.g. an ECDSA P-256 key is not an SM2 key
    const rs = parseSm2Signature(signature);
    if (!rs) return false;
    const { r, s } = rs;
    if (r < 1n || r >= CURVE_N || s < 1n || s >= CURVE_N) return false;
    const publicPoint = sm2PublicPointHex(spki);
    const e = sm2MessageDigest(publicPoint, data, userId);
    const rsHex = r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0');
    return sm2.doVerifySignature(e, rsHex, publicPoint, { der: false, hash: false });
  } catch {
    return false; // malformed point or key: not a valid signature, never an exception
  }
}
