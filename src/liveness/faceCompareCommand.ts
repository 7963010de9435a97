/**
 * `kexin face compare A.jpg B.jpg`: prints the same JSON as `POST /face/verify` (probe = A,
 * reference = B). When a service is running on the data dir, the request goes to it (so the decision
 * is audited like any other); otherwise the networks are loaded in-process from
 * `<dataDir>/models` and the comparison runs offline (not audited: nothing is decided for anyone).
 * Returns the process exit code: 0 when a result was printed (match or not), 1 on an error.
 */
import { readFile } from 'node:fs/promises';
import { serviceClientFor, type ServiceClient } from '../cli/serviceClient.ts';
import { KexinError } from '../errors.ts';
import { createFaceEngine } from './faceEngine.ts';
import type { FaceModels } from './faceModels.ts';
import { verifyResultFromCompare } from './faceService.ts';
import { loadOnnxFaceModels } from './onnxFaceModels.ts';

export interface FaceCompareContext {
  readonly dataDir: string;
  /** Where the JSON goes (default stdout). */
  readonly out?: NodeJS.WritableStream;
  /** Override the running-service lookup (tests); `null` forces in-process. */
  readonly client?: ServiceClient | null;
  readonly loadModels?: (dataDir: string) => Promise<FaceModels>;
}

export async function faceCompareCommand(pathA: string, pathB: string, ctx: FaceCompareContext): Promise<number> {
  const out = ctx.out ?? process.stdout;
  const print = (v: unknown) => out.write(`${JSON.stringify(v, null, 2)}\n`);
  try {
    const [a, b] = await Promise.all([readFile(pathA), readFile(pathB)]);
    const client = ctx.client === undefined ? serviceClientFor(ctx.dataDir) : ctx.client;
    if (client) {
      const res = await client.request('POST', '/face/verify', { probe: a.toString('base64'), reference: b.toString('base64') });
      print(res.json);
      return res.status === 200 ? 0 : 1;
    }
    const models = await (ctx.loadModels ?? loadOnnxFaceModels)(ctx.dataDir);
    try {
      const engine = createFaceEngine({ models });
      print(verifyResultFromCompare(await engine.compare(a, b)));
      return 0;
    } finally {
      await models.dispose();
    }
  } catch (err) {
    // Same stable codes as the API's problem documents (the local operator also sees 5xx messages).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') print({ code: 'FILE_NOT_FOUND', detail: (err as Error).message });
    else if (err instanceof KexinError) print({ code: err.code, status: err.status, detail: err.message, ...(err.details ?? {}) });
    else print({ code: 'INTERNAL', status: 500, detail: err instanceof Error ? err.message : String(err) });
    return 1;
  }
}
