/**
 * COSE_Sign1 (RFC 9052 §4.2), untagged (the QR format fixes the message type, §2), over CBOR
 * (RFC 8949) from `cborg`. Decoding is strict (minimal integers, no indefinite lengths, no duplicate
 * map keys, maps kept as Maps so integer labels stay integers) and never throws: malformed input is
 * `undefined`.
 */
import { decode, encode } from 'cborg';

export interface CoseSign1 {
  /** The protected header exactly as signed (a bstr-wrapped CBOR map). */
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: ReadonlyMap<unknown, unknown>;
  readonly unprotected: ReadonlyMap<unknown, unknown>;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

/** COSE header labels (RFC 9052 §3.1). */
export const HEADER = Object.freeze({ alg: 1, kid: 4 });

export const DECODE_OPTIONS = Object.freeze({
  strict: true, useMaps: true, rejectDuplicateMapKeys: true, allowIndefinite: false, allowUndefined: false,
  allowInfinity: false, allowNaN: false, allowBigInt: false,
});

/** Strict CBOR decoding; undefined for anything malformed (cborg throws plain Errors). */
export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return decode(bytes, DECODE_OPTIONS);
  } catch {
    return undefined;
  }
}

export function encodeCbor(value: unknown): Uint8Array {
  return encode(value);
}

/** Sig_structure for COSE_Sign1 with empty external_aad (RFC 9052 §4.4). */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

export async function signCoseSign1(input: {
  readonly protectedHeader: ReadonlyMap<number, unknown>;
  readonly payload: Uint8Array;
  /** Returns the raw r ‖ s signature over the bytes given. */
  readonly sign: (toBeSigned: Uint8Array) => Promise<Uint8Array>;
}): Promise<Uint8Array> {
  const protectedBytes = encodeCbor(new Map(input.protectedHeader));
  const signature = await input.sign(sigStructure(protectedBytes, input.payload));
  return encodeCbor([protectedBytes, new Map(), input.payload, signature]);
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 | undefined {
  const v = decodeCbor(bytes);
  if (!Array.isArray(v) || v.length !== 4) return undefined;
  const [protectedBytes, unprotected, payload, signature] = v as unknown[];
  if (!isBytes(protectedBytes) || !(unprotected instanceof Map) || !isBytes(payload) || !isBytes(signature)) return undefined;
  const protectedHeader = protectedBytes.length === 0 ? new Map() : decodeCbor(protectedBytes);
  if (!(protectedHeader instanceof Map)) return undefined;
  return Object.freeze({ protectedBytes, protectedHeader, unprotected, payload, signature });
}
