// Conv2d in NHWC (tfjs' native layout; PyTorch is NCHW). The filter is stored [kH, kW, in, out];
// PyTorch's is [out, in, kH, kW]: permute (2, 3, 1, 0) when copying weights from PyTorch.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { defaultBound, uniformParameter } from "../init";
import { type FusedActivation, fusedConv2d } from "../fused-ops";

export interface Conv2dOptions {
  /** Step of the kernel (PyTorch `stride`, default 1). */
  stride?: number;
  /** Zeros added on each side (PyTorch `padding`, default 0), or "same". */
  padding?: number | "same";
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: number | "same";

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    { stride = 1, padding = 0, bias = true }: Conv2dOptions = {},
  ) {
    super();
    this.stride = stride;
    this.padding = padding;
    const bound = defaultBound(inChannels * kernelSize * kernelSize);
    this.weight = uniformParameter([kernelSize, kernelSize, inChannels, outChannels], bound);
    this.bias = bias ? uniformParameter([outChannels], bound) : null;
  }

  override forward(x: tf.Tensor, activation: FusedActivation = "linear"): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels)
      throw new Error(
        `Conv2d(${this.inChannels} → ${this.outChannels}) expects NHWC input [N, H, W, ${this.inChannels}], got [${x.shape}]` +
          (x.rank === 4 && x.shape[1] === this.inChannels
            ? ": this looks NCHW (PyTorch layout); transpose with tf.transpose(x, [0, 2, 3, 1])."
            : "."),
      );
    return fusedConv2d(x as tf.Tensor4D, this.weight as tf.Tensor4D, this.bias, this.stride, this.padding, activation);
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}`;
  }
}
