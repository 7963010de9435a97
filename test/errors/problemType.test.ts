/** Problem documents from errors: what a client sees, and what it must never see. */
import { describe, expect, it } from 'vitest';
import { asKexinError, oauthErrorCode, problemFor } from '../../src/api/problem.ts';
import { KexinError } from '../../src/errors.ts';

const OCCURRENCE = '6d1c4f0e-2a7b-4c39-9e51-0f1d2a3b4c5d';

describe('problemFor', () => {
  it('writes the registered title, the message as detail and the occurrence as instance', () => {
    const p = problemFor(new KexinError('CA_CERTIFICATE_NOT_FOUND', 'no certificate with serial 01', 404), OCCURRENCE);
    expect(p).toEqual({
      type: 'urn:kexin:problem:ca-certificate-not-found', title: 'No certificate with this serial', status: 404,
      code: 'CA_CERTIFICATE_NOT_FOUND', detail: 'no certificate with serial 01', instance: `urn:uuid:${OCCURRENCE}`,
    });
  });

  it('details add members but cannot overwrite the standard ones', () => {
    const hostile = { type: 'https://evil.example/', title: 'x', status: 200, detail: 'forged', instance: '/x', code: 'OK', requiredScope: 'ca:revoke' };
    const p = problemFor(new KexinError('AUTH_SCOPE_MISSING', 'the credentials do not grant the scope ca:revoke', 403, hostile), OCCURRENCE);
    expect(p).toEqual({
      type: 'urn:kexin:problem:auth-scope-missing', title: 'Credentials do not grant the required scope', status: 403, code: 'AUTH_SCOPE_MISSING',
      detail: 'the credentials do not grant the scope ca:revoke', instance: `urn:uuid:${OCCURRENCE}`, requiredScope: 'ca:revoke',
    });
  });

  it('a 500 shows INTERNAL and the occurrence only: not its code, message or details', () => {
    const err = new KexinError('CA_SIGNER_MISMATCH', 'key 5f3e at /var/lib/kexin/keys is not the issuer key', 500, { keyPath: '/var/lib/kexin/keys' });
    const p = problemFor(err, OCCURRENCE);
    expect(p).toEqual({ type: 'urn:kexin:problem:internal', title: 'Internal error', status: 500, code: 'INTERNAL', instance: `urn:uuid:${OCCURRENCE}` });
  });

  it('a 503 shows its own code and title, never its message', () => {
    const p = problemFor(new KexinError('KEY_STORE_UNAVAILABLE', 'cannot load PKCS#11 library /opt/hsm/libcs.so', 503), OCCURRENCE);
    expect(p).toEqual({ type: 'urn:kexin:problem:key-store-unavailable', title: 'Key store is unavailable', status: 503, code: 'KEY_STORE_UNAVAILABLE', instance: `urn:uuid:${OCCURRENCE}` });
  });
});

describe('asKexinError', () => {
  it('keeps domain errors as they are', () => {
    const e = new KexinError('FACE_SESSION_EXPIRED', 'expired', 410);
    expect(asKexinError(e)).toBe(e);
  });

  it('maps Fastify request errors to edge codes, whatever their message says', () => {
    expect(asKexinError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }))).toMatchObject({ code: 'REQUEST_TOO_LARGE', status: 413 });
    expect(asKexinError(Object.assign(new Error('body/a must be string'), { validation: [{}], statusCode: 400 }))).toMatchObject({ code: 'REQUEST_INVALID', status: 400, message: 'body/a must be string' });
    expect(asKexinError(Object.assign(new Error("'/a/%E0' is not a valid url component"), { code: 'FST_ERR_BAD_URL', statusCode: 400 }))).toMatchObject({ code: 'REQUEST_URL_INVALID', status: 400 });
  });

  it('a client error of unknown kind keeps a registered code and hides its message', () => {
    const e = asKexinError(Object.assign(new Error('ENOENT: /srv/kexin/web/secret'), { statusCode: 416 }));
    expect(e).toMatchObject({ code: 'REQUEST_INVALID', status: 400 });
    expect(e.message).not.toContain('/srv');
  });

  it('anything else is INTERNAL, keeping the original as its cause (for the log)', () => {
    const original = new TypeError('cannot read properties of undefined');
    const e = asKexinError(original);
    expect(e).toMatchObject({ code: 'INTERNAL', status: 500, expose: false });
    expect(e.cause).toBe(original);
    expect(asKexinError('a thrown string')).toMatchObject({ code: 'INTERNAL', status: 500 });
  });
});

describe('OAuth error codes (RFC 6749 §5.2, RFC 6750 §3.1)', () => {
  it('uses the registered code where there is one, else one derived from the status', () => {
    expect(oauthErrorCode('AUTH_SCOPE_MISSING', 403)).toBe('insufficient_scope');
    expect(oauthErrorCode('AUTH_INVALID', 401)).toBe('invalid_token');
    expect(oauthErrorCode('REQUEST_INVALID', 400)).toBe('invalid_request');
    expect(oauthErrorCode('INTERNAL', 500)).toBe('server_error');
    expect(oauthErrorCode('NOT_READY', 503)).toBe('temporarily_unavailable');
  });
});
