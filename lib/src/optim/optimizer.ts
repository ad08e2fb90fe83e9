// Optimizer base: PyTorch-style optimizers over a list of tf.Variables (model.parameters()).
// Gradients come from tf.variableGrads, which returns fresh gradients each call, so there is nothing to
// zero: `step(grads)` takes them (keyed by variable name, as variableGrads returns them). A parameter
// without a gradient is skipped, as PyTorch skips `p.grad is None`. All updates run inside one tidy.
import * as tf from "@tensorflow/tfjs-core";

/** Per-parameter state: tensors (momentum buffers, moments) and the parameter's own step count. */
export interface ParamState {
  step: number;
  tensors: Record<string, tf.Tensor>;
}

export abstract class Optimizer {
  readonly params: tf.Variable[];
  /** Learning rate, read at every step: schedulers (StepLR) and users may change it. */
  lr: number;
  protected readonly state = new Map<tf.Variable, ParamState>();

  constructor(params: Iterable<tf.Variable>, lr: number) {
    this.params = [...params];
    if (!this.params.length) throw new Error(`${this.constructor.name}: got an empty parameter list (pass model.parameters()).`);
    if (!(lr >= 0)) throw new Error(`${this.constructor.name}: invalid learning rate ${lr} (must be ≥ 0).`);
    this.lr = lr;
  }

  /** Applies one update with `grads` (from tf.variableGrads). Does not dispose `grads`: the caller owns them. */
  step(grads: tf.NamedTensorMap): void {
    tf.tidy(() => {
      for (const p of this.params) {
        const g = grads[p.name];
        if (!g) continue;
        if (!tf.util.arraysEqual(g.shape, p.shape))
          throw new Error(`${this.constructor.name}.step: gradient of "${p.name}" has shape [${g.shape}], parameter [${p.shape}].`);
        let s = this.state.get(p);
        if (!s) this.state.set(p, (s = { step: 0, tensors: {} }));
        s.step += 1;
        this.update(p, g, s);
      }
    });
  }

  /** No-op kept so PyTorch-shaped loops read the same: tf.variableGrads never accumulates gradients. */
  zeroGrad(): void {}

  /** Computes and assigns the new value of `p`; store state through `keep`. Runs inside a tidy. */
  protected abstract update(p: tf.Variable, g: tf.Tensor, s: ParamState): void;

  /** Replaces a state tensor, keeping the new one out of the step's tidy and freeing the old one. */
  protected keep(s: ParamState, key: string, t: tf.Tensor): tf.Tensor {
    const old = s.tensors[key];
    s.tensors[key] = tf.keep(t);
    old?.dispose();
    return t;
  }

  /** Frees the optimizer's state (momentum buffers, moments). */
  dispose(): void {
    for (const s of this.state.values()) tf.dispose(Object.values(s.tensors));
    this.state.clear();
  }
}
