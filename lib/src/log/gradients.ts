// Gradients of the loss with respect to activations (a layer's INPUT), for TensorBoard histograms:
// the tfjs counterparts of PyTorch's `x.register_hook` / the course's `store_grad`.
import * as tf from "@tensorflow/tfjs-core";
import { ensureGradients } from "../backend/tf";
import type { Module } from "../nn/module";

/**
 * The value of `f(inputs)` and its gradients w.r.t. each input, in one pass (tf.valueAndGrads). Works
 * for any tensor, data included: `inputGradients(([h]) => loss(head.forward(h), y), [h])`.
 * The caller owns (and disposes) `value` and `grads`.
 */
export function inputGradients(f: (inputs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[]): { value: tf.Scalar; grads: tf.Tensor[] } {
  if (!inputs.length) throw new Error("inputGradients: pass at least one input tensor.");
  ensureGradients(); // tfjs-core's Node bundle registers no gradients by itself (see backend/tf.ts)
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => f(xs))(inputs);
  return { value: value as tf.Scalar, grads };
}

type Tap = (...args: tf.Tensor[]) => tf.Tensor;

/**
 * Stores gradients of tapped tensors during the normal backward pass (tf.variableGrads,
 * optimizer steps): `h = grads.tap("fc2", h)` in a forward, then `grads.get("fc2")` after the step.
 * The store owns the tensors (each replaced at the next backward pass); `dispose()` frees them.
 */
export class GradientStore {
  private readonly grads = new Map<string, tf.Tensor>();
  private readonly taps = new Map<string, Tap>();

  /**
   * Identity on `x` whose backward pass stores dLoss/dx under `name`. tfjs only differentiates what
   * depends on the trained variables: to tap the data itself (a first layer's input), pass that
   * layer's weight as `anchor`: it is a dummy input of the tap (its gradient gets + 0).
   */
  tap(name: string, x: tf.Tensor, anchor?: tf.Variable): tf.Tensor {
    let f = this.taps.get(name);
    if (!f) this.taps.set(name, (f = this.makeTap(name)));
    return anchor ? f(x, anchor) : f(x);
  }

  private makeTap(name: string): Tap {
    return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, anchor] = args.filter((a): a is tf.Tensor => a instanceof tf.Tensor);
      return {
        value: tf.clone(x),
        gradFunc: (dy: tf.Tensor): tf.Tensor[] => {
          this.grads.get(name)?.dispose();
          this.grads.set(name, tf.keep(tf.clone(dy))); // outlives the backward pass's tidy
          return anchor ? [dy, tf.zerosLike(anchor)] : [dy];
        },
      };
    }) as Tap;
  }

  /** The last gradient stored under `name` (owned by the store: do not dispose it). */
  get(name: string): tf.Tensor | undefined {
    return this.grads.get(name);
  }

  /** Names with a stored gradient, in the order they were first stored. */
  names(): string[] {
    return [...this.grads.keys()];
  }

  /** Frees the stored gradients. */
  dispose(): void {
    tf.dispose([...this.grads.values()]);
    this.grads.clear();
  }
}

/**
 * A GradientStore filled by the given layers' inputs at every backward pass, like a PyTorch forward
 * hook calling `store_grad` on the layer's input. It overrides `forward` on those instances only (the
 * class is untouched); the layer's first parameter anchors the tap, so even the first layer (whose
 * input is data) is recorded. `remove()` gives the layers back their own forward.
 */
export class InputGradientRecorder extends GradientStore {
  private readonly restore: (() => void)[] = [];

  constructor(layers: Record<string, Module> | [string, Module][]) {
    super();
    type Forward = (x: tf.Tensor, ...rest: unknown[]) => tf.Tensor;
    for (const [name, layer] of Array.isArray(layers) ? layers : Object.entries(layers)) {
      const target = layer as unknown as { forward: Forward }; // forward may take more args (Linear's fused activation)
      const own = Object.prototype.hasOwnProperty.call(layer, "forward");
      const original = target.forward;
      const anchor = layer.parameters()[0];
      target.forward = (x: tf.Tensor, ...rest: unknown[]) => original.call(layer, this.tap(name, x, anchor), ...rest);
      this.restore.push(() => {
        if (own) target.forward = original;
        else delete (target as { forward?: Forward }).forward;
      });
    }
  }

  /** Restores the layers' forward and frees the stored gradients. */
  remove(): void {
    this.restore.splice(0).forEach((r) => r());
    this.dispose();
  }
}

/**
 * `const rec = recordInputGradients({ fc1: model.fc1, fc2: model.fc2 })`, train as usual, then
 * `writer.addHistogram("grad_input/fc1", rec.get("fc1")!, epoch)`; `rec.remove()` when done.
 */
export function recordInputGradients(layers: Record<string, Module> | [string, Module][]): InputGradientRecorder {
  return new InputGradientRecorder(layers);
}
