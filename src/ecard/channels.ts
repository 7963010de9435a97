/**
 * Channels (发卡渠道: the 人社 app, bank and payment apps, hospital systems…) are registered system
 * clients. The e-card module only needs to look one up: this port, which the identity module's client
 * registry implements once it lands. Until then `createStaticChannelDirectory` serves a fixed list
 * (configuration), always including the operator's own counter/kiosk channel.
 */
export type ChannelClass = 'hrss' | 'government' | 'bank' | 'payment' | 'medical' | 'other';
export const CHANNEL_CLASSES: readonly ChannelClass[] = ['hrss', 'government', 'bank', 'payment', 'medical', 'other'];

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
