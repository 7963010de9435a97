/**
 * web/verify.html in Debian Chromium (playwright-core), against the real service in a child process:
 * a clerk drops a sealed PDF and reads the verdict (and sees a tampered copy fail); then scans a
 * printout — the sealed page rendered by pdftoppm, played to Chromium's fake camera — and the page
 * checks the QR code's signature itself and shows the registered original. Skips, saying why, when
 * chromium, ffmpeg or pdftoppm is absent (fails instead when CI is set).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseUrl } from '../support/database.ts';
import { makePdf } from '../signing/support/pdfs.ts';
import { OWNER } from '../signing/support/harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = [!existsSync(CHROMIUM) ? `chromium (${CHROMIUM})` : '', !has('ffmpeg') ? 'ffmpeg' : '', !has('pdftoppm') ? 'pdftoppm' : ''].filter(Boolean);
if (missing.length && process.env.CI) throw new Error(`[verify e2e] missing in CI: ${missing.join(', ')}`);
if (missing.length) console.warn(`[verify e2e] SKIPPED: missing ${missing.join(', ')}`);

const TOKEN = 'e2e-operator-token-0123456789';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe.skipIf(missing.length > 0)('verification page in Chromium', () => {
  let child: ChildProcess;
  let url: string;
  let browser: Browser | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'kexin-verify-e2e-'));
  let sealed: Buffer;
  let cameraFile: string;

  beforeAll(async () => {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', KEXIN_DATA_DIR: path.join(dir, 'data'), KEXIN_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'warn' };
    const databaseUrl = await freshDatabaseUrl();
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
    child = spawn(process.execPath, [path.join(ROOT, 'test/e2e/verifyServer.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    url = JSON.parse(line).url;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const seal = await (await fetch(`${url}/seals`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ owner: OWNER, kind: 'business', name: '社会保险业务专用章', algorithm: 'ECDSA' }) })).json();
    const res = await fetch(`${url}/seals/${seal.id}/apply/pdf?level=B-T&page=1&x=150&y=60&qr=true&keep=true`, { method: 'POST', headers: { ...auth, 'content-type': 'application/pdf' }, body: new Uint8Array(makePdf()) });
    expect(res.status).toBe(200);
    sealed = Buffer.from(await res.arrayBuffer());
    writeFileSync(path.join(dir, 'sealed.pdf'), sealed);
    // The printout: page 1 at 200 dpi; the camera sees its lower-left corner (the verification block).
    spawnSync('pdftoppm', ['-r', '200', '-f', '1', '-l', '1', '-png', path.join(dir, 'sealed.pdf'), path.join(dir, 'page')]);
    const crop = await sharp(path.join(dir, 'page-1.png')).extract({ left: 60, top: 2339 - 400, width: 600, height: 380 }).resize(640, 480, { fit: 'contain', background: '#fff' }).png().toBuffer();
    writeFileSync(path.join(dir, 'qr.png'), crop);
    cameraFile = path.join(dir, 'qr.mjpeg');
    const ff = spawnSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', path.join(dir, 'qr.png'), '-t', '20', '-vf', 'fps=15', '-pix_fmt', 'yuvj420p', '-q:v', '2', '-f', 'mjpeg', cameraFile]);
    if (ff.status !== 0) throw new Error(String(ff.stderr));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${cameraFile}`, '--no-sandbox'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('drop a sealed PDF: the verdict in words, the seal as its image; a tampered copy is invalid', async () => {
    const page = await browser!.newPage();
    await page.goto(`${url}/verify`);
    await page.setInputFiles('#file', path.join(dir, 'sealed.pdf'));
    await page.waitForSelector('#overall');
    expect(await page.getAttribute('#overall', 'data-indication')).toBe('TOTAL_PASSED');
    expect(await page.textContent('#result')).toContain('有效：印章真实');
    expect(await page.textContent('#result')).toContain('Valid: the seal is genuine');
    expect(await page.locator('img.seal').first().evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(100);
    const tampered = Buffer.from(sealed);
    tampered[tampered.indexOf('Kexin test document') + 3] ^= 1;
    writeFileSync(path.join(dir, 'tampered.pdf'), tampered);
    await page.setInputFiles('#file', path.join(dir, 'tampered.pdf'));
    await page.waitForFunction(() => document.querySelector('#overall')?.getAttribute('data-indication') === 'TOTAL_FAILED');
    expect(await page.textContent('#result')).toContain('无效');
    await page.close();
  });

  it('scan a printout with the camera: the QR code\'s signature checks out and the registered original is offered', async () => {
    const context = await browser!.newContext({ permissions: ['camera'] });
    const page = await context.newPage();
    await page.goto(`${url}/verify/ui/verify.html`);
    await page.click('#scan');
    await page.waitForSelector('#printed', { timeout: 60_000 });
    expect(await page.getAttribute('#printed', 'data-code-valid')).toBe('true');
    const text = await page.textContent('#printed');
    expect(text).toContain('打印件核验码真实有效');
    expect(text).toContain('active');
    expect(await page.getAttribute('#printed a', 'href')).toMatch(/^\/verify\/documents\/[0-9a-f-]{36}\/file$/);
    await context.close();
  });
});
