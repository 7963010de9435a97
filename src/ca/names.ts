/** Building X.501 Names for CA-made subjects. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KexinError } from '../errors.ts';
import { ATTRIBUTE_OIDS, type AttributeName } from './profiles.ts';

export interface NameAttribute {
  readonly type: AttributeName;
  readonly value: string;
}

/** A string is a bare CN; otherwise attributes most-significant first (C, O, …, CN). */
export type NameInput = string | readonly NameAttribute[];

export function buildName(input: NameInput): pkijs.RelativeDistinguishedNames {
  const attrs: readonly NameAttribute[] = typeof input === 'string' ? [{ type: 'CN', value: input }] : input;
  if (attrs.length === 0) throw new KexinError('CA_SUBJECT_INVALID', 'a name needs at least one attribute', 400, { attribute: 'CN' });
  // One attribute per RDN (pkijs would put them all in one multi-valued SET).
  const sets: asn1js.Set[] = [];
  for (const a of attrs) {
    const oid = ATTRIBUTE_OIDS[a.type];
    if (!oid || typeof a.value !== 'string' || a.value.length === 0) {
      throw new KexinError('CA_SUBJECT_INVALID', `bad name attribute ${String(a.type)}`, 400, { attribute: a.type });
    }
    const value = a.type === 'C' || a.type === 'serialNumber' ? new asn1js.PrintableString({ value: a.value })
      : a.type === 'emailAddress' ? new asn1js.IA5String({ value: a.value })
        : new asn1js.Utf8String({ value: a.value });
    sets.push(new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type: oid, value }).toSchema()] }));
  }
  const der = new asn1js.Sequence({ value: sets }).toBER();
  return new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(der).result });
}

export function buildNameDer(input: NameInput): Uint8Array {
  return new Uint8Array(buildName(input).toSchema().toBER());
}
