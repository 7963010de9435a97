/**
 * Minimal ONNX protobuf encoder built on protobufjs reflection. Only the messages a converted
 * inference graph needs; field numbers are those of onnx/onnx.proto3 (IR version 8).
 */
import protobuf from 'protobufjs';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

/** TensorProto.DataType values. */
export const OnnxDataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 } as const;
/** AttributeProto.AttributeType values. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

const { Type, Field, Root, Enum } = protobuf;

function msg(name: string, fields: [string, number, string, 'repeated'?][]): protobuf.Type {
  const t = new Type(name);
  for (const [fname, id, ftype, rule] of fields) t.add(new Field(fname, id, ftype, rule));
  return t;
}

const root = new Root();
const dataType = new Enum('DataType', { UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11 });
const tensor = msg('TensorProto', [
  ['dims', 1, 'int64', 'repeated'],
  ['dataType', 2, 'int32'],
  ['floatData', 4, 'float', 'repeated'],
  ['int32Data', 5, 'int32', 'repeated'],
  ['int64Data', 7, 'int64', 'repeated'],
  ['name', 8, 'string'],
  ['rawData', 9, 'bytes'],
  ['docString', 12, 'string'],
]);
const attribute = msg('AttributeProto', [
  ['name', 1, 'string'],
  ['f', 2, 'float'],
  ['i', 3, 'int64'],
  ['s', 4, 'bytes'],
  ['t', 5, 'TensorProto'],
  ['floats', 7, 'float', 'repeated'],
  ['ints', 8, 'int64', 'repeated'],
  ['strings', 9, 'bytes', 'repeated'],
  ['docString', 13, 'string'],
  ['type', 20, 'int32'],
]);
const node = msg('NodeProto', [
  ['input', 1, 'string', 'repeated'],
  ['output', 2, 'string', 'repeated'],
  ['name', 3, 'string'],
  ['opType', 4, 'string'],
  ['attribute', 5, 'AttributeProto', 'repeated'],
  ['docString', 6, 'string'],
  ['domain', 7, 'string'],
]);
const dimension = msg('Dimension', [
  ['dimValue', 1, 'int64'],
  ['dimParam', 2, 'string'],
]);
const shapeProto = msg('TensorShapeProto', [['dim', 1, 'Dimension', 'repeated']]);
const tensorType = msg('TypeProtoTensor', [
  ['elemType', 1, 'int32'],
  ['shape', 2, 'TensorShapeProto'],
]);
const typeProto = msg('TypeProto', [['tensorType', 1, 'TypeProtoTensor']]);
const valueInfo = msg('ValueInfoProto', [
  ['name', 1, 'string'],
  ['type', 2, 'TypeProto'],
  ['docString', 3, 'string'],
]);
const graph = msg('GraphProto', [
  ['node', 1, 'NodeProto', 'repeated'],
  ['name', 2, 'string'],
  ['initializer', 5, 'TensorProto', 'repeated'],
  ['docString', 10, 'string'],
  ['input', 11, 'ValueInfoProto', 'repeated'],
  ['output', 12, 'ValueInfoProto', 'repeated'],
  ['valueInfo', 13, 'ValueInfoProto', 'repeated'],
]);
const opset = msg('OperatorSetIdProto', [
  ['domain', 1, 'string'],
  ['version', 2, 'int64'],
]);
const kv = msg('StringStringEntryProto', [
  ['key', 1, 'string'],
  ['value', 2, 'string'],
]);
const model = msg('ModelProto', [
  ['irVersion', 1, 'int64'],
  ['producerName', 2, 'string'],
  ['producerVersion', 3, 'string'],
  ['domain', 4, 'string'],
  ['modelVersion', 5, 'int64'],
  ['docString', 6, 'string'],
  ['graph', 7, 'GraphProto'],
  ['opsetImport', 8, 'OperatorSetIdProto', 'repeated'],
  ['metadataProps', 14, 'StringStringEntryProto', 'repeated'],
]);
for (const t of [dataType, tensor, attribute, node, dimension, shapeProto, tensorType, typeProto, valueInfo, graph, opset, kv, model]) root.add(t);
root.resolveAll();

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** number = fixed size; string = symbolic dimension (e.g. "batch"). */
  shape: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  docString?: string;
}

function vi(v: OnnxValueInfo): object {
  return {
    name: v.name,
    type: { tensorType: { elemType: v.elemType, shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export function encodeModel(g: OnnxGraph, meta: { producerVersion: string; metadata?: Record<string, string> }): Uint8Array {
  const m = model.fromObject({
    irVersion: ONNX_IR_VERSION,
    producerName: 'kexin-tfjs2onnx',
    producerVersion: meta.producerVersion,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      docString: g.docString ?? '',
      node: g.nodes,
      initializer: g.initializers,
      input: g.inputs.map(vi),
      output: g.outputs.map(vi),
    },
  });
  return model.encode(m).finish();
}

/** Decodes a model (used by tests to inspect what was written). */
export function decodeModel(bytes: Uint8Array): { graph: { node: OnnxNode[]; initializer: OnnxTensor[] }; opsetImport: { version: number }[] } {
  const m = model.decode(bytes);
  return model.toObject(m, { longs: Number, bytes: Uint8Array as unknown as StringConstructor, defaults: false }) as never;
}
