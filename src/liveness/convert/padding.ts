/** TF padding semantics → explicit ONNX pads (static spatial sizes). */
import { KexinError } from '../../errors.ts';

export type TfPadding = 'SAME' | 'VALID' | 'EXPLICIT';

export interface Pad1d {
  begin: number;
  end: number;
  out: number;
}

/**
 * One spatial dimension. TF `SAME`: out = ceil(in / stride), total pad = max((out-1)*stride + k_eff - in, 0),
 * with the odd pixel at the END (asymmetric) — which is why ONNX auto_pad is not used.
 */
export function tfPad1d(padding: TfPadding, size: number, kernel: number, stride: number, dilation = 1, explicit: [number, number] = [0, 0]): Pad1d {
  const kEff = (kernel - 1) * dilation + 1;
  if (size < 0) throw new KexinError('MODEL_DYNAMIC_SHAPE', 'spatial size must be static to compute padding', 500);
  if (padding === 'SAME') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + kEff - size, 0);
    const begin = Math.floor(total / 2);
    return { begin, end: total - begin, out };
  }
  if (padding === 'VALID') return { begin: 0, end: 0, out: Math.floor((size - kEff) / stride) + 1 };
  const [begin, end] = explicit;
  return { begin, end, out: Math.floor((size + begin + end - kEff) / stride) + 1 };
}

/** NHWC 2-D window: returns ONNX pads [top, left, bottom, right] and output H, W. */
export function tfPads2d(
  padding: TfPadding,
  inHW: [number, number],
  kernelHW: [number, number],
  stridesHW: [number, number],
  dilationsHW: [number, number] = [1, 1],
  explicitNhwc: number[] = [],
): { pads: [number, number, number, number]; outHW: [number, number] } {
  const eh: [number, number] = [explicitNhwc[2] ?? 0, explicitNhwc[3] ?? 0];
  const ew: [number, number] = [explicitNhwc[4] ?? 0, explicitNhwc[5] ?? 0];
  const h = tfPad1d(padding, inHW[0], kernelHW[0], stridesHW[0], dilationsHW[0], eh);
  const w = tfPad1d(padding, inHW[1], kernelHW[1], stridesHW[1], dilationsHW[1], ew);
  return { pads: [h.begin, w.begin, h.end, w.end], outHW: [h.out, w.out] };
}
