import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { faceCompareCommand } from '../../src/liveness/faceCompareCommand.ts';
import { createFakeFaceModels } from '../../src/liveness/fakeFaceModels.ts';
import { tempDir } from '../support/database.ts';

const MESH = Float32Array.from(JSON.parse(readFileSync(new URL('./fixtures/mesh-frontal.json', import.meta.url), 'utf8')).mesh as number[]);

describe('faceCompareCommand (kexin face compare)', () => {
  it('prints the /face/verify JSON in-process, and a coded error for a missing file', async () => {
    const dir = tempDir();
    const img = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
    await writeFile(path.join(dir, 'a.jpg'), img);
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => { text += c; });
    const code = await faceCompareCommand(path.join(dir, 'a.jpg'), path.join(dir, 'a.jpg'), {
      dataDir: dir, out, client: null, loadModels: async () => createFakeFaceModels({ detections: [{ cx: 64, cy: 64, w: 50, h: 50, score: 0.95 }], mesh: MESH }),
    });
    expect(code).toBe(0);
    const json = JSON.parse(text);
    expect(Object.keys(json).sort()).toEqual(['match', 'quality', 'reasons', 'score', 'threshold']);
    expect(json.score).toBeCloseTo(1, 5);
    text = '';
    expect(await faceCompareCommand(path.join(dir, 'missing.jpg'), path.join(dir, 'a.jpg'), { dataDir: dir, out, client: null })).toBe(1);
    expect(JSON.parse(text).code).toBe('FILE_NOT_FOUND');
    text = '';
    expect(await faceCompareCommand(path.join(dir, 'a.jpg'), path.join(dir, 'a.jpg'), { dataDir: dir, out, client: null })).toBe(1);
    expect(JSON.parse(text).code).toBe('FACE_MODELS_MISSING');
  });
});
