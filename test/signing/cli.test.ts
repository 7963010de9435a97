/**
 * The CLI on a fresh data dir, in its own processes: `kexin seal create`, `kexin seal apply`,
 * `kexin verify` (exit 0 and TOTAL_PASSED, with the HTML report), `kexin seal archive-renew --all`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase, freshDatabaseUrl, tempDir } from '../support/database.ts';
import { OWNER } from './support/harness.ts';
import { makePdf } from './support/pdfs.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('kexin seal / kexin verify', () => {
  const dir = tempDir('kexin-seal-cli-');
  let databaseUrl: string | undefined;
  const env = async () => {
    databaseUrl ??= await freshDatabaseUrl();
    return { ...process.env, KEXIN_DATA_DIR: join(dir, 'data'), KEXIN_KEY_PASSPHRASE: 'cli-test-passphrase-123', KEXIN_BOOTSTRAP_TOKEN: 'cli-test-operator-token-0123', LOG_LEVEL: 'error', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  };
  const kexin = async (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'src/cli.ts'), ...args], { env: await env(), encoding: 'utf8', timeout: 170_000 });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  afterAll(async () => { if (databaseUrl) await dropDatabase(databaseUrl); });

  it('creates a seal, seals a PDF at B-LTA, verifies it, renews its archive time-stamp', async () => {
    const created = await kexin('seal', 'create', '--owner', OWNER.name, '--credit-code', OWNER.creditCode, '--kind', 'business', '--name', '社保业务专用章', '--algorithm', 'ECDSA');
    expect(created.status, created.err).toBe(0);
    const seal = JSON.parse(created.out);
    const input = join(dir, 'in.pdf');
    const output = join(dir, 'out.pdf');
    writeFileSync(input, makePdf());
    const applied = await kexin('seal', 'apply', '--seal', seal.id, '--in', input, '--out', output, '--level', 'B-LTA', '--page', '1', '--x', '150', '--y', '40', '--qr');
    expect(applied.status, applied.err).toBe(0);
    const verified = await kexin('verify', output, '--html', join(dir, 'report.html'));
    expect(verified.status, verified.out + verified.err).toBe(0);
    expect(JSON.parse(verified.out)).toMatchObject({ indication: 'TOTAL_PASSED', signatures: [{ level: 'B-LTA', esId: seal.esId }, { type: 'document-timestamp' }] });
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('有效');
    const renewed = await kexin('seal', 'archive-renew', '--all');
    expect(renewed.status, renewed.err).toBe(0);
    expect(JSON.parse(renewed.out)).toMatchObject({ renewed: 1, failed: [] });
  }, 600_000);
});
