// SGD with PyTorch's semantics (torch.optim.SGD):
//   g ← g + weightDecay·p
//   buf ← g on the first step, else momentum·buf + (1 − dampening)·g
//   g ← nesterov ? g + momentum·buf : buf
//   p ← p − lr·g
import * as tf from "@tensorflow/tfjs-core";
import { Optimizer, type ParamState } from "./optimizer";

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Iterable<tf.Variable>, { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false }: SGDOptions) {
    super(params, lr);
    if (nesterov && (momentum <= 0 || dampening !== 0))
      throw new Error("SGD: Nesterov momentum requires momentum > 0 and dampening = 0 (as in PyTorch).");
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }

  protected update(p: tf.Variable, grad: tf.Tensor, s: ParamState): void {
    let g = this.weightDecay ? tf.add(grad, tf.mul(p, this.weightDecay)) : grad;
    if (this.momentum) {
      const prev = s.tensors.buf;
      const buf = prev ? tf.add(tf.mul(prev, this.momentum), tf.mul(g, 1 - this.dampening)) : tf.clone(g);
      this.keep(s, "buf", buf);
      g = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
    }
    p.assign(tf.sub(p, tf.mul(g, this.lr)));
  }
}
