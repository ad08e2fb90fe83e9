// Adam with PyTorch's semantics (torch.optim.Adam, L2-style weight decay added to the gradient):
//   g ← g + weightDecay·p;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
//   p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
import * as tf from "@tensorflow/tfjs-core";
import { Optimizer, type GroupOption, type ParamState } from "./optimizer";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  betas: [number, number];
  eps: number;
  weightDecay: number;

  constructor(params: Iterable<tf.Variable>, { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 }: AdamOptions = {}) {
    super(params, lr);
    this.betas = betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  protected groupOptions(): Record<string, GroupOption> {
    return { betas: [...this.betas], eps: this.eps, weightDecay: this.weightDecay };
  }

  protected update(p: tf.Variable, grad: tf.Tensor, s: ParamState): void {
    const g = this.weightDecay ? tf.add(grad, tf.mul(p, this.weightDecay)) : grad;
    const [b1, b2] = this.betas;
    const m0 = s.tensors.expAvg ?? tf.zerosLike(p);
    const v0 = s.tensors.expAvgSq ?? tf.zerosLike(p);
    const m = this.keep(s, "expAvg", tf.add(tf.mul(m0, b1), tf.mul(g, 1 - b1)));
    const v = this.keep(s, "expAvgSq", tf.add(tf.mul(v0, b2), tf.mul(tf.square(g), 1 - b2)));
    const bc1 = 1 - b1 ** s.step;
    const bc2 = 1 - b2 ** s.step;
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
    p.assign(tf.sub(p, tf.mul(tf.div(m, denom), this.lr / bc1)));
  }
}
