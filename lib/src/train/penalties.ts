// Explicit L1/L2 penalties added to the training loss (separate from the optimizers' weightDecay).
import * as tf from "@tensorflow/tfjs-core";

/** l1·Σ|θ| + (l2/2)·Σθ² over `params` (the ½ makes l2 = λ match weightDecay = λ under SGD). */
export function penalty(params: tf.Variable[], l1: number, l2: number): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (const p of params) {
      if (l1) total = tf.add(total, tf.mul(tf.sum(tf.abs(p)), l1));
      if (l2) total = tf.add(total, tf.mul(tf.sum(tf.square(p)), l2 / 2));
    }
    return total;
  });
}
