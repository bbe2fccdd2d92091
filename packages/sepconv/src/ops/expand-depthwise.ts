// Expand (1x1 conv) then depthwise, fused over rows (the kernels' `fused` module): an inverted
// residual's widest tensor lives only in a ring of K_h rows. Used by the model planner.
import { runtime } from '../runtime/state.js';
import type { Tensor } from '../tensor/tensor.js';
import { activationCode, type ActivationName } from './activation.js';
import type { PackedDepthwiseWeights } from './depthwise.js';
import type { PackedGemmWeights } from './gemm.js';
import { checkGeometry, type ConvGeometry } from './geometry.js';

declare module '../runtime/state.js' {
  interface KernelExports {
    expand_depthwise(
      pwHandle: number,
      pwActivation: number,
      dwHandle: number,
      input: number,
      inputLen: number,
      output: number,
      outputLen: number,
      ring: number,
      ringLen: number,
      batch: number,
      inH: number,
      inW: number,
      strideH: number,
      strideW: number,
      padTop: number,
      padBottom: number,
      padLeft: number,
      padRight: number,
      dwActivation: number,
    ): void;
  }
}

/** Where the fused kernel applies (mirrors the kernels' `has_row_kernel`); `g` is the depthwise geometry. */
export function expandDepthwiseFits(g: ConvGeometry, channels: number, multiplier: number): boolean {
  const square = g.kernelH === g.kernelW && (g.kernelH === 3 || g.kernelH === 5);
  return square && multiplier === 1 && channels >= 4 && g.dilationH === 1 && g.dilationW === 1 && g.strideW <= 2 && g.strideH <= g.kernelH;
}

/** Floats of ring scratch the fused kernel needs: K_h rows of the expanded tensor. */
export function expandDepthwiseRing(g: ConvGeometry, channels: number): number {
  return g.kernelH * g.inW * channels;
}

/** depthwise(dwAct, pwAct(x * pw)) over NHWC `x` into `out`, with `ring` (>= expandDepthwiseRing floats) as scratch. */
export function runExpandDepthwise(
  x: Tensor,
  pw: PackedGemmWeights,
  pwAct: ActivationName,
  dw: PackedDepthwiseWeights,
  g: ConvGeometry,
  dwAct: ActivationName,
  op: string,
  out: Tensor,
  ring: Tensor,
): void {
  checkGeometry(op, g, x.shape);
  const p = g.pads;
  const [pwCode, dwCode] = [activationCode(op, pwAct), activationCode(op, dwAct)];
  runtime(`${op}()`).call(op, (k) => k.expand_depthwise(
    pw.handle,
    pwCode,
    dw.handle,
    x.ptr(op),
    x.size,
    out.ptr(op),
    out.size,
    ring.ptr(op),
    ring.size,
    x.shape[0]!,
    g.inH,
    g.inW,
    g.strideH,
    g.strideW,
    p.top,
    p.bottom,
    p.left,
    p.right,
    dwCode,
  ));
}
