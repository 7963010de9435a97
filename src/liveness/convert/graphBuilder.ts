/**
 * Conversion state: ONNX nodes/initializers being emitted plus, for every TF tensor, where its value
 * lives in the ONNX graph and in which layout. 4-D activations produced by convolutions/pools stay in
 * NCHW until something layout-sensitive needs NHWC; the Transpose is then inserted once and cached.
 */
import { KexinError } from '../../errors.ts';
import { AttrType, OnnxDataType, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnxProto.ts';
import { NCHW_TO_NHWC, NHWC_TO_NCHW, transposeData } from './layout.ts';
import type { TfAttr, TfDtype, TfNode, TfTensor } from './readTfjsModel.ts';

export type Layout = 'tf' | 'nchw';

/** A TF tensor as converted. `shape` is always the logical TF (NHWC) shape; -1 = unknown (batch). */
export interface Val {
  dtype: TfDtype;
  shape: number[];
  /** Where the value is in ONNX (undefined for constants not yet materialised). */
  name?: string;
  layout: Layout;
  /** Known value (Const nodes); lets converters fold shapes, axes, paddings and weights. */
  const?: TfTensor;
  cache: { tf?: string; nchw?: string };
  /** For small int vectors computed at run time (Shape arithmetic): the value where known, -1 = unknown. */
  value?: number[];
}

export type AttrInput = number | number[] | string | { floats: number[] } | { f: number };

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly modelName: string;
  private used = new Set<string>();
  private counter = 0;

  constructor(modelName: string) {
    this.modelName = modelName;
  }

  unique(base: string): string {
    let n = base;
    while (this.used.has(n)) n = `${base}__${++this.counter}`;
    this.used.add(n);
    return n;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  emit(opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}, outBase = opType): string {
    const out = this.unique(outBase);
    this.nodes.push({ name: out, opType, input: inputs, output: [out], attribute: attrsToOnnx(attrs) });
    return out;
  }

  emitTo(out: string, opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}): string {
    this.nodes.push({ name: out, opType, input: inputs, output: [out], attribute: attrsToOnnx(attrs) });
    return out;
  }

  initializer(base: string, dims: number[], data: Float32Array | Int32Array | BigInt64Array): string {
    const name = this.unique(base);
    const dataType = data instanceof Float32Array ? OnnxDataType.FLOAT : data instanceof Int32Array ? OnnxDataType.INT32 : OnnxDataType.INT64;
    const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.initializers.push({ name, dims, dataType, rawData: raw });
    return name;
  }

  int64(base: string, values: number[], dims: number[] = [values.length]): string {
    return this.initializer(base, dims, BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  float(base: string, values: number[], dims: number[] = [values.length]): string {
    return this.initializer(base, dims, Float32Array.from(values));
  }

  /** ONNX name of `v` in TF layout (inserting NCHW→NHWC once if needed). */
  tf(v: Val, hint = 'v'): string {
    if (v.layout === 'tf' && v.name !== undefined) return v.name;
    if (v.cache.tf) return v.cache.tf;
    if (v.const) {
      v.cache.tf = this.initializer(`${hint}_const`, v.const.shape, v.const.data);
      return v.cache.tf;
    }
    v.cache.tf = this.emit('Transpose', [v.name!], { perm: NCHW_TO_NHWC }, `${hint}_nhwc`);
    return v.cache.tf;
  }

  /** ONNX name of rank-4 `v` in NCHW layout. */
  nchw(v: Val, hint = 'v'): string {
    if (v.shape.length !== 4) throw new KexinError('MODEL_CONVERT_FAILED', `expected a 4-D tensor for ${hint} in model ${this.modelName}`, 500);
    if (v.layout === 'nchw') return v.name!;
    if (v.cache.nchw) return v.cache.nchw;
    if (v.const) {
      const t = transposeData(v.const.data, v.const.shape, NHWC_TO_NCHW);
      v.cache.nchw = this.initializer(`${hint}_nchw_const`, t.shape, t.data);
      return v.cache.nchw;
    }
    v.cache.nchw = this.emit('Transpose', [v.name!], { perm: NHWC_TO_NCHW }, `${hint}_nchw`);
    return v.cache.nchw;
  }

  /** A constant broadcast operand for an op computed in `layout` with output rank `rank`. */
  constFor(v: Val, layout: Layout, rank: number, hint: string): string {
    const c = v.const!;
    if (layout === 'tf' || rank !== 4) return this.tf(v, hint);
    const shape4 = [...new Array<number>(Math.max(0, 4 - c.shape.length)).fill(1), ...c.shape];
    if (shape4.length !== 4) throw new KexinError('MODEL_CONVERT_FAILED', `cannot broadcast constant ${hint} in model ${this.modelName}`, 500);
    const t = transposeData(c.data, shape4, NHWC_TO_NCHW);
    return this.initializer(`${hint}_nchw_const`, t.shape, t.data);
  }
}

function attrsToOnnx(attrs: Record<string, AttrInput>): OnnxAttribute[] {
  return Object.entries(attrs).map(([name, v]): OnnxAttribute => {
    if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
    if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
    if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
    if ('floats' in v) return { name, type: AttrType.FLOATS, floats: v.floats };
    return { name, type: AttrType.FLOAT, f: v.f };
  });
}

// ---- TF attribute helpers ----

export function attrStr(n: TfNode, key: string, dflt?: string): string | undefined {
  const a = n.attr?.[key];
  if (a?.s === undefined) return dflt;
  return Buffer.from(a.s, 'base64').toString('utf8');
}

export function attrInts(n: TfNode, key: string, dflt: number[] = []): number[] {
  const a = n.attr?.[key];
  return a?.list?.i ? a.list.i.map(Number) : dflt;
}

export function attrInt(n: TfNode, key: string, dflt = 0): number {
  const a = n.attr?.[key];
  return a?.i !== undefined ? Number(a.i) : dflt;
}

export function attrBool(n: TfNode, key: string, dflt = false): boolean {
  return n.attr?.[key]?.b ?? dflt;
}

export function attrFloat(n: TfNode, key: string, dflt = 0): number {
  return n.attr?.[key]?.f ?? dflt;
}

export function attrStrList(n: TfNode, key: string): string[] {
  const a: TfAttr | undefined = n.attr?.[key];
  return (a?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

export function attrType(n: TfNode, key: string): string | undefined {
  return n.attr?.[key]?.type;
}
