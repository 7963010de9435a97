/**
 * E-card channels are the registered system clients (identity module): a bank app registered with
 * `ecard:claim` claims into itself with its own access token, never into another channel, and stops
 * being a channel the moment it is disabled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as holder from '../../../src/ecard/holder/ecardHolder.js';
import { auditModule, caModule, ecardModule, identityModule, personsModule } from '../../../src/modules.ts';
import { idNumber } from '../../support/idNumbers.ts';
import { startTestService, type TestService } from '../../support/service.ts';

const PUBLIC_URL = 'https://kexin.example.gov.cn';

describe('e-card channels are registered clients', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ modules: [auditModule(), caModule(), identityModule(), personsModule(), ecardModule()], env: { KEXIN_PUBLIC_URL: PUBLIC_URL } });
  });
  afterAll(async () => { await svc?.stop(); });

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string>, payload?: unknown) =>
    svc.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  const metadata = (name: string, clientClass: string) => ({
    client_name: name, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'ecard:claim', kexin_client_class: clientClass,
  });
  async function registerChannel(name: string, clientClass: string) {
    const res = await call('POST', '/admin/clients', svc.auth, metadata(name, clientClass));
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json() as { client_id: string; client_secret: string };
    const token = await call('POST', '/oauth/token', {
      authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded',
    }, 'grant_type=client_credentials&scope=ecard%3Aclaim');
    expect(token.statusCode, token.body).toBe(200);
    return { id: c.client_id, auth: { authorization: `Bearer ${token.json().access_token}` } };
  }

  async function claimAs(auth: Record<string, string>, holderId: string, channelId: string) {
    const device = await holder.generateDeviceKey();
    const jwk = await holder.deviceJwk(device.publicKey);
    const { nonce } = (await call('POST', '/ecard/claims/nonce', auth)).json();
    const proof = await holder.signClaimProof({ privateKey: device.privateKey, jwk, audience: `${PUBLIC_URL}/ecard`, nonce });
    return call('POST', '/ecard/claims', auth, { holderId, channelId, deviceJwk: jwk, proof });
  }

  it('claims into itself, not into another channel, and not once disabled', async () => {
    const bank = await registerChannel('ICBC Mobile', 'bank');
    const kiosk = await registerChannel('Street kiosk 12', 'kiosk');
    const created = await call('POST', '/ecard/holders', svc.auth, { name: '渠道测试', idNumber: idNumber(901), cardNumber: 'C00009901', region: '440305' });
    expect(created.statusCode, created.body).toBe(201);
    const { holderId } = created.json();

    // The bank is a known channel: into itself it is refused only for want of the holder's face
    // session (a channel never attests); into another channel it is refused as such.
    expect((await claimAs(bank.auth, holderId, bank.id)).json().code).toBe('ECARD_EVIDENCE_REQUIRED');
    expect((await claimAs(bank.auth, holderId, kiosk.id)).json().code).toBe('ECARD_CHANNEL_MISMATCH');

    // An operator claims into a registered client's channel by its client id…
    expect((await claimAs(svc.auth, holderId, kiosk.id)).statusCode).toBe(201);
    expect(JSON.stringify((await call('GET', `/ecard/holders/${holderId}/channels`, svc.auth)).json())).toContain(kiosk.id);
    // …but not once that client is disabled, nor into an id nobody registered.
    const disabled = await call('PUT', `/admin/clients/${kiosk.id}`, svc.auth, { ...metadata('Street kiosk 12', 'kiosk'), kexin_status: 'disabled' });
    expect(disabled.statusCode, disabled.body).toBe(200);
    expect((await claimAs(svc.auth, holderId, kiosk.id)).json().code).toBe('ECARD_CHANNEL_UNKNOWN');
    expect((await claimAs(svc.auth, holderId, 'kxnobodyregisteredthis')).json().code).toBe('ECARD_CHANNEL_UNKNOWN');
    // The counter channel is always there.
    expect((await claimAs(svc.auth, holderId, 'kexin-counter')).statusCode).toBe(201);
  });
});
