// Linear and Conv2d as ONE kernel (_FusedMatMul / FusedConv2D: bias and ReLU applied inside), also while a
// gradient is recorded. tfjs' tf.fused.* ops wrap those kernels in a customGrad, which computes the gradient
// of EVERY input: a first layer's dx w.r.t. the data batch (LeNet's C1: 256×28×28) was computed then dropped
// (issue #7). Here the kernel runs as a plain tape node and tsdl registers a per-input gradient for it: the
// tape calls only the gradients of inputs on the path to what is differentiated, as for the unfused ops
// (tf.grad w.r.t. the input still gets its dx). tfjs' fused ops never record these kernels themselves (a
// customGrad's inner kernels are not taped), so the registration changes nothing for them.
import * as tf from "@tensorflow/tfjs-core";
import { fusion } from "./fusion";
import { activationGrad, sumButLast } from "../backend/kernels/act";
import { replacedWasmKernels } from "../backend/kernels/util";

export type FusedActivation = "linear" | "relu";

const FUSED_CONV = "FusedConv2D";
const FUSED_MATMUL = "_FusedMatMul";

/**
 * dL/d(pre-activation) from dL/dy and the saved output y (relu: y > 0 exactly where its input was), and
 * the bias gradient (Σ over every axis but the last): one kernel on wasm (backend/kernels/act.ts).
 */
function preActivationGrad(dy: tf.Tensor, y: tf.Tensor, activation: unknown): [tf.Tensor, () => tf.Tensor] {
  if (activation === "linear" || activation == null) return [dy, () => sumButLast(dy)];
  if (activation === "relu") {
    const [d, db] = activationGrad(dy, y, "relu", true);
    return [d, () => db as tf.Tensor];
  }
  throw new Error(`tsdl: no gradient for a fused "${String(activation)}" activation (tsdl fuses only linear and relu).`);
}

/** tfjs' registered gradient of the unfused kernel, reused for x / filter (a, b): same numbers as unfused. */
function unfusedGrad(kernel: string): tf.GradConfig {
  const g = tf.getGradient(kernel);
  if (!g)
    throw new Error(
      `tsdl: tfjs' ${kernel} gradient is not registered: import { tf } from "tsdl" (or @tensorflow/tfjs) ` +
        "before computing gradients.",
    );
  return g;
}

/** The fused kernel's gradient: through the activation, then the unfused kernel's for its two inputs, plus the bias's. */
function fusedGrad(kernelName: string, inputs: [string, string], unfused: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: inputs,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [a, b, y] = saved;
      // (the bias is 1-D over the last axis in tsdl's layers; its gradient comes with d, unused without one)
      const [d, bias] = preActivationGrad(dy as tf.Tensor, y, attrs.activation);
      return { ...unfusedGrad(unfused).gradFunc(d, [a, b], attrs), bias };
    },
  };
}

const GRADS = [fusedGrad(FUSED_CONV, ["x", "filter"], "Conv2D"), fusedGrad(FUSED_MATMUL, ["a", "b"], "BatchMatMul")];

/** The kernels take float32 only; tf.fused.matMul cast an int input the same way. */
const float = <T extends tf.Tensor>(x: T): T => (x.dtype === "float32" ? x : tf.cast(x, "float32"));

let registered = false;
function ensureRegistered(): void {
  if (registered) return;
  // One registered on purpose by someone else is left in place (it is per input as well).
  for (const g of GRADS) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
  registered = true;
}

/** x·W + b, then the activation: [N, in] × [in, out] → [N, out]. */
export function fusedLinear(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor | null, activation: FusedActivation): tf.Tensor2D {
  if (!fusion.tapeGradients) return tf.fused.matMul({ a: x, b: weight, bias: bias ?? undefined, activation }) as tf.Tensor2D;
  ensureRegistered();
  // tsdl's wasm kernel takes the rank-2 operands as they are: no Reshape forward and backward, nor the
  // copies the tape keeps of their inputs (the MLP: 35 of a step's 82 kernel calls, each a dispatch)
  if (replacedWasmKernels().includes(FUSED_MATMUL) && tf.getBackend() === "wasm") {
    return tf.tidy(() => {
      const inputs: tf.NamedTensorMap = bias ? { a: float(x), b: weight, bias } : { a: float(x), b: weight };
      return tf.engine().runKernel<tf.Tensor2D>(FUSED_MATMUL, inputs, { transposeA: false, transposeB: false, activation });
    });
  }
  return tf.tidy(() => {
    // The kernel takes rank-3 operands, as tfjs' op gives it.
    const a = tf.reshape(float(x), [1, ...x.shape]);
    const b = tf.reshape(weight, [1, ...weight.shape]);
    const y = tf.engine().runKernel<tf.Tensor3D>(FUSED_MATMUL, bias ? { a, b, bias } : { a, b }, {
      transposeA: false,
      transposeB: false,
      activation,
    });
    return tf.reshape<tf.Rank.R2>(y, [x.shape[0], weight.shape[1]]);
  });
}

/** NHWC convolution + b, then the activation (filter [kH, kW, in, out]). */
export function fusedConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor | null,
  strides: number,
  pad: number | "same",
  activation: FusedActivation,
): tf.Tensor4D {
  if (!fusion.tapeGradients)
    return tf.fused.conv2d({ x, filter, strides, pad, bias: bias ?? undefined, activation });
  ensureRegistered();
  return tf.tidy(() =>
    tf.engine().runKernel<tf.Tensor4D>(FUSED_CONV, bias ? { x: float(x), filter, bias } : { x: float(x), filter }, {
      strides,
      pad,
      dataFormat: "NHWC",
      dilations: [1, 1],
      activation,
    }),
  );
}
