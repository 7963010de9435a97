/**
 * Reference rates measured in the same run as each benchmark: this machine is shared and noisy, so a
 * figure means something only next to what raw primitives achieved at the same moment.
 */
import { generateKeyPairSync, sign } from 'node:crypto';

export function rate(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 50; i++) fn(); // warm-up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

/** Raw `crypto.sign` ECDSA P-256 / SHA-256 signatures per second on one core. */
export function cryptoSignP256Rate(ms = 1000): number {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(256, 7);
  return rate(() => sign('sha256', data, privateKey), ms);
}

export function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

export function report(name: string, value: number, unit: string, extra: Record<string, string | number> = {}): void {
  const tail = Object.entries(extra).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`).join('  ');
  process.stdout.write(`${name.padEnd(44)} ${fmt(value).padStart(10)} ${unit.padEnd(10)} ${tail}\n`);
}
