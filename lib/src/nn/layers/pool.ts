// Pooling, NHWC. Output sizes follow PyTorch (floor mode). AvgPool2d with padding counts the padded
// zeros like PyTorch's default count_include_pad=True (tfjs would exclude them), so we pad explicitly.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";

export interface PoolOptions {
  /** Default: the kernel size, as in PyTorch. */
  stride?: number;
  padding?: number;
}

function check4d(name: string, x: tf.Tensor): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`${name} expects NHWC input [N, H, W, C], got [${x.shape}].`);
  return x as tf.Tensor4D;
}

/** Kernel size, stride (default: the kernel size) and padding shared by both pools. */
abstract class Pool2d extends Module {
  readonly stride: number;
  readonly padding: number;
  constructor(readonly kernelSize: number, { stride, padding = 0 }: PoolOptions = {}) {
    super();
    this.stride = stride ?? kernelSize;
    this.padding = padding;
  }
  override extraRepr(): string {
    return `kernel=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}`;
  }
}

export class MaxPool2d extends Pool2d {
  override forward(x: tf.Tensor): tf.Tensor {
    // tfjs' numeric pad ignores padded cells for max, like PyTorch's -inf padding.
    return tf.maxPool(check4d("MaxPool2d", x), this.kernelSize, this.stride, this.padding);
  }
}

export class AvgPool2d extends Pool2d {
  override forward(x: tf.Tensor): tf.Tensor {
    let x4 = check4d("AvgPool2d", x);
    const p = this.padding;
    if (p > 0) x4 = tf.pad(x4, [[0, 0], [p, p], [p, p], [0, 0]]);
    return tf.avgPool(x4, this.kernelSize, this.stride, "valid");
  }
}
