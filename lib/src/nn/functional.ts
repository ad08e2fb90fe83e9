// Stateless functions, like torch.nn.functional (import as `F`): for modules written PyTorch-style,
// e.g. `F.maxPool2d(F.relu(this.conv1.forward(x)), 2)`.
import * as tf from "@tensorflow/tfjs-core";
import { nextSeed } from "./random";

export const relu = (x: tf.Tensor): tf.Tensor => tf.relu(x);
export const tanh = (x: tf.Tensor): tf.Tensor => tf.tanh(x);
export const sigmoid = (x: tf.Tensor): tf.Tensor => tf.sigmoid(x);
/** Over the last axis (PyTorch's `dim=1` on [N, C]). */
export const logSoftmax = (x: tf.Tensor): tf.Tensor => tf.logSoftmax(x);
export const softmax = (x: tf.Tensor): tf.Tensor => tf.softmax(x);

/** NHWC max pooling; stride defaults to the kernel size as in PyTorch. */
export function maxPool2d(x: tf.Tensor, kernelSize: number, stride = kernelSize, padding = 0): tf.Tensor {
  return tf.maxPool(x as tf.Tensor4D, kernelSize, stride, padding);
}

/** NHWC average pooling (padding counted as zeros, like PyTorch's default). */
export function avgPool2d(x: tf.Tensor, kernelSize: number, stride = kernelSize, padding = 0): tf.Tensor {
  const p = padding;
  const x4 = p > 0 ? tf.pad(x as tf.Tensor4D, [[0, 0], [p, p], [p, p], [0, 0]]) : (x as tf.Tensor4D);
  return tf.avgPool(x4, kernelSize, stride, "valid");
}

/** [N, ...] → [N, rest] (NHWC order: see nn.Flatten about parity with PyTorch). */
export const flatten = (x: tf.Tensor): tf.Tensor => (x.rank === 2 ? x : tf.reshape(x, [x.shape[0], -1]));

/** PyTorch's F.dropout: identity unless `training`. */
export function dropout(x: tf.Tensor, p = 0.5, training = true): tf.Tensor {
  return training && p > 0 ? tf.dropout(x, p, undefined, nextSeed()) : x;
}
