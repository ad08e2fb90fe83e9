// Entropy of a classifier's predicted distribution: ln(K) nats for a model that knows nothing (uniform
// over K classes), near 0 for a confident one; its histogram shows how sure the model has become.
import * as tf from "@tensorflow/tfjs-core";

/**
 * Entropy in nats of softmax(logits) along the last axis: the mean over the batch (default) or one
 * value per example (`{ reduction: "none" }`, for a histogram). Computed from logSoftmax (stable).
 */
export function outputEntropy(logits: tf.Tensor, opts?: { reduction?: "mean" }): tf.Scalar;
export function outputEntropy(logits: tf.Tensor, opts: { reduction: "none" }): tf.Tensor;
export function outputEntropy(logits: tf.Tensor, { reduction = "mean" }: { reduction?: "mean" | "none" } = {}): tf.Tensor {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const h = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
    return reduction === "mean" ? tf.mean(h) : h;
  });
}

/** Entropy of the uniform distribution over `numClasses` classes: ln(10) ≈ 2.303 nats for MNIST. */
export function uniformEntropy(numClasses = 10): number {
  return Math.log(numClasses);
}
