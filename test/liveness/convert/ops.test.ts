/**
 * Parity for ops and attribute combinations the catalog models do not exercise, on small hand-built
 * TFJS graph models (odd spatial sizes so TF SAME padding is asymmetric), run by tfjs and by ORT.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertTfjsModel } from '../../../src/liveness/convert/convertTfjsModel.ts';
import { loadTfjs, maxAbsDiff, onnxSession, rng, runOnnx, runTfjs } from './harness.ts';

type Attr = Record<string, unknown>;
interface Node { name: string; op: string; input?: string[]; attr?: Attr }
interface Weight { name: string; shape: number[]; dtype: 'float32' | 'int32'; data: number[] }

const b64 = (s: string) => Buffer.from(s).toString('base64');
const S = (s: string) => ({ s: b64(s) });
const I = (...v: number[]) => ({ list: { i: v.map(String) } });
const SL = (...v: string[]) => ({ list: { s: v.map(b64) } });
const F = { type: 'DT_FLOAT' };
const T = { T: { type: 'DT_FLOAT' } };
const r = rng(7);
const rand = (n: number, scale = 1) => Array.from({ length: n }, () => (r() * 2 - 1) * scale);
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const fw = (name: string, shape: number[], scale = 0.5): Weight => ({ name, shape, dtype: 'float32', data: rand(prod(shape), scale) });
const iw = (name: string, data: number[], shape = [data.length]): Weight => ({ name, shape, dtype: 'int32', data });
const conv = (name: string, input: string, filter: string, attr: Attr = {}, op = 'Conv2D'): Node => ({
  name, op, input: [input, filter], attr: { ...T, strides: I(1, 1, 1, 1), padding: S('SAME'), dilations: I(1, 1, 1, 1), data_format: S('NHWC'), ...attr },
});

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function check(label: string, inShape: number[], nodes: Node[], weights: Weight[], tolerance = 1e-4, oracle?: (x: Float32Array) => number[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kexin-toy-'));
  dirs.push(dir);
  const consts: Node[] = weights.map((w) => ({ name: w.name, op: 'Const', attr: { dtype: { type: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' }, value: { tensor: { dtype: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: { dim: w.shape.map((d) => ({ size: String(d) })) } } } } }));
  const placeholder: Node = { name: 'x', op: 'Placeholder', attr: { dtype: F, shape: { shape: { dim: inShape.map((d) => ({ size: String(d) })) } } } };
  const bin = Buffer.concat(weights.map((w) => Buffer.from((w.dtype === 'int32' ? Int32Array.from(w.data) : Float32Array.from(w.data)).buffer)));
  const json = {
    format: 'graph-model',
    modelTopology: { node: [placeholder, ...consts, ...nodes, { name: 'Identity', op: 'Identity', input: [nodes[nodes.length - 1].name], attr: T }], versions: { producer: 1 } },
    weightsManifest: [{ paths: ['w.bin'], weights: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
  };
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  await writeFile(join(dir, 'w.bin'), bin);
  const c = await convertTfjsModel(join(dir, 'model.json'));
  const s = await onnxSession(c.onnx);
  const tfm = await loadTfjs(join(dir, 'model.json'));
  const shape = inShape.map((d) => (d < 0 ? 2 : d));
  const x = Float32Array.from(rand(prod(shape)));
  const got = (await runOnnx(s, 'x', x, shape)).Identity;
  const want = oracle ? Float32Array.from(oracle(x)) : (await runTfjs(tfm, x, shape, ['Identity:0']))[0];
  expect(got.data.length, `${label}: size`).toBe(want.length);
  const d = maxAbsDiff(got.data, want);
  expect(d, `${label}: max abs diff`).toBeLessThanOrEqual(tolerance);
  expect(c.outputs[0].shape.map((v) => (v < 0 ? 2 : v)), `${label}: declared shape`).toEqual([...got.dims]);
  tfm.dispose();
  await s.release();
}

describe('op parity on toy graphs', () => {
  it('Conv2D: SAME stride 2 (asymmetric), dilation 2, VALID, EXPLICIT', async () => {
    await check('same-s2', [1, 9, 11, 4], [conv('c', 'x', 'w', { strides: I(1, 2, 2, 1) })], [fw('w', [3, 4, 4, 5])]);
    await check('same-k4-s3', [1, 9, 11, 4], [conv('c', 'x', 'w', { strides: I(1, 3, 3, 1) })], [fw('w', [4, 4, 4, 3])]);
    await check('dilated', [1, 9, 11, 4], [conv('c', 'x', 'w', { dilations: I(1, 2, 2, 1) })], [fw('w', [3, 3, 4, 2])]);
    await check('valid', [1, 9, 11, 4], [conv('c', 'x', 'w', { padding: S('VALID'), strides: I(1, 2, 1, 1) })], [fw('w', [3, 2, 4, 2])]);
    await check('explicit', [1, 9, 11, 4], [conv('c', 'x', 'w', { padding: S('EXPLICIT'), explicit_paddings: I(0, 0, 1, 2, 0, 3, 0, 0) })], [fw('w', [3, 3, 4, 2])]);
  });
  it('_FusedConv2D with BiasAdd + Relu6 / LeakyRelu / Prelu / Sigmoid / Elu', async () => {
    for (const act of ['Relu6', 'LeakyRelu', 'Sigmoid', 'Elu']) {
      await check(`fused-${act}`, [1, 9, 11, 4], [conv('c', 'x', 'w', { fused_ops: SL('BiasAdd', act), num_args: { i: '1' }, leakyrelu_alpha: { f: 0.3 }, strides: I(1, 2, 2, 1) }, '_FusedConv2D')].map((n) => ({ ...n, input: ['x', 'w', 'b'] })), [fw('w', [3, 3, 4, 6], 2), fw('b', [6])]);
    }
    await check('fused-prelu', [1, 9, 11, 4], [{ ...conv('c', 'x', 'w', { fused_ops: SL('BiasAdd', 'Prelu'), num_args: { i: '2' } }, '_FusedConv2D'), input: ['x', 'w', 'b', 'a'] }], [fw('w', [3, 3, 4, 6], 2), fw('b', [6]), fw('a', [6])]);
  });
  it('depthwise with channel multiplier 2, stride 2 SAME, fused bias+relu', async () => {
    await check('dw', [1, 9, 11, 4], [conv('d', 'x', 'w', { strides: I(1, 2, 2, 1) }, 'DepthwiseConv2dNative')], [fw('w', [3, 3, 4, 2])]);
    await check('fdw', [1, 9, 11, 4], [{ ...conv('d', 'x', 'w', { fused_ops: SL('BiasAdd', 'Relu'), num_args: { i: '1' } }, 'FusedDepthwiseConv2dNative'), input: ['x', 'w', 'b'] }], [fw('w', [5, 5, 4, 2]), fw('b', [8])]);
  });
  it('MaxPool / AvgPool SAME on odd sizes (AvgPool excludes padding)', async () => {
    const pool = (op: string, k: number, s: number, pad = 'SAME'): Node => ({ name: 'p', op, input: ['x'], attr: { ...T, ksize: I(1, k, k, 1), strides: I(1, s, s, 1), padding: S(pad), data_format: S('NHWC') } });
    await check('maxpool', [1, 9, 11, 4], [pool('MaxPool', 3, 2)], []);
    await check('avgpool', [1, 9, 11, 4], [pool('AvgPool', 3, 2)], []);
    await check('avgpool-valid', [1, 9, 11, 4], [pool('AvgPool', 2, 2, 'VALID')], []);
  });
  it('elementwise after conv stays NCHW with broadcast constants; Concat/Squeeze/Mean/Softmax on NCHW values', async () => {
    const c = conv('c', 'x', 'w');
    await check(
      'mix',
      [-1, 9, 11, 4],
      [
        c,
        { name: 'm', op: 'Mul', input: ['c', 'k'], attr: T },
        { name: 's', op: 'Sub', input: ['m', 'x'], attr: T },
        { name: 'mx', op: 'Maximum', input: ['s', 'k2'], attr: T },
        { name: 'mn', op: 'Minimum', input: ['mx', 'k3'], attr: T },
        { name: 'dv', op: 'RealDiv', input: ['mn', 'k4'], attr: T },
        { name: 'th', op: 'Tanh', input: ['dv'], attr: T },
        { name: 'cat', op: 'ConcatV2', input: ['th', 'c', 'ax'], attr: { ...T, N: { i: '2' } } },
        { name: 'sm', op: 'Softmax', input: ['cat'], attr: T },
        { name: 'mean', op: 'Mean', input: ['sm', 'rax'], attr: { ...T, keep_dims: { b: false } } },
      ],
      [fw('w', [3, 3, 4, 4]), fw('k', [4]), fw('k2', [1, 1, 4]), fw('k3', [11, 1]), { name: 'k4', shape: [], dtype: 'float32', data: [1.7] }, iw('ax', [-1], []), iw('rax', [1, 2])],
    );
  });
  it('MatMul with transpose_b, Reshape, ExpandDims, Transpose, Squeeze, Sum, Rsqrt', async () => {
    await check(
      'mm',
      [1, 6],
      [
        { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: { ...T, transpose_a: { b: false }, transpose_b: { b: true } } },
        { name: 'rs', op: 'Reshape', input: ['mm', 'shape'], attr: T },
        { name: 'ed', op: 'ExpandDims', input: ['rs', 'eax'], attr: T },
        { name: 'tr', op: 'Transpose', input: ['ed', 'perm'], attr: T },
        { name: 'sq', op: 'Squeeze', input: ['tr'], attr: { ...T, squeeze_dims: I(1) } },
        { name: 'sqr', op: 'Square', input: ['sq'], attr: T },
        { name: 'sum', op: 'Sum', input: ['sqr', 'sax'], attr: { ...T, keep_dims: { b: true } } },
        { name: 'rsq', op: 'Rsqrt', input: ['sum'], attr: T },
      ],
      [fw('w', [8, 6]), iw('shape', [1, 2, 4]), iw('eax', [-1], []), iw('perm', [2, 0, 1, 3]), iw('sax', [-1], [])],
    );
  });
  it('StridedSlice with begin/end/shrink masks and negative stride; Pad, PadV2, MirrorPad; Cast; ResizeBilinear', async () => {
    const ss = (bm: number, em: number, sm: number): Node => ({ name: 'ss', op: 'StridedSlice', input: ['x', 'b', 'e', 's'], attr: { ...T, begin_mask: { i: String(bm) }, end_mask: { i: String(em) }, shrink_axis_mask: { i: String(sm) }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' } } });
    const sliceW: Weight[] = [iw('b', [0, 1, 2, 2]), iw('e', [1, 8, 0, 3]), iw('s', [1, 2, 3, 1])];
    await check('ss-masks', [1, 9, 11, 4], [ss(1, 4, 0)], sliceW);
    // tfjs 4.22's CPU StridedSlice mishandles shrink_axis_mask on the last axis when other axes are
    // strided (it returns the flat-strided elements), so here the oracle is TF's documented semantics.
    const manual = (x: Float32Array) => [1, 3, 5, 7].flatMap((h) => [2, 5, 8].map((w) => x[(h * 11 + w) * 4 + 2]));
    await check('ss-masks-shrink', [1, 9, 11, 4], [ss(1, 4, 8)], sliceW, 0, manual);
    await check('ss-negative-stride', [1, 9, 11, 4], [ss(0, 4, 0)], [iw('b', [0, -2, 8, 1]), iw('e', [1, 0, 0, 4]), iw('s', [1, -3, -3, 2])]);
    await check('pad', [1, 9, 11, 4], [conv('c', 'x', 'w'), { name: 'p', op: 'Pad', input: ['c', 'pp'], attr: T }], [fw('w', [1, 1, 4, 3]), iw('pp', [0, 0, 1, 2, 3, 0, 0, 5], [4, 2])]);
    await check('padv2', [1, 9, 11, 4], [{ name: 'p', op: 'PadV2', input: ['x', 'pp', 'v'], attr: T }], [iw('pp', [0, 0, 1, 2, 3, 0, 0, 1], [4, 2]), { name: 'v', shape: [], dtype: 'float32', data: [-0.75] }]);
    await check('mirror', [1, 9, 11, 4], [{ name: 'p', op: 'MirrorPad', input: ['x', 'pp'], attr: { ...T, mode: S('REFLECT') } }], [iw('pp', [0, 0, 2, 1, 1, 3, 0, 0], [4, 2])]);
    await check('cast', [1, 9, 11, 4], [{ name: 'c', op: 'Cast', input: ['x'], attr: { SrcT: F, DstT: { type: 'DT_INT32' } } }, { name: 'f', op: 'Cast', input: ['c'], attr: { SrcT: { type: 'DT_INT32' }, DstT: F } }], []);
    for (const [ac, hp] of [[false, false], [true, false], [false, true]]) {
      await check(`resize ac=${ac} hp=${hp}`, [1, 9, 11, 4], [conv('c', 'x', 'w'), { name: 'rz', op: 'ResizeBilinear', input: ['c', 'sz'], attr: { ...T, align_corners: { b: ac }, half_pixel_centers: { b: hp } } }], [fw('w', [1, 1, 4, 3]), iw('sz', [14, 5])]);
    }
  });
  it('AddN on NCHW values, BatchMatMulV2 with adj_y, Slice, DepthToSpace', async () => {
    await check('addn', [1, 9, 11, 4], [conv('c', 'x', 'w'), { name: 'an', op: 'AddN', input: ['c', 'x', 'c'], attr: { ...T, N: { i: '3' } } }], [fw('w', [3, 3, 4, 4])]);
    await check('bmm', [2, 3, 5], [{ name: 'bm', op: 'BatchMatMulV2', input: ['x', 'w'], attr: { ...T, adj_x: { b: false }, adj_y: { b: true } } }], [fw('w', [2, 7, 5])]);
    await check('slice', [1, 9, 11, 4], [{ name: 'sl', op: 'Slice', input: ['x', 'b', 'sz'], attr: T }], [iw('b', [0, 2, 3, 1]), iw('sz', [-1, 5, -1, 2])]);
    await check('d2s', [1, 5, 7, 12], [conv('c', 'x', 'w'), { name: 'd2s', op: 'DepthToSpace', input: ['c'], attr: { ...T, block_size: { i: '2' }, data_format: S('NHWC') } }], [fw('w', [1, 1, 12, 8])]);
  });
});
