/**
 * SD-JWT (RFC 9901) pieces: disclosures, their digests, the `~`-separated serialisation, and the
 * `sd_hash` a Key Binding JWT signs. Parsing is strict and budgeted; nothing here trusts a field
 * before the issuer signature over the JWT has been checked (the verifier does that first).
 */
import { createHash, randomBytes } from 'node:crypto';

export const SD_ALG = 'sha-256';
/** A presentation larger than this, or with more disclosures, is refused before any parsing. */
export const MAX_SD_JWT_LENGTH = 32 * 1024;
export const MAX_DISCLOSURES = 32;

export interface Disclosure {
  /** base64url of the JSON array, as it appears in the serialisation. */
  readonly encoded: string;
  readonly salt: string;
  readonly name: string;
  readonly value: unknown;
  /** base64url(SHA-256(ASCII(encoded))) — RFC 9901 §4.2.3. */
  readonly digest: string;
}

export const sha256b64u = (text: string): string => createHash('sha256').update(text, 'ascii').digest('base64url');

/** RFC 9901 §4.2.1: an object property disclosure `[salt, name, value]`, salt of 128 bits. */
export function makeDisclosure(name: string, value: unknown, salt = randomBytes(16).toString('base64url')): Disclosure {
  const encoded = Buffer.from(JSON.stringify([salt, name, value]), 'utf8').toString('base64url');
  return Object.freeze({ encoded, salt, name, value, digest: sha256b64u(encoded) });
}

const B64U = /^[A-Za-z0-9_-]+$/;

/** Undefined when not a well-formed object-property disclosure (RFC 9901 §7.1 step 3). */
export function parseDisclosure(encoded: string): Disclosure | undefined {
  if (!B64U.test(encoded) || encoded.length > 4096) return undefined;
  let arr: unknown;
  try {
    arr = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(arr) || arr.length !== 3 || typeof arr[0] !== 'string' || typeof arr[1] !== 'string') return undefined;
  // §7.1: the claim name must not be `_sd` or `...`.
  if (arr[1] === '_sd' || arr[1] === '...') return undefined;
  return Object.freeze({ encoded, salt: arr[0], name: arr[1], value: arr[2], digest: sha256b64u(encoded) });
}

export interface SplitSdJwt {
  readonly jwt: string;
  readonly disclosures: readonly string[];
  /** Present in a presentation with key binding. */
  readonly kbJwt: string | undefined;
  /** The part the KB-JWT's `sd_hash` covers: everything up to and including the last `~`. */
  readonly signedPart: string;
}

/** `<JWT>~<D1>~…~<Dn>~[<KB-JWT>]` (RFC 9901 §4); undefined when malformed or over budget. */
export function splitSdJwt(text: string): SplitSdJwt | undefined {
  if (typeof text !== 'string' || text.length > MAX_SD_JWT_LENGTH || !text.includes('~')) return undefined;
  const parts = text.split('~');
  if (parts.length - 2 > MAX_DISCLOSURES) return undefined;
  const jwt = parts[0]!;
  const last = parts[parts.length - 1]!;
  const disclosures = parts.slice(1, -1);
  if (disclosures.some((d) => d === '')) return undefined;
  return Object.freeze({ jwt, disclosures, kbJwt: last === '' ? undefined : last, signedPart: text.slice(0, text.length - last.length) });
}
