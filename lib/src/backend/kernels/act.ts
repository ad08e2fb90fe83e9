// The gradient through an activation, with the bias gradient, as one kernel: tsdl's fused layers call it
// from their gradient when the backend has it (MNIST net: Step, Multiply and Sum over [64,24,24,64] and
// [64,26,26,32], 3.5 ms per step, become one pass).
import { tf } from "../tf";
import { type GradActivation, actGradOwn } from "./simd";
import { ownKernelAvailable, ownKernelsFor } from "./own";
import { type KernelArgs, type Replacement, type TensorInfo, withOps } from "./util";

/** The kernel's name: inputs {dy, y}, attrs {activation: "relu" | "tanh", bias}; outputs [d] or [d, db]. */
export const ACT_GRAD = "TsdlActGrad";

export const actGrad: Replacement = ({ inputs, attrs, backend }: KernelArgs) => {
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const { activation, bias } = attrs as unknown as { activation: GradActivation; bias: boolean };
  const k = ownKernelsFor(ACT_GRAD, backend, [dy, y]); // (callers ask first: actGradAvailable)
  if (activation !== "relu" && activation !== "tanh") throw new Error(`tsdl: ${ACT_GRAD}: no activation "${String(activation)}"`);
  if (dy.shape.join() !== y.shape.join()) throw new Error(`tsdl: ${ACT_GRAD}: dy [${dy.shape}] and y [${y.shape}] differ`);
  return withOps(backend, (o) => actGradOwn(o, k, dy, y, activation, !!bias).map((t) => o.out(t)));
};

/** Knob for tests and scripts/bench: `own` false makes tsdl compose the gradient of tf ops. */
export const actGradTuning = { own: true };

/** Whether `ACT_GRAD` runs on the current backend for these tensors. */
export function actGradAvailable(dy: tf.Tensor, y: tf.Tensor): boolean {
  return ownKernelAvailable(ACT_GRAD, actGradTuning.own, [dy.dtype, y.dtype]);
}

/** A bias gradient: d summed over every axis but the last (the bias is 1-D over the channels). */
export const sumButLast = (d: tf.Tensor): tf.Tensor => tf.sum(d, [...Array(d.rank - 1).keys()]);

/**
 * dL/d(pre-activation) from dy and the activation's output y, and the bias gradient (Σ over every axis but
 * the last) when `bias`: one kernel where available, else tfjs' composed gradient (same float32 values for
 * d; the sums in another order).
 */
export function activationGrad(dy: tf.Tensor, y: tf.Tensor, activation: GradActivation, bias: boolean): [tf.Tensor, tf.Tensor | null] {
  if (actGradAvailable(dy, y)) {
    const r = tf.engine().runKernel(ACT_GRAD, { dy, y }, { activation, bias }) as unknown as tf.Tensor[];
    return [r[0], bias ? r[1] : null];
  }
  const d = activation === "relu" ? tf.mul(dy, tf.step(y)) : tf.mul(dy, tf.sub(tf.scalar(1), tf.square(y)));
  return [d, bias ? sumButLast(d) : null];
}

/**
 * tfjs' Tanh gradient, dy·(1 − y²), through `ACT_GRAD` where the backend has it (LeNet-5's C1: Square,
 * Sub and Multiply over [256,28,28,6], 0.84 ms per step, become one pass); the same values everywhere.
 * Registered with the wasm kernels (gradients are global: other backends compose it as tfjs does).
 */
export const tanhGrad: tf.GradConfig = {
  kernelName: "Tanh",
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [y] = saved;
    return { x: () => activationGrad(dy as tf.Tensor, y, "tanh", false)[0] };
  },
};

/**
 * tfjs' Relu gradient, dy·step(x), through `ACT_GRAD` where the backend has it (the relu of ResNet's
 * blocks, after BatchNorm: Step and Multiply over [128,32,32,16], twice a block, become one pass); tfjs'
 * own composition elsewhere. Bit for bit the same (ACT_GRAD's relu is dy·step of what it is given).
 */
export const reluGrad: tf.GradConfig = {
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    return {
      x: () => (actGradAvailable(g, x) ? activationGrad(g, x, "relu", false)[0] : tf.mul(g, tf.cast(tf.step(x), "float32"))),
    };
  },
};
