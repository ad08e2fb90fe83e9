// SGD with PyTorch's semantics (torch.optim.SGD):
//   g ← g + weightDecay·p
//   buf ← g on the first step, else momentum·buf + (1 − dampening)·g
//   g ← nesterov ? g + momentum·buf : buf
//   p ← p − lr·g
import * as tf from "@tensorflow/tfjs-core";
import { Optimizer, type GroupOption, type ParamState } from "./optimizer";
import { SGD_STEP, sgdStepAvailable } from "../backend/kernels/optim";

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;

  constructor(params: Iterable<tf.Variable>, { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false }: SGDOptions) {
    super(params, lr);
    checkNesterov(nesterov, momentum, dampening);
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }

  protected groupOptions(): Record<string, GroupOption> {
    return { momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }

  protected override checkGroupOptions(o: Record<string, GroupOption>): void {
    checkNesterov(o.nesterov as boolean, o.momentum as number, o.dampening as number); // types checked by the base
  }

  protected update(p: tf.Variable, grad: tf.Tensor, s: ParamState): void {
    if (sgdStepAvailable(p.dtype) && grad.dtype === "float32") {
      // wasm: one kernel, one pass (same float32 operations in the same order as below)
      const prev = s.tensors.momentumBuffer;
      const inputs: tf.NamedTensorMap = prev ? { param: p, grad, buf: prev } : { param: p, grad };
      const attrs = { lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
      const out = tf.engine().runKernel(SGD_STEP, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      if (this.momentum) this.keep(s, "momentumBuffer", out[1]);
      p.assign(out[0]);
      return;
    }
    let g = this.weightDecay ? tf.add(grad, tf.mul(p, this.weightDecay)) : grad;
    if (this.momentum) {
      const prev = s.tensors.momentumBuffer;
      const buf = prev ? tf.add(tf.mul(prev, this.momentum), tf.mul(g, 1 - this.dampening)) : tf.clone(g);
      this.keep(s, "momentumBuffer", buf);
      g = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
    }
    p.assign(tf.sub(p, tf.mul(g, this.lr)));
  }
}

function checkNesterov(nesterov: boolean, momentum: number, dampening: number): void {
  if (nesterov && (momentum <= 0 || dampening !== 0))
    throw new Error("SGD: Nesterov momentum requires momentum > 0 and dampening = 0 (as in PyTorch).");
}
