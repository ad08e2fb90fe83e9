// PyTorch's default initialisation for Linear and Conv2d:
// kaiming_uniform_(a=√5) on the weight gives U(-b, b) with b = gain·√(3/fan_in), gain = √(2/(1+a²)),
// i.e. b = 1/√fan_in; the bias is U(-1/√fan_in, 1/√fan_in). Same bounds here, drawn from the seeded stream.
import * as tf from "@tensorflow/tfjs-core";
import { nextSeed } from "./random";

/** The bound 1/√fan_in used by PyTorch for both weight and bias of Linear/Conv2d. */
export function defaultBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

/** A trainable variable drawn from U(-bound, bound) with the seeded generator. */
export function uniformParameter(shape: number[], bound: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.randomUniform(shape, -bound, bound, "float32", nextSeed()), true));
}

/** A variable filled with `value`; `trainable` false makes it a buffer (e.g. BatchNorm running stats). */
export function constantVariable(shape: number[], value: number, trainable: boolean): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value, "float32"), trainable));
}
