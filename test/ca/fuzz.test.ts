/**
 * Mutation fuzzing of real DER (an openssl CSR, a Kexin SM2 CSR, issued certificates): bit flips,
 * truncations, length-byte changes, insertions and deletions. Every input must parse or fail with a
 * KexinError — never another exception type — and the whole run must finish promptly.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { signerFor } from '../../src/crypto/keyStore.ts';
import { KexinError } from '../../src/errors.ts';
import { buildCsr } from '../../src/ca/buildCsr.ts';
import { checkCsr } from '../../src/ca/checkCsr.ts';
import { parseCsr } from '../../src/ca/parseCsr.ts';
import { parseCertificate } from '../../src/ca/certificate.ts';
import { pemToDer } from '../../src/ca/pem.ts';
import { PROFILES } from '../../src/ca/profiles.ts';
import { validatePath } from '../../src/ca/validatePath.ts';
import { buildHierarchy, NOW, openssl, tempDir, type Hierarchy } from './support/pki.ts';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offsets of DER length octets (first length byte of every TLV), found by walking the structure. */
function lengthOffsets(der: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number) => {
    let i = start;
    while (i < end && depth < 32) {
      const tag = der[i]!;
      const lenAt = i + 1;
      let len = der[lenAt]!;
      let hdr = 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + der[lenAt + 1 + k]!;
        hdr = 2 + n;
      }
      out.push(lenAt);
      if (tag & 0x20) walk(i + hdr, i + hdr + len, depth + 1);
      i += hdr + len;
    }
  };
  try { walk(0, der.length, 0); } catch { /* best effort */ }
  return out.filter((o) => o < der.length);
}

function mutate(src: Uint8Array, rnd: () => number, lens: number[]): Uint8Array {
  const d = Uint8Array.from(src);
  const pick = (n: number) => Math.floor(rnd() * n);
  switch (pick(6)) {
    case 0: { // 1–4 bit flips
      for (let k = 1 + pick(4); k > 0; k--) d[pick(d.length)]! ^= 1 << pick(8);
      return d;
    }
    case 1: return d.subarray(0, pick(d.length)); // truncation
    case 2: { // length byte changed
      const at = lens[pick(lens.length)]!;
      const choices = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x89, 0xff, (d[at]! + 1) & 0xff, (d[at]! - 1) & 0xff];
      d[at] = choices[pick(choices.length)]!;
      return d;
    }
    case 3: { // insert random bytes
      const at = pick(d.length);
      const ins = Uint8Array.from({ length: 1 + pick(8) }, () => pick(256));
      return Uint8Array.from([...d.subarray(0, at), ...ins, ...d.subarray(at)]);
    }
    case 4: { // delete a range
      const at = pick(d.length);
      return Uint8Array.from([...d.subarray(0, at), ...d.subarray(at + 1 + pick(16))]);
    }
    default: { // byte set to an ASN.1-significant value
      const vals = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x18, 0x30, 0x31, 0xa0, 0xa3, 0x80, 0xff];
      d[pick(d.length)] = vals[pick(vals.length)]!;
      return d;
    }
  }
}

function onlyKexinErrors(f: () => unknown, label: string, input: Uint8Array) {
  try {
    f();
  } catch (e) {
    if (!(e instanceof KexinError)) {
      throw new Error(`${label}: non-Kexin ${(e as Error)?.constructor?.name}: ${(e as Error)?.message} for input ${Buffer.from(input).toString('hex')}`);
    }
  }
}

describe('fuzz: parseCsr / checkCsr / parseCertificate / validatePath', () => {
  let csrs: Uint8Array[];
  let certs: Uint8Array[];
  let h: Hierarchy;
  beforeAll(async () => {
    const dir = tempDir();
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${dir}/k.pem`]);
    openssl(['req', '-new', '-key', `${dir}/k.pem`, '-subj', '/C=CN/O=Kexin/CN=fuzz', '-addext', 'subjectAltName=DNS:a.example.cn,IP:10.0.0.1', '-out', `${dir}/r.csr`]);
    const store = createMemoryKeyStore();
    const k = await store.createKey('SM2', 'sm2');
    const sm2Csr = await buildCsr({ signer: signerFor(store, k, 'SM2-SM3'), subject: [{ type: 'C', value: 'CN' }, { type: 'CN', value: '模糊' }], dnsNames: ['b.example.cn'] });
    csrs = [pemToDer(readFileSync(`${dir}/r.csr`, 'utf8'), 'CERTIFICATE REQUEST')[0]!, sm2Csr.der];
    h = (await buildHierarchy('ECDSA')).hierarchy;
    certs = [h.issuing.certificate.der, h.ocsp.certificate.der, h.tsa.certificate.der];
  });

  it('3000 mutated CSRs only ever throw KexinError', () => {
    const rnd = prng(0x5eed);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const src = csrs[i % csrs.length]!;
      const m = mutate(src, rnd, lengthOffsets(src));
      onlyKexinErrors(() => parseCsr(m), 'parseCsr', m);
      onlyKexinErrors(() => { checkCsr(m, i % 2 ? PROFILES.server : PROFILES.person); accepted++; }, 'checkCsr', m);
    }
    // A mutation may land in an unsigned part (e.g. the outer length form) and still verify; most must not.
    expect(accepted).toBeLessThan(300);
  });

  it('3000 mutated certificates only ever throw KexinError from parseCertificate; validatePath never throws nor passes a changed certificate', async () => {
    const rnd = prng(0xc0ffee);
    const tbsHex = (der: Uint8Array) => Buffer.from(parseCertificate(der).tbsView).toString('hex');
    let passed = 0;
    let checked = 0;
    for (let i = 0; i < 3000; i++) {
      const src = certs[i % certs.length]!;
      const m = mutate(src, rnd, lengthOffsets(src));
      onlyKexinErrors(() => parseCertificate(m), 'parseCertificate', m);
      if (i % 10 === 0) {
        checked++;
        const r = await validatePath({ leaf: m, intermediates: [h.issuing.certificate.der], trustAnchors: [h.root.certificate.der], at: NOW });
        if (r.indication !== 'PASSED') continue;
        // Only a mutation outside what was signed (e.g. the signature's encoding) may still pass.
        passed++;
        expect(tbsHex(m), `passed a certificate whose signed part changed: ${Buffer.from(m).toString('hex')}`).toBe(tbsHex(src));
      }
    }
    // The unmutated sources pass, so a validator that failed everything would not get here unnoticed.
    for (const src of certs.slice(0, 1)) {
      expect((await validatePath({ leaf: src, intermediates: [h.issuing.certificate.der], trustAnchors: [h.root.certificate.der], at: NOW })).indication).toBe('PASSED');
    }
    expect(passed).toBeLessThan(checked / 4);
  });

  it('garbage and PEM junk', () => {
    const rnd = prng(7);
    for (let i = 0; i < 500; i++) {
      const g = Uint8Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
      onlyKexinErrors(() => parseCsr(g), 'parseCsr', g);
      onlyKexinErrors(() => parseCertificate(g), 'parseCertificate', g);
    }
    for (const s of ['', '-----BEGIN CERTIFICATE REQUEST-----', '-----BEGIN CERTIFICATE REQUEST-----\nMA==\n-----END CERTIFICATE REQUEST-----', '-----BEGIN CERTIFICATE REQUEST-----\n====\n-----END CERTIFICATE REQUEST-----\n']) {
      onlyKexinErrors(() => parseCsr(s), 'parseCsr', new TextEncoder().encode(s));
    }
    // Deep nesting must not blow the stack into a RangeError.
    const deep = new Uint8Array(20_000).map((_, i) => (i % 2 === 0 ? 0x30 : 0x80));
    onlyKexinErrors(() => parseCsr(deep), 'parseCsr', deep.subarray(0, 16));
    onlyKexinErrors(() => parseCertificate(deep), 'parseCertificate', deep.subarray(0, 16));
  });
});
