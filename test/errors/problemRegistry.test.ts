/**
 * One problem `type` ↔ one status: every `new KexinError('CODE', …, status)` in src/ (and every
 * `super(…)` of a KexinError subclass) must name a registered code with its registered status. Modules
 * added later are held to it the moment they throw their first error.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defineProblems, problemType } from '../../src/errors.ts';
import { clientVisibleProblems, PROBLEMS } from '../../src/problems.ts';
import { scanProblemSites } from './problemCodeScanner.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const sites = scanProblemSites(SRC);
const where = (s: { file: string; line: number }) => `src/${s.file}:${s.line}`;

describe('the problem registry', () => {
  it('finds the error sites it is meant to police (the scanner is not blind)', () => {
    // Known sites in three layers: a factory table, a subclass's super() call, a literal in the edge.
    expect(sites.some((s) => s.code === 'CA_CERTIFICATE_NOT_FOUND' && s.file.endsWith('caErrors.ts'))).toBe(true);
    expect(sites.some((s) => s.code === 'TSA_REQUEST_REJECTED' && s.text.startsWith('super('))).toBe(true);
    expect(sites.some((s) => s.code === 'METHOD_NOT_ALLOWED' && s.status === 405)).toBe(true);
    expect(sites.length).toBeGreaterThan(100);
  });

  it('every error site names its code and status as literals', () => {
    const unreadable = sites.filter((s) => s.code === undefined || s.status === undefined).map((s) => `${where(s)}: ${s.text}`);
    expect(unreadable, 'write the code as a string literal and the status as a number literal').toEqual([]);
  });

  it('every code thrown in src/ is registered, with the status it is thrown with', () => {
    const problems = sites.flatMap((s) => {
      if (s.code === undefined || s.status === undefined) return [];
      const def = PROBLEMS.get(s.code);
      if (!def) return [`${where(s)}: ${s.code} is not registered — add it to the module's *Problems.ts table (status ${s.status}, a title saying what went wrong)`];
      if (def.status !== s.status) return [`${where(s)}: ${s.code} thrown with ${s.status}, registered as ${def.status} — one code, one status`];
      return [];
    });
    expect(problems).toEqual([]);
  });

  it('every registered code is thrown somewhere (no dead codes)', () => {
    const thrown = new Set(sites.map((s) => s.code));
    expect([...PROBLEMS.keys()].filter((c) => !thrown.has(c))).toEqual([]);
  });

  it('titles say what went wrong and no two codes share one', () => {
    const titles = [...PROBLEMS.values()].map((p) => p.title);
    expect(new Set(titles).size).toBe(titles.length);
    for (const [code, p] of PROBLEMS) {
      expect(p.title.length, code).toBeGreaterThan(8);
      expect(p.title, `${code}: a title is not the bare HTTP reason phrase`).not.toMatch(/^(Bad Request|Not Found|Forbidden|Conflict|Internal Server Error|Unauthorized)$/);
    }
  });

  it('a code maps to one type URI and no two codes to the same URI', () => {
    expect(problemType('CA_CSR_SIGNATURE_INVALID')).toBe('urn:kexin:problem:ca-csr-signature-invalid');
    const types = [...PROBLEMS.keys()].map(problemType);
    expect(new Set(types).size).toBe(types.length);
  });

  it('clients see every code but the 500s, which all read INTERNAL', () => {
    const visible = clientVisibleProblems();
    expect(visible.find((p) => p.code === 'INTERNAL')).toMatchObject({ status: 500 });
    expect(visible.filter((p) => p.status === 500).map((p) => p.code)).toEqual(['INTERNAL']);
    expect(visible.find((p) => p.code === 'CA_SIGNER_MISMATCH')).toBeUndefined();
    expect(visible.find((p) => p.code === 'FACE_MODELS_MISSING')).toMatchObject({ status: 503, type: 'urn:kexin:problem:face-models-missing' });
  });

  it('a table refuses malformed entries', () => {
    expect(() => defineProblems({ lower_case: { status: 400, title: 'x is wrong here' } })).toThrow(TypeError);
    expect(() => defineProblems({ GOOD_CODE: { status: 302, title: 'not an error status' } })).toThrow(TypeError);
  });
});
