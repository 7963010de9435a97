/** Face embedding: mobilefacenet on the ArcFace-aligned 112×112 crop, RGB in [-1, 1], L2-normalised output. */
import { EMBEDDING_SIZE, MODEL_INPUTS } from './faceModels.ts';
import type { FaceModels } from './faceModels.ts';
import type { RgbImage } from './image.ts';
import { l2normalize } from './similarity.ts';

export interface Normalization { readonly scale: number; readonly offset: number }

export function embeddingInput(aligned: RgbImage, norm: Normalization = MODEL_INPUTS.embedding): Float32Array {
  const { size } = MODEL_INPUTS.embedding;
  const { scale, offset } = norm;
  if (aligned.width !== size || aligned.height !== size) throw new RangeError(`embedding input must be ${size}×${size}`);
  const out = new Float32Array(size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = aligned.data[i] * scale + offset;
  return out;
}

export async function embedFace(models: FaceModels, aligned: RgbImage, norm?: Normalization): Promise<Float32Array> {
  const raw = await models.embed(embeddingInput(aligned, norm));
  if (raw.length !== EMBEDDING_SIZE) throw new Error(`embedding has ${raw.length} values, expected ${EMBEDDING_SIZE}`);
  return l2normalize(raw);
}
