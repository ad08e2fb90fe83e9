// Multi-layer perceptron: seed 002's MLP 784→120→84→10 (105,214 parameters) and seed 001's
// 784→100→100→100→10 with optional regularisation. Each hidden block is
// Linear → [BatchNorm1d | LayerNorm] → ReLU → [Dropout(p)], the usual order (seed 000's blocks too).
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { BatchNorm1d, Dropout, Flatten, LayerNorm, Linear, ReLU, Sequential } from "../layers";

export interface MLPOptions {
  /** Dropout probability after each hidden ReLU (0 = none). */
  dropout?: number;
  /** BatchNorm1d after each hidden Linear. */
  batchNorm?: boolean;
  /** LayerNorm after each hidden Linear. */
  layerNorm?: boolean;
}

export class MLP extends Module {
  readonly layers: Sequential;

  /** `sizes` = [input, hidden..., output], e.g. `new MLP([784, 120, 84, 10])`. Images are flattened first. */
  constructor(readonly sizes: number[], { dropout = 0, batchNorm = false, layerNorm = false }: MLPOptions = {}) {
    super();
    if (sizes.length < 2) throw new Error(`MLP(sizes=[${sizes}]): give at least [input, output] sizes.`);
    if (batchNorm && layerNorm) throw new Error("MLP: choose batchNorm or layerNorm, not both.");
    const layers: Module[] = [new Flatten()];
    for (let i = 0; i < sizes.length - 2; i++) {
      layers.push(new Linear(sizes[i], sizes[i + 1]));
      if (batchNorm) layers.push(new BatchNorm1d(sizes[i + 1]));
      if (layerNorm) layers.push(new LayerNorm(sizes[i + 1]));
      layers.push(new ReLU());
      if (dropout > 0) layers.push(new Dropout(dropout));
    }
    layers.push(new Linear(sizes[sizes.length - 2], sizes[sizes.length - 1]));
    this.layers = new Sequential(...layers);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.layers.forward(x);
  }
}
