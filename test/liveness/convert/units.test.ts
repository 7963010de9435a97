import { describe, expect, it } from 'vitest';
import { tfPad1d, tfPads2d } from '../../../src/liveness/convert/padding.ts';
import { depthwiseToOnnx, hwioToOihw, transposeData } from '../../../src/liveness/convert/layout.ts';
import { decodeFloat16, decodeWeight, decodeWeightGroup } from '../../../src/liveness/convert/readTfjsModel.ts';
import { convertLoadedModel } from '../../../src/liveness/convert/convertTfjsModel.ts';
import { decodeModel } from '../../../src/liveness/convert/onnxProto.ts';
import { KexinError } from '../../../src/errors.ts';

describe('TF padding → explicit ONNX pads', () => {
  it('SAME with stride 2 on an even size puts the extra pixel at the end', () => {
    // in 128, k 3, s 2 → out 64, total = 63*2 + 3 - 128 = 1 → (0, 1): the odd pixel goes at the end
    expect(tfPad1d('SAME', 128, 3, 2)).toEqual({ begin: 0, end: 1, out: 64 });
    expect(tfPad1d('SAME', 128, 5, 2)).toEqual({ begin: 1, end: 2, out: 64 });
  });
  it('SAME with stride 1 is symmetric for odd kernels, end-heavy for even kernels', () => {
    expect(tfPad1d('SAME', 16, 3, 1)).toEqual({ begin: 1, end: 1, out: 16 });
    expect(tfPad1d('SAME', 16, 2, 1)).toEqual({ begin: 0, end: 1, out: 16 });
    expect(tfPad1d('SAME', 16, 4, 1)).toEqual({ begin: 1, end: 2, out: 16 });
  });
  it('SAME on odd sizes and with dilation', () => {
    expect(tfPad1d('SAME', 7, 3, 2)).toEqual({ begin: 1, end: 1, out: 4 });
    expect(tfPad1d('SAME', 10, 3, 1, 2)).toEqual({ begin: 2, end: 2, out: 10 }); // effective kernel 5
    expect(tfPad1d('SAME', 2, 2, 2)).toEqual({ begin: 0, end: 0, out: 1 }); // never negative
  });
  it('VALID and EXPLICIT', () => {
    expect(tfPad1d('VALID', 7, 3, 2)).toEqual({ begin: 0, end: 0, out: 3 });
    expect(tfPad1d('EXPLICIT', 7, 3, 1, 1, [2, 0])).toEqual({ begin: 2, end: 0, out: 7 });
  });
  it('2-D pads are ONNX-ordered [top, left, bottom, right]', () => {
    expect(tfPads2d('SAME', [128, 96], [3, 5], [2, 2])).toEqual({ pads: [0, 1, 1, 2], outHW: [64, 48] });
    expect(tfPads2d('EXPLICIT', [8, 8], [3, 3], [1, 1], [1, 1], [0, 0, 1, 2, 3, 4, 0, 0])).toEqual({ pads: [1, 3, 2, 4], outHW: [9, 13] });
  });
});

describe('weight layout transforms', () => {
  it('transposeData is a row-major permutation', () => {
    const t = transposeData(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3], [1, 0]);
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.data)).toEqual([0, 3, 1, 4, 2, 5]);
  });
  it('HWIO → OIHW', () => {
    const [H, W, I, O] = [2, 3, 4, 5];
    const src = Float32Array.from({ length: H * W * I * O }, (_, k) => k);
    const { data, shape } = hwioToOihw(src, [H, W, I, O]);
    expect(shape).toEqual([O, I, H, W]);
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let i = 0; i < I; i++)
          for (let o = 0; o < O; o++) expect(data[((o * I + i) * H + h) * W + w]).toBe(src[((h * W + w) * I + i) * O + o]);
  });
  it('depthwise HWCM → (C*M)1HW with output channel c*M + m', () => {
    const [H, W, C, M] = [3, 2, 4, 2];
    const src = Float32Array.from({ length: H * W * C * M }, (_, k) => k);
    const { data, shape } = depthwiseToOnnx(src, [H, W, C, M]);
    expect(shape).toEqual([C * M, 1, H, W]);
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < C; c++)
          for (let m = 0; m < M; m++) expect(data[(c * M + m) * H * W + h * W + w]).toBe(src[((h * W + w) * C + c) * M + m]);
  });
});

describe('quantized weight shards', () => {
  it('float16 decoding (normal, subnormal, signed, special)', () => {
    expect(decodeFloat16(0x3c00)).toBe(1);
    expect(decodeFloat16(0xc000)).toBe(-2);
    expect(decodeFloat16(0x3555)).toBeCloseTo(0.33325195, 7);
    expect(decodeFloat16(0x0001)).toBe(2 ** -24);
    expect(decodeFloat16(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(decodeFloat16(0x7e00)).toBeNaN();
  });
  it('float16-quantized float32 weight', () => {
    const bytes = new Uint8Array(new Uint16Array([0x3c00, 0xbc00, 0x4200, 0x0000]).buffer);
    const t = decodeWeight({ name: 'w', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } }, bytes);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data)).toEqual([1, -1, 3, 0]);
  });
  it('uint8 min/scale and uint16, including int32 originals', () => {
    const u8 = decodeWeight({ name: 'a', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } }, Uint8Array.from([0, 2, 255]));
    expect(Array.from(u8.data)).toEqual([-1, 0, 126.5]);
    const u16 = decodeWeight({ name: 'b', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', min: 0.25, scale: 0.25 } }, new Uint8Array(new Uint16Array([0, 1000]).buffer));
    expect(Array.from(u16.data)).toEqual([0.25, 250.25]);
    const i = decodeWeight({ name: 'c', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', min: -3, scale: 1, original_dtype: 'int32' } }, Uint8Array.from([0, 10]));
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.data)).toEqual([-3, 7]);
  });
  it('a group is read sequentially with per-weight byte sizes; truncation is an error', () => {
    const f = new Float32Array([1.5, -2]);
    const q = Uint8Array.from([4, 8]);
    const buf = new Uint8Array([...new Uint8Array(f.buffer), ...q]);
    const weights = [
      { name: 'f', shape: [2], dtype: 'float32' },
      { name: 'q', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8' as const, min: 0, scale: 0.25 } },
    ];
    const m = decodeWeightGroup(weights, buf);
    expect(Array.from(m.get('f')!.data)).toEqual([1.5, -2]);
    expect(Array.from(m.get('q')!.data)).toEqual([1, 2]);
    expect(() => decodeWeightGroup(weights, buf.subarray(0, 9))).toThrow(/truncated/);
  });
});

describe('converter graph handling', () => {
  const base = (op: string) => ({
    name: 'toy',
    weights: new Map(),
    nodes: [
      { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '1' }, { size: '4' }] } } } },
      { name: 'y', op, input: ['x'] },
      { name: 'Identity', op: 'Identity', input: ['y'] },
    ],
  });
  it('an unknown op raises MODEL_UNSUPPORTED_OP naming the op, node and model', () => {
    let err: unknown;
    try {
      convertLoadedModel(base('Erfinv'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KexinError);
    expect((err as KexinError).code).toBe('MODEL_UNSUPPORTED_OP');
    expect((err as KexinError).status).toBe(500);
    expect((err as KexinError).message).toMatch(/"Erfinv".*"y".*toy/);
  });
  it('a known op converts to a valid opset-17 model with the TF names as graph inputs/outputs', () => {
    const c = convertLoadedModel(base('Sigmoid'));
    expect(c.inputs).toEqual([{ name: 'x', tfName: 'x:0', shape: [1, 4], dtype: 'float32' }]);
    expect(c.outputs.map((o) => [o.name, o.shape])).toEqual([['Identity', [1, 4]]]);
    const m = decodeModel(c.onnx);
    expect(m.opsetImport[0].version).toBe(17);
    expect(m.graph.node.map((n) => n.opType)).toEqual(['Sigmoid', 'Identity']);
  });
});
