/**
 * The e-card page in Chromium against the real service over HTTP: a holder claims on the holder page
 * (device key made in the browser, non-extractable), the page shows its refreshing QR code; a second
 * browser whose fake camera films that code scans it on the verifier page (jsQR) and the service
 * verifies it — valid; after the card is suspended, a fresh code from the same page fails with
 * CARD_SUSPENDED. Also: `kexin ecard demo-claim` against the same service.
 * Skips, with a message, when chromium or ffmpeg is absent (fails instead when CI is set).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDynamicQr } from '../../src/ecard/holder/ecardHolder.js';
import { freshDatabaseUrl } from '../support/database.ts';
import { idNumber } from '../support/idNumbers.ts';
import { hasTool } from '../support/tools.ts';
import { ROOT } from '../support/spawnService.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'ecard-e2e-operator-token-0123';
const missing = [!existsSync(CHROMIUM) ? `chromium (${CHROMIUM})` : '', !hasTool('ffmpeg') ? 'ffmpeg' : ''].filter(Boolean);
if (missing.length) {
  if (process.env.CI) throw new Error(`e-card browser test cannot run: missing ${missing.join(', ')}`);
  console.warn(`[ecard e2e] skipped: missing ${missing.join(', ')}`);
}
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>), NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', KEXIN_DATA_DIR: dataDir, KEXIN_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'warn',
  };
  const databaseUrl = await freshDatabaseUrl();
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const child = spawn(process.execPath, [path.join(ROOT, 'test/e2e/ecardServer.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`e-card server exited with ${code}`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

describe.skipIf(missing.length > 0)('e-card holder and verifier pages in Chromium', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  let holderBrowser: Browser;
  const op = (p: string, init: RequestInit = {}) => fetch(server.url + p, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kexin-ecard-e2e-'));
    server = await startServer(path.join(dir, 'data'));
    holderBrowser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  }, 180_000);

  afterAll(async () => {
    await holderBrowser?.close().catch(() => {});
    server?.child.kill('SIGTERM');
    if (server) await new Promise((r) => server.child.once('exit', r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Films `png` with a fake camera, scans it on the verifier page, returns what the page shows. */
  async function scanOnVerifierPage(png: Buffer, name: string): Promise<{ valid: string | null; reasons: string | null; text: string }> {
    const still = path.join(dir, `${name}.png`);
    const video = path.join(dir, `${name}.mjpeg`);
    writeFileSync(still, png);
    const ff = spawnSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', still, '-t', '6', '-vf', 'fps=10,scale=480:480', '-pix_fmt', 'yuvj420p', '-q:v', '2', '-f', 'mjpeg', video]);
    expect(ff.status, ff.stderr?.toString()).toBe(0);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BROWSER_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`] });
    try {
      const page = await (await browser.newContext({ viewport: { width: 800, height: 1200 } })).newPage();
      await page.goto(`${server.url}/ecard/ui/ecard.html#verifier`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true');
      await page.fill('#verify-token', TOKEN);
      await page.click('#scan');
      await page.waitForSelector('#result:not([hidden])', { timeout: 60_000 });
      const result = page.locator('#result');
      return { valid: await result.getAttribute('data-valid'), reasons: await result.getAttribute('data-reasons'), text: await result.innerText() };
    } finally {
      await browser.close();
    }
  }

  it('claims on the holder page, verifies the camera-scanned QR code, and fails it after suspension', async () => {
    const created = await (await op('/ecard/holders', { method: 'POST', body: JSON.stringify({ name: '王阿姨', idNumber: idNumber(77, '19500101'), cardNumber: 'E00000077', region: '440305' }) })).json() as { holderId: string; card: { id: string } };
    const page = await (await holderBrowser.newContext({ viewport: { width: 800, height: 1200 } })).newPage();
    await page.goto(`${server.url}/ecard/ui/ecard.html#holder`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await page.fill('#holder-id', created.holderId);
    await page.fill('#claim-token', TOKEN);
    await page.click('#claim');
    await page.waitForSelector('#card:not([hidden])', { timeout: 30_000 });
    await page.waitForFunction(() => (document.getElementById('qr') as HTMLCanvasElement).dataset.qr?.startsWith('KX1:'));
    // Large enough for the elderly: the code fills most of the screen's width, the countdown is big.
    expect((await page.locator('#qr').boundingBox())!.width).toBeGreaterThanOrEqual(560);
    expect(await page.locator('#countdown').evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(28);
    expect(Number(await page.locator('#qr').getAttribute('data-version'))).toBeLessThanOrEqual(15);
    // The device key stayed in the browser: the service saw only its public half.
    const stored = await page.evaluate(async () => new Promise<{ extractable: boolean }>((resolve) => {
      const req = indexedDB.open('kexin-ecard', 1);
      req.onsuccess = () => { const g = req.result.transaction('card').objectStore('card').get('current'); g.onsuccess = () => resolve({ extractable: g.result.privateKey.extractable }); };
    }));
    expect(stored.extractable).toBe(false);

    const first = await scanOnVerifierPage(await page.locator('#qr').screenshot(), 'qr-valid');
    expect(first, first.text).toMatchObject({ valid: 'true', reasons: '' });
    expect(first.text).toContain('有效');

    expect((await op(`/ecard/cards/${created.card.id}/suspend`, { method: 'POST', body: JSON.stringify({ reason: 'reported lost' }) })).status).toBe(200);
    const before = await page.locator('#qr').getAttribute('data-qr');
    await page.click('#refresh');
    await page.waitForFunction((old) => (document.getElementById('qr') as HTMLCanvasElement).dataset.qr !== old, before);
    const second = await scanOnVerifierPage(await page.locator('#qr').screenshot(), 'qr-suspended');
    expect(second, second.text).toMatchObject({ valid: 'false', reasons: 'CARD_SUSPENDED' });
    expect(second.text).toContain('挂失');
  }, 240_000);

  it('runs `kexin ecard demo-claim` against the service and prints one usable JSON line', async () => {
    const { holderId } = await (await op('/ecard/holders', { method: 'POST', body: JSON.stringify({ name: '李师傅', idNumber: idNumber(78), cardNumber: 'E00000078', region: '440305' }) })).json() as { holderId: string };
    const r = spawnSync(process.execPath, ['bin/kexin.js', 'ecard', 'demo-claim', '--holder', holderId, '--url', server.url, '--token', TOKEN], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, KEXIN_DATA_DIR: path.join(dir, 'cli') } });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as { cardId: string; credential: string; cardToken: string; statusListId: number; deviceJwk: JsonWebKey };
    expect(out).toMatchObject({ cardId: expect.any(String), statusListId: 1, deviceJwk: { kty: 'EC', crv: 'P-256', d: expect.any(String) } });
    const key = await crypto.subtle.importKey('jwk', out.deviceJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const verified = await (await op('/ecard/verify', { method: 'POST', body: JSON.stringify({ qr: await makeDynamicQr({ cardToken: out.cardToken, privateKey: key }) }) })).json() as { valid: boolean };
    expect(verified.valid).toBe(true);
    const evidence = await (await op(`/audit/verify`)).json() as { ok: boolean };
    expect(evidence.ok).toBe(true);
    const bad = spawnSync(process.execPath, ['bin/kexin.js', 'ecard', 'demo-claim', '--holder', 'not-a-uuid', '--url', server.url, '--token', TOKEN], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
  }, 120_000);
});
