/** Weight and tensor layout transforms (pure functions on flat row-major arrays). */

/** Generic row-major transpose: out.shape[i] = shape[perm[i]]. */
export function transposeData<T extends Float32Array | Int32Array>(data: T, shape: number[], perm: number[]): { data: T; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const out = new (data.constructor as { new (n: number): T })(data.length);
  const idx = new Array<number>(rank).fill(0);
  const permStrides = perm.map((p) => inStrides[p]);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i] * permStrides[i];
    out[o] = data[src];
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** TF Conv2D filter [H, W, I, O] → ONNX Conv weight [O, I, H, W]. */
export function hwioToOihw(data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  return transposeData(data, shape, [3, 2, 0, 1]);
}

/**
 * TF depthwise filter [H, W, C, M] → ONNX grouped Conv weight [C*M, 1, H, W] (group = C). TF orders
 * depthwise output channels as c*M + m, which is exactly the row-major flattening of (C, M).
 */
export function depthwiseToOnnx(data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [h, w, c, m] = shape;
  const t = transposeData(data, shape, [2, 3, 0, 1]); // [C, M, H, W]
  return { data: t.data, shape: [c * m, 1, h, w] };
}

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];
