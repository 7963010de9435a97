import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildModels, COPIED, readManifest } from '../../../src/liveness/models/buildModels.ts';
import { CATALOG, sourceLabel } from '../../../src/liveness/models/catalog.ts';
import type { OnnxCatalogModel } from '../../../src/liveness/models/catalog.ts';
import { CONVERTER_VERSION } from '../../../src/liveness/convert/convertTfjsModel.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('buildModels', () => {
  it('builds the whole catalog once (converting TFJS, copying ONNX), then only what changed', async () => {
    const data = await mkdtemp(join(tmpdir(), 'kexin-models-'));
    dirs.push(data);
    const first = await buildModels(data);
    expect(first.built.sort()).toEqual(CATALOG.map((m) => m.name).sort());
    const manifest = await readManifest(data);
    for (const m of CATALOG) {
      const e = manifest.models.find((x) => x.name === m.name)!;
      expect(e.file).toBe(`${m.name}.onnx`);
      expect(e.converterVersion).toBe(m.format === 'tfjs' ? CONVERTER_VERSION : COPIED);
      expect(e.source).toBe(sourceLabel(m));
      expect(e.licence).toEqual(m.licence);
      const bytes = await readFile(join(data, 'models', e.file));
      expect(e.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      if (m.format === 'onnx') expect(e.sha256).toBe(m.sha256);
      // The catalog documents the tensors the model actually exposes (ONNX Runtime reads them back).
      expect(e.inputs.map((i) => [i.name, i.shape])).toEqual([[m.input.name, m.input.shape]]);
      expect(e.outputs.map((o) => [o.name, o.shape])).toEqual(m.outputs.map((o) => [o.name, o.shape]));
      const s = await ort.InferenceSession.create(bytes);
      const dims = (meta: readonly ort.InferenceSession.ValueMetadata[]) => meta.map((v) => [v.name, v.isTensor ? v.shape.map((d) => (typeof d === 'number' ? d : -1)) : null]);
      expect(dims(s.inputMetadata)).toEqual([[m.input.name, m.input.shape]]);
      expect(dims(s.outputMetadata)).toEqual(m.outputs.map((o) => [o.name, o.shape]));
      await s.release();
    }
    const second = await buildModels(data);
    expect(second.built).toEqual([]);
    // A damaged file is rebuilt (converted or copied again); nothing else is touched.
    await writeFile(join(data, 'models', 'liveness.onnx'), 'garbage');
    await writeFile(join(data, 'models', 'fr_feature.onnx'), 'garbage');
    const third = await buildModels(data);
    expect(third.built.sort()).toEqual(['fr_feature', 'liveness']);
    expect((await readdir(join(data, 'models'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a shipped ONNX file whose sha256 differs from the catalog pin, and writes nothing', async () => {
    const data = await mkdtemp(join(tmpdir(), 'kexin-models-'));
    dirs.push(data);
    const fr = CATALOG.find((m): m is OnnxCatalogModel => m.format === 'onnx')!;
    const tampered: OnnxCatalogModel = { ...fr, sha256: '0'.repeat(64) };
    await expect(buildModels(data, { models: [tampered] })).rejects.toMatchObject({ code: 'MODEL_SOURCE_MISMATCH' });
    expect(await readdir(join(data, 'models'))).toEqual([]);
  });
});
