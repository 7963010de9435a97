/**
 * SM2 signatures with SM3 (GB/T 32918.2, GM/T 0009) through `sm-crypto-v2` (built on @noble/curves).
 * Node's crypto only does ECDSA on the SM2 curve, which is not an SM2 signature (no Z value, different
 * equation); it is used here only to generate, store and parse SM2 keys.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { sm2 } from 'sm-crypto-v2';
import { SM2_DEFAULT_USER_ID } from './keyStore.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = new TextDecoder('latin1');

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

export function sm2Sign(privateKey: KeyObject, data: Uint8Array, userId: Uint8Array = SM2_DEFAULT_USER_ID): Uint8Array {
  const publicPoint = sm2PublicPointHex(new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })));
  const sigHex = sm2.doSignature(data, sm2PrivateScalarHex(privateKey), {
    der: true,
    hash: true,
    publicKey: publicPoint,
    userId: ascii.decode(userId),
  });
  return Buffer.from(sigHex, 'hex');
}

export function sm2Verify(spki: Uint8Array, data: Uint8Array, signature: Uint8Array, userId: Uint8Array = SM2_DEFAULT_USER_ID): boolean {
  try {
    return sm2.doVerifySignature(data, hex(signature), sm2PublicPointHex(spki), {
      der: true,
      hash: true,
      userId: ascii.decode(userId),
    });
  } catch {
    return false; // malformed DER signature or point: not a valid signature, never an exception
  }
}
