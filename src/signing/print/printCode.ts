/**
 * The printed copy's verification code: a compact JWS (RFC 7515, ES256) signed by the print key, with
 * the document id, its short code, the SHA-256 and length of the original input (the first revision
 * of the sealed PDF, byte for byte), the seals' esIDs and the time. The QR code carries
 * `<public URL>/verify/documents/<id>#<JWS>`: any phone opens the registry page; a verifier holding
 * the print key's certificate (GET /verify/keys) checks the JWS offline.
 */
import { createHash } from 'node:crypto';
import * as jose from 'jose';
import { certificateParts, children, readWhole } from '../../crypto/der.ts';
import type { Signer } from '../../crypto/keyStore.ts';

export interface PrintPayload {
  /** Document id. */
  readonly d: string;
  /** Short code. */
  readonly c: string;
  /** base64url SHA-256 of the original (unsealed) document. */
  readonly h: string;
  /** Its length in bytes. */
  readonly n: number;
  /** Seal esIDs. */
  readonly s: readonly string[];
  /** Sealing time, seconds since the epoch. */
  readonly t: number;
}

const b64u = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

/** Key id of a certificate: first 12 bytes of SHA-256(DER), base64url. */
export function certificateKid(certDer: Uint8Array): string {
  return b64u(createHash('sha256').update(certDer).digest().subarray(0, 12));
}

/** DER Ecdsa-Sig-Value → JOSE r‖s (RFC 7518 §3.4), 32 bytes each for P-256. */
export function derToJoseSignature(der: Uint8Array, size = 32): Uint8Array {
  const [r, s] = children(readWhole(der, 'Ecdsa-Sig-Value')).map((t) => {
    let v = t.content;
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    const out = new Uint8Array(size);
    out.set(v, size - v.length);
    return out;
  });
  return Uint8Array.from([...r!, ...s!]);
}

export async function signPrintCode(signer: Signer, certificate: Uint8Array, payload: PrintPayload): Promise<string> {
  if (signer.scheme !== 'ECDSA-SHA256') throw new TypeError('the print key signs ES256');
  const header = b64u(JSON.stringify({ alg: 'ES256', typ: 'kexin-print+jwt', kid: certificateKid(certificate) }));
  const body = b64u(JSON.stringify(payload));
  const sig = await signer.sign(Buffer.from(`${header}.${body}`, 'latin1'));
  return `${header}.${body}.${b64u(derToJoseSignature(sig))}`;
}

/** The print keys as a JWKS (with x5c), for offline verifiers. */
export async function printJwks(keys: readonly { certificate: Uint8Array; chain: readonly Uint8Array[] }[]): Promise<{ keys: jose.JWK[] }> {
  return {
    keys: await Promise.all(keys.map(async (k) => {
      const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(k.certificate).toString('base64')}\n-----END CERTIFICATE-----`;
      const jwk = await jose.exportJWK(await jose.importX509(pem, 'ES256', { extractable: true }));
      return { ...jwk, kid: certificateKid(k.certificate), alg: 'ES256', use: 'sig', x5c: [k.certificate, ...k.chain].map((c) => Buffer.from(c).toString('base64')) };
    })),
  };
}

/** Verifies a print code against known print certificates; the payload, or undefined. */
export async function verifyPrintCode(jws: string, certificates: readonly Uint8Array[]): Promise<PrintPayload | undefined> {
  let kid: string | undefined;
  try { kid = jose.decodeProtectedHeader(jws).kid; } catch { return undefined; }
  const cert = certificates.find((c) => certificateKid(c) === kid);
  if (!cert) return undefined;
  try {
    const key = await jose.importSPKI(`-----BEGIN PUBLIC KEY-----\n${Buffer.from(certificateParts(cert).spki).toString('base64')}\n-----END PUBLIC KEY-----`, 'ES256');
    const { payload } = await jose.compactVerify(jws, key, { algorithms: ['ES256'] });
    return JSON.parse(Buffer.from(payload).toString('utf8')) as PrintPayload;
  } catch {
    return undefined;
  }
}
