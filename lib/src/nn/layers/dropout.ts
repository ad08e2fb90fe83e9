// Dropout (inverted, like PyTorch): in training, zero each value with probability p and scale the
// others by 1/(1-p); in eval mode, the identity. Masks come from the seeded generator (manualSeed).
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { nextSeed } from "../random";

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout(p=${p}): p must be in [0, 1).`);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.training && this.p > 0 ? tf.dropout(x, this.p, undefined, nextSeed()) : x;
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
