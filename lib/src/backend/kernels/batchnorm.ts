// BatchNorm's training forward and its gradient as two kernels of per-channel passes (./simd/channels.ts):
// the forward is 3 passes (sum, squared deviations, normalise-and-scale) and the gradient 2 (two sums,
// then dx), where the composed ops made ~20 element-wise passes per BatchNorm layer (ResNet-20: 19 layers,
// ~40 % of a step's kernel time). tsdl's BatchNorm layers run them when the backend has them.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { tf } from "../tf";
import { channelAffine, channelSums } from "./simd";
import { ownKernelAvailable, ownKernelsFor } from "./own";
import { type KernelArgs, type Replacement, type TensorInfo, size, withOps } from "./util";

/** inputs {x, weight, bias} (NHWC or [N, C]; weight and bias [C]), attrs {eps} → [y, mean, variance (biased), rstd]. */
export const BN_TRAIN = "TsdlBatchNormTrain";
/** inputs {dy, x, mean, rstd, weight} → [dx, dweight, dbias]. */
export const BN_GRAD = "TsdlBatchNormGrad";

/** A copy of a small tensor's values: a heap view goes stale when a later _malloc grows the memory (plain build). */
const values32 = (o: { backend: BackendWasm }, t: TensorInfo) => Float32Array.from(o.backend.typedArrayFromHeap(t) as Float32Array);

export const batchNormTrain: Replacement = ({ inputs, attrs, backend }: KernelArgs) => {
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const { eps } = attrs as unknown as { eps: number };
  const k = ownKernelsFor(BN_TRAIN, backend, [x, weight, bias]); // (callers ask first: batchNormKernelsAvailable)
  return withOps(backend, (o) => {
    const c = x.shape[x.shape.length - 1];
    const count = size(x.shape) / c;
    const mean = channelSums(o, k, x, "sum").map((s) => s / count);
    const m32 = Float32Array.from(mean);
    const variance = channelSums(o, k, x, "squaredDeviation", m32).map((s) => s / count);
    const rstd = variance.map((v) => 1 / Math.sqrt(v + eps));
    const w = values32(o, weight);
    const y = channelAffine(o, k, null, x, null, rstd.map((r, j) => w[j] * r), values32(o, bias), m32);
    return [y, ...[m32, variance, rstd].map((vals) => o.fromValues([c], vals))].map((t) => o.out(t));
  });
};

export const batchNormGrad: Replacement = ({ inputs, backend }: KernelArgs) => {
  const { dy, x, mean, rstd, weight } = inputs as Record<"dy" | "x" | "mean" | "rstd" | "weight", TensorInfo>;
  const k = ownKernelsFor(BN_GRAD, backend, [dy, x, mean, rstd, weight]);
  return withOps(backend, (o) => {
    const c = x.shape[x.shape.length - 1];
    const count = size(x.shape) / c;
    const [m, r, w] = [values32(o, mean), values32(o, rstd), values32(o, weight)];
    const sums = channelSums(o, k, dy, "sumAndProduct", m, x); // Σ dy, Σ dy·(x − mean)
    const s1 = sums.subarray(0, c);
    const s2 = sums.subarray(c);
    // dx = w·rstd/N · (N·dy − Σdy − x̂·Σ(dy·x̂)),  x̂ = (x − mean)·rstd
    const a = Array.from(w, (wj, j) => wj * r[j]);
    const b = a.map((aj, j) => (-aj * r[j] * r[j] * s2[j]) / count);
    const cc = a.map((aj, j) => (-aj * s1[j]) / count);
    const dx = channelAffine(o, k, dy, x, a, b, cc, m);
    return [dx, o.fromValues([c], s2.map((s, j) => s * r[j])), o.fromValues([c], s1)].map((t) => o.out(t));
  });
};

/** Knob for tests and scripts/bench: `own` false makes tsdl's BatchNorm compose tf ops. */
export const batchNormTuning = { own: true };

/** Whether the BatchNorm kernels run on the current backend for `x`. */
export function batchNormKernelsAvailable(x: tf.Tensor): boolean {
  return ownKernelAvailable(BN_TRAIN, batchNormTuning.own, [x.dtype]);
}

/** The training forward's gradient, per input (the tape asks only for those on the path). */
export const batchNormTrainGrad: tf.GradConfig = {
  kernelName: BN_TRAIN,
  inputsToSave: ["x", "weight"],
  outputsToSave: [false, true, false, true],
  gradFunc: (dys, saved) => {
    const [x, weight, mean, rstd] = saved;
    const dy = (dys as tf.Tensor[])[0]; // (mean and variance feed the running stats only, off the tape)
    const [dx, dw, db] = tf.engine().runKernel(BN_GRAD, { dy, x, mean, rstd, weight }) as unknown as tf.Tensor[];
    return { x: () => dx, weight: () => dw, bias: () => db };
  },
};
