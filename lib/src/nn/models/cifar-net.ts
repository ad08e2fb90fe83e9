// The course's CIFAR-10 convnet (NHWC input 32×32×3):
//   conv c1@5×5 → ReLU → max-pool 2 → conv c2@5×5 → ReLU → max-pool 2 → flatten (5·5·c2)
//   → Linear 120 → ReLU → Linear 84 → ReLU → Linear 10.
// channels [6, 16] is seed 003's net (62,006 parameters); [16, 32] is seed 000's (800 → 120, 121,182).
// Options for seed 000's exercises: `dropout` p after each hidden Linear's ReLU; `batchNorm` adds
// BatchNorm2d after each conv and BatchNorm1d after each hidden Linear, before the ReLU.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Linear, MaxPool2d } from "../layers";
import * as F from "../functional";

export interface CifarNetOptions {
  /** Output channels of the two convolutions: [6, 16] (seed 003, default) or [16, 32] (seed 000). */
  channels?: [number, number];
  dropout?: number;
  batchNorm?: boolean;
  nClasses?: number;
}

export class CifarNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d | null;
  readonly pool: MaxPool2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d | null;
  readonly fc1: Linear;
  readonly bn3: BatchNorm1d | null;
  readonly fc2: Linear;
  readonly bn4: BatchNorm1d | null;
  readonly fc3: Linear;
  readonly dropout: Dropout | null;

  constructor({ channels = [6, 16], dropout = 0, batchNorm = false, nClasses = 10 }: CifarNetOptions = {}) {
    super();
    const [c1, c2] = channels;
    this.conv1 = new Conv2d(3, c1, 5);
    this.bn1 = batchNorm ? new BatchNorm2d(c1) : null;
    this.pool = new MaxPool2d(2, { stride: 2 });
    this.conv2 = new Conv2d(c1, c2, 5);
    this.bn2 = batchNorm ? new BatchNorm2d(c2) : null;
    this.fc1 = new Linear(c2 * 5 * 5, 120);
    this.bn3 = batchNorm ? new BatchNorm1d(120) : null;
    this.fc2 = new Linear(120, 84);
    this.bn4 = batchNorm ? new BatchNorm1d(84) : null;
    this.fc3 = new Linear(84, nClasses);
    this.dropout = dropout > 0 ? new Dropout(dropout) : null;
  }

  /** layer (+ batch norm) + ReLU; fused into one kernel when there is no batch norm. */
  private block(layer: Conv2d | Linear, bn: Module | null, x: tf.Tensor): tf.Tensor {
    return bn ? F.relu(bn.forward(layer.forward(x))) : layer.forward(x, "relu");
  }

  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.pool.forward(this.block(this.conv1, this.bn1, x));
    y = this.pool.forward(this.block(this.conv2, this.bn2, y));
    y = F.flatten(y);
    y = this.block(this.fc1, this.bn3, y);
    if (this.dropout) y = this.dropout.forward(y);
    y = this.block(this.fc2, this.bn4, y);
    if (this.dropout) y = this.dropout.forward(y);
    return this.fc3.forward(y);
  }
}
