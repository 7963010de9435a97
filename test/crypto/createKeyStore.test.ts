import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeyStore } from '../../src/crypto/createKeyStore.ts';
import { verifySignature } from '../../src/crypto/signatures.ts';

const root = mkdtempSync(join(tmpdir(), 'kexin-factory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('createKeyStore', () => {
  it('builds a file store from { backend: "file" }', async () => {
    const store = createKeyStore({ backend: 'file', dir: join(root, 'keys'), passphrase: 'p' });
    expect(store.backend).toBe('file');
    const key = await store.createKey('ECDSA-P256', 'k');
    const data = new Uint8Array([1, 2, 3]);
    expect(verifySignature(key.publicKeySpki, 'ECDSA-SHA256', data, await store.sign(key.id, 'ECDSA-SHA256', data))).toBe(true);
    await store.close();
  });

  it('reports a missing PKCS#11 library as KEY_STORE_UNAVAILABLE', () => {
    expect(() => createKeyStore({ backend: 'pkcs11', library: join(root, 'nope.so'), tokenLabel: 't', pin: '1' })).toThrow(
      expect.objectContaining({ code: 'KEY_STORE_UNAVAILABLE' }),
    );
  });

  it('rejects an unknown backend as programmer misuse', () => {
    expect(() => createKeyStore({ backend: 'vault' } as never)).toThrow(TypeError);
  });
});
