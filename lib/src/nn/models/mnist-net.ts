// The PyTorch MNIST example net of seed 004 (1,199,882 parameters), NHWC 28×28×1 input:
// conv 32@3×3 → ReLU → conv 64@3×3 → ReLU → max-pool 2 → Dropout(0.25) → flatten 9216
// → Linear 128 → ReLU → Dropout(0.5) → Linear 10 → log-softmax (as the seed; crossEntropy on
// log-probabilities equals nllLoss, since log-softmax is idempotent).
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { Conv2d, Dropout, Linear } from "../layers";
import * as F from "../functional";

export class MnistNet extends Module {
  readonly conv1 = new Conv2d(1, 32, 3, { stride: 1 });
  readonly conv2 = new Conv2d(32, 64, 3, { stride: 1 });
  readonly dropout1 = new Dropout(0.25);
  readonly dropout2 = new Dropout(0.5);
  readonly fc1 = new Linear(9216, 128);
  readonly fc2 = new Linear(128, 10);

  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.conv1.forward(x, "relu");
    y = this.conv2.forward(y, "relu");
    y = F.maxPool2d(y, 2);
    y = this.dropout1.forward(y);
    y = F.flatten(y);
    y = this.fc1.forward(y, "relu");
    y = this.dropout2.forward(y);
    return F.logSoftmax(this.fc2.forward(y));
  }
}
