// Sequential: applies its layers in order; children are named "0", "1", ... as in PyTorch.
// A Linear or Conv2d directly followed by a ReLU runs as one fused op (same result, fewer kernels).
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { fusion } from "../fusion";
import { Linear } from "./linear";
import { Conv2d } from "./conv";
import { ReLU } from "./activation";

export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  override namedChildren(): [string, Module][] {
    return this.layers.map((m, i) => [String(i), m]);
  }

  /** Appends a layer (PyTorch `append`); returns this. */
  append(layer: Module): this {
    this.layers.push(layer);
    return this;
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): Module {
    const m = this.layers[i < 0 ? this.layers.length + i : i];
    if (!m) throw new Error(`Sequential has ${this.layers.length} layers: no layer ${i}.`);
    return m;
  }

  /**
   * Layers `start` to `end` (excluded) as a new Sequential sharing the same layers (not copies), like
   * PyTorch's `seq[start:end]`: negative indices count from the end, as in `Array.prototype.slice`.
   * `model.features.slice(0, 2).forward(x)` is the hidden activation after the first two layers.
   */
  slice(start?: number, end?: number): Sequential {
    return new Sequential(...this.layers.slice(start, end));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const next = this.layers[i + 1];
      if (fusion.enabled && next instanceof ReLU && (layer instanceof Linear || layer instanceof Conv2d)) {
        y = layer.forward(y, "relu");
        i++;
      } else y = layer.forward(y);
    }
    return y;
  }
}
