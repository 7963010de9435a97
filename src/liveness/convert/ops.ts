/**
 * One converter per TF op. Each gets the converted inputs and returns the converted outputs
 * (index = TF output index). Unknown ops are never skipped: see `convertNode`.
 */
import { KexinError } from '../../errors.ts';
import { GraphBuilder, attrBool, attrFloat, attrInt, attrInts, attrStr, attrStrList, attrType, type Layout, type Val } from './graphBuilder.ts';
import { OnnxDataType } from './onnxProto.ts';
import { depthwiseToOnnx, hwioToOihw, transposeData } from './layout.ts';
import { tfPads2d, type TfPadding } from './padding.ts';
import type { TfNode } from './readTfjsModel.ts';

export type OpConverter = (b: GraphBuilder, n: TfNode, x: Val[]) => Val[];

/** TF (NHWC) axis → its position in NCHW. */
const NHWC_AXIS_TO_NCHW = [0, 2, 3, 1];
/** NCHW position → TF (NHWC) axis. */
const NCHW_POS_TO_TF_AXIS = [0, 3, 1, 2];
const INT64_MAX = Number.MAX_SAFE_INTEGER;
/** In a tracked shape vector: a dimension only known at run time. */
const DYNAMIC = -2;

function fail(b: GraphBuilder, n: TfNode, why: string): never {
  throw new KexinError('MODEL_UNSUPPORTED_OP', `unsupported TFJS op "${n.op}" in node "${n.name}" of model ${b.modelName}: ${why}`, 500);
}

function val(name: string, shape: number[], layout: Layout, dtype: Val['dtype'] = 'float32'): Val {
  return { name, shape, layout, dtype, cache: {} };
}

function constOf(b: GraphBuilder, n: TfNode, v: Val | undefined, what: string): number[] {
  if (!v?.const) fail(b, n, `${what} must be a constant`);
  return Array.from(v.const.data);
}

function dataFormat(b: GraphBuilder, n: TfNode): void {
  const f = attrStr(n, 'data_format', 'NHWC');
  if (f !== 'NHWC') fail(b, n, `data_format ${f}`);
}

function padding(b: GraphBuilder, n: TfNode): TfPadding {
  const p = attrStr(n, 'padding', 'VALID');
  if (p !== 'SAME' && p !== 'VALID' && p !== 'EXPLICIT') fail(b, n, `padding ${p}`);
  return p;
}

/** Fused activations after conv / matmul (on whatever layout `cur` is in). */
function applyFused(b: GraphBuilder, n: TfNode, cur: Val, ops: string[], args: Val[], layout: Layout): Val {
  let out = cur;
  let argIdx = 0;
  for (const op of ops) {
    const base = n.name;
    switch (op) {
      case 'BiasAdd':
        argIdx++; // handled by caller as Conv/Gemm bias input
        break;
      case 'Relu':
        out = val(b.emit('Relu', [out.name!], {}, base), out.shape, layout);
        break;
      case 'Relu6':
        out = val(b.emit('Clip', [out.name!, b.float(`${base}_min`, [0], []), b.float(`${base}_max`, [6], [])], {}, base), out.shape, layout);
        break;
      case 'Elu':
        out = val(b.emit('Elu', [out.name!], {}, base), out.shape, layout);
        break;
      case 'Sigmoid':
        out = val(b.emit('Sigmoid', [out.name!], {}, base), out.shape, layout);
        break;
      case 'Tanh':
        out = val(b.emit('Tanh', [out.name!], {}, base), out.shape, layout);
        break;
      case 'LeakyRelu':
        out = val(b.emit('LeakyRelu', [out.name!], { alpha: { f: attrFloat(n, 'leakyrelu_alpha', 0.2) } }, base), out.shape, layout);
        break;
      case 'Prelu': {
        const alpha = args[argIdx++];
        if (!alpha?.const) fail(b, n, 'Prelu alpha must be constant');
        const slope = b.constFor(alpha, layout, out.shape.length, `${base}_alpha`);
        out = val(b.emit('PRelu', [out.name!, slope], {}, base), out.shape, layout);
        break;
      }
      default:
        fail(b, n, `fused op ${op}`);
    }
  }
  return out;
}

function conv(b: GraphBuilder, n: TfNode, x: Val[], depthwise: boolean): Val[] {
  dataFormat(b, n);
  const [input, filter, ...args] = x;
  if (!filter?.const) fail(b, n, 'filter must be constant');
  const fused = attrStrList(n, 'fused_ops');
  if (fused.length > 0 && fused[0] !== 'BiasAdd' && fused.includes('BiasAdd')) fail(b, n, 'BiasAdd must come first');
  if (fused.includes('FusedBatchNorm')) fail(b, n, 'fused FusedBatchNorm');
  const strides = attrInts(n, 'strides', [1, 1, 1, 1]);
  const dil = attrInts(n, 'dilations', [1, 1, 1, 1]);
  const fshape = filter.const.shape; // [H, W, I, O] or [H, W, C, M]
  const [, ih, iw] = input.shape;
  const { pads, outHW } = tfPads2d(padding(b, n), [ih, iw], [fshape[0], fshape[1]], [strides[1], strides[2]], [dil[1], dil[2]], attrInts(n, 'explicit_paddings'));
  const w = depthwise ? depthwiseToOnnx(filter.const.data as Float32Array, fshape) : hwioToOihw(filter.const.data as Float32Array, fshape);
  const outC = w.shape[0];
  const inputs = [b.nchw(input, `${n.name}_in`), b.initializer(`${n.name}_W`, w.shape, w.data)];
  if (fused[0] === 'BiasAdd') {
    const bias = args[0];
    if (!bias?.const) fail(b, n, 'bias must be constant');
    inputs.push(b.initializer(`${n.name}_B`, [outC], bias.const.data));
  }
  const attrs = {
    kernel_shape: [fshape[0], fshape[1]],
    strides: [strides[1], strides[2]],
    dilations: [dil[1], dil[2]],
    pads,
    group: depthwise ? fshape[2] : 1,
  };
  const outShape = [input.shape[0], outHW[0], outHW[1], outC];
  const onlyBias = fused.length === 0 || (fused.length === 1 && fused[0] === 'BiasAdd');
  const c = val(b.emit('Conv', inputs, attrs, onlyBias ? n.name : `${n.name}_conv`), outShape, 'nchw');
  return [applyFused(b, n, c, fused, args, 'nchw')];
}

function pool(b: GraphBuilder, n: TfNode, x: Val[], kind: 'MaxPool' | 'AveragePool'): Val[] {
  dataFormat(b, n);
  const [input] = x;
  const k = attrInts(n, 'ksize');
  const s = attrInts(n, 'strides');
  if (k[0] !== 1 || k[3] !== 1 || s[0] !== 1 || s[3] !== 1) fail(b, n, 'pooling over batch/channels');
  const { pads, outHW } = tfPads2d(padding(b, n), [input.shape[1], input.shape[2]], [k[1], k[2]], [s[1], s[2]], [1, 1], attrInts(n, 'explicit_paddings'));
  const attrs: Record<string, number[] | number> = { kernel_shape: [k[1], k[2]], strides: [s[1], s[2]], pads };
  // TF AvgPool excludes padding from the divisor: ONNX count_include_pad = 0 (the default).
  if (kind === 'AveragePool') attrs.count_include_pad = 0;
  const out = b.emit(kind, [b.nchw(input, `${n.name}_in`)], attrs, n.name);
  return [val(out, [input.shape[0], outHW[0], outHW[1], input.shape[3]], 'nchw')];
}

function broadcast(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const d = s[i];
      const j = rank - s.length + i;
      if (d === 1) continue;
      if (out[j] === 1 || out[j] === -1) out[j] = d; // -1 (unknown) stays unknown unless d is known > 1
    }
  }
  return out;
}

/** Picks NCHW when a rank-4 operand already is NCHW and every other operand can follow. */
function chooseLayout(x: Val[], outRank: number): Layout {
  if (outRank !== 4) return 'tf';
  const anyNchw = x.some((v) => v.layout === 'nchw' && !v.const);
  if (!anyNchw) return 'tf';
  return x.every((v) => v.const || v.shape.length === 4) ? 'nchw' : 'tf';
}

function operand(b: GraphBuilder, v: Val, layout: Layout, rank: number, hint: string): string {
  if (v.const) return b.constFor(v, layout, rank, hint);
  return layout === 'nchw' ? b.nchw(v, hint) : b.tf(v, hint);
}

function binary(onnxOp: string): OpConverter {
  return (b, n, x) => {
    const [a, c] = x;
    const shape = broadcast([a.shape, c.shape]);
    const layout = chooseLayout([a, c], shape.length);
    const out = b.emit(onnxOp, [operand(b, a, layout, shape.length, `${n.name}_a`), operand(b, c, layout, shape.length, `${n.name}_b`)], {}, n.name);
    return [val(out, shape, layout, a.dtype)];
  };
}

function unary(onnxOp: string, attrs: Record<string, number | { f: number }> = {}): OpConverter {
  return (b, n, x) => {
    const [a] = x;
    const name = a.layout === 'nchw' ? a.name! : b.tf(a, n.name);
    return [val(b.emit(onnxOp, [name], attrs, n.name), a.shape, a.layout, a.dtype)];
  };
}

function inLayout(b: GraphBuilder, a: Val, hint: string): { name: string; layout: Layout } {
  return a.layout === 'nchw' ? { name: a.name!, layout: 'nchw' } : { name: b.tf(a, hint), layout: 'tf' };
}

function onnxType(b: GraphBuilder, n: TfNode, tfType: string | undefined): { onnx: number; dtype: Val['dtype'] } {
  if (tfType === 'DT_FLOAT') return { onnx: OnnxDataType.FLOAT, dtype: 'float32' };
  if (tfType === 'DT_INT32') return { onnx: OnnxDataType.INT32, dtype: 'int32' };
  fail(b, n, `dtype ${tfType}`);
}

function reshapeTarget(b: GraphBuilder, n: TfNode, input: Val, shapeVal: Val): { name: string; shape: number[] } {
  if (shapeVal.const) {
    const target = Array.from(shapeVal.const.data);
    const known = input.shape.every((d) => d >= 0);
    const total = input.shape.reduce((p, d) => p * d, 1);
    const rest = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const shape = target.map((d) => (d === -1 ? (known ? total / rest : -1) : d));
    return { name: b.int64(`${n.name}_shape`, target), shape };
  }
  const len = shapeVal.shape[0];
  const name = b.emit('Cast', [b.tf(shapeVal, `${n.name}_shape`)], { to: OnnxDataType.INT64 }, `${n.name}_shape64`);
  // Shape arithmetic (Shape→StridedSlice→Pack): `value` holds the vector where known; DYNAMIC marks a
  // run-time dimension copied from some input (the batch), -1 the TF "infer this one".
  const v = shapeVal.value;
  if (!v || v.length !== len) return { name, shape: new Array<number>(len).fill(-1) };
  const dynIn = input.shape.filter((d) => d < 0).length;
  const dynOut = v.filter((d) => d === DYNAMIC).length;
  const infer = v.filter((d) => d === -1).length;
  let inferred = -1;
  if (infer === 1 && dynIn === dynOut) {
    const inKnown = input.shape.filter((d) => d >= 0).reduce((p, d) => p * d, 1);
    const outKnown = v.filter((d) => d >= 0).reduce((p, d) => p * d, 1);
    inferred = inKnown / outKnown;
  }
  return { name, shape: v.map((d) => (d === DYNAMIC ? -1 : d === -1 ? inferred : d)) };
}

function reduce(onnxOp: string): OpConverter {
  return (b, n, x) => {
    const [a, axesV] = x;
    const rank = a.shape.length;
    const axes = constOf(b, n, axesV, 'reduction axes').map((ax) => (ax < 0 ? ax + rank : ax));
    const keep = attrBool(n, 'keep_dims');
    const shape = keep ? a.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : a.shape.filter((_, i) => !axes.includes(i));
    const inp = b.tf(a, n.name);
    // Opset 17: ReduceSum takes axes as an input, the others as an attribute.
    const out =
      onnxOp === 'ReduceSum'
        ? b.emit(onnxOp, [inp, b.int64(`${n.name}_axes`, axes)], { keepdims: keep ? 1 : 0 }, n.name)
        : b.emit(onnxOp, [inp], { axes, keepdims: keep ? 1 : 0 }, n.name);
    return [val(out, shape, 'tf', a.dtype)];
  };
}

function matmul(b: GraphBuilder, n: TfNode, x: Val[]): Val[] {
  const [a, c, ...args] = x;
  const ta = attrBool(n, 'transpose_a');
  const tb = attrBool(n, 'transpose_b');
  const fused = attrStrList(n, 'fused_ops');
  if (a.shape.length !== 2 || c.shape.length !== 2) fail(b, n, 'only 2-D MatMul is supported');
  const inputs = [b.tf(a, `${n.name}_a`), b.tf(c, `${n.name}_b`)];
  if (fused[0] === 'BiasAdd') {
    const bias = args[0];
    inputs.push(b.tf(bias, `${n.name}_bias`));
  } else if (fused.includes('BiasAdd')) fail(b, n, 'BiasAdd must come first');
  const onlyBias = fused.length === 0 || (fused.length === 1 && fused[0] === 'BiasAdd');
  const shape = [ta ? a.shape[1] : a.shape[0], tb ? c.shape[0] : c.shape[1]];
  const g = val(b.emit('Gemm', inputs, { transA: ta ? 1 : 0, transB: tb ? 1 : 0 }, onlyBias ? n.name : `${n.name}_gemm`), shape, 'tf');
  return [applyFused(b, n, g, fused, args, 'tf')];
}

function pad(b: GraphBuilder, n: TfNode, x: Val[], mode: 'constant' | 'reflect'): Val[] {
  const [a, pv, cv] = x;
  const p = constOf(b, n, pv, 'paddings');
  const rank = a.shape.length;
  const { name, layout } = inLayout(b, a, n.name);
  const begins: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < rank; i++) {
    const tfAxis = layout === 'nchw' ? NCHW_POS_TO_TF_AXIS[i] : i;
    begins.push(p[tfAxis * 2]);
    ends.push(p[tfAxis * 2 + 1]);
  }
  const inputs = [name, b.int64(`${n.name}_pads`, [...begins, ...ends])];
  if (cv) inputs.push(b.tf(cv, `${n.name}_value`));
  const shape = a.shape.map((d, i) => (d < 0 ? d : d + p[i * 2] + p[i * 2 + 1]));
  return [val(b.emit('Pad', inputs, { mode }, n.name), shape, layout, a.dtype)];
}

function stridedSlice(b: GraphBuilder, n: TfNode, x: Val[]): Val[] {
  const [a, bv, ev, sv] = x;
  const begin = constOf(b, n, bv, 'begin');
  const end = constOf(b, n, ev, 'end');
  const strides = constOf(b, n, sv, 'strides');
  if (attrInt(n, 'ellipsis_mask') !== 0 || attrInt(n, 'new_axis_mask') !== 0) fail(b, n, 'ellipsis_mask/new_axis_mask');
  const bm = attrInt(n, 'begin_mask');
  const em = attrInt(n, 'end_mask');
  const sm = attrInt(n, 'shrink_axis_mask');
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const steps: number[] = [];
  const squeeze: number[] = [];
  const shape: number[] = [];
  for (let i = 0; i < begin.length; i++) {
    const st = strides[i];
    let s = begin[i];
    let e = end[i];
    if (sm & (1 << i)) {
      e = s === -1 ? INT64_MAX : s + 1;
      squeeze.push(i);
    } else {
      if (bm & (1 << i)) s = st > 0 ? 0 : -1;
      if (em & (1 << i)) e = st > 0 ? INT64_MAX : -INT64_MAX;
    }
    starts.push(s);
    ends.push(e);
    axes.push(i);
    steps.push(st);
    const d = a.shape[i];
    if (!(sm & (1 << i))) {
      if (d < 0) shape.push(-1);
      else {
        const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
        const ss = st > 0 ? norm(s, 0, d) : norm(s, -1, d - 1);
        const ee = st > 0 ? norm(e, 0, d) : norm(e, -1, d - 1);
        shape.push(Math.max(0, Math.ceil((ee - ss) / st)));
      }
    }
  }
  for (let i = begin.length; i < a.shape.length; i++) shape.push(a.shape[i]);
  let out = b.emit(
    'Slice',
    [b.tf(a, n.name), b.int64(`${n.name}_starts`, starts), b.int64(`${n.name}_ends`, ends), b.int64(`${n.name}_axes`, axes), b.int64(`${n.name}_steps`, steps)],
    {},
    squeeze.length ? `${n.name}_slice` : n.name,
  );
  if (squeeze.length) out = b.emit('Squeeze', [out, b.int64(`${n.name}_sq`, squeeze)], {}, n.name);
  const res = val(out, shape, 'tf', a.dtype);
  if (a.value && begin.length === 1) {
    // Known (partially symbolic) 1-D shape vector: slice it at conversion time too.
    const d = a.value.length;
    const st = steps[0];
    const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const ss = st > 0 ? norm(starts[0], 0, d) : norm(starts[0], -1, d - 1);
    const ee = st > 0 ? norm(ends[0], 0, d) : norm(ends[0], -1, d - 1);
    const picked: number[] = [];
    for (let k = ss; st > 0 ? k < ee : k > ee; k += st) picked.push(a.value[k]);
    res.value = picked;
  }
  return [res];
}

function squeeze(b: GraphBuilder, n: TfNode, x: Val[]): Val[] {
  const [a] = x;
  const rank = a.shape.length;
  let axes = attrInts(n, 'squeeze_dims').map((ax) => (ax < 0 ? ax + rank : ax));
  if (axes.length === 0) axes = a.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  const kept = a.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const shape = kept.map((i) => a.shape[i]);
  if (a.layout === 'nchw') {
    // Squeeze directly in NCHW when the remaining axes keep TF order (e.g. [N,C,1,1] → [N,C]).
    const keptNchw = NCHW_POS_TO_TF_AXIS.filter((i) => kept.includes(i));
    if (keptNchw.every((v, i) => v === kept[i])) {
      const out = b.emit('Squeeze', [a.name!, b.int64(`${n.name}_axes`, axes.map((ax) => NHWC_AXIS_TO_NCHW[ax]))], {}, n.name);
      return [val(out, shape, 'tf', a.dtype)];
    }
  }
  const out = b.emit('Squeeze', [b.tf(a, n.name), b.int64(`${n.name}_axes`, axes)], {}, n.name);
  return [val(out, shape, 'tf', a.dtype)];
}

function concat(b: GraphBuilder, n: TfNode, x: Val[]): Val[] {
  const parts = x.slice(0, -1);
  const rank = parts[0].shape.length;
  let axis = constOf(b, n, x[x.length - 1], 'axis')[0];
  if (axis < 0) axis += rank;
  const layout: Layout = rank === 4 && parts.every((p) => p.layout === 'nchw' || p.const) && parts.some((p) => p.layout === 'nchw') ? 'nchw' : 'tf';
  const names = parts.map((p, i) => (layout === 'nchw' ? b.nchw(p, `${n.name}_${i}`) : b.tf(p, `${n.name}_${i}`)));
  const shape = parts[0].shape.slice();
  shape[axis] = parts.some((p) => p.shape[axis] < 0) ? -1 : parts.reduce((s, p) => s + p.shape[axis], 0);
  const out = b.emit('Concat', names, { axis: layout === 'nchw' ? NHWC_AXIS_TO_NCHW[axis] : axis }, n.name);
  return [val(out, shape, layout, parts[0].dtype)];
}

function resizeBilinear(b: GraphBuilder, n: TfNode, x: Val[]): Val[] {
  const [a, sizeV] = x;
  const [oh, ow] = constOf(b, n, sizeV, 'size');
  const alignCorners = attrBool(n, 'align_corners');
  const halfPixel = attrBool(n, 'half_pixel_centers');
  const mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
  const xin = b.nchw(a, n.name);
  const nc = b.emit('Slice', [b.emit('Shape', [xin], {}, `${n.name}_shape`), b.int64(`${n.name}_s0`, [0]), b.int64(`${n.name}_s1`, [2])], {}, `${n.name}_nc`);
  const sizes = b.emit('Concat', [nc, b.int64(`${n.name}_hw`, [oh, ow])], { axis: 0 }, `${n.name}_sizes`);
  const out = b.emit('Resize', [xin, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: mode }, n.name);
  return [val(out, [a.shape[0], oh, ow, a.shape[3]], 'nchw')];
}

function addN(b: GraphBuilder, n: TfNode, x: Val[]): Val[] {
  if (x.length === 1) return [x[0]];
  const shape = broadcast(x.map((v) => v.shape));
  const layout = chooseLayout(x, shape.length);
  const out = b.emit('Sum', x.map((v, i) => operand(b, v, layout, shape.length, `${n.name}_${i}`)), {}, n.name);
  return [val(out, shape, layout, x[0].dtype)];
}

function batchMatMul(b: GraphBuilder, n: TfNode, x: Val[]): Val[] {
  const [a, c] = x;
  const adj = (v: Val, flag: boolean, hint: string): { name: string; shape: number[] } => {
    const name = b.tf(v, hint);
    if (!flag) return { name, shape: v.shape };
    const r = v.shape.length;
    const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
    return { name: b.emit('Transpose', [name], { perm }, `${hint}_adj`), shape: perm.map((p) => v.shape[p]) };
  };
  const A = adj(a, attrBool(n, 'adj_x') || attrBool(n, 'transpose_a'), `${n.name}_a`);
  const B = adj(c, attrBool(n, 'adj_y') || attrBool(n, 'transpose_b'), `${n.name}_b`);
  const batch = broadcast([A.shape.slice(0, -2), B.shape.slice(0, -2)]);
  const shape = [...batch, A.shape[A.shape.length - 2], B.shape[B.shape.length - 1]];
  return [val(b.emit('MatMul', [A.name, B.name], {}, n.name), shape, 'tf', a.dtype)];
}

function slice(b: GraphBuilder, n: TfNode, x: Val[]): Val[] {
  const [a, bv, sv] = x;
  const begin = constOf(b, n, bv, 'begin');
  const size = constOf(b, n, sv, 'size');
  const ends = begin.map((s, i) => (size[i] === -1 ? INT64_MAX : s + size[i]));
  const shape = a.shape.map((d, i) => (size[i] === -1 ? (d < 0 ? -1 : d - begin[i]) : size[i]));
  const axes = begin.map((_, i) => i);
  const out = b.emit('Slice', [b.tf(a, n.name), b.int64(`${n.name}_starts`, begin), b.int64(`${n.name}_ends`, ends), b.int64(`${n.name}_axes`, axes)], {}, n.name);
  return [val(out, shape, 'tf', a.dtype)];
}

function depthToSpace(b: GraphBuilder, n: TfNode, x: Val[]): Val[] {
  dataFormat(b, n);
  const [a] = x;
  const bs = attrInt(n, 'block_size');
  // TF NHWC DepthToSpace: out[n, h*bs+i, w*bs+j, c] = in[n, h, w, (i*bs+j)*C' + c] — ONNX DCR mode on NCHW.
  const out = b.emit('DepthToSpace', [b.nchw(a, n.name)], { blocksize: bs, mode: 'DCR' }, n.name);
  return [val(out, [a.shape[0], a.shape[1] * bs, a.shape[2] * bs, a.shape[3] / (bs * bs)], 'nchw', a.dtype)];
}

export const OPS: Record<string, OpConverter> = {
  AddN: addN,
  BatchMatMul: batchMatMul,
  BatchMatMulV2: batchMatMul,
  Slice: slice,
  DepthToSpace: depthToSpace,
  _FusedConv2D: (b, n, x) => conv(b, n, x, false),
  Conv2D: (b, n, x) => conv(b, n, x, false),
  DepthwiseConv2dNative: (b, n, x) => conv(b, n, x, true),
  FusedDepthwiseConv2dNative: (b, n, x) => conv(b, n, x, true),
  MaxPool: (b, n, x) => pool(b, n, x, 'MaxPool'),
  AvgPool: (b, n, x) => pool(b, n, x, 'AveragePool'),
  MatMul: matmul,
  _FusedMatMul: matmul,
  Add: binary('Add'),
  AddV2: binary('Add'),
  BiasAdd: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Div: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  Prelu: binary('PRelu'),
  Relu: unary('Relu'),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Abs: unary('Abs'),
  Neg: unary('Neg'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sqrt: unary('Sqrt'),
  Elu: unary('Elu'),
  LeakyRelu: (b, n, x) => unary('LeakyRelu', { alpha: { f: attrFloat(n, 'alpha', 0.2) } })(b, n, x),
  Relu6: (b, n, x) => {
    const a = x[0];
    const { name, layout } = inLayout(b, a, n.name);
    return [val(b.emit('Clip', [name, b.float(`${n.name}_min`, [0], []), b.float(`${n.name}_max`, [6], [])], {}, n.name), a.shape, layout)];
  },
  Square: (b, n, x) => {
    const a = x[0];
    const { name, layout } = inLayout(b, a, n.name);
    return [val(b.emit('Mul', [name, name], {}, n.name), a.shape, layout, a.dtype)];
  },
  Rsqrt: (b, n, x) => {
    const a = x[0];
    const { name, layout } = inLayout(b, a, n.name);
    const s = b.emit('Sqrt', [name], {}, `${n.name}_sqrt`);
    return [val(b.emit('Reciprocal', [s], {}, n.name), a.shape, layout)];
  },
  Sum: reduce('ReduceSum'),
  Mean: reduce('ReduceMean'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  Prod: reduce('ReduceProd'),
  Pad: (b, n, x) => pad(b, n, x.slice(0, 2), 'constant'),
  PadV2: (b, n, x) => pad(b, n, x, 'constant'),
  MirrorPad: (b, n, x) => {
    const m = attrStr(n, 'mode');
    if (m !== 'REFLECT') fail(b, n, `MirrorPad mode ${m} (ONNX has no SYMMETRIC)`);
    return pad(b, n, x.slice(0, 2), 'reflect');
  },
  Reshape: (b, n, x) => {
    const [a, s] = x;
    const t = reshapeTarget(b, n, a, s);
    return [val(b.emit('Reshape', [b.tf(a, n.name), t.name], {}, n.name), t.shape, 'tf', a.dtype)];
  },
  Squeeze: squeeze,
  ExpandDims: (b, n, x) => {
    const [a, axV] = x;
    let ax = constOf(b, n, axV, 'axis')[0];
    if (ax < 0) ax += a.shape.length + 1;
    const shape = a.shape.slice();
    shape.splice(ax, 0, 1);
    return [val(b.emit('Unsqueeze', [b.tf(a, n.name), b.int64(`${n.name}_axes`, [ax])], {}, n.name), shape, 'tf', a.dtype)];
  },
  ConcatV2: concat,
  Transpose: (b, n, x) => {
    const [a, pV] = x;
    const perm = constOf(b, n, pV, 'perm');
    return [val(b.emit('Transpose', [b.tf(a, n.name)], { perm }, n.name), perm.map((p) => a.shape[p]), 'tf', a.dtype)];
  },
  Softmax: (b, n, x) => {
    const a = x[0];
    if (a.layout === 'nchw') return [val(b.emit('Softmax', [a.name!], { axis: 1 }, n.name), a.shape, 'nchw')];
    return [val(b.emit('Softmax', [b.tf(a, n.name)], { axis: -1 }, n.name), a.shape, 'tf')];
  },
  Cast: (b, n, x) => {
    const a = x[0];
    const t = onnxType(b, n, attrType(n, 'DstT'));
    const { name, layout } = inLayout(b, a, n.name);
    return [val(b.emit('Cast', [name], { to: t.onnx }, n.name), a.shape, layout, t.dtype)];
  },
  Shape: (b, n, x) => {
    const a = x[0];
    const t = onnxType(b, n, attrType(n, 'out_type') ?? 'DT_INT32');
    if (a.shape.every((d) => d >= 0)) {
      const data = Int32Array.from(a.shape);
      return [{ dtype: 'int32', shape: [a.shape.length], layout: 'tf', const: { dtype: 'int32', shape: [a.shape.length], data }, cache: {} }];
    }
    const s = b.emit('Shape', [b.tf(a, n.name)], {}, `${n.name}_i64`);
    const out = val(b.emit('Cast', [s], { to: t.onnx }, n.name), [a.shape.length], 'tf', t.dtype);
    out.value = a.shape.map((d) => (d < 0 ? DYNAMIC : d));
    return [out];
  },
  StridedSlice: stridedSlice,
  Pack: (b, n, x) => {
    let axis = attrInt(n, 'axis');
    const rank = x[0].shape.length;
    if (axis < 0) axis += rank + 1;
    const parts = x.map((v, i) => b.emit('Unsqueeze', [b.tf(v, `${n.name}_${i}`), b.int64(`${n.name}_ax${i}`, [axis])], {}, `${n.name}_u${i}`));
    const shape = x[0].shape.slice();
    shape.splice(axis, 0, x.length);
    const out = val(b.emit('Concat', parts, { axis }, n.name), shape, 'tf', x[0].dtype);
    if (rank === 0) out.value = x.map((v) => (v.const ? v.const.data[0] : v.value?.length === 1 ? v.value[0] : -1));
    return [out];
  },
  ResizeBilinear: resizeBilinear,
};
