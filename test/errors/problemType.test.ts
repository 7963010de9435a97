import { describe, expect, it } from 'vitest';
import { KexinError, problemType } from '../../src/errors.ts';

describe('problemType', () => {
  it('derives a stable URN from the error code', () => {
    expect(problemType('CA_CSR_SIGNATURE_INVALID')).toBe('urn:kexin:problem:ca-csr-signature-invalid');
  });
  it('never exposes 5xx messages', () => {
    expect(new KexinError('X', 'm', 500).expose).toBe(false);
    expect(new KexinError('X', 'm', 422).expose).toBe(true);
  });
});
