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

/** A hyper-parameter value of a param group (lr, momentum, betas, nesterov...). */
export type GroupOption = number | boolean | number[];

/**
 * PyTorch's param_groups entry: the group's hyper-parameters (camelCase: `weightDecay`) and `params`,
 * the indices of its parameters in the optimizer's parameter list. tsdl optimizers have one group.
 */
export type ParamGroup = { lr: number; params: number[] } & Record<string, GroupOption>;

/**
 * `optimizer.stateDict()` (PyTorch's `state_dict()`): `state[i]` is the state of parameter `i` (its step
 * count and tensors, e.g. SGD's `momentumBuffer`, Adam's `expAvg`/`expAvgSq`, Adadelta's
 * `squareAvg`/`accDelta`; absent before its first step), `paramGroups` the hyper-parameters.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: ParamGroup[];
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

  /**
   * The optimizer's state as PyTorch's `state_dict()`. Its tensors are copies (the next step replaces
   * the optimizer's own): the caller disposes them (`tf.dispose`), as with `Module.stateDict()`.
   */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    this.params.forEach((p, i) => {
      const s = this.state.get(p);
      if (!s) return;
      const tensors: Record<string, tf.Tensor> = {};
      for (const [k, t] of Object.entries(s.tensors)) tensors[k] = tf.clone(t);
      state[i] = { step: s.step, tensors };
    });
    const group: ParamGroup = { ...this.groupOptions(), lr: this.lr, params: this.params.map((_, i) => i) };
    return { state, paramGroups: [group] };
  }

  /**
   * Loads a `stateDict()` (PyTorch's `load_state_dict`): the state of each parameter (copied: the caller
   * keeps and disposes its tensors) and the group's hyper-parameters, lr included. Parameters are matched
   * by position, so build the optimizer over the same model's `parameters()`.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = this.constructor.name;
    const group = sd.paramGroups?.[0];
    if (sd.paramGroups?.length !== 1 || !group)
      throw new Error(`${name}.loadStateDict: expected one param group, got ${sd.paramGroups?.length ?? "none"}. Was it saved by a tsdl optimizer?`);
    if (!(typeof group.lr === "number" && group.lr >= 0))
      throw new Error(`${name}.loadStateDict: the param group's lr is ${JSON.stringify(group.lr)}; expected a number ≥ 0.`);
    if (group.params.length !== this.params.length)
      throw new Error(`${name}.loadStateDict: the state dict has ${group.params.length} parameters, this optimizer ${this.params.length}: build it over the same model's parameters().`);
    const loaded = new Map<tf.Variable, ParamState>();
    for (const [key, s] of Object.entries(sd.state)) {
      const p = this.params[Number(key)];
      if (!p) throw new Error(`${name}.loadStateDict: state for parameter #${key}, but this optimizer holds ${this.params.length}.`);
      for (const [k, t] of Object.entries(s.tensors))
        if (!tf.util.arraysEqual(t.shape, p.shape))
          throw new Error(`${name}.loadStateDict: "${k}" of parameter #${key} has shape [${t.shape}], the parameter [${p.shape}]: not the same model?`);
      loaded.set(p, { step: s.step, tensors: {} });
    }
    const options = this.readGroupOptions(group); // validates before anything changes
    this.lr = group.lr;
    Object.assign(this, options);
    this.dispose();
    for (const [key, s] of Object.entries(sd.state)) {
      const ps = loaded.get(this.params[Number(key)]) as ParamState;
      for (const [k, t] of Object.entries(s.tensors)) ps.tensors[k] = tf.keep(tf.clone(t));
      this.state.set(this.params[Number(key)], ps);
    }
  }

  /**
   * The group's hyper-parameters other than lr, under PyTorch's names in camelCase: the optimizer's own
   * fields of those names, which loadStateDict sets back (each checked against its current type).
   */
  protected abstract groupOptions(): Record<string, GroupOption>;

  /** Checks loaded hyper-parameters together, before any is set (SGD's Nesterov rule). */
  protected checkGroupOptions(_options: Record<string, GroupOption>): void {}

  /** The loaded group's values for the keys of groupOptions(), of the same types (arrays: pairs). */
  private readGroupOptions(group: ParamGroup): Record<string, GroupOption> {
    const out: Record<string, GroupOption> = {};
    for (const [key, current] of Object.entries(this.groupOptions())) {
      const v = group[key];
      const kind = Array.isArray(current) ? "pair" : typeof current;
      const ok = kind === "pair" ? Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === "number") : typeof v === kind;
      if (!ok)
        throw new Error(`${this.constructor.name}.loadStateDict: the param group's "${key}" is ${JSON.stringify(v)}, not a ${kind} (a state dict of another optimizer?).`);
      out[key] = Array.isArray(v) ? [v[0], v[1]] : v;
    }
    this.checkGroupOptions(out);
    return out;
  }

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
