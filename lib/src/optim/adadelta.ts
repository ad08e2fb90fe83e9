// Adadelta with PyTorch's semantics (torch.optim.Adadelta, defaults lr 1.0, rho 0.9, eps 1e-6):
//   g ← g + weightDecay·p
//   v ← rho·v + (1 − rho)·g²
//   delta ← √(u + eps) / √(v + eps) · g
//   u ← rho·u + (1 − rho)·delta²
//   p ← p − lr·delta
import * as tf from "@tensorflow/tfjs-core";
import { Optimizer, type GroupOption, type ParamState } from "./optimizer";

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
}

export class Adadelta extends Optimizer {
  rho: number;
  eps: number;
  weightDecay: number;

  constructor(params: Iterable<tf.Variable>, { lr = 1.0, rho = 0.9, eps = 1e-6, weightDecay = 0 }: AdadeltaOptions = {}) {
    super(params, lr);
    this.rho = rho;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  protected groupOptions(): Record<string, GroupOption> {
    return { rho: this.rho, eps: this.eps, weightDecay: this.weightDecay };
  }

  protected update(p: tf.Variable, grad: tf.Tensor, s: ParamState): void {
    const g = this.weightDecay ? tf.add(grad, tf.mul(p, this.weightDecay)) : grad;
    const rho = this.rho;
    const sq = s.tensors.squareAvg ?? tf.zerosLike(p);
    const acc = s.tensors.accDelta ?? tf.zerosLike(p);
    const squareAvg = this.keep(s, "squareAvg", tf.add(tf.mul(sq, rho), tf.mul(tf.square(g), 1 - rho)));
    const delta = tf.mul(tf.div(tf.sqrt(tf.add(acc, this.eps)), tf.sqrt(tf.add(squareAvg, this.eps))), g);
    this.keep(s, "accDelta", tf.add(tf.mul(acc, rho), tf.mul(tf.square(delta), 1 - rho)));
    p.assign(tf.sub(p, tf.mul(delta, this.lr)));
  }
}
