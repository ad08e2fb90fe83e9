// BatchNorm1d ([N, C]) and BatchNorm2d (NHWC [N, H, W, C]), PyTorch semantics:
// training: normalise with the batch mean and biased variance, and update the running stats
//   running = (1 - momentum)·running + momentum·batch, the running variance using the unbiased estimate;
// eval: normalise with the running stats, which are left unchanged.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { constantVariable } from "../init";
import { BN_TRAIN, batchNormKernelsAvailable } from "../../backend/kernels/batchnorm";

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  /** Learnable scale (weight, init 1) and shift (bias, init 0). */
  affine?: boolean;
}

abstract class BatchNorm extends Module {
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly eps: number;
  readonly momentum: number;
  protected abstract readonly rank: number;

  constructor(readonly numFeatures: number, { eps = 1e-5, momentum = 0.1, affine = true }: BatchNormOptions = {}) {
    super();
    this.eps = eps;
    this.momentum = momentum;
    this.weight = affine ? constantVariable([numFeatures], 1, true) : null;
    this.bias = affine ? constantVariable([numFeatures], 0, true) : null;
    this.runningMean = constantVariable([numFeatures], 0, false);
    this.runningVar = constantVariable([numFeatures], 1, false);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const name = this.constructor.name;
    if (x.rank !== this.rank || x.shape[this.rank - 1] !== this.numFeatures)
      throw new Error(
        `${name}(${this.numFeatures}) expects ${this.rank === 2 ? "[N, C]" : "NHWC [N, H, W, C]"} with C = ${this.numFeatures}, got [${x.shape}].`,
      );
    const axes = [...Array(this.rank - 1).keys()];
    if (!this.training) {
      return tf.batchNorm(x, this.runningMean, this.runningVar, this.bias ?? undefined, this.weight ?? undefined, this.eps);
    }
    const n = x.size / this.numFeatures;
    if (n < 2) throw new Error(`${name} in training mode needs more than 1 value per channel (batch of ${x.shape[0]}): use a larger batch or call eval().`);
    const { y, mean, variance } = batchNormKernelsAvailable(x)
      ? this.trainKernels(x)
      : this.trainComposed(x, axes);
    // Side effect on the buffers only (not on the loss path, so no gradient flows through it).
    tf.tidy(() => {
      const m = this.momentum;
      const unbiased = tf.mul(variance, n / (n - 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
    });
    tf.dispose([mean, variance]);
    return y;
  }

  /** The batch statistics and the normalised output, from tf ops (every backend). */
  private trainComposed(x: tf.Tensor, axes: number[]): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
    const { mean, variance } = tf.moments(x, axes);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
    if (this.weight) y = tf.mul(y, this.weight);
    if (this.bias) y = tf.add(y, this.bias);
    return { y, mean, variance };
  }

  /** The same as two kernels, forward and gradient, of per-channel passes (backend/kernels/batchnorm.ts). */
  private trainKernels(x: tf.Tensor): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
    const c = this.numFeatures;
    const weight = this.weight ?? tf.ones([c]);
    const bias = this.bias ?? tf.zeros([c]);
    const [y, mean, variance, rstd] = tf.engine().runKernel(BN_TRAIN, { x, weight, bias }, { eps: this.eps }) as unknown as tf.Tensor[];
    rstd.dispose();
    if (!this.weight) weight.dispose();
    if (!this.bias) bias.dispose();
    return { y, mean, variance };
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }
}

export class BatchNorm1d extends BatchNorm {
  protected readonly rank = 2;
}

export class BatchNorm2d extends BatchNorm {
  protected readonly rank = 4;
}
