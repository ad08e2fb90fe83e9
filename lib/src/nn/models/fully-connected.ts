// Seed 000's FullyConnectedNetwork (implicit bias of SGD): hidden blocks Linear → BatchNorm1d → ReLU
// for each width of `architecture`, then a Linear to `nLabels`.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { BatchNorm1d, Linear, ReLU, Sequential } from "../layers";

/** One hidden block: Linear(inF, outF) → BatchNorm1d(outF) → ReLU. */
export function fullyConnectedLayer(inF: number, outF: number): Sequential {
  return new Sequential(new Linear(inF, outF), new BatchNorm1d(outF), new ReLU());
}

export interface FullyConnectedOptions {
  nLabels?: number;
  nInput?: number;
  /** Widths of the hidden layers, e.g. Array(10).fill(10). */
  architecture?: number[];
}

export class FullyConnectedNetwork extends Module {
  readonly layers: Sequential;
  readonly fc: Linear;

  constructor({ nLabels = 2, nInput = 2, architecture = [2] }: FullyConnectedOptions = {}) {
    super();
    if (!architecture.length) throw new Error("FullyConnectedNetwork: architecture needs at least one hidden width.");
    const sizes = [nInput, ...architecture];
    this.layers = new Sequential(...sizes.slice(1).map((out, i) => fullyConnectedLayer(sizes[i], out)));
    this.fc = new Linear(architecture[architecture.length - 1], nLabels);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.fc.forward(this.layers.forward(x));
  }
}
