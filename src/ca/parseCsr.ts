/**
 * PKCS#10 parsing (RFC 2986) on the strict DER reader: PEM or DER in, the raw DER pieces out.
 * Nothing in it is trusted until `checkCsr`.
 */
import { KexinError } from '../errors.ts';
import {
  children, decodeOid, DerError, expectTag, readAlgorithmIdentifier, readBitString, readSpki, readWhole, SEQUENCE, type Tlv,
} from '../crypto/der.ts';
import { pemToDer } from './pem.ts';

/** One AttributeTypeAndValue of a Name: its type OID and the undecoded value. */
export interface RdnAttribute {
  readonly type: string;
  readonly value: Tlv;
}

/** One CSR attribute (e.g. extensionRequest): its type OID and the values of its SET. */
export interface CsrAttribute {
  readonly type: string;
  readonly values: readonly Tlv[];
}

export interface ParsedCsr {
  readonly der: Uint8Array;
  /** DER CertificationRequestInfo: the signed bytes. */
  readonly tbs: Uint8Array;
  /** DER Name of the subject. */
  readonly subject: Uint8Array;
  /** The subject's RDNs in order, each the attributes of its SET. */
  readonly rdns: readonly (readonly RdnAttribute[])[];
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly attributes: readonly CsrAttribute[];
  /** DER AlgorithmIdentifier of the signature, and its OID. */
  readonly signatureAlgorithm: { readonly der: Uint8Array; readonly oid: string };
  readonly signature: { readonly unusedBits: number; readonly bytes: Uint8Array };
}

const malformed = (message: string, cause?: unknown) =>
  new KexinError('CA_CSR_MALFORMED', message, 400, undefined, cause === undefined ? undefined : { cause });

const SET = 0x31;
const OBJECT_IDENTIFIER = 0x06;
const BMP_STRING = 0x1e;
const UNIVERSAL_STRING = 0x1c;

/** Accepts one PEM `CERTIFICATE REQUEST` block (or `NEW CERTIFICATE REQUEST`) or DER. */
function csrDer(input: Uint8Array | string): Uint8Array {
  try {
    if (typeof input === 'string' || (input instanceof Uint8Array && Buffer.from(input.subarray(0, 11)).toString('latin1') === '-----BEGIN ')) {
      const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
      const label = text.includes('-----BEGIN NEW CERTIFICATE REQUEST-----') ? 'NEW CERTIFICATE REQUEST' : 'CERTIFICATE REQUEST';
      const blocks = pemToDer(text, label);
      if (blocks.length !== 1) throw malformed('expected exactly one CSR');
      return blocks[0]!;
    }
    if (input instanceof Uint8Array) return input;
    throw malformed('CSR must be PEM text or DER bytes');
  } catch (e) {
    if (e instanceof KexinError && e.code === 'CA_CSR_MALFORMED') throw e;
    throw malformed('CSR PEM armour is malformed', e);
  }
}

/** Name ::= SEQUENCE OF SET OF AttributeTypeAndValue (X.501); only the shape is checked here. */
function readName(t: Tlv | undefined): RdnAttribute[][] {
  return children(expectTag(t, SEQUENCE, 'subject')).map((rdn) => children(expectTag(rdn, SET, 'RDN')).map((atv) => {
    const [type, value, ...rest] = children(expectTag(atv, SEQUENCE, 'AttributeTypeAndValue'));
    if (!value || rest.length) throw new DerError('AttributeTypeAndValue: expected type and value');
    // Lengths no BMPString/UniversalString can have are encoding errors, as asn1js treated them.
    if ((value.tag === BMP_STRING && value.content.length % 2) || (value.tag === UNIVERSAL_STRING && value.content.length % 4)) {
      throw new DerError('string length is not a whole number of characters');
    }
    return { type: decodeOid(expectTag(type, OBJECT_IDENTIFIER, 'attribute type').content), value };
  }));
}

/** attributes [0] IMPLICIT SET OF Attribute, Attribute ::= SEQUENCE { type OID, values SET OF ANY }. */
function readAttributes(t: Tlv | undefined): CsrAttribute[] {
  if (!t) return [];
  return children(expectTag(t, 0xa0, 'attributes')).map((a) => {
    const [type, values, ...rest] = children(expectTag(a, SEQUENCE, 'Attribute'));
    if (rest.length) throw new DerError('Attribute: too many fields');
    return { type: decodeOid(expectTag(type, OBJECT_IDENTIFIER, 'attribute type').content), values: children(expectTag(values, SET, 'attribute values')) };
  });
}

function readCertificationRequest(der: Uint8Array): ParsedCsr {
  const [info, algorithm, signature, ...rest] = children(expectTag(readWhole(der, 'the CSR'), SEQUENCE, 'CertificationRequest'));
  if (rest.length) throw new DerError('CertificationRequest: too many fields');
  const { oid } = readAlgorithmIdentifier(algorithm, 'signatureAlgorithm');
  const [version, subject, spki, attributes, ...more] = children(expectTag(info, SEQUENCE, 'CertificationRequestInfo'));
  if (more.length) throw new DerError('CertificationRequestInfo: too many fields');
  const v = expectTag(version, 0x02, 'version').content;
  if (v.length !== 1 || v[0] !== 0) throw malformed(`CSR version 0x${Buffer.from(v).toString('hex')} is not v1 (0)`);
  readSpki(spki);
  return Object.freeze({
    der,
    tbs: info!.der,
    subject: subject!.der,
    rdns: readName(subject),
    spki: spki!.der,
    attributes: readAttributes(attributes),
    signatureAlgorithm: { der: algorithm!.der, oid },
    signature: readBitString(signature, 'signature'),
  });
}

/** Parses a CSR's structure; any departure from DER PKCS#10 → `CA_CSR_MALFORMED`. */
export function parseCsr(input: Uint8Array | string): ParsedCsr {
  const der = csrDer(input);
  if (der.byteLength === 0) throw malformed('CSR is empty');
  try {
    // A private copy: the parsed pieces are views into it.
    return readCertificationRequest(new Uint8Array(der));
  } catch (e) {
    if (e instanceof DerError) throw malformed(`CSR is not DER-encoded PKCS#10: ${e.message}`, e);
    throw e;
  }
}
