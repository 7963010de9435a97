// Kexin e-card — the holder's side, for the holder page and for tests (one file, no imports, runs in
// browsers and in Node ≥ 20 on WebCrypto). The device key is a non-extractable ECDSA P-256 key: it
// signs the claim proof, each dynamic QR code and each SD-JWT key-binding JWT, and never leaves the
// device. Formats: see src/ecard/formats/dynamicQr.ts and docs/ecard.md.

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();

export const QR_PREFIX = 'KX1:';
export const QR_LIFETIME_S = 60;
export const PURPOSES = Object.freeze({ identity: 1, medical: 2, payment: 3 });
const ES256 = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN = { name: 'ECDSA', hash: 'SHA-256' };

/** base64url without padding (RFC 4648 §5). */
export function b64u(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function fromB64u(text) {
  const s = atob(text.replaceAll('-', '+').replaceAll('_', '/') + '==='.slice((text.length + 3) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** A new device key pair; the private key cannot be exported. */
export function generateDeviceKey() {
  return subtle.generateKey(ES256, false, ['sign', 'verify']);
}

/** The public key as the JWK the issuer binds (`cnf`). */
export async function deviceJwk(publicKey) {
  const j = await subtle.exportKey('jwk', publicKey);
  return { kty: 'EC', crv: 'P-256', x: j.x, y: j.y };
}

async function jws(header, payload, privateKey) {
  const input = `${b64u(te.encode(JSON.stringify(header)))}.${b64u(te.encode(JSON.stringify(payload)))}`;
  const sig = new Uint8Array(await subtle.sign(SIGN, privateKey, te.encode(input)));
  return `${input}.${b64u(sig)}`;
}

/** Proof of possession for the claim (OpenID4VCI §8.2.1.1 `jwt` proof type) over the server's nonce. */
export function signClaimProof({ privateKey, jwk, audience, nonce, iat = Math.floor(Date.now() / 1000) }) {
  return jws({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk }, { aud: audience, iat, nonce }, privateKey);
}

// ---- CBOR (RFC 8949), just what the QR presentation needs: ints, byte/text strings, arrays, maps.
function head(major, n) {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
function cbor(v, out = []) {
  if (typeof v === 'number') out.push(...(v >= 0 ? head(0, v) : head(1, -1 - v)));
  else if (v instanceof Uint8Array) { out.push(...head(2, v.length)); for (const b of v) out.push(b); }
  else if (typeof v === 'string') { const b = te.encode(v); out.push(...head(3, b.length)); for (const x of b) out.push(x); }
  else if (Array.isArray(v)) { out.push(...head(4, v.length)); for (const x of v) cbor(x, out); }
  else if (v instanceof Map) { out.push(...head(5, v.size)); for (const [k, x] of v) { cbor(k, out); cbor(x, out); } }
  else throw new TypeError('unsupported CBOR value');
  return out;
}
const cborBytes = (v) => Uint8Array.from(cbor(v));

// ---- base45 (RFC 9285)
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
export function base45(bytes) {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const n = bytes[i] * 256 + bytes[i + 1];
    out += B45[n % 45] + B45[Math.floor(n / 45) % 45] + B45[Math.floor(n / 2025)];
  }
  if (bytes.length % 2) { const n = bytes[bytes.length - 1]; out += B45[n % 45] + B45[Math.floor(n / 45)]; }
  return out;
}

/**
 * A dynamic QR code: the issuer's card token plus a COSE_Sign1 (alg ES256) by the device key over
 * { 1 purpose, 2 iat, 3 exp = iat + 60, 4 nonce (12 random bytes), 5 first 8 bytes of SHA-256(card token) }.
 * `cardToken` is the base64url string the claim returned (or its bytes); `now` in milliseconds.
 */
export async function makeDynamicQr({ cardToken, privateKey, purpose = 'identity', now = Date.now(), nonce }) {
  const token = typeof cardToken === 'string' ? fromB64u(cardToken) : cardToken;
  if (!(purpose in PURPOSES)) throw new TypeError(`purpose must be one of ${Object.keys(PURPOSES).join(', ')}`);
  const iat = Math.floor(now / 1000);
  const digest = new Uint8Array(await subtle.digest('SHA-256', token)).slice(0, 8);
  const payload = cborBytes(new Map([[1, PURPOSES[purpose]], [2, iat], [3, iat + QR_LIFETIME_S], [4, nonce ?? globalThis.crypto.getRandomValues(new Uint8Array(12))], [5, digest]]));
  const protectedBytes = cborBytes(new Map([[1, -7]]));
  const toSign = cborBytes(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const signature = new Uint8Array(await subtle.sign(SIGN, privateKey, toSign));
  const presentation = cborBytes([protectedBytes, new Map(), payload, signature]);
  return QR_PREFIX + base45(cborBytes([1, token, presentation]));
}

/** The claim names of an SD-JWT's disclosures (what the holder could reveal). */
export function disclosableClaims(credential) {
  return credential.split('~').slice(1).filter(Boolean).map((d) => JSON.parse(new TextDecoder().decode(fromB64u(d)))[1]);
}

/**
 * An SD-JWT presentation revealing only `disclose` (claim names), with a key-binding JWT
 * (RFC 9901 §4.3: typ kb+jwt, iat, aud, nonce, sd_hash over the presented disclosures).
 */
export async function presentSdJwt({ credential, disclose, privateKey, audience, nonce, iat = Math.floor(Date.now() / 1000) }) {
  const [jwt, ...rest] = credential.split('~');
  const chosen = rest.filter(Boolean).filter((d) => disclose.includes(JSON.parse(new TextDecoder().decode(fromB64u(d)))[1]));
  const signedPart = `${[jwt, ...chosen].join('~')}~`;
  const sdHash = b64u(new Uint8Array(await subtle.digest('SHA-256', te.encode(signedPart))));
  return signedPart + await jws({ alg: 'ES256', typ: 'kb+jwt' }, { iat, aud: audience, nonce, sd_hash: sdHash }, privateKey);
}
