// Linear: y = x·W + b. The weight is stored [in, out] (tfjs matMul order, no transpose per step);
// PyTorch stores it [out, in]: transpose when copying weights between the two.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { defaultBound, uniformParameter } from "../init";
import { type FusedActivation, fusedLinear } from "../fused-ops";

export type { FusedActivation };

export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true }: { bias?: boolean } = {},
  ) {
    super();
    const bound = defaultBound(inFeatures);
    this.weight = uniformParameter([inFeatures, outFeatures], bound);
    this.bias = bias ? uniformParameter([outFeatures], bound) : null;
  }

  /** `activation: "relu"` fuses the ReLU into the matMul kernel (used by Sequential and the models). */
  override forward(x: tf.Tensor, activation: FusedActivation = "linear"): tf.Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures)
      throw new Error(
        `Linear(${this.inFeatures} → ${this.outFeatures}) expects input [N, ${this.inFeatures}], got [${x.shape}]` +
          (x.rank > 2 ? ": flatten it first (nn.Flatten)." : "."),
      );
    return fusedLinear(x as tf.Tensor2D, this.weight as tf.Tensor2D, this.bias, activation);
  }

  override extraRepr(): string {
    return `in=${this.inFeatures}, out=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
