/**
 * `kexin ecard demo-claim --holder ID [--channel C] [--url URL --token T]`: for kiosks' test runs and
 * scripted checks. Makes a fresh device key, claims the holder's card through the API as an operator
 * (no face session — recorded as operator evidence) and prints one JSON line:
 * `{cardId, credential, cardToken, statusListId, statusListUri, deviceJwk}`.
 *
 * `deviceJwk` includes the private part (`d`) on purpose: a script needs it to sign dynamic QR codes
 * and presentations. Never use this for a real holder's device, whose key never leaves it.
 */
import { COUNTER_CHANNEL } from '../ecard/channels.ts';
import { deviceJwk, signClaimProof } from '../ecard/holder/ecardHolder.js';
import type { CommandContext } from './commands.ts';
import { httpServiceClient } from './serviceClient.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function ecardDemoClaim(ctx: CommandContext): Promise<number> {
  const holderId = ctx.options.holder;
  if (typeof holderId !== 'string' || !UUID.test(holderId)) {
    ctx.err('usage: kexin ecard demo-claim --holder HOLDER_ID [--channel C] [--url URL --token T]');
    return 2;
  }
  const channelId = typeof ctx.options.channel === 'string' ? ctx.options.channel : COUNTER_CHANNEL.id;
  const url = typeof ctx.options.url === 'string' ? ctx.options.url : undefined;
  const token = typeof ctx.options.token === 'string' ? ctx.options.token : undefined;
  if ((url === undefined) !== (token === undefined)) {
    ctx.err('kexin: --url and --token go together');
    return 2;
  }

  const keys = await globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = await deviceJwk(keys.publicKey);
  const claim = async (audience: string, nonce: string) => ({
    holderId, channelId, deviceJwk: jwk,
    proof: await signClaimProof({ privateKey: keys.privateKey, jwk, audience, nonce }),
  });

  let result: { cardId: string; credential: string; cardToken: string; statusList: { id: number; uri: string } };
  const client = url && token ? httpServiceClient(url.replace(/\/+$/, ''), token) : ctx.remote;
  if (client) {
    // The proof is addressed to the issuer identifier the trust bundle names (the public URL's, which a
    // proxy may make differ from the URL this command talks to).
    const trust = await client.request('GET', '/ecard/trust');
    if (trust.status !== 200 || typeof trust.json?.issuer !== 'string') return fail(ctx, trust);
    const n = await client.request('POST', '/ecard/claims/nonce');
    if (n.status !== 201) return fail(ctx, n);
    const c = await client.request('POST', '/ecard/claims', await claim(trust.json.issuer, n.json.nonce));
    if (c.status !== 201) return fail(ctx, c);
    result = c.json;
  } else {
    const { withLocalContext } = await import('./localContext.ts');
    result = await withLocalContext(ctx.config, async (l) => {
      const ecard = l.services.ecard;
      if (!ecard) throw new Error('the e-card module is not running');
      const { nonce } = await ecard.claimNonce();
      return ecard.claim(await claim(ecard.iss, nonce), { actor: 'operator:local-cli', attests: true });
    });
  }
  const privateJwk = await globalThis.crypto.subtle.exportKey('jwk', keys.privateKey);
  ctx.out(JSON.stringify({
    cardId: result.cardId, credential: result.credential, cardToken: result.cardToken,
    statusListId: result.statusList.id, statusListUri: result.statusList.uri,
    deviceJwk: { ...jwk, d: privateJwk.d },
  }));
  return 0;
}

function fail(ctx: CommandContext, res: { status: number; json: { code?: string; detail?: string; title?: string } }): number {
  ctx.err(`kexin: ${res.json?.code ?? res.status}: ${res.json?.detail ?? res.json?.title ?? 'request failed'}`);
  return 1;
}
