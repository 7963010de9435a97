/** A base64url JWS part holding a JSON object (RFC 7515 §7.1), or undefined — never an exception. */
export function decodeJsonPart(part: string | undefined): Record<string, unknown> | undefined {
  if (!part || !/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
