// Forward Conv2D and _FusedConv2D (bias, relu) on tsdl's own wasm kernel (./simd conv2dOwn: 1.3–2×
// XNNPACK's per bench layer on one thread, README), on every thread. NHWC float32 without dilation;
// anything else (NCHW, dilations, other activations, prelu) goes to the original XNNPACK kernel.
import { tf } from "../tf";
import { denseForward, isDenseConv } from "./conv-dense";
import { conv2dOwn, simdKernels } from "./simd";
import { type KernelArgs, type Replacement, type TensorInfo, withOps } from "./util";

type Shape4 = [number, number, number, number];
interface ConvAttrs {
  strides: number | [number, number];
  pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dilations: number | [number, number];
  dimRoundingMode?: "floor" | "round" | "ceil";
  activation?: string;
}

/** Knob for tests and scripts/bench: `own` false leaves forward convolutions to XNNPACK. */
export const forwardConvTuning = { own: true };

function ownConv(args: KernelArgs, fused: boolean): TensorInfo | null {
  const { inputs, attrs, backend } = args;
  const a = attrs as unknown as ConvAttrs;
  const x = inputs.x as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const bias = inputs.bias as TensorInfo | undefined;
  const dil = typeof a.dilations === "number" ? [a.dilations, a.dilations] : a.dilations ?? [1, 1];
  const act = fused ? a.activation ?? "linear" : "linear";
  if (!forwardConvTuning.own || x.dtype !== "float32" || filter.dtype !== "float32" || a.dataFormat === "NCHW" ||
    dil[0] !== 1 || dil[1] !== 1 || (act !== "linear" && act !== "relu") || inputs.preluActivationWeights ||
    (bias && (bias.dtype !== "float32" || bias.shape.length !== 1 || bias.shape[0] !== filter.shape[3]))) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4, filter.shape as Shape4, a.strides, 1, a.pad, a.dimRoundingMode, false, "channelsLast");
  if (isDenseConv(x.shape, filter.shape, info)) {
    return withOps(backend, (o) => o.out(denseForward(o, x, filter, bias, act === "relu")));
  }
  const k = simdKernels(backend);
  if (k instanceof Error) return null;
  const { top, bottom, left, right } = info.padInfo;
  if (Math.min(top, bottom, left, right) < 0) return null;
  return withOps(backend, (o) => {
    const y = conv2dOwn(o, k, x, filter, info.strideHeight, info.strideWidth, [top, bottom, left, right], bias, act === "relu");
    if (y.shape[1] !== info.outHeight || y.shape[2] !== info.outWidth) {
      throw new Error(`tsdl: own Conv2D gave ${y.shape} for ${info.outShape} (bug): set forwardConvTuning.own = false`);
    }
    return o.out(y);
  });
}

function replacement(name: string, fused: boolean): Replacement {
  return (args: KernelArgs, original) => {
    const r = ownConv(args, fused);
    if (r) return r;
    if (!original) throw new Error(`tsdl: no wasm ${name}`);
    return original(args);
  };
}

export const conv2D = replacement("Conv2D", false);
export const fusedConv2D = replacement("FusedConv2D", true);
