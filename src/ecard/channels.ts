/**
 * Channels (发卡渠道: the 人社 app, bank and payment apps, hospital systems, kiosks…) are registered
 * system clients. The e-card module only needs to look one up: this port, which the composition root
 * backs with the identity module's client registry (`src/modules.ts`). Without the identity module
 * (tests, a deployment without it) `createStaticChannelDirectory` serves a fixed list (configuration);
 * either way the operator's own counter/kiosk channel is always there.
 */
export type ChannelClass = 'hrss' | 'government' | 'bank' | 'payment' | 'medical' | 'kiosk' | 'other';
export const CHANNEL_CLASSES: readonly ChannelClass[] = ['hrss', 'government', 'bank', 'payment', 'medical', 'kiosk', 'other'];

export interface Channel {
  readonly id: string;
  readonly name: string;
  /** 人社 = `hrss`. */
  readonly class: ChannelClass;
}

/** Port declared by the e-card module. */
export interface ChannelDirectory {
  get(clientId: string): Channel | undefined | Promise<Channel | undefined>;
}

/** The channel operators' counters and kiosks claim into. */
export const COUNTER_CHANNEL: Channel = Object.freeze({ id: 'kexin-counter', name: 'Counter and kiosks (柜面/自助终端)', class: 'hrss' });

export function createStaticChannelDirectory(channels: readonly Channel[] = []): ChannelDirectory {
  const byId = new Map([COUNTER_CHANNEL, ...channels].map((c) => [c.id, Object.freeze({ ...c })]));
  return { get: (id) => byId.get(id) };
}

/** What a registered-client lookup answers (the identity registry's `channel(id)`). */
export interface RegisteredClientInfo {
  readonly id: string;
  readonly name: string;
  readonly class: string;
  readonly status: string;
}

/**
 * Channels are the active registered clients (a disabled or deleted client is no channel: its cards'
 * credentials stay valid, but nothing new is claimed into it), plus the counter channel.
 */
export function registeredClientChannels(lookup: (clientId: string) => Promise<RegisteredClientInfo | undefined>): ChannelDirectory {
  return {
    async get(id) {
      if (id === COUNTER_CHANNEL.id) return COUNTER_CHANNEL;
      const c = await lookup(id);
      if (!c || c.status !== 'active' || !CHANNEL_CLASSES.includes(c.class as ChannelClass)) return undefined;
      return Object.freeze({ id: c.id, name: c.name, class: c.class as ChannelClass });
    },
  };
}

/**
 * `KEXIN_ECARD_CHANNELS`: `id:class:name` entries separated by `;` — e.g.
 * `hrss-app:hrss:人社 App;icbc:bank:ICBC Mobile`. Throws a TypeError naming the bad entry.
 */
export function parseChannelList(text: string | undefined): Channel[] {
  if (!text) return [];
  return text.split(';').filter((s) => s.trim()).map((entry) => {
    const [id, cls, ...name] = entry.split(':');
    if (!id || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(id) || !CHANNEL_CLASSES.includes(cls as ChannelClass) || name.join(':').trim() === '') {
      throw new TypeError(`KEXIN_ECARD_CHANNELS: bad entry "${entry}" (expected id:class:name, class one of ${CHANNEL_CLASSES.join('/')})`);
    }
    return { id, class: cls as ChannelClass, name: name.join(':').trim() };
  });
}
