/**
 * TFJS graph model → ONNX (opset 17). The ONNX model takes the same NHWC input as TFJS and returns
 * the same outputs with the same shapes; internally, convolution regions run in NCHW.
 */
import { KexinError } from '../../errors.ts';
import { GraphBuilder, type Val } from './graphBuilder.ts';
import { encodeModel, OnnxDataType, type OnnxValueInfo } from './onnxProto.ts';
import { OPS } from './ops.ts';
import { readTfjsModel, type TfjsModel, type TfNode } from './readTfjsModel.ts';

/** Bump when the converter's output changes: buildModels rebuilds models made by older versions. */
export const CONVERTER_VERSION = '1.0.0';

export interface TensorInfo {
  /** ONNX name. */
  name: string;
  /** TF tensor this corresponds to (e.g. "Identity_2:0"). */
  tfName: string;
  /** -1 = dynamic (batch). */
  shape: number[];
  dtype: 'float32' | 'int32';
}

export interface ConvertedModel {
  onnx: Uint8Array;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

function parseRef(ref: string): { node: string; index: number } | undefined {
  if (ref.startsWith('^')) return undefined; // control dependency
  const m = /^(.*?)(?::(\d+))?$/.exec(ref)!;
  return { node: m[1], index: m[2] ? Number(m[2]) : 0 };
}

function placeholderShape(n: TfNode): number[] {
  const dims = n.attr?.shape?.shape?.dim ?? [];
  return dims.map((d) => Number(d.size));
}

function outputRefs(model: TfjsModel): { name: string; ref: string }[] {
  const sig = model.signature?.outputs;
  if (sig && Object.keys(sig).length > 0) return Object.entries(sig).map(([key, e]) => ({ name: key, ref: e.name }));
  const consumed = new Set<string>();
  for (const n of model.nodes) for (const i of n.input ?? []) {
    const r = parseRef(i);
    if (r) consumed.add(r.node);
  }
  return model.nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp').map((n) => ({ name: n.name, ref: n.name }));
}

export function convertLoadedModel(model: TfjsModel): ConvertedModel {
  const b = new GraphBuilder(model.name);
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  const values = new Map<string, Val[]>();
  const inputs: TensorInfo[] = [];
  const graphInputs: OnnxValueInfo[] = [];
  const outs = outputRefs(model);
  for (const o of outs) b.reserve(o.name);
  for (const n of model.nodes) if (n.op === 'Placeholder') b.reserve(n.name);

  const visiting = new Set<string>();
  const get = (ref: string): Val => {
    const r = parseRef(ref)!;
    const vs = compute(r.node);
    const v = vs[r.index];
    if (!v) throw new KexinError('MODEL_CONVERT_FAILED', `node "${r.node}" of model ${model.name} has no output ${r.index}`, 500);
    return v;
  };
  const compute = (name: string): Val[] => {
    const done = values.get(name);
    if (done) return done;
    const n = byName.get(name);
    if (!n) throw new KexinError('MODEL_CONVERT_FAILED', `model ${model.name} references missing node "${name}"`, 500);
    if (visiting.has(name)) throw new KexinError('MODEL_CONVERT_FAILED', `cycle at node "${name}" of model ${model.name}`, 500);
    visiting.add(name);
    let out: Val[];
    if (n.op === 'Const') {
      const t = model.weights.get(n.name);
      if (!t) throw new KexinError('MODEL_CONVERT_FAILED', `constant "${n.name}" of model ${model.name} has no weight data`, 500);
      out = [{ dtype: t.dtype, shape: t.shape, layout: 'tf', const: t, cache: {} }];
    } else if (n.op === 'Placeholder') {
      const shape = placeholderShape(n);
      const dtype = n.attr?.dtype?.type === 'DT_INT32' ? 'int32' : 'float32';
      out = [{ dtype, shape, layout: 'tf', name: n.name, cache: {} }];
      inputs.push({ name: n.name, tfName: `${n.name}:0`, shape, dtype });
      graphInputs.push({ name: n.name, elemType: dtype === 'int32' ? OnnxDataType.INT32 : OnnxDataType.FLOAT, shape: shape.map((d, i) => (d < 0 ? (i === 0 ? 'batch' : `d${i}`) : d)) });
    } else if (n.op === 'Identity' || n.op === 'StopGradient' || n.op === 'NoOp') {
      out = n.op === 'NoOp' ? [] : [get(n.input![0])];
    } else {
      const conv = OPS[n.op];
      if (!conv) throw new KexinError('MODEL_UNSUPPORTED_OP', `unsupported TFJS op "${n.op}" in node "${n.name}" of model ${model.name}`, 500);
      const args = (n.input ?? []).filter((i) => !i.startsWith('^')).map(get);
      out = conv(b, n, args);
    }
    visiting.delete(name);
    values.set(name, out);
    return out;
  };

  const outputs: TensorInfo[] = [];
  const graphOutputs: OnnxValueInfo[] = [];
  for (const o of outs) {
    const v = get(o.ref);
    b.emitTo(o.name, 'Identity', [b.tf(v, o.name)]);
    outputs.push({ name: o.name, tfName: o.ref.includes(':') ? o.ref : `${o.ref}:0`, shape: v.shape, dtype: v.dtype });
    graphOutputs.push({ name: o.name, elemType: v.dtype === 'int32' ? OnnxDataType.INT32 : OnnxDataType.FLOAT, shape: v.shape.map((d, i) => (d < 0 ? (i === 0 ? 'batch' : `${o.name}_d${i}`) : d)) });
  }
  // Placeholders never reached from an output are still inputs of the TF signature: keep them.
  for (const n of model.nodes) if (n.op === 'Placeholder' && !values.has(n.name)) compute(n.name);
  const onnx = encodeModel(
    { name: model.name, nodes: b.nodes, initializers: b.initializers, inputs: graphInputs, outputs: graphOutputs, docString: `converted from TFJS graph model ${model.name}` },
    { producerVersion: CONVERTER_VERSION, metadata: { source: model.name } },
  );
  return { onnx, inputs, outputs };
}

export async function convertTfjsModel(modelJsonPath: string): Promise<ConvertedModel> {
  return convertLoadedModel(await readTfjsModel(modelJsonPath));
}
