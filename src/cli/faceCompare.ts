/**
 * `kexin face compare A.jpg B.jpg`: prints the same JSON as `POST /face/verify` (probe = A,
 * reference = B). When a service is running on the data dir (`ctx.remote`), the request goes to it, so
 * the decision is audited like any other; otherwise the networks are loaded in-process from
 * `<dataDir>/models` and the comparison runs offline (not audited: nothing is decided for anyone).
 * Returns the exit code: 0 when a result was printed (match or not), 1 on an error (stderr:
 * `kexin: CODE: detail`, the same codes as the API's problem documents).
 *
 * The context is structurally the CLI's `CommandContext` (src/cli/commands.ts), so wiring is
 * `face: { words: 2, remote: true, run: (ctx) => faceCompareCommand(ctx.args[0], ctx.args[1], ctx) }`.
 */
import { readFile } from 'node:fs/promises';
import type { ServiceClient } from './serviceClient.ts';
import { KexinError } from '../errors.ts';
import { createFaceEngine } from '../liveness/faceEngine.ts';
import type { FaceModels } from '../liveness/faceModels.ts';
import { verifyResultFromCompare } from '../liveness/faceService.ts';
import { loadOnnxFaceModels } from '../liveness/onnxFaceModels.ts';

export interface FaceCompareContext {
  readonly config: { readonly dataDir: string };
  /** A running service holding the data dir, if any. */
  readonly remote?: ServiceClient | undefined;
  out(s: string): void;
  err(s: string): void;
  /** Networks for the in-process path (default: ONNX from `<dataDir>/models`). */
  readonly loadModels?: (dataDir: string) => Promise<FaceModels>;
}

export async function faceCompareCommand(pathA: string | undefined, pathB: string | undefined, ctx: FaceCompareContext): Promise<number> {
  const fail = (code: string, detail: string) => { ctx.err(`kexin: ${code}: ${detail}`); return 1; };
  if (!pathA || !pathB) return fail('USAGE', 'kexin face compare A.jpg B.jpg');
  try {
    const [a, b] = await Promise.all([readFile(pathA), readFile(pathB)]);
    if (ctx.remote) {
      const res = await ctx.remote.request('POST', '/face/verify', { probe: a.toString('base64'), reference: b.toString('base64') });
      if (res.status !== 200) return fail(res.json?.code ?? String(res.status), res.json?.detail ?? res.json?.title ?? 'request failed');
      ctx.out(JSON.stringify(res.json, null, 2));
      return 0;
    }
    const models = await (ctx.loadModels ?? loadOnnxFaceModels)(ctx.config.dataDir);
    try {
      const engine = createFaceEngine({ models });
      ctx.out(JSON.stringify(verifyResultFromCompare(await engine.compare(a, b)), null, 2));
      return 0;
    } finally {
      await models.dispose();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fail('FILE_NOT_FOUND', (err as Error).message);
    // The local operator sees 5xx messages too (e.g. FACE_MODELS_MISSING).
    if (err instanceof KexinError) return fail(err.code, err.message);
    return fail('INTERNAL', err instanceof Error ? err.message : String(err));
  }
}
