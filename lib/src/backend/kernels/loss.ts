// Classification losses as one kernel each, forward and gradient: the composed cross-entropy (logSoftmax,
// oneHot, mul, sum, mean, neg) is ~20 kernels forward and backward, 0.14 ms per step on [300, 10] — 6 % of
// the MLP's step, all of it dispatch. Rows of C classes; sums in float64, rounded once.
// A label outside [0, C) gives its row a loss of 0 and a zero gradient, as the composition does (its
// one-hot row is all zeros); the mean still divides by every row. The NLL reads row[label] only, as torch's
// gather: a NaN elsewhere in the row no longer reaches the loss (the composition's 0·NaN did).
import { tf } from "../tf";
import type { KernelArgs, Replacement, TensorInfo } from "./util";

/**
 * inputs {logits [N, C] float32, labels [N] int32} → [mean over rows of logsumexp(row) − row[label], the
 * softmax [N, C]] (the second saved for the gradient: one exp per element in all).
 */
export const SOFTMAX_CE = "TsdlSoftmaxCrossEntropy";
/** inputs {probs (the softmax), labels, dy (scalar)} → dy/N · (probs − onehot(label)) per row. */
export const SOFTMAX_CE_GRAD = "TsdlSoftmaxCrossEntropyGrad";
/** inputs {logProbs [N, C] float32, labels [N] int32} → −mean over rows of row[label]. */
export const NLL = "TsdlNllLoss";
/** inputs {logProbs, labels, dy (scalar)} → −dy/N at [row, label], 0 elsewhere. */
export const NLL_GRAD = "TsdlNllLossGrad";

type Heap = { typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array; makeOutput(shape: number[], dtype: "float32"): TensorInfo };

function rows(name: string, args: KernelArgs): { x: Float32Array; y: Int32Array; n: number; c: number; h: Heap } {
  const { inputs, backend } = args;
  const h = backend as unknown as Heap;
  const x = (inputs.logits ?? inputs.logProbs ?? inputs.probs) as TensorInfo;
  const labels = inputs.labels as TensorInfo;
  if (x.dtype !== "float32" || labels.dtype !== "int32" || x.shape.length !== 2 || labels.shape.length !== 1 || labels.shape[0] !== x.shape[0]) {
    throw new Error(`tsdl: ${name} takes float32 [N, C] and int32 [N], got ${x.dtype} [${x.shape}] and ${labels.dtype} [${labels.shape}]`);
  }
  return { x: h.typedArrayFromHeap(x) as Float32Array, y: h.typedArrayFromHeap(labels) as Int32Array, n: x.shape[0], c: x.shape[1], h };
}


function scalarOut(h: Heap, v: number): TensorInfo {
  const out = h.makeOutput([], "float32");
  h.typedArrayFromHeap(out)[0] = v;
  return out;
}

const dyOf = (args: KernelArgs): number => ((args.backend as unknown as Heap).typedArrayFromHeap(args.inputs.dy as TensorInfo) as Float32Array)[0];

export const softmaxCrossEntropy: Replacement = (args) => {
  const { x, y, n, c, h } = rows(SOFTMAX_CE, args);
  const probs = h.makeOutput([n, c], "float32");
  const p = h.typedArrayFromHeap(probs) as Float32Array;
  const e = new Float64Array(c);
  let total = 0;
  for (let i = 0, r = 0; i < n; i++, r += c) {
    // max subtracted first (no overflow); NaN anywhere in the row makes it NaN
    let m = -Infinity;
    for (let j = 0; j < c; j++) m = x[r + j] > m || Number.isNaN(x[r + j]) ? x[r + j] : m;
    let s = 0;
    for (let j = 0; j < c; j++) s += e[j] = Math.exp(x[r + j] - m);
    for (let j = 0; j < c; j++) p[r + j] = e[j] / s;
    if (y[i] >= 0 && y[i] < c) total += m + Math.log(s) - x[r + y[i]];
  }
  return [scalarOut(h, total / n), probs];
};

export const softmaxCrossEntropyGrad: Replacement = (args) => {
  const { x: p, y, n, c, h } = rows(SOFTMAX_CE_GRAD, args);
  const g = dyOf(args) / n;
  const out = h.makeOutput([n, c], "float32");
  const d = h.typedArrayFromHeap(out) as Float32Array;
  for (let i = 0, r = 0; i < n; i++, r += c) {
    const valid = y[i] >= 0 && y[i] < c;
    for (let j = 0; j < c; j++) d[r + j] = valid ? g * (p[r + j] - (j === y[i] ? 1 : 0)) : 0;
  }
  return out;
};

export const nllLoss: Replacement = (args) => {
  const { x, y, n, c, h } = rows(NLL, args);
  let total = 0;
  for (let i = 0; i < n; i++) if (y[i] >= 0 && y[i] < c) total += x[i * c + y[i]];
  return scalarOut(h, -total / n);
};

export const nllLossGrad: Replacement = (args) => {
  const { y, n, c, h } = rows(NLL_GRAD, args);
  const out = h.makeOutput([n, c], "float32");
  const d = h.typedArrayFromHeap(out) as Float32Array;
  d.fill(0);
  const g = -dyOf(args) / n;
  for (let i = 0; i < n; i++) if (y[i] >= 0 && y[i] < c) d[i * c + y[i]] = g;
  return out;
};

// (a multi-output kernel's gradient gets dy as a list: the loss's, and null for the softmax)
const lossDy = (dy: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(dy) ? dy[0] : dy);
export const softmaxCrossEntropyGradConfig: tf.GradConfig = {
  kernelName: SOFTMAX_CE,
  inputsToSave: ["labels"],
  outputsToSave: [false, true],
  gradFunc: (dy, saved) => {
    const [labels, probs] = saved;
    return {
      logits: () => tf.engine().runKernel(SOFTMAX_CE_GRAD, { probs, labels, dy: lossDy(dy) }) as tf.Tensor,
      labels: () => tf.zerosLike(labels),
    };
  },
};
export const nllLossGradConfig: tf.GradConfig = {
  kernelName: NLL,
  inputsToSave: ["logProbs", "labels"],
  gradFunc: (dy, saved) => {
    const [logProbs, labels] = saved;
    return {
      logProbs: () => tf.engine().runKernel(NLL_GRAD, { logProbs, labels, dy: lossDy(dy) }) as tf.Tensor,
      labels: () => tf.zerosLike(labels),
    };
  },
};

/** Knob for tests and scripts/bench: `own` false makes the losses compose tf ops on every backend. */
export const lossTuning = { own: true };

/** Whether loss kernel `name` runs on the current backend for `x` (float32 [N, C]). */
export function lossKernelAvailable(name: string, x: tf.Tensor): boolean {
  return lossTuning.own && x.dtype === "float32" && x.rank === 2 && !!tf.getKernel(name, tf.getBackend());
}
