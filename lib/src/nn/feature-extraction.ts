// Intermediate outputs of any model, by sub-module name: torchvision's `create_feature_extractor`
// (and what PyTorch users write with `register_forward_hook`). For a Sequential, `slice` is simpler.
// The named modules' `forward` is wrapped on the instances for one pass, then restored; layer fusion is
// off during that pass so that a ReLU fused into the Linear before it still reports its own output.
import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "./module";
import { fusion } from "./fusion";

export interface FeatureExtractor {
  /** Sub-module name → key of the output record. */
  readonly returnNodes: Readonly<Record<string, string>>;
  /**
   * Runs the model on `x` and returns the output of each requested sub-module (for a module called
   * several times, its last call), under tf.tidy: only the returned tensors survive; the caller
   * disposes them. The model's mode (train/eval) is left as it is: call `model.eval()` first for
   * inference (Dropout, BatchNorm).
   */
  forward(x: tf.Tensor): Record<string, tf.Tensor>;
}

/**
 * A feature extractor returning the outputs of the sub-modules named in `returnNodes` (names of
 * `model.namedModules()`, e.g. `"layers.2"`, `"featureExtractor.1"`): a list, or a record
 * name → output key, as torchvision's `create_feature_extractor(model, return_nodes)`.
 * A layer that a custom `forward` calls with a fused activation (`conv1.forward(x, "relu")`) returns
 * the activated value: that is what is recorded.
 */
export function createFeatureExtractor(model: Module, returnNodes: string[] | Record<string, string>): FeatureExtractor {
  const nodes: Record<string, string> = Array.isArray(returnNodes)
    ? Object.fromEntries(returnNodes.map((n) => [n, n]))
    : { ...returnNodes };
  if (!Object.keys(nodes).length) throw new Error("createFeatureExtractor: name at least one sub-module in returnNodes.");
  const modules = Object.entries(nodes).map(([name, key]) => [model.getSubmodule(name), name, key] as const);
  return {
    returnNodes: nodes,
    forward(x: tf.Tensor): Record<string, tf.Tensor> {
      const restore: (() => void)[] = [];
      const wasFused = fusion.enabled;
      try {
        return tf.tidy(() => {
          const out: Record<string, tf.Tensor> = {};
          for (const [mod, , key] of modules) {
            const own = Object.prototype.hasOwnProperty.call(mod, "forward");
            const original = mod.forward; // may itself be an instance wrapper (e.g. a gradient recorder)
            mod.forward = function (this: Module, input: tf.Tensor, ...rest: unknown[]): tf.Tensor {
              const y = (original as (x: tf.Tensor, ...r: unknown[]) => tf.Tensor).call(this, input, ...rest);
              out[key] = y;
              return y;
            };
            restore.push(() => {
              if (own) mod.forward = original;
              else delete (mod as { forward?: unknown }).forward; // back to the prototype's method
            });
          }
          fusion.enabled = false;
          model.forward(x);
          const missing = modules.filter(([, , key]) => !(key in out)).map(([, name]) => name);
          if (missing.length)
            throw new Error(
              `createFeatureExtractor: ${model.constructor.name}.forward did not call ${missing.join(", ")}; ` +
                "name modules that its forward uses.",
            );
          return out;
        });
      } finally {
        fusion.enabled = wasFused;
        for (const r of restore.reverse()) r();
      }
    },
  };
}
