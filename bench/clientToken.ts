/**
 * How a benchmark authenticates like a real system would: register a client (with the operator token,
 * once) and use its access token, so figures do not include the audit row every break-glass use writes.
 */
import type { SpawnedService } from '../test/support/spawnService.ts';

/** A fresh client with `scope` (no rate limits to speak of) and an access token for it. */
export async function clientAccessToken(svc: SpawnedService, scope: string): Promise<string> {
  const res = await svc.op('/admin/clients', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: `bench ${scope}`, kexin_client_class: 'other', scope, kexin_token_rate_per_minute: 1_000_000, kexin_api_rate_per_second: 100_000 }),
  });
  if (res.status !== 201) throw new Error(`client registration failed: ${await res.text()}`);
  const c = (await res.json()) as { client_id: string; client_secret: string };
  const token = await fetch(`${svc.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  if (token.status !== 200) throw new Error(`token request failed: ${await token.text()}`);
  return ((await token.json()) as { access_token: string }).access_token;
}
