/** Vector helpers for face embeddings. */

export function l2normalize(v: Float32Array): Float32Array {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += v[i] * v[i];
  const n = Math.sqrt(ss);
  if (!(n > 0) || !Number.isFinite(n)) throw new RangeError('cannot normalise a zero or non-finite vector');
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

/** Cosine similarity in [-1, 1]. Works for any non-zero vectors; for unit vectors it is the dot product. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`embedding length mismatch: ${a.length} vs ${b.length}`);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  const d = Math.sqrt(na * nb);
  if (!(d > 0)) throw new RangeError('cosine similarity of a zero vector');
  return Math.max(-1, Math.min(1, dot / d));
}
