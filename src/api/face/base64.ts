import { faceErrors } from '../../liveness/faceErrors.ts';

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict standard base64 (an optional `data:image/...;base64,` prefix is allowed) → bytes. */
export function imageBytes(text: string, field: string): Uint8Array {
  const body = text.startsWith('data:') ? text.slice(text.indexOf(',') + 1) : text;
  if (body.length === 0 || body.length % 4 !== 0 || !B64.test(body)) throw faceErrors.imageInvalid(`${field} is not base64`);
  return Buffer.from(body, 'base64');
}
