import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { faceCompareCommand } from '../../src/cli/faceCompare.ts';
import { createFakeFaceModels } from '../support/fakeFaceModels.ts';
import { tempDir } from '../support/database.ts';

const MESH = Float32Array.from(JSON.parse(readFileSync(new URL('../liveness/fixtures/mesh-frontal.json', import.meta.url), 'utf8')).mesh as number[]);

describe('faceCompareCommand (kexin face compare)', () => {
  it('prints the /face/verify JSON in-process, and coded errors on stderr', async () => {
    const dir = tempDir();
    const img = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
    const a = path.join(dir, 'a.jpg');
    await writeFile(a, img);
    let out = '', err = '';
    const ctx = { config: { dataDir: dir }, remote: undefined, out: (s: string) => { out += s; }, err: (s: string) => { err += s; } };
    const fake = async () => createFakeFaceModels({ detections: [{ cx: 64, cy: 64, w: 50, h: 50, score: 0.95 }], mesh: MESH });
    expect(await faceCompareCommand(a, a, { ...ctx, loadModels: fake })).toBe(0);
    const json = JSON.parse(out);
    expect(Object.keys(json).sort()).toEqual(['match', 'quality', 'reasons', 'score', 'threshold']);
    expect(json.score).toBeCloseTo(1, 5);
    expect(await faceCompareCommand(path.join(dir, 'missing.jpg'), a, ctx)).toBe(1);
    expect(err).toMatch(/^kexin: FILE_NOT_FOUND: /);
    err = '';
    expect(await faceCompareCommand(a, a, ctx)).toBe(1);
    expect(err).toMatch(/^kexin: FACE_MODELS_MISSING: /);
    err = '';
    expect(await faceCompareCommand(a, undefined, ctx)).toBe(1);
    expect(err).toMatch(/USAGE/);
  });

  it('goes to the running service when there is one', async () => {
    const dir = tempDir();
    const a = path.join(dir, 'a.jpg');
    await writeFile(a, Buffer.from([0xff, 0xd8, 0xff]));
    const calls: unknown[] = [];
    let out = '';
    const remote = { url: 'http://x', request: async (method: string, p: string, body?: unknown) => { calls.push([method, p, body]); return { status: 200, json: { match: false, score: 0.1, threshold: 0.5, quality: { probe: null, reference: null }, reasons: [] } }; } };
    expect(await faceCompareCommand(a, a, { config: { dataDir: dir }, remote, out: (s) => { out += s; }, err: () => {} })).toBe(0);
    expect(calls).toEqual([['POST', '/face/verify', { probe: '/9j/', reference: '/9j/' }]]);
    expect(JSON.parse(out).threshold).toBe(0.5);
  });
});
