// Classification losses with PyTorch's reductions (mean over the batch).
import * as tf from "@tensorflow/tfjs-core";
import { NLL, SOFTMAX_CE, lossKernelAvailable } from "../backend/kernels/loss";

function checkLabels(name: string, outputs: tf.Tensor, labels: tf.Tensor): tf.Tensor1D {
  if (outputs.rank !== 2 || labels.rank !== 1 || labels.shape[0] !== outputs.shape[0])
    throw new Error(`${name} expects outputs [N, C] and labels [N], got outputs [${outputs.shape}] and labels [${labels.shape}].`);
  return (labels.dtype === "int32" ? labels : tf.cast(labels, "int32")) as tf.Tensor1D;
}

/** Mean cross-entropy of raw scores (logits) against integer labels: torch's nn.CrossEntropyLoss(). */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const y = checkLabels("crossEntropy", logits, labels);
    // one kernel forward, one backward where the backend has it (wasm); the same values otherwise
    if (lossKernelAvailable(SOFTMAX_CE, logits))
      return (tf.engine().runKernel(SOFTMAX_CE, { logits, labels: y }) as unknown as tf.Tensor[])[0] as tf.Scalar;
    const picked = tf.sum(tf.mul(tf.oneHot(y, logits.shape[1] as number), tf.logSoftmax(logits)), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/** Mean negative log-likelihood of log-probabilities (after log-softmax): torch's F.nll_loss. */
export function nllLoss(logProbs: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const y = checkLabels("nllLoss", logProbs, labels);
    if (lossKernelAvailable(NLL, logProbs)) return tf.engine().runKernel(NLL, { logProbs, labels: y }) as tf.Scalar;
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(y, logProbs.shape[1] as number), logProbs), 1))) as tf.Scalar;
  });
}

/** Mean squared error (torch's nn.MSELoss()). */
export function mseLoss(predictions: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(predictions, targets)) as tf.Scalar);
}
