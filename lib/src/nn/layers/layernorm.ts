// LayerNorm over the last dimensions (PyTorch nn.LayerNorm(normalized_shape)): per sample, biased
// variance, eps 1e-5, elementwise affine (weight 1, bias 0). Same in train and eval modes.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { constantVariable } from "../init";

export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;
  readonly eps: number;

  constructor(normalizedShape: number | number[], { eps = 1e-5, elementwiseAffine = true }: { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.eps = eps;
    this.weight = elementwiseAffine ? constantVariable(this.normalizedShape, 1, true) : null;
    this.bias = elementwiseAffine ? constantVariable(this.normalizedShape, 0, true) : null;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const k = this.normalizedShape.length;
    if (!tf.util.arraysEqual(x.shape.slice(x.rank - k), this.normalizedShape))
      throw new Error(`LayerNorm([${this.normalizedShape}]) expects input ending with [${this.normalizedShape}], got [${x.shape}].`);
    const axes = [...Array(k).keys()].map((i) => x.rank - k + i);
    const { mean, variance } = tf.moments(x, axes, true);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
    if (this.weight) y = tf.mul(y, this.weight);
    if (this.bias) y = tf.add(y, this.bias);
    return y;
  }

  override extraRepr(): string {
    return `[${this.normalizedShape}], eps=${this.eps}`;
  }
}
