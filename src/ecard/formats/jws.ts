/**
 * Compact JWS (RFC 7515 §7.1) signed through the key store: the private key never leaves it, so
 * jose's signing functions (which need the key) are not used here; verification uses jose.
 */
import type { EcardAlgorithm } from './algorithms.ts';

export const b64u = (b: Uint8Array | string): string => Buffer.from(typeof b === 'string' ? Buffer.from(b, 'utf8') : b).toString('base64url');

/** Signs `header.payload`; `sign` returns the raw r ‖ s signature (RFC 7518 §3.4). */
export async function signCompactJws(
  header: Readonly<Record<string, unknown>>, payload: Readonly<Record<string, unknown>>,
  alg: EcardAlgorithm, sign: (data: Uint8Array) => Promise<Uint8Array>,
): Promise<string> {
  const input = `${b64u(JSON.stringify({ ...header, alg: alg.jose }))}.${b64u(JSON.stringify(payload))}`;
  const signature = await sign(Buffer.from(input, 'ascii'));
  return `${input}.${b64u(signature)}`;
}
