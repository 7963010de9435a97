/**
 * RFC 8705 §2.1.2 `tls_client_auth`: which client a TLS certificate identifies. The registered value
 * is compared with the certificate's subject DN (RFC 4514 string, parsed and compared attribute by
 * attribute in order) or one of its subjectAltName entries. Trust in the certificate itself (its
 * chain to Kexin's root, revocation) is decided before this, by the CA.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { TlsSubjectField } from './clientMetadata.ts';

/** RFC 4514 §3 short names and the attributes Kexin's profiles use. */
const TYPES: Readonly<Record<string, string>> = Object.freeze({
  CN: '2.5.4.3', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11', STREET: '2.5.4.9',
  SERIALNUMBER: '2.5.4.5', ORGANIZATIONIDENTIFIER: '2.5.4.97', EMAILADDRESS: '1.2.840.113549.1.9.1', DC: '0.9.2342.19200300.100.1.25', UID: '0.9.2342.19200300.100.1.1',
});

export interface CertificateSubject {
  /** Subject attributes in certificate (ASN.1) order: [OID, value]. */
  readonly dn: readonly (readonly [string, string])[];
  readonly dns: readonly string[];
  readonly ip: readonly string[];
  readonly email: readonly string[];
  readonly uri: readonly string[];
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** Subject and SANs of a DER certificate; undefined when it cannot be read. */
export function certificateSubject(der: Uint8Array): CertificateSubject | undefined {
  try {
    const asn = asn1js.fromBER(new Uint8Array(der).buffer);
    if (asn.offset === -1) return undefined;
    const cert = new pkijs.Certificate({ schema: asn.result });
    const dn = cert.subject.typesAndValues.map((tv) => [tv.type, String((tv.value as { valueBlock: { value: unknown } }).valueBlock.value)] as const);
    const out = { dn, dns: [] as string[], ip: [] as string[], email: [] as string[], uri: [] as string[] };
    const san = cert.extensions?.find((e) => e.extnID === '2.5.29.17');
    for (const name of (san?.parsedValue as pkijs.GeneralNames | undefined)?.names ?? []) {
      if (name.type === 2) out.dns.push(String(name.value));
      else if (name.type === 1) out.email.push(String(name.value));
      else if (name.type === 6) out.uri.push(String(name.value));
      else if (name.type === 7) out.ip.push(ipText(new Uint8Array((name.value as asn1js.OctetString).valueBlock.valueHexView)));
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * An RFC 4514 DN string as [OID, value] pairs in ASN.1 order (the string lists the most specific RDN
 * first, the certificate the least). Multi-valued RDNs (`+`) are not used by Kexin's profiles and are
 * refused. Undefined when the string is not a DN.
 */
export function parseRfc4514(dn: string): [string, string][] | undefined {
  const rdns: [string, string][] = [];
  let i = 0;
  while (i < dn.length) {
    const eq = dn.indexOf('=', i);
    if (eq < 0) return undefined;
    const rawType = dn.slice(i, eq).trim();
    const type = /^\d+(\.\d+)+$/.test(rawType) ? rawType : TYPES[rawType.toUpperCase()];
    if (!type) return undefined;
    let value = '';
    let j = eq + 1;
    for (; j < dn.length && dn[j] !== ','; j++) {
      const c = dn[j]!;
      if (c === '+') return undefined;
      if (c === '\\') {
        const next = dn.slice(j + 1, j + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(next)) {
          // Hex pairs are UTF-8 octets (RFC 4514 §3); collect consecutive ones.
          const bytes: number[] = [];
          while (dn[j] === '\\' && /^[0-9A-Fa-f]{2}$/.test(dn.slice(j + 1, j + 3))) { bytes.push(parseInt(dn.slice(j + 1, j + 3), 16)); j += 3; }
          value += Buffer.from(bytes).toString('utf8');
          j--;
          continue;
        }
        if (j + 1 >= dn.length) return undefined;
        value += dn[++j];
        continue;
      }
      value += c;
    }
    rdns.push([type, value.trim()]);
    i = j + 1;
  }
  return rdns.length ? rdns.reverse() : undefined;
}

/** Whether `subject` carries the registered `tls_client_auth_*` value. */
export function subjectMatches(subject: CertificateSubject, field: TlsSubjectField, expected: string): boolean {
  switch (field) {
    case 'tls_client_auth_subject_dn': {
      const want = parseRfc4514(expected);
      return want !== undefined && want.length === subject.dn.length && want.every(([t, v], k) => subject.dn[k]![0] === t && subject.dn[k]![1] === v);
    }
    case 'tls_client_auth_san_dns': return subject.dns.some((d) => d.toLowerCase() === expected.toLowerCase());
    case 'tls_client_auth_san_ip': return subject.ip.includes(expected);
    case 'tls_client_auth_san_email': return subject.email.includes(expected);
    case 'tls_client_auth_san_uri': return subject.uri.includes(expected);
  }
}
