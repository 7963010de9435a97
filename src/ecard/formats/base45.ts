/**
 * Base45 (RFC 9285): bytes as characters of the QR alphanumeric set, so a QR code can use its
 * alphanumeric mode (5.5 bits/character) instead of byte mode (8 bits/character) — the encoding the EU
 * Digital COVID Certificate uses for the same reason. Decoding is strict (RFC 9285 §4.2: a value
 * outside the range is an error).
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

export function base45Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i]! * 256 + bytes[i + 1]!;
    const c = n % 45; n = (n - c) / 45;
    const d = n % 45; const e = (n - d) / 45;
    out += ALPHABET[c]! + ALPHABET[d]! + ALPHABET[e]!;
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1]!;
    out += ALPHABET[n % 45]! + ALPHABET[Math.floor(n / 45)]!;
  }
  return out;
}

/** Undefined when `text` is not valid base45. */
export function base45Decode(text: string): Uint8Array | undefined {
  if (text.length % 3 === 1) return undefined;
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const c = INDEX.get(text[i]!), d = INDEX.get(text[i + 1]!);
    if (c === undefined || d === undefined) return undefined;
    if (i + 2 < text.length) {
      const e = INDEX.get(text[i + 2]!);
      if (e === undefined) return undefined;
      const n = c + d * 45 + e * 2025;
      if (n > 0xffff) return undefined;
      out[o++] = n >> 8; out[o++] = n & 0xff;
    } else {
      const n = c + d * 45;
      if (n > 0xff) return undefined;
      out[o++] = n;
    }
  }
  return out;
}
